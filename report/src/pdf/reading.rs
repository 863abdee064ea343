//! An observation as a judge reads it: the frame type by name, and what the device reported as
//! a sentence in the summary's language ("56,9470° N 24,1150° E, ±8 m, GPS, 9 satelīti"), not
//! the stored fields (`accuracy_m 8, source gnss`). The fields are the JSON ingest stores for
//! each frame type (`ingest::fields_json`, firmware-proto's message structs); a frame type or
//! field this version does not know is said in neutral words, never shown as its key. Where an
//! episode's evidence skips seqs, why, in a sentence per gap.

use firmware_proto::{EventCode, FrameType, HeartbeatStatus};
use rules::ConditionRef;
use rules::policy::Watched;
use serde_json::{Map, Value};

use crate::gaps::{EvidenceGap, FixSide, SkipReason};
use crate::model::Lang;
use crate::text::{self, T, decimal};

/// The frame type stored with an observation (its protocol name), in words.
pub(super) fn frame_type(name: &str, lang: Lang) -> &'static str {
    let t = match FrameType::ALL.into_iter().find(|t| t.name() == name) {
        Some(FrameType::Heartbeat) => T("statusa ziņojums", "heartbeat"),
        Some(FrameType::Location) => T("atrašanās vieta", "location"),
        Some(FrameType::Event) => T("notikums", "event"),
        Some(FrameType::Hello) => T("pieslēgšanās", "connection"),
        Some(FrameType::Presence) => T("klātbūtne", "presence"),
        Some(FrameType::Alcohol) => T("alkohola tests", "alcohol test"),
        Some(FrameType::Ack) => T("apstiprinājums", "acknowledgement"),
        Some(FrameType::Config) => T("konfigurācija", "configuration"),
        Some(FrameType::NotifyWearer) => T("paziņojums nēsātājam", "notice to the wearer"),
        Some(FrameType::LocateNow) => T("atrašanās vietas pieprasījums", "location request"),
        Some(FrameType::Time) => T("laiks", "time"),
        None => T("nezināms", "unknown"),
    };
    t.get(lang)
}

/// What the device reported, as a sentence; a reading that does not have the fields its frame
/// type stores is said to be unreadable rather than shown raw. `cannot`: what the reporting
/// device cannot tell (a GPS tracker: its strap, case and skin contact), whose bits it leaves
/// clear and the sentence leaves out rather than read as open.
pub(super) fn reading(frame_type: &str, value: &Value, lang: Lang, cannot: &[Watched]) -> String {
    let fields = value.as_object();
    let sentence = match FrameType::ALL.into_iter().find(|t| t.name() == frame_type) {
        Some(FrameType::Location) => fields.and_then(|f| location(f, lang)),
        Some(FrameType::Heartbeat) => fields.and_then(|f| heartbeat(f, lang, cannot)),
        Some(FrameType::Event) => fields.and_then(|f| event(f, lang)),
        Some(FrameType::Hello) => fields.and_then(|f| hello(f, lang)),
        Some(FrameType::Presence) => fields.and_then(|f| presence(f, lang)),
        Some(FrameType::Alcohol) => fields.and_then(|f| alcohol(f, lang)),
        // Commands to the device: their type says all a court needs.
        Some(
            FrameType::Ack
            | FrameType::Config
            | FrameType::NotifyWearer
            | FrameType::LocateNow
            | FrameType::Time,
        ) => Some("–".to_string()),
        None => None,
    };
    sentence.unwrap_or_else(|| {
        T(
            "rādījums nav nolasāms (skatīt iegulto JSON)",
            "reading not readable (see the embedded JSON)",
        )
        .get(lang)
        .to_string()
    })
}

fn int(f: &Map<String, Value>, key: &str) -> Option<i64> {
    f.get(key)?.as_i64()
}

fn float(f: &Map<String, Value>, key: &str) -> Option<f64> {
    f.get(key)?.as_f64()
}

