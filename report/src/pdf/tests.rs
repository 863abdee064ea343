//! The PDF as a court and its tools see it: rendered from a hand-made report that carries every
//! kind of thing the words must name (a fix, a zone, another obligation, a device event), then
//! read back with poppler's `pdftotext` and `pdfinfo` and checked with `qpdf --check` (the
//! tests say so and pass when those tools are absent; `.ci/run` installs them). The layout's
//! two rules (no heading alone at a page's foot, table headers repeated) are checked on the
//! laid-out pages; the band chart, the evidence gaps, a period not ended and who acted on an
//! alert in `figures`.

use std::process::Command;

use alerts::lifecycle::{AlertAction, AlertState, Resolution};
use alerts::records::AlertEvent;
use cases::{Absence, Assignment, OrderStatus, OrderTerms};
use chrono::NaiveDate;
use judge::EpisodeState;
use rules::schedule::{AbsenceReason, Interval};
use rules::{BreachKind, ConditionRef, Severity, Timestamp};
use serde_json::json;

use super::layout::{Child, Col, Layout, Mark, Op, Role};
use crate::breach_time::{BreachDay, BreachTime};
use crate::gaps::{EvidenceGap, FixSide, SkipReason, Skipped};
use crate::model::{
    AlertPart, ClientPart, EpisodePart, Evidence, Lang, NotePart, OrderPart, Params, Report,
    RevisionPart,
};
use crate::nights::{Hours, Night, NightInputs, nights};
use crate::spans::{Spans, day_start};

mod devices;
mod figures;

fn at(text: &str) -> Timestamp {
    text.parse().expect("a time")
}

fn fix(seq: u32, time: &str, speed_cm_s: u32) -> Evidence {
    Evidence {
        device: 1001,
        seq,
        device_time: at(time),
        received_at: Some(at(time)),
        frame_type: Some("location".into()),
        reading: Some(
            json!({"lat": 56.947, "lon": 24.115, "accuracy_m": 8, "source": "gnss",
                             "satellites": 9, "speed_cm_s": speed_cm_s, "heading_deg": null}),
        ),
    }
}

fn terms() -> OrderTerms {
    serde_json::from_value(json!({
        "decision_date": "2026-10-20",
        "legal_basis": "conditional_early_release",
        "starts": "2026-11-01T00:00:00Z",
        "ends": "2027-05-01T00:00:00Z",
        "time_zone": "Europe/Riga",
        "curfew": { "timetable": [{ "address": "home", "slots": [
            { "day": "mon", "start": "22:00", "end": "06:00" },
            { "day": "sat", "start": "21:00", "end": "07:00" }] }] },
        "zones": [{ "id": "Centrāltirgus", "kind": "exclusion",
                    "shape": { "type": "circle", "centre": [24.1140, 56.9440], "radius_m": 300.0 } },
                  { "id": "exclusion-2", "kind": "exclusion",
                    "shape": { "type": "circle", "centre": [24.2, 56.9], "radius_m": 100.0 } }],
        "proximity": [{ "id": "victim-1", "victim_id": 4, "alarm_m": 500.0, "release_m": 700.0 }],
        "obligations": [{ "kind": "alcohol_ban", "description": "Nelietot alkoholu" },
                        { "kind": "unheard_of_kind", "description": "Ierasties pie darbinieka" }]
    }))
    .expect("order terms")
}

fn episode(
    id: u64,
    kind: BreachKind,
    condition: ConditionRef,
    evidence: Vec<Evidence>,
) -> EpisodePart {
    EpisodePart {
        episode_id: id,
        condition,
        kind,
        severity: Severity::High,
        start: at("2026-11-21T20:31:00Z"),
        end: Some(at("2026-11-21T21:31:00Z")),
        duration_ms: Some(3_600_000),
        state: EpisodeState::Closed,
        policy_revision: 2,
        evidence,
        evidence_gaps: Vec::new(),
        alert: None,
    }
}

