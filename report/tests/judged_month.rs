//! The court summary shows what was judged live. A scripted month under one order (Europe/Riga,
//! November 2026) is fed as committed observations through the running judge, with the case
//! records changed as the month goes (through `Cases` alone: the judge is told by `cases`
//! itself): an authorised absence recorded and then called off half-way, a variation of the
//! curfew taking effect mid-month, and the tag swapped for another. Then:
//!
//! - the summary's breach episodes are the judge's (start, end, kind);
//! - the order's policy history, replayed span by span through the rules engine's reference
//!   judge, gives the same episodes: the history is what the judge judged by;
//! - the summary's figures agree with them: every curfew breach lies in required curfew time,
//!   and the cancelled absence excused exactly the hour until it was called off.

mod common;

use std::sync::Arc;

use cases::DeviceStatus;
use common::{Month, Place, TAG_A, TAG_B, at, terms};
use judge::EpisodeState;
use report::nights::SegmentKind;
use rules::memory::MemoryJudge;
use rules::{BreachKind, ConditionRef, KindClass, Timestamp};
use store::testing::test_databases;

/// A breach as the court reads it.
type Breach = (Timestamp, Option<Timestamp>, BreachKind);

/// Plays the month (Riga is UTC+2 in November: a 22:00 curfew starts at 20:00Z).
async fn play(m: &mut Month) {
    m.now("2026-11-01T10:00:00Z").await;
    m.cases
        .fit_device(&m.officer, m.order, TAG_A, None, at("2026-11-01T10:00:00Z"))
        .await
        .expect("tag A fitted");

    // Tuesday 3rd: home at 23:30 local, ninety minutes late, and 31 minutes of it in the old
    // town (22:30 to 23:01 local): two breaches over the same minutes.
    m.now("2026-11-03T19:00:00Z").await;
    m.walk(TAG_A, "2026-11-03T19:00:00Z", 90, Place::Elsewhere)
        .await;
    m.walk(TAG_A, "2026-11-03T20:30:00Z", 31, Place::OldTown)
        .await;
    m.walk(TAG_A, "2026-11-03T21:01:00Z", 29, Place::Elsewhere)
        .await;
    m.walk(TAG_A, "2026-11-03T21:30:00Z", 60, Place::Home).await;

    // Thursday 5th: half an hour in the old town.
    m.now("2026-11-05T11:00:00Z").await;
    m.walk(TAG_A, "2026-11-05T11:00:00Z", 30, Place::Home).await;
    m.walk(TAG_A, "2026-11-05T11:30:00Z", 30, Place::OldTown)
        .await;
    m.walk(TAG_A, "2026-11-05T12:00:00Z", 30, Place::Elsewhere)
        .await;

    // Sunday 8th: a work shift authorised for Tuesday night 22:00 to 04:00 local...
    m.now("2026-11-08T10:00:00Z").await;
    let absence = m
        .cases
        .add_absence(
            &m.officer,
            &serde_json::from_value(serde_json::json!({
                "order_id": m.order, "from": "2026-11-10T20:00:00Z",
                "until": "2026-11-11T02:00:00Z", "reason": "work"
            }))
            .expect("an absence"),
        )
        .await
        .expect("absence");
    // ...and called off at 23:00 local, the client still away until 00:30.
    m.now("2026-11-10T19:30:00Z").await;
    m.walk(TAG_A, "2026-11-10T19:30:00Z", 90, Place::Elsewhere)
        .await;
    m.now("2026-11-10T21:00:00Z").await;
    m.cases
        .cancel_absence(&m.officer, absence.id)
        .await
        .expect("cancelled");
    m.walk(TAG_A, "2026-11-10T21:00:00Z", 90, Place::Elsewhere)
        .await;
    m.walk(TAG_A, "2026-11-10T22:30:00Z", 30, Place::Home).await;

    // Sunday 15th: the court moves the curfew's start to 20:00 local.
    m.now("2026-11-15T12:00:00Z").await;
    m.cases
        .vary_order(&m.officer, m.order, &terms("20:00"), "court decision", None)
        .await
        .expect("varied");
    // Monday 16th: home at 21:00 local, an hour late by the new terms only.
    m.now("2026-11-16T17:00:00Z").await;
    m.walk(TAG_A, "2026-11-16T17:00:00Z", 120, Place::Elsewhere)
        .await;
    m.walk(TAG_A, "2026-11-16T19:00:00Z", 30, Place::Home).await;

    // Friday 20th: tag A is faulty and swapped for tag B.
    m.now("2026-11-20T10:00:00Z").await;
    m.cases
        .remove_device(
            &m.officer,
            TAG_A,
            at("2026-11-20T10:00:00Z"),
            DeviceStatus::Faulty,
        )
        .await
        .expect("tag A removed");
    m.now("2026-11-20T10:05:00Z").await;
    m.cases
        .fit_device(&m.officer, m.order, TAG_B, None, at("2026-11-20T10:05:00Z"))
        .await
        .expect("tag B fitted");
    // Sunday 22nd: tag B says home at 21:30 local; tag A, on a shelf at home, counts no more.
    m.now("2026-11-22T17:30:00Z").await;
    m.walk(TAG_A, "2026-11-22T17:30:00Z", 150, Place::Home)
        .await;
    m.walk(TAG_B, "2026-11-22T17:30:00Z", 120, Place::Elsewhere)
        .await;
    m.walk(TAG_B, "2026-11-22T19:30:00Z", 30, Place::Home).await;
    m.now("2026-11-22T20:00:00Z").await;
    m.judge.catch_up().await.expect("judged");
}