/// A signed whole number with a typographic minus (signal strengths, temperatures).
fn signed(n: i64) -> String {
    if n < 0 {
        format!("−{}", n.unsigned_abs())
    } else {
        n.to_string()
    }
}

/// A count and its noun: Latvian takes the singular after numbers ending in 1 (but not 11).
fn counted(n: i64, one: &T, many: &T, lang: Lang) -> String {
    let singular = match lang {
        Lang::Lv => n % 10 == 1 && n % 100 != 11,
        Lang::En => n == 1,
    };
    format!("{n} {}", if singular { one } else { many }.get(lang))
}

/// A fix: "56,9470° N 24,1150° E, ±8 m, GPS, 9 satelīti", and the speed when moving.
fn location(f: &Map<String, Value>, lang: Lang) -> Option<String> {
    let (lat, lon) = (float(f, "lat")?, float(f, "lon")?);
    let north = if lat < 0.0 { T("S", "S") } else { T("N", "N") };
    let east = if lon < 0.0 { T("W", "W") } else { T("E", "E") };
    let mut parts = vec![format!(
        "{}° {} {}° {}",
        decimal(lat.abs(), 4, lang),
        north.get(lang),
        decimal(lon.abs(), 4, lang),
        east.get(lang)
    )];
    match int(f, "accuracy_m") {
        Some(m) => parts.push(format!("±{m} m")),
        None => parts.push(
            T("precizitāte nav zināma", "accuracy unknown")
                .get(lang)
                .into(),
        ),
    }
    let source = f.get("source")?.as_str()?;
    match source {
        "gnss" => {
            parts.push("GPS".into());
            let satellites = int(f, "satellites")?;
            parts.push(counted(
                satellites,
                &T("satelīts", "satellite"),
                &T("satelīti", "satellites"),
                lang,
            ));
        }
        "wifi" => parts.push(
            T("pēc Wi-Fi tīkliem", "from Wi-Fi networks")
                .get(lang)
                .into(),
        ),
        "cell" => parts.push(
            T(
                "pēc mobilo sakaru bāzes stacijām",
                "from mobile network cells",
            )
            .get(lang)
            .into(),
        ),
        _ => parts.push(T("avots nav zināms", "source unknown").get(lang).into()),
    }
    let speed_cm_s = int(f, "speed_cm_s")?;
    if speed_cm_s > 0 {
        // cm/s to km/h: × 3600 / 100 000.
        let kmh = speed_cm_s as f64 * 0.036;
        parts.push(format!(
            "{} {} km/h",
            T("ātrums", "speed").get(lang),
            decimal(kmh, 1, lang)
        ));
    }
    Some(parts.join(", "))
}

/// A device's health: battery, signal, temperature, and its status bits as words.
fn heartbeat(f: &Map<String, Value>, lang: Lang, cannot: &[Watched]) -> Option<String> {
    let percent = int(f, "battery_percent")?;
    let volts = int(f, "battery_mv")? as f64 / 1000.0;
    let mut parts = vec![
        format!(
            "{} {percent} % ({} V)",
            T("akumulators", "battery").get(lang),
            decimal(volts, 2, lang)
        ),
        format!(
            "{} {} dBm",
            T("signāls", "signal").get(lang),
            signed(int(f, "rssi_dbm")?)
        ),
        format!("{} °C", signed(int(f, "temperature_c")?)),
    ];
    let bits = HeartbeatStatus(u16::try_from(int(f, "status")?).ok()?);
    let flags = [
        (
            Watched::Strap,
            HeartbeatStatus::STRAP_CLOSED,
            T("siksniņa aizvērta", "strap closed"),
            T("siksniņa atvērta", "strap open"),
        ),
        (
            Watched::Case,
            HeartbeatStatus::CASE_CLOSED,
            T("korpuss aizvērts", "case closed"),
            T("korpuss atvērts", "case open"),
        ),
        (
            Watched::SkinContact,
            HeartbeatStatus::SKIN_CONTACT,
            T("kontakts ar ādu", "skin contact"),
            T("nav kontakta ar ādu", "no skin contact"),
        ),
    ];
    for (_, bit, set, clear) in flags.into_iter().filter(|(w, ..)| !cannot.contains(w)) {
        parts.push(
            if bits.contains(bit) { set } else { clear }
                .get(lang)
                .into(),
        );
    }
    // The rest only when set: their absence says nothing on most devices.
    let only_set = [
        (HeartbeatStatus::CHARGING, T("lādējas", "charging")),
        (
            HeartbeatStatus::RF_HOME_PRESENT,
            T("dzird mājas bāzes iekārtu", "hears the home unit"),
        ),
        (HeartbeatStatus::GNSS_FIX, T("ir GPS signāls", "GPS fix")),
        (
            HeartbeatStatus::MAINS_POWER,
            T("tīkla strāva", "mains power"),
        ),
        (HeartbeatStatus::MOTION, T("kustībā", "moving")),
    ];
    for (bit, words) in only_set {
        if bits.contains(bit) {
            parts.push(words.get(lang).into());
        }
    }
    Some(parts.join(", "))
}

