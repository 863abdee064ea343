//! What the devices could not evidence, as the summary states it: a GPS tracker's conditions
//! unknown, in both languages, and its heartbeats read without the bits it cannot tell.

use rules::policy::Watched;

use super::*;
use crate::unevidenced::NotEvidencedPart;

/// A client who wore a GPS tracker from the summary's second day: the conditions it cannot
/// evidence are stated as unknown, with when, in both languages; its heartbeat in an episode's
/// evidence leaves out the bits it cannot tell, never reading them as open.
#[test]
fn what_a_tracker_cannot_evidence_is_stated_as_unknown() {
    let with_tracker = |lang: Lang| {
        let mut r = report(lang, 4, 3);
        let from = at("2026-11-20T22:00:00Z");
        r.not_evidenced = [Watched::Strap, Watched::SkinContact, Watched::Case]
            .into_iter()
            .map(|condition| NotEvidencedPart {
                condition,
                kinds: vec![firmware_proto::DeviceKind::GpsTracker],
                devices: vec![3001],
                from,
                until: r.period.end,
            })
            .collect();
        // (Only breaches list their evidence; a tracker's heartbeat among it, as the PDF
        // would read one.)
        r.breaches[1].evidence.push(Evidence {
            device: 3001,
            seq: 7,
            device_time: at("2026-11-22T11:00:00Z"),
            received_at: Some(at("2026-11-22T11:00:02Z")),
            frame_type: Some("heartbeat".into()),
            reading: Some(json!({"battery_percent": 15, "battery_mv": 3550,
                                 "status": 0b1010_0000, "rssi_dbm": 0, "temperature_c": 0})),
        });
        r
    };
    let Some(lv) = words(&with_tracker(Lang::Lv), "tracker-lv") else {
        return;
    };
    assert_no_codes(&lv);
    for expected in [
        "Ko uzstādītās ierīces nevarēja pierādīt",
        "Siksniņas stāvoklis: nav zināms — GPS izsekotājs to nenosaka (21.11.2026. 00:00:00",
        "Kontakts ar ādu: nav zināms — GPS izsekotājs to nenosaka",
        "Korpusa stāvoklis: nav zināms — GPS izsekotājs to nenosaka",
        // The evidence table wraps the sentence after this.
        "akumulators 15 % (3,55 V), signāls 0 dBm, 0 °C, ir GPS signāls,",
    ] {
        assert!(lv.contains(expected), "{expected:?} is not in:\n{lv}");
    }
    assert!(!lv.contains("siksniņa atvērta"), "{lv}");
    assert!(!lv.contains("korpuss atvērts"), "{lv}");
    let en = words(&with_tracker(Lang::En), "tracker-en").expect("pdftotext ran once");
    for expected in [
        "What the devices fitted could not evidence",
        "Strap state: unknown — a GPS tracker cannot tell",
        "neither shown nor disproved",
    ] {
        assert!(en.contains(expected), "{expected:?} is not in:\n{en}");
    }
    // Without a tracker, no such section.
    let plain = words(&report(Lang::En, 4, 3), "tracker-none").expect("pdftotext ran once");
    assert!(!plain.contains("could not evidence"), "{plain}");
}
