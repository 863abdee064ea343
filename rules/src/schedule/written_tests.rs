//! Tests of the written forms: slots, absences and extra curfews read from and written to a
//! policy file, and the errors a bad one gives.

use chrono::NaiveTime;
use chrono::Weekday::*;
use serde::{Deserialize, Serialize};

use super::test_support::*;
use super::*;
use crate::time::Span;

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Slots {
    zone: TimeZone,
    slots: Vec<WeeklySlot>,
}

#[test]
fn slots_read_and_write() {
    let text = r#"
        zone = "Europe/Riga"
        slots = [
            { day = "mon", start = "21:00", end = "07:00" },
            { day = "sun", start = "12:00:30", end = "13:00" },
        ]
    "#;
    let read: Slots = toml::from_str(text).unwrap();
    assert_eq!(
        read,
        Slots {
            zone: TimeZone::default(),
            slots: vec![slot(Mon, "21:00", "07:00"), slot(Sun, "12:00:30", "13:00")],
        }
    );
    assert_eq!(
        read.slots[1].start,
        NaiveTime::from_hms_opt(12, 0, 30).unwrap()
    );
    let again: Slots = toml::from_str(&toml::to_string(&read).unwrap()).unwrap();
    assert_eq!(again, read);
    let json = serde_json::to_string(&read.slots[0]).unwrap();
    assert_eq!(json, r#"{"day":"mon","start":"21:00","end":"07:00"}"#);
    assert_eq!(
        serde_json::from_str::<WeeklySlot>(&json).unwrap(),
        read.slots[0]
    );
    assert_eq!(read.slots[1].to_string(), "sun 12:00:30–13:00");
}

#[test]
fn bad_slots_are_errors() {
    let read = |text: &str| {
        toml::from_str::<WeeklySlot>(text)
            .map_err(|e| e.to_string())
            .err()
            .unwrap_or_else(|| panic!("{text:?} accepted"))
    };
    for time in [
        "25:00", "24:00", "21:60", "7:00", "07:00:60", "07-00", "0700", "07:00:0", " 07:00", "",
    ] {
        let err = read(&format!(
            "day = \"mon\"\nstart = \"{time}\"\nend = \"08:00\""
        ));
        assert!(err.contains("is not a time of day"), "{time:?}: {err}");
    }
    for day in ["monday?", "Mon", "monday", "mo", "8"] {
        let err = read(&format!(
            "day = \"{day}\"\nstart = \"07:00\"\nend = \"08:00\""
        ));
        assert!(err.contains("is not a day"), "{day:?}: {err}");
    }
    assert!(read("day = \"mon\"\nstart = \"07:00\"").contains("missing field `end`"));
    assert!(read("start = \"07:00\"\nend = \"08:00\"").contains("missing field `day`"));
    assert!(
        read("day = \"mon\"\nstart = \"07:00\"\nend = \"08:00\"\naddress = \"home\"")
            .contains("unknown field `address`")
    );
    assert!(read("day = 1\nstart = \"07:00\"\nend = \"08:00\"").contains("string"));
}

#[test]
fn absences_and_extras_read_and_write() {
    let absence: AuthorisedAbsence = toml::from_str(
        r#"
        id = "a1"
        from = "2026-03-02T08:00:00+02:00"
        until = "2026-03-02T17:00:00+02:00"
        reason = "programme"
        "#,
    )
    .unwrap();
    assert_eq!(absence.reason, AbsenceReason::Programme);
    assert_eq!(
        absence.span(),
        span("2026-03-02T06:00:00Z", "2026-03-02T15:00:00Z")
    );
    let again: AuthorisedAbsence =
        serde_json::from_str(&serde_json::to_string(&absence).unwrap()).unwrap();
    assert_eq!(again, absence);
    let plain: AuthorisedAbsence = serde_json::from_str(
        r#"{"id":"a2","from":"2026-03-02T08:00:00Z","until":"2026-03-02T09:00:00Z"}"#,
    )
    .unwrap();
    assert_eq!(plain.reason, AbsenceReason::Other);
    for bad in [
        r#"{"id":"a2","from":"2026-03-02T08:00:00Z","until":"2026-03-02T09:00:00Z","reason":"party"}"#,
        r#"{"id":"a2","from":"2026-03-02T08:00:00Z","until":"2026-03-02T09:00:00Z","note":"x"}"#,
        r#"{"id":"a2","from":"2026-03-02T08:00:00Z"}"#,
        r#"{"id":"a2","from":"2026-03-02 08:00","until":"2026-03-02T09:00:00Z"}"#,
    ] {
        assert!(
            serde_json::from_str::<AuthorisedAbsence>(bad).is_err(),
            "{bad}"
        );
    }
    let extra: ExtraCurfew = toml::from_str(
        r#"
        id = "first-night"
        from = "2026-03-02T18:00:00Z"
        until = "2026-03-03T07:00:00Z"
        address = "home"
        "#,
    )
    .unwrap();
    assert_eq!(extra.span().len(), Span::hours(13));
    let again: ExtraCurfew = toml::from_str(&toml::to_string(&extra).unwrap()).unwrap();
    assert_eq!(again, extra);
    assert!(
        toml::from_str::<ExtraCurfew>(
            "id = \"x\"\nfrom = \"2026-03-02T18:00:00Z\"\nuntil = \"2026-03-03T07:00:00Z\""
        )
        .unwrap_err()
        .to_string()
        .contains("missing field `address`")
    );
    assert!(
        toml::from_str::<ExtraCurfew>(
            "id = \"x\"\nfrom = \"2026-03-02T18:00:00Z\"\nuntil = \"2026-03-03T07:00:00Z\"\naddress = \"home\"\nreason = \"work\""
        )
        .unwrap_err()
        .to_string()
        .contains("unknown field `reason`")
    );
}