/// A device event by name (from its code number, so that a code added to the protocol is a
/// compile error here), with the battery level where the event carries it.
fn event(f: &Map<String, Value>, lang: Lang) -> Option<String> {
    let value = int(f, "value")?;
    let number = u16::try_from(int(f, "code_raw")?).ok()?;
    let words = match EventCode::from_u16(number) {
        EventCode::StrapOpened => T("siksniņa atvērta", "strap opened"),
        EventCode::StrapClosed => T("siksniņa aizvērta", "strap closed"),
        EventCode::CaseOpened => T("korpuss atvērts", "case opened"),
        EventCode::CaseClosed => T("korpuss aizvērts", "case closed"),
        EventCode::SkinContactLost => T("zudis kontakts ar ādu", "skin contact lost"),
        EventCode::SkinContactRestored => T("kontakts ar ādu atjaunots", "skin contact restored"),
        EventCode::ChargerConnected => T("lādētājs pievienots", "charger connected"),
        EventCode::ChargerDisconnected => T("lādētājs atvienots", "charger disconnected"),
        EventCode::BatteryLow => {
            let t = T("zems akumulatora līmenis", "battery low");
            return Some(format!("{} ({value} %)", t.get(lang)));
        }
        EventCode::BatteryCritical => {
            let t = T("kritisks akumulatora līmenis", "battery critical");
            return Some(format!("{} ({value} %)", t.get(lang)));
        }
        EventCode::JammingSuspected => T("aizdomas par signāla traucēšanu", "jamming suspected"),
        EventCode::ShieldingSuspected => {
            T("aizdomas par signāla ekranēšanu", "shielding suspected")
        }
        EventCode::MainsPowerLost => T("zudusi tīkla strāva", "mains power lost"),
        EventCode::MainsPowerRestored => T("tīkla strāva atjaunota", "mains power restored"),
        EventCode::Reboot => T("ierīce restartēta", "device restarted"),
        EventCode::ButtonPressed => T("nospiesta poga", "button pressed"),
        EventCode::Unknown(number) => {
            let t = T("nezināms notikums Nr.", "unknown event no.");
            return Some(format!("{} {number}", t.get(lang)));
        }
    };
    Some(words.get(lang).to_string())
}

/// A device coming online: its firmware and what it still holds.
fn hello(f: &Map<String, Value>, lang: Lang) -> Option<String> {
    let version = format!(
        "{}.{}.{}",
        int(f, "firmware_major")?,
        int(f, "firmware_minor")?,
        int(f, "firmware_patch")?
    );
    let buffered = int(f, "frames_buffered")?;
    Some(format!(
        "{}: {} {version}, {} {}, {}",
        T("ierīce pieslēdzās", "device connected").get(lang),
        T("programmatūra", "firmware").get(lang),
        T("modelis", "model").get(lang),
        int(f, "hardware_model")?,
        counted(
            buffered,
            &T("neizsūtīts ziņojums", "message not yet sent"),
            &T("neizsūtīti ziņojumi", "messages not yet sent"),
            lang
        )
    ))
}