/// The breaches among `episodes` (device faults are not), in time order.
fn breaches(mut out: Vec<Breach>) -> Vec<Breach> {
    out.sort();
    out
}

/// The episodes the order's policy history gives, each span judged afresh by the reference
/// judge with the observations of its devices within it (as the judge gives every new policy
/// a new monitor); an episode open at a span's end ends there (superseded).
async fn replayed(m: &Month, from: Timestamp, to: Timestamp) -> Vec<Breach> {
    let history = m
        .cases
        .policy_history(m.order, from, to)
        .await
        .expect("history");
    let mut out = Vec::new();
    for span in history.iter().filter(|s| s.judged()) {
        let compiled = Arc::new(span.policy.clone().compile().expect("compiles"));
        let mut memory = MemoryJudge::new();
        memory.add_client(compiled).expect("added");
        let mut observations = Vec::new();
        for device in &span.policy.devices {
            observations.extend(
                m.observations(device.id)
                    .await
                    .into_iter()
                    .filter(|o| o.device_time >= span.from && o.device_time < span.until),
            );
        }
        observations.sort_by_key(|o| o.device_time);
        for o in observations {
            memory.observe(o);
        }
        for e in memory.episodes(m.client as u64) {
            if e.kind.class() != KindClass::DeviceFault {
                let end = e
                    .end
                    .or((span.until < Timestamp::MAX).then_some(span.until));
                out.push((e.start, end, e.kind));
            }
        }
    }
    breaches(out)
}