/// A report of `days` days with `fixes` fixes behind its curfew breach.
fn report(lang: Lang, days: u32, fixes: u32) -> Report {
    let from = NaiveDate::from_ymd_opt(2026, 11, 20).expect("a date");
    // Each night 22:00 to 06:00: at home 5 h, an hour's breach, 5 minutes away within grace,
    // the rest without data.
    let tz = chrono_tz::Europe::Riga;
    let h = 3_600_000;
    let evenings: Vec<i64> = (0..days)
        .map(|i| day_start(tz, from + chrono::Days::new(u64::from(i))) + 22 * h)
        .collect();
    let spans = |offset: i64, length: i64| {
        Spans::new(
            evenings
                .iter()
                .map(|e| (e + offset, e + offset + length))
                .collect(),
        )
    };
    let inputs = NightInputs {
        windows: spans(0, 8 * h),
        required: spans(0, 8 * h),
        excused: Spans::default(),
        breach: spans(5 * h, h),
        present: spans(0, 5 * h),
        away: spans(6 * h, 300_000),
        reached: None,
    };
    let to = from + chrono::Days::new(u64::from(days.max(1) - 1));
    let after = to + chrono::Days::new(1);
    let nights: Vec<Night> = nights(tz, (day_start(tz, from), day_start(tz, after)), &inputs);
    let totals = nights.iter().fold(Hours::default(), |t, n| &t + &n.hours);
    let mut curfew = episode(
        1,
        BreachKind::AbsentDuringCurfew,
        ConditionRef::Curfew,
        (0..fixes)
            .map(|i| {
                fix(
                    30 + i,
                    "2026-11-21T20:31:00Z",
                    if i % 2 == 0 { 0 } else { 139 },
                )
            })
            .collect(),
    );
    curfew.evidence.push(Evidence {
        device: 1002,
        seq: 7,
        device_time: at("2026-11-21T20:40:00Z"),
        received_at: Some(at("2026-11-21T20:40:01Z")),
        frame_type: Some("presence".into()),
        reading: Some(json!({"tag_id": 1001, "in_range": false, "rssi_dbm": -90})),
    });
    curfew.evidence.push(Evidence {
        device: 1001,
        seq: 46,
        device_time: at("2026-11-21T20:41:00Z"),
        received_at: Some(at("2026-11-21T20:41:01Z")),
        frame_type: Some("heartbeat".into()),
        reading: Some(
            json!({"battery_percent": 85, "battery_mv": 3950, "status": 7,
                             "rssi_dbm": -71, "temperature_c": 24}),
        ),
    });
    curfew.alert = Some(AlertPart {
        id: 1,
        state: AlertState::Resolved,
        resolution: Some(Resolution::ConfirmedBreach),
        history: vec![
            AlertEvent {
                id: 1,
                alert_id: 1,
                at: at("2026-11-21T20:31:05Z"),
                action: AlertAction::Raised,
                state: AlertState::Open,
                level: 0,
                actor_id: None,
                actor: "sargs".into(),
                note: String::new(),
                resolution: None,
            },
            // As `build` gives it: the person by their display name, not their login.
            AlertEvent {
                id: 2,
                alert_id: 1,
                at: at("2026-11-21T20:32:00Z"),
                action: AlertAction::Resolved,
                state: AlertState::Resolved,
                level: 0,
                actor_id: Some(2),
                actor: "Ilze Ozola".into(),
                note: "Runāju ar klientu.".into(),
                resolution: Some(Resolution::ConfirmedBreach),
            },
        ],
    });
    // After seq 32 the next evidence from device 1001 is seq 46: every kind of reason once.
    let skipped = [
        SkipReason::NotReceived,
        SkipReason::NotAFix {
            frame_type: "heartbeat".into(),
        },
        SkipReason::TooInaccurate {
            accuracy_m: 500.0,
            limit_m: 120.5,
        },
        SkipReason::DidNotDecide {
            accuracy_m: 8.0,
            side: FixSide::Outside,
        },
        SkipReason::NoPosition,
        SkipReason::NotPlaced { accuracy_m: 12.0 },
    ];
    curfew.evidence_gaps = vec![EvidenceGap {
        device: 1001,
        after_seq: 32,
        before_seq: 46,
        skipped: (33..)
            .zip(skipped)
            .map(|(seq, reason)| Skipped { seq, reason })
            .collect(),
        more: 7,
    }];
    let zone = episode(
        2,
        BreachKind::ExclusionZoneEntered,
        ConditionRef::Zone {
            id: "Centrāltirgus".into(),
        },
        vec![fix(90, "2026-11-22T10:00:00Z", 420)],
    );
    let battery = episode(
        3,
        BreachKind::BatteryLow,
        ConditionRef::Device { device: 1001 },
        vec![Evidence {
            device: 1001,
            seq: 95,
            device_time: at("2026-11-22T11:00:00Z"),
            received_at: Some(at("2026-11-22T11:00:02Z")),
            frame_type: Some("event".into()),
            reading: Some(json!({"code": "battery_low", "code_raw": 9, "value": 15})),
        }],
    );
    Report {
        format: crate::model::FORMAT.to_string(),
        params: Params {
            order_id: 1,
            from,
            to,
            lang,
            as_of: None,
        },
        time_zone: "Europe/Riga".into(),
        period: Interval::new(at("2026-11-19T22:00:00Z"), at("2026-12-19T22:00:00Z")),
        data_window: Interval::new(at("2026-11-19T22:00:00Z"), at("2026-12-20T04:00:00Z")),
        order: OrderPart {
            id: 1,
            court: "Rīgas pilsētas tiesa".into(),
            case_number: "K-7/2026".into(),
            status: OrderStatus::Active,
            revision: 1,
            terms: terms(),
        },
        client: ClientPart {
            id: 1,
            name: "Jānis Bērziņš".into(),
            addresses: vec![("home".into(), "Brīvības iela 1, Rīga".into())],
        },
        revisions: vec![RevisionPart {
            revision: 1,
            created: at("2026-11-18T20:00:00Z"),
            takes_effect: None,
            reason: "order made".into(),
        }],
        status_changes: vec![(at("2026-11-25T10:00:00Z"), OrderStatus::Suspended)],
        absences: vec![Absence {
            id: 1,
            order_id: 1,
            from: at("2026-11-23T18:00:00Z"),
            until: at("2026-11-24T04:00:00Z"),
            reason: AbsenceReason::Work,
            details: "Nakts maiņa".into(),
            author_id: 2,
            cancelled_ms: None,
            cancelled_by: None,
        }],
        nights,
        totals,
        breach_time: BreachTime {
            total_ms: 5_460_000,
            days: vec![
                BreachDay {
                    date: from + chrono::Days::new(1),
                    breach_ms: 3_600_000,
                },
                BreachDay {
                    date: from + chrono::Days::new(2),
                    breach_ms: 1_860_000,
                },
            ],
        },
        breaches: vec![curfew, zone],
        device_events: vec![battery],
        fittings: vec![Assignment {
            id: 1,
            device_id: 1002,
            order_id: 1,
            address: Some("home".into()),
            installed: at("2026-11-18T20:00:00Z"),
            installed_by: Some(2),
            removed: None,
            removed_by: None,
        }],
        not_evidenced: Vec::new(),
        heard_until: Some(at("2026-11-23T12:32:37Z")),
        notes: vec![NotePart {
            id: 1,
            created: at("2026-11-22T12:00:00Z"),
            author: "Ilze Ozola".into(),
            text: "Klients paskaidroja: ģimenes ārkārtas situācija.".into(),
        }],
        policy_revisions: vec![2],
    }
}