/// A home unit saying whether it hears its tag.
fn presence(f: &Map<String, Value>, lang: Lang) -> Option<String> {
    let tag = int(f, "tag_id")?;
    let rssi = signed(int(f, "rssi_dbm")?);
    Some(if f.get("in_range")?.as_bool()? {
        format!(
            "{} {tag} ({rssi} dBm)",
            T(
                "mājas bāzes iekārta dzird kājas aproci",
                "the home unit hears ankle tag"
            )
            .get(lang)
        )
    } else {
        format!(
            "{} {tag}",
            T(
                "mājas bāzes iekārta nedzird kājas aproci",
                "the home unit does not hear ankle tag"
            )
            .get(lang)
        )
    })
}

/// A breath test: why it was taken, the alcohol found and how well the face matched.
fn alcohol(f: &Map<String, Value>, lang: Lang) -> Option<String> {
    let why = match f.get("test_kind")?.as_str()? {
        "scheduled" => T("plānots", "scheduled"),
        "random" => T("nejaušs", "random"),
        "on_demand" => T("pēc pieprasījuma", "on request"),
        _ => T("cits", "other"),
    };
    Some(format!(
        "{} ({}): {} µg/l {}, {} {} %",
        T("alkohola tests", "alcohol test").get(lang),
        why.get(lang),
        int(f, "breath_alcohol_ug_l")?,
        T("izelpā", "in breath").get(lang),
        T("sejas atbilstība", "face match").get(lang),
        int(f, "face_match_percent")?
    ))
}

/// Why an episode's evidence from one device skips seqs, as one sentence: "Ierīce 1001: pēc
/// Nr. 22 nākamais pierādījums ir Nr. 27: Nr. 23 nav saņemts; Nr. 24 — statusa ziņojums (nav
/// atrašanās vieta); …; vēl 7 nav uzskaitīti." (the number as the evidence table's column
/// names it: "Nr." in Latvian, "seq" in English). Each reason is named by a match on its type, so
/// a reason added to `gaps.rs` is a compile error here, never a code on the page.
pub(super) fn gap(g: &EvidenceGap, condition: &ConditionRef, lang: Lang) -> String {
    // A run of seqs for the same reason is said once: "seq 34–37 — …".
    let no = match lang {
        Lang::Lv => "Nr.",
        Lang::En => "seq",
    };
    let mut runs: Vec<(u32, u32, Why)> = Vec::new();
    for s in &g.skipped {
        let why = skipped(&s.reason, condition, lang);
        match runs.last_mut() {
            Some((_, last, words)) if *last + 1 == s.seq && *words == why => *last = s.seq,
            _ => runs.push((s.seq, s.seq, why)),
        }
    }
    let mut parts: Vec<String> = runs
        .into_iter()
        .map(|(first, last, why)| {
            let seqs = if first == last {
                format!("{no} {first}")
            } else {
                format!("{no} {first}–{last}")
            };
            match why {
                Why::NotReceived(words) => format!("{seqs} {words}"),
                Why::Is(words) => format!("{seqs} — {words}"),
            }
        })
        .collect();
    if g.more > 0 {
        parts.push(match lang {
            Lang::Lv => format!("vēl {} nav uzskaitīti", g.more),
            Lang::En => format!("{} more not listed", g.more),
        });
    }
    let list = parts.join("; ");
    match lang {
        Lang::Lv => format!(
            "Ierīce {}: pēc Nr. {} nākamais pierādījums ir Nr. {}: {list}.",
            g.device, g.after_seq, g.before_seq
        ),
        Lang::En => format!(
            "Device {}: after seq {} the next evidence is seq {}: {list}.",
            g.device, g.after_seq, g.before_seq
        ),
    }
}

