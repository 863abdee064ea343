//! After a restart the judge resumes from what it stored: stopped mid-stream (the task killed,
//! not asked to stop), started again on the same database and fed the rest, it stores the
//! episodes one uninterrupted judgement gives (the reference: `rules::memory::MemoryJudge` on
//! the same observations), no id reused, no episode raised twice. Data that comes late after
//! a restart is judged again from a stored checkpoint and updates or withdraws what was told
//! before it.

mod common;

use common::*;
use judge::EpisodeState;
use rules::{BreachKind, ConditionRef, Span};
use store::Store;
use store::testing::test_databases;

#[tokio::test]
async fn a_judge_killed_mid_stream_resumes_without_losing_or_repeating_an_episode() {
    for db in test_databases().await {
        let store = Store::open(&db.location).await.expect("store");
        let w = world(store.clone()).await;
        let clock = clock();
        let rows = evening();

        let judge = start(&store, &clock).await;
        write(&w.telemetry, &rows[..75]).await;
        judge.catch_up().await.expect("judged");
        // The zone breach is open when the judge dies, with more committed than judged.
        let open = |episodes: Vec<judge::StoredEpisode>, condition: ConditionRef| {
            episodes
                .iter()
                .any(|e| e.state == EpisodeState::Open && e.condition == condition)
        };
        let old_town = ConditionRef::Zone {
            id: "old-town".into(),
        };
        assert!(open(stored(&w).await, old_town), "{}", db.name);
        write(&w.telemetry, &rows[75..80]).await;
        drop(judge);

        // Started again: the rest of the zone breach and the curfew night come in, and the
        // judge is killed once more while the curfew breach is open.
        let judge = start(&store, &clock).await;
        write(&w.telemetry, &rows[80..200]).await;
        judge.catch_up().await.expect("judged");
        assert!(open(stored(&w).await, ConditionRef::Curfew), "{}", db.name);
        write(&w.telemetry, &rows[200..205]).await;
        drop(judge);

        let judge = start(&store, &clock).await;
        write(&w.telemetry, &rows[205..]).await;
        judge.catch_up().await.expect("judged");
        let episodes = stored(&w).await;
        assert_eq!(
            standing(&episodes),
            reference(&w, &rows).await,
            "{}",
            db.name
        );
        assert_told_once(&episodes);
        assert_eq!(episodes.len(), 2, "{episodes:#?}");
        assert_eq!(
            episodes.iter().map(|e| e.episode_id).collect::<Vec<_>>(),
            vec![1, 2]
        );

        // Asked to stop and started again with nothing new: nothing changes.
        judge.shutdown().await;
        let judge = start(&store, &clock).await;
        judge.catch_up().await.expect("judged");
        assert_eq!(stored(&w).await, episodes, "{}", db.name);
        judge.shutdown().await;
    }
}

#[tokio::test]
async fn data_late_after_a_restart_updates_and_withdraws_what_was_told() {
    for db in test_databases().await {
        let store = Store::open(&db.location).await.expect("store");
        let w = world(store.clone()).await;
        let clock = clock();
        let start_at = at("2026-11-02T18:00:00Z");
        // Live: two fixes in the old town (a breach, confirmed by two fixes), then elsewhere
        // until 22:20 local, a coverage gap, and home from 23:00.
        let mut live = walk(1, "2026-11-02T17:00:00Z", 60, Place::Home);
        live.push(fix(61, start_at, Place::OldTown, false));
        live.push(fix(
            63,
            start_at.saturating_add(Span::minutes(1)),
            Place::OldTown,
            false,
        ));
        live.extend(walk(64, "2026-11-02T18:02:00Z", 139, Place::Elsewhere));
        live.extend(walk(242, "2026-11-02T21:00:00Z", 31, Place::Home));
        // Held by the tag and sent late: a fix between the two in the old town that was
        // outside it, and the gap: elsewhere until 22:45 local, then home.
        let mut late = vec![fix(
            62,
            start_at.saturating_add(Span::seconds(30)),
            Place::Elsewhere,
            true,
        )];
        let gap = at("2026-11-02T20:21:00Z");
        for i in 0..39u32 {
            let place = if i < 24 {
                Place::Elsewhere
            } else {
                Place::Home
            };
            late.push(fix(
                203 + i,
                gap.saturating_add(Span::minutes(i64::from(i))),
                place,
                true,
            ));
        }

        let judge = start(&store, &clock).await;
        write(&w.telemetry, &live).await;
        judge.catch_up().await.expect("judged");
        let before = stored(&w).await;
        let zone = before
            .iter()
            .find(|e| matches!(e.condition, ConditionRef::Zone { .. }))
            .expect("the zone breach told")
            .clone();
        let curfew = before
            .iter()
            .find(|e| e.condition == ConditionRef::Curfew)
            .expect("the curfew breach told")
            .clone();
        assert_eq!(zone.state, EpisodeState::Closed, "{}", db.name);
        assert_eq!(curfew.kind, BreachKind::LateArrival);
        drop(judge);

        let judge = start(&store, &clock).await;
        write(&w.telemetry, &late).await;
        judge.catch_up().await.expect("judged");
        let after = stored(&w).await;
        let all: Vec<_> = live.iter().chain(&late).cloned().collect();
        assert_eq!(standing(&after), reference(&w, &all).await, "{}", db.name);
        assert_told_once(&after);

        let zone_now = judge
            .episode(w.client, zone.episode_id)
            .await
            .expect("read")
            .expect("kept");
        assert_eq!(zone_now.state, EpisodeState::Withdrawn, "{after:#?}");
        assert_eq!(zone_now.evidence, zone.evidence, "kept as it was told");
        let curfew_now = judge
            .episode(w.client, curfew.episode_id)
            .await
            .expect("read")
            .expect("kept");
        assert_eq!(curfew_now.state, EpisodeState::Closed);
        assert_ne!(curfew_now.end, curfew.end, "{after:#?}");
        assert_eq!(curfew_now.end, Some(at("2026-11-02T20:45:00Z")));
        judge.shutdown().await;
    }
}