/// Runs a tool and gives what it said, or none (saying why) if it is not installed.
fn tool(program: &str, args: &[&str]) -> Option<std::process::Output> {
    match Command::new(program).args(args).output() {
        Ok(out) => Some(out),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("SKIPPED: `{program}` is not installed (apt-get install poppler-utils qpdf)");
            None
        }
        Err(e) => panic!("running {program}: {e}"),
    }
}

/// A PDF in a file of its own, removed when the test is done with it.
struct Written {
    pdf: Vec<u8>,
    path: String,
}

impl Drop for Written {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// One signing key for the tests here, so that the same report gives the same bytes.
fn key() -> &'static crate::seal::SigningKey {
    static KEY: std::sync::OnceLock<crate::seal::SigningKey> = std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        crate::seal::SigningKey::generate("sargs test", 0)
            .expect("a key")
            .0
    })
}

/// The PDF of `report` in a file named for the test.
fn written(report: &Report, name: &str) -> Written {
    let (pdf, _) = crate::to_pdf(report, key()).expect("the PDF");
    let path = std::env::temp_dir().join(format!("sargs-{name}-{}.pdf", std::process::id()));
    std::fs::write(&path, &pdf).expect("writing the PDF");
    Written {
        pdf,
        path: path.display().to_string(),
    }
}