/// Why a skipped seq is not evidence: it never came, or what it was.
#[derive(PartialEq)]
enum Why {
    NotReceived(&'static str),
    Is(String),
}

/// Why one skipped seq is not evidence.
fn skipped(reason: &SkipReason, condition: &ConditionRef, lang: Lang) -> Why {
    let fix = |accuracy_m: f64| {
        format!(
            "{} ±{}",
            T("atrašanās vieta", "location").get(lang),
            text::metres(accuracy_m, lang)
        )
    };
    let why = match reason {
        SkipReason::NotReceived => {
            return Why::NotReceived(T("nav saņemts", "not received").get(lang));
        }
        SkipReason::NotAFix { frame_type: ty } => format!(
            "{} ({})",
            frame_type(ty, lang),
            T("nav atrašanās vieta", "not a location").get(lang)
        ),
        SkipReason::NoPosition => T(
            "atrašanās vietas ziņojums bez derīgām koordinātām",
            "a location report without a usable position",
        )
        .get(lang)
        .to_string(),
        SkipReason::TooInaccurate {
            accuracy_m,
            limit_m,
        } => format!(
            "{}, {} ({} {})",
            fix(*accuracy_m),
            T(
                "pārāk neprecīza, lai noteiktu pusi",
                "too inaccurate to place on either side"
            )
            .get(lang),
            T("līdz robežai", "the edge is").get(lang),
            match lang {
                Lang::Lv => text::metres(*limit_m, lang),
                Lang::En => format!("{} away", text::metres(*limit_m, lang)),
            }
        ),
        SkipReason::DidNotDecide { accuracy_m, side } => format!(
            "{}, {}, {}",
            fix(*accuracy_m),
            placed(*side, condition, lang),
            T(
                "neizšķīra (stāvoklis jau bija tāds vai vēl nebija apstiprināts)",
                "did not decide (the condition already stood so, or it was not yet confirmed)"
            )
            .get(lang)
        ),
        SkipReason::NotPlaced { accuracy_m } => format!(
            "{} ({})",
            fix(*accuracy_m),
            T(
                "šo pienākumu nevērtē pēc robežas",
                "this condition is not judged by an edge"
            )
            .get(lang)
        ),
    };
    Why::Is(why)
}

/// Which side of the edge a fix was placed on: the curfew's address or a zone.
fn placed(side: FixSide, condition: &ConditionRef, lang: Lang) -> &'static str {
    let at_address = matches!(condition, ConditionRef::Curfew);
    let t = match (side, at_address) {
        (FixSide::Inside, true) => T("adresē", "at the address"),
        (FixSide::Outside, true) => T("ārpus adreses", "away from the address"),
        (FixSide::Inside, false) => T("zonā", "inside the zone"),
        (FixSide::Outside, false) => T("ārpus zonas", "outside the zone"),
    };
    t.get(lang)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_gap_is_a_sentence_and_a_run_of_one_reason_is_said_once() {
        use crate::gaps::Skipped;
        let outside = SkipReason::DidNotDecide {
            accuracy_m: 8.0,
            side: FixSide::Outside,
        };
        let reasons = [
            SkipReason::NotReceived,
            SkipReason::NotReceived,
            outside.clone(),
            outside.clone(),
            outside,
            SkipReason::NotAFix {
                frame_type: "heartbeat".into(),
            },
        ];
        let g = EvidenceGap {
            device: 1001,
            after_seq: 22,
            before_seq: 29,
            skipped: (23..)
                .zip(reasons)
                .map(|(seq, reason)| Skipped { seq, reason })
                .collect(),
            more: 0,
        };
        let zone = ConditionRef::Zone { id: "x".into() };
        assert_eq!(
            gap(&g, &zone, Lang::Lv),
            "Ierīce 1001: pēc Nr. 22 nākamais pierādījums ir Nr. 29: Nr. 23–24 nav saņemts; \
             Nr. 25–27 — atrašanās vieta ±8 m, ārpus zonas, neizšķīra (stāvoklis jau bija \
             tāds vai vēl nebija apstiprināts); Nr. 28 — statusa ziņojums (nav atrašanās vieta)."
        );
        assert_eq!(
            gap(&g, &ConditionRef::Curfew, Lang::En),
            "Device 1001: after seq 22 the next evidence is seq 29: seq 23–24 not received; \
             seq 25–27 — location ±8 m, away from the address, did not decide (the condition \
             already stood so, or it was not yet confirmed); seq 28 — heartbeat (not a location)."
        );
    }