#[tokio::test]
async fn a_tag_silent_across_a_restart_is_told_once_and_closed_when_heard() {
    for db in test_databases().await {
        let store = Store::open(&db.location).await.expect("store");
        let w = world(store.clone()).await;
        let clock = clock();
        let judge = start(&store, &clock).await;
        write(
            &w.telemetry,
            &walk(1, "2026-11-02T17:00:00Z", 5, Place::Home),
        )
        .await;
        judge.catch_up().await.expect("judged");
        // Nothing heard for an hour by the judge's clock: communication lost.
        clock.set(at("2026-11-02T18:05:00Z"));
        judge.catch_up().await.expect("ticked");
        let lost = stored(&w).await;
        assert_eq!(lost.len(), 1, "{}: {lost:#?}", db.name);
        assert_eq!(
            (lost[0].kind, lost[0].state),
            (BreachKind::CommunicationLost, EpisodeState::Open)
        );
        drop(judge);

        // Started again an hour later, still silent: not raised again.
        clock.set(at("2026-11-02T19:05:00Z"));
        let judge = start(&store, &clock).await;
        judge.catch_up().await.expect("ticked");
        assert_eq!(stored(&w).await, lost, "{}", db.name);

        // Heard again: the episode told before the restart is closed.
        let heard = at("2026-11-02T19:10:00Z");
        write(&w.telemetry, &[fix(6, heard, Place::Home, false)]).await;
        judge.catch_up().await.expect("judged");
        let episodes = stored(&w).await;
        assert_eq!(episodes.len(), 1, "{episodes:#?}");
        assert_eq!(episodes[0].episode_id, lost[0].episode_id);
        assert_eq!(episodes[0].state, EpisodeState::Closed);
        assert_eq!(
            episodes[0].end,
            Some(heard.saturating_add(Span::seconds(2))),
            "closed when received"
        );
        judge.shutdown().await;
    }
}

#[tokio::test]
async fn a_tag_that_fell_silent_while_the_judge_was_stopped_is_found_silent() {
    for db in test_databases().await {
        let store = Store::open(&db.location).await.expect("store");
        let w = world(store.clone()).await;
        let clock = clock();
        let judge = start(&store, &clock).await;
        write(
            &w.telemetry,
            &walk(1, "2026-11-02T17:00:00Z", 5, Place::Home),
        )
        .await;
        judge.catch_up().await.expect("judged");
        judge.shutdown().await;

        clock.set(at("2026-11-02T18:05:00Z"));
        let judge = start(&store, &clock).await;
        judge.catch_up().await.expect("ticked");
        let episodes = stored(&w).await;
        assert_eq!(episodes.len(), 1, "{}: {episodes:#?}", db.name);
        assert_eq!(episodes[0].kind, BreachKind::CommunicationLost);
        // Silent since the last fix was received.
        assert_eq!(episodes[0].start, at("2026-11-02T17:04:02Z"));
        judge.shutdown().await;
    }
}