/// The text of the PDF of `report`, as `pdftotext` reads it.
fn words(report: &Report, name: &str) -> Option<String> {
    let file = written(report, name);
    let out = tool("pdftotext", &["-layout", &file.path, "-"])?;
    assert!(out.status.success(), "pdftotext failed");
    Some(String::from_utf8(out.stdout).expect("UTF-8 text"))
}

/// Words a court should never read: keys and codes of the stored data.
fn assert_no_codes(text: &str) {
    for code in [
        "accuracy_m",
        "alcohol_ban",
        "speed_cm_s",
        "exclusion-",
        "victim-",
        "gnss",
        "order made",
    ] {
        assert!(!text.contains(code), "{code:?} is in the text:\n{text}");
    }
    let joined = text
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .find(|w| w.contains('_'));
    assert_eq!(joined, None, "a code joined by `_` is in the text");
}

#[test]
fn the_summary_speaks_latvian_and_english_without_codes() {
    let Some(lv) = words(&report(Lang::Lv, 4, 3), "words-lv") else {
        return;
    };
    assert_no_codes(&lv);
    for expected in [
        "56,9470° N 24,1150° E, ±8 m, GPS, 9 satelīti",
        "ātrums 5,0 km/h",
        "aizliegtā zona „Centrāltirgus”",
        "aizliegtā zona Nr. 2",
        "cietušais Nr. 1: trauksme tuvāk par 500 m",
        "aizliegums lietot alkoholu, narkotiskās vai citas apreibinošās vielas: Nelietot alkoholu",
        "Ierasties pie darbinieka",
        "zems akumulatora līmenis (ierīce",
        "akumulators 85 % (3,95 V), signāls −71 dBm, 24 °C, siksniņa",
        "ieiešana aizliegtajā zonā · aizliegtā zona „Centrāltirgus”",
        "atrašanās vieta",
        "mājas bāzes iekārta nedzird kājas aproci 1001",
        "nolēmums reģistrēts",
        "nolēmuma redakcija 1",
        "uzraudzības noteikumu versija 2",
        "Nolēmuma redakcija ir tiesas nolēmuma teksts",
        "darbs: Nakts maiņa",
        "apturēts",
        "Brīvības iela 1, Rīga",
    ] {
        assert!(lv.contains(expected), "{expected:?} is not in:\n{lv}");
    }

    let en = words(&report(Lang::En, 4, 3), "words-en").expect("pdftotext ran once");
    assert_no_codes(&en);
    for expected in [
        "56.9470° N 24.1150° E, ±8 m, GPS, 9 satellites",
        "exclusion zone “Centrāltirgus”",
        "alcohol ban: Nelietot alkoholu",
        "battery low (device 1001)",
        "order recorded",
        "active · order revision 1",
        "closed · policy revision 2",
        "An order revision is the court's text of the order as varied",
    ] {
        assert!(en.contains(expected), "{expected:?} is not in:\n{en}");
    }
}

#[test]
fn the_file_is_pdf_a_and_tagged_and_still_carries_its_json() {
    let r = report(Lang::Lv, 31, 80);
    let file = written(&r, "archival");
    let (pdf, path) = (&file.pdf, &file.path);
    // The same report gives the same bytes, and the JSON verify reads is there, uncompressed.
    assert_eq!(&crate::to_pdf(&r, key()).expect("again").0, pdf);
    let (document, digest) = crate::json::document(&r).expect("the document");
    assert_eq!(
        crate::file::carried(pdf).expect("carried").document,
        document
    );
    let public = key().public_key_pem().expect("a public key");
    let verdict = crate::verify::check_file(pdf, Some(crate::seal::Trust::PublicKey(&public)))
        .expect("a verdict");
    assert!(verdict.identical, "{verdict:?}");
    assert_eq!(verdict.file_digest, digest);

    let Some(check) = tool("qpdf", &["--check", path]) else {
        return;
    };
    let said = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "qpdf --check: {said}");
    assert!(
        said.contains("No syntax or stream encoding errors"),
        "{said}"
    );

    let Some(info) = tool("pdfinfo", &[path]) else {
        return;
    };
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(info.contains("Tagged:          yes"), "{info}");
    assert!(info.contains("Pārskats par pienākumu izpildi"), "{info}");
    let pages: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("a page count");
    assert!(pages >= 3, "the long report should span pages: {pages}");
    let meta = tool("pdfinfo", &["-meta", path]).expect("pdfinfo ran once");
    let meta = String::from_utf8_lossy(&meta.stdout);
    for property in ["pdfaid:part>3<", "pdfaid:conformance>A<", "pdfuaid:part>1<"] {
        assert!(
            meta.contains(property),
            "{property} is not in the XMP:\n{meta}"
        );
    }
}