    #[test]
    fn a_fix_reads_as_place_accuracy_and_source() {
        let fix = json!({"lat": 56.947, "lon": 24.115, "accuracy_m": 8, "source": "gnss",
                         "satellites": 9, "speed_cm_s": 0, "heading_deg": null});
        assert_eq!(
            reading("location", &fix, Lang::Lv, &[]),
            "56,9470° N 24,1150° E, ±8 m, GPS, 9 satelīti"
        );
        assert_eq!(
            reading("location", &fix, Lang::En, &[]),
            "56.9470° N 24.1150° E, ±8 m, GPS, 9 satellites"
        );
        let moving = json!({"lat": -33.5, "lon": -70.25, "accuracy_m": null, "source": "wifi",
                            "satellites": 0, "speed_cm_s": 139, "heading_deg": 90});
        assert_eq!(
            reading("location", &moving, Lang::Lv, &[]),
            "33,5000° S 70,2500° W, precizitāte nav zināma, pēc Wi-Fi tīkliem, ātrums 5,0 km/h"
        );
        let one = json!({"lat": 1.0, "lon": 2.0, "accuracy_m": 30, "source": "gnss",
                         "satellites": 21, "speed_cm_s": 0});
        assert!(reading("location", &one, Lang::Lv, &[]).ends_with("21 satelīts"));
    }

    #[test]
    fn other_frames_read_as_words_and_the_unknown_as_neutral_words() {
        let hb = json!({"battery_percent": 85, "battery_mv": 3950, "status": 0b1011_0111,
                        "rssi_dbm": -71, "temperature_c": 24});
        assert_eq!(
            reading("heartbeat", &hb, Lang::En, &[]),
            "battery 85 % (3.95 V), signal −71 dBm, 24 °C, strap closed, case closed, \
             skin contact, hears the home unit, GPS fix, moving"
        );
        // A GPS tracker's heartbeat, as its adapter writes it down: strap, case and skin bits
        // clear because its protocol does not say them; left out, never read as open.
        let tracker = json!({"battery_percent": 64, "battery_mv": 3810, "status": 0b1010_0000,
                             "rssi_dbm": 0, "temperature_c": 0});
        let cannot = [Watched::Strap, Watched::SkinContact, Watched::Case];
        assert_eq!(
            reading("heartbeat", &tracker, Lang::Lv, &cannot),
            "akumulators 64 % (3,81 V), signāls 0 dBm, 0 °C, ir GPS signāls, kustībā"
        );
        assert!(reading("heartbeat", &tracker, Lang::Lv, &[]).contains("siksniņa atvērta"));
        let low = json!({"code": "battery_low", "code_raw": 9, "value": 15});
        assert_eq!(
            reading("event", &low, Lang::Lv, &[]),
            "zems akumulatora līmenis (15 %)"
        );
        let odd = json!({"code": "unknown", "code_raw": 66, "value": 0});
        assert_eq!(
            reading("event", &odd, Lang::En, &[]),
            "unknown event no. 66"
        );
        let heard = json!({"tag_id": 1001, "in_range": false, "rssi_dbm": -90});
        assert_eq!(
            reading("presence", &heard, Lang::Lv, &[]),
            "mājas bāzes iekārta nedzird kājas aproci 1001"
        );
        // A reading without its frame type's fields, or of a type not known: neutral words.
        for (ty, value) in [
            ("location", json!({"lat": 1})),
            ("future", json!({"x_y": 1})),
        ] {
            let text = reading(ty, &value, Lang::En, &[]);
            assert_eq!(text, "reading not readable (see the embedded JSON)");
        }
        assert_eq!(frame_type("future_type", Lang::Lv), "nezināms");
        assert_eq!(
            frame_type("notify_wearer", Lang::En),
            "notice to the wearer"
        );
    }
}