#[tokio::test]
async fn the_summary_of_a_month_shows_the_breaches_the_judge_judged() {
    for db in test_databases().await {
        let mut m = Month::new(&db.location).await;
        play(&mut m).await;
        let report = m
            .summary("2026-11-01", "2026-11-30", m.telemetry.store().now())
            .await;
        let period = report.period;

        // The report reads back from its canonical JSON as it was: a PDF can be rendered
        // again from the JSON it carries.
        let canonical = report::json::canonical(&report).expect("canonical");
        let back: report::Report =
            serde_json::from_value(canonical.clone()).expect("the report reads back");
        assert_eq!(back, report, "{}", db.name);
        assert_eq!(
            report::json::canonical(&back).expect("canonical"),
            canonical,
            "{}",
            db.name
        );

        let judged: Vec<_> = m
            .judge
            .episodes(m.client, period.start.0, period.end.0)
            .await
            .expect("episodes")
            .into_iter()
            .filter(|e| e.state != EpisodeState::Withdrawn)
            .filter(|e| e.kind.class() != KindClass::DeviceFault)
            .collect();
        let judged_breaches = breaches(judged.iter().map(|e| (e.start, e.end, e.kind)).collect());
        let summarised = breaches(
            report
                .breaches
                .iter()
                .filter(|e| e.state != EpisodeState::Withdrawn)
                .map(|e| (e.start, e.end, e.kind))
                .collect(),
        );
        assert_eq!(summarised, judged_breaches, "{}", db.name);
        assert_eq!(
            replayed(&m, period.start, period.end).await,
            judged_breaches,
            "{}: the policy history is not what the judge judged by",
            db.name
        );

        // The month's breaches: Tuesday's late return with the old town within it, the old
        // town again on Thursday, the night of the
        // cancelled shift (from its cancellation), Monday's by the varied terms, and tag B's.
        let curfew: Vec<_> = judged
            .iter()
            .filter(|e| e.condition == ConditionRef::Curfew)
            .collect();
        let zone = judged
            .iter()
            .filter(|e| matches!(e.condition, ConditionRef::Zone { .. }))
            .count();
        assert_eq!(zone, 2, "{}: {judged:#?}", db.name);
        let nights: Vec<u32> = curfew
            .iter()
            .map(|e| {
                chrono::DateTime::from_timestamp_millis(e.start.0)
                    .map_or(0, |t| chrono::Datelike::day(&t))
            })
            .collect();
        assert_eq!(nights, [3, 10, 16, 22], "{}: {judged:#?}", db.name);
        assert!(
            curfew[1].start >= at("2026-11-10T21:00:00Z"),
            "{}: authorised until called off: {:?}",
            db.name,
            curfew[1]
        );

        // Every curfew breach is required curfew time in the summary, and the cancelled
        // shift excused the hour until it was called off.
        let breach_ms: i64 = curfew
            .iter()
            .map(|e| e.end.unwrap_or(period.end).0 - e.start.0)
            .sum();
        assert_eq!(report.totals.breach_ms, breach_ms, "{}", db.name);
        // The old town on Tuesday night lay within the curfew breach: its 31 minutes count
        // once in the breach time, not twice.
        let all_ms: i64 = judged
            .iter()
            .map(|e| e.end.unwrap_or(period.end).0 - e.start.0)
            .sum();
        let minutes = 60_000;
        assert_eq!(
            report.breach_time.total_ms,
            all_ms - 31 * minutes,
            "{}",
            db.name
        );
        let tuesday = report
            .breach_time
            .days
            .iter()
            .find(|d| d.date.to_string() == "2026-11-03")
            .map(|d| d.breach_ms);
        assert_eq!(tuesday, Some(90 * minutes), "{}", db.name);
        assert_eq!(report.totals.excused_ms, 3_600_000, "{}", db.name);
        m.judge.shutdown().await;
    }
}

#[tokio::test]
async fn curfew_time_not_reached_yet_is_neither_required_nor_missing() {
    const H: i64 = 3_600_000;
    for db in test_databases().await {
        let m = Month::new(&db.location).await;
        m.now("2026-11-01T10:00:00Z").await;
        m.cases
            .fit_device(&m.officer, m.order, TAG_A, None, at("2026-11-01T10:00:00Z"))
            .await
            .expect("tag A fitted");
        // Sunday 1 November, made at 18:15 local (16:15Z), before the 22:00 curfew: the night
        // that starts that evening requires nothing yet and has no hours without data; the
        // morning from the order's start at 02:00 local is counted (without data: the tag was
        // not fitted yet).
        let early = m
            .summary("2026-11-01", "2026-11-01", at("2026-11-01T16:15:00Z"))
            .await;
        assert_eq!(early.params.as_of, Some(at("2026-11-01T16:15:00Z")));
        let hours = |r: &report::Report| -> Vec<(String, i64, i64)> {
            r.nights
                .iter()
                .map(|n| {
                    let h = &n.hours;
                    (n.date.to_string(), h.required_ms / H, h.unknown_ms / H)
                })
                .collect()
        };
        let night = |required, unknown| ("2026-11-01".to_string(), required, unknown);
        assert_eq!(hours(&early), [night(4, 4), night(0, 0)], "{}", db.name);
        assert_eq!(
            early.nights[1].segments.last().map(|s| s.kind),
            Some(SegmentKind::NotReached)
        );
        // Made at 01:00 local, after the period's last day but within its last night: counted
        // to then.
        let during = m
            .summary("2026-11-01", "2026-11-01", at("2026-11-01T23:00:00Z"))
            .await;
        assert!(during.params.as_of.is_some(), "{}", db.name);
        assert_eq!(hours(&during), [night(4, 4), night(3, 3)], "{}", db.name);
        // Made after the night: all of it, and reproducible (no as_of).
        let late = m
            .summary("2026-11-01", "2026-11-01", at("2026-11-02T05:00:00Z"))
            .await;
        assert_eq!(late.params.as_of, None, "{}", db.name);
        assert_eq!(hours(&late), [night(4, 4), night(8, 8)], "{}", db.name);
        assert_eq!(late.totals.required_ms, 12 * H, "{}", db.name);
        assert_eq!(late.nights[1].end, at("2026-11-02T04:00:00Z"));
        assert_eq!(late.data_window.end, at("2026-11-02T04:00:00Z"));
        m.judge.shutdown().await;
    }
}