/// For every piece of content, the structure element it belongs to.
fn owners(l: &Layout) -> Vec<usize> {
    let mut owner = vec![usize::MAX; l.leaves];
    for (i, e) in l.elems.iter().enumerate() {
        for c in &e.children {
            if let Child::Leaf(leaf) = c {
                owner[*leaf] = i;
            }
        }
    }
    owner
}

#[test]
fn no_heading_is_left_at_a_page_foot() {
    // Pages of every length of filler before a section, so that its heading falls at every
    // height of the page, the foot included.
    for filler in 0..70 {
        let mut l = Layout::new(Lang::En).expect("layout");
        for i in 0..filler {
            l.para(&format!("line {i}"), 9.0, false);
        }
        l.heading(2, "Section");
        l.heading(3, "Subsection");
        l.table(
            &[Col("A", 100.0), Col("B", 100.0)],
            &[vec!["1".into(), "2".into()], vec!["3".into(), "4".into()]],
            9.0,
        );
        l.heading(2, "Another");
        l.para("first line\nsecond line\nthird line", 9.0, false);
        l.flush();
        let owner = owners(&l);
        for (p, page) in l.pages.iter().enumerate() {
            let last = page.iter().rev().find_map(|op| match op {
                Op::Text {
                    mark: Mark::Content(leaf),
                    ..
                } => Some(*leaf),
                _ => None,
            });
            if let Some(leaf) = last {
                let role = &l.elems[owner[leaf]].role;
                assert!(
                    !matches!(role, Role::Heading(..)),
                    "filler {filler}: page {p} ends with a heading"
                );
            }
        }
        // The section's heading shares its page with the table's first row.
        let page_of = |text: &str| {
            l.pages.iter().position(|page| {
                page.iter()
                    .any(|op| matches!(op, Op::Text { text: t, mark: Mark::Content(_), .. } if t == text))
            })
        };
        assert_eq!(page_of("Section"), page_of("1"), "filler {filler}");
        assert_eq!(
            page_of("Another"),
            page_of("second line"),
            "filler {filler}"
        );
    }
}

#[test]
fn a_long_table_repeats_its_header_on_every_page() {
    let mut l = Layout::new(Lang::Lv).expect("layout");
    l.heading(2, "Tabula");
    let rows: Vec<Vec<String>> = (0..300).map(|i| vec![i.to_string(), "x".into()]).collect();
    l.table(&[Col("Nr.", 100.0), Col("Vērtība", 100.0)], &rows, 9.0);
    assert!(l.pages.len() >= 3, "{} pages", l.pages.len());
    for (p, page) in l.pages.iter().enumerate() {
        let texts: Vec<(&str, Mark)> = page
            .iter()
            .filter_map(|op| match op {
                Op::Text { text, mark, .. } => Some((text.as_str(), *mark)),
                _ => None,
            })
            .collect();
        // The header comes first: content on the first page, an artifact after.
        let first = &texts[..3];
        let header: Vec<&str> = first
            .iter()
            .skip(usize::from(p == 0))
            .map(|t| t.0)
            .collect();
        assert_eq!(&header[..2], ["Nr.", "Vērtība"], "page {p}");
        let repeated = first
            .iter()
            .skip(usize::from(p == 0))
            .take(2)
            .all(|t| t.1 == Mark::Artifact);
        assert_eq!(repeated, p > 0, "page {p}");
    }
    // Every row is there once, as content.
    let cells = l
        .pages
        .iter()
        .flatten()
        .filter(|op| matches!(op, Op::Text { text, mark: Mark::Content(_), .. } if text == "x"))
        .count();
    assert_eq!(cells, 300);
}
