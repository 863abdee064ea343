//! Checkpoints survive storage: one written out and read back judges late data exactly as the
//! one kept in memory, and one that does not fit the monitor (another client, another policy
//! revision, a tampered state) is refused with an error, never a panic.

use rules::{Checkpoint, CheckpointError, EngineError, Observation, Outcome, Timestamp};

mod common;

use common::{TAG, engine, policy};

/// A fix each minute from 10:00 for two hours: outside the park, inside it from 10:30 to 11:15.
fn fixes() -> Vec<Observation> {
    common::park_walk(120)
}

/// The checkpoints offered while judging the fixes in order, and the changes told.
fn judged_in_order() -> (Vec<Checkpoint>, Outcome) {
    let mut engine = engine(1);
    let mut out = Outcome::default();
    for obs in fixes() {
        engine.observe(&obs, &mut out);
    }
    (std::mem::take(&mut out.checkpoints), out)
}

#[test]
fn a_stored_checkpoint_judges_as_the_one_kept() {
    let (checkpoints, told) = judged_in_order();
    let kept = checkpoints
        .iter()
        .find(|c| c.until > Timestamp::MIN)
        .expect("a checkpoint during the stream")
        .clone();
    let text = serde_json::to_string(&kept).expect("serialises");
    let stored: Checkpoint = serde_json::from_str(&text).expect("reads back");
    let known: Vec<_> = told.changes.iter().map(|c| c.episode().clone()).collect();
    let replay: Vec<Observation> = fixes()
        .into_iter()
        .filter(|o| o.device_time >= kept.replay_from(&policy(1).compile().expect("compiles"), TAG))
        .collect();
    let mut from_kept = Outcome::default();
    engine(1)
        .rejudge(&kept, &replay, &known, &mut from_kept)
        .expect("the kept checkpoint fits");
    let mut from_stored = Outcome::default();
    engine(1)
        .rejudge(&stored, &replay, &known, &mut from_stored)
        .expect("the stored checkpoint fits");
    assert_eq!(from_kept.changes, from_stored.changes);
    assert_eq!(
        serde_json::to_string(&from_kept.checkpoints).expect("serialises"),
        serde_json::to_string(&from_stored.checkpoints).expect("serialises")
    );
    assert!(
        !from_kept.changes.is_empty(),
        "judging again from a fresh engine tells the episode"
    );
}

#[test]
fn after_a_restart_no_id_is_issued_twice() {
    let (checkpoints, told) = judged_in_order();
    let last = told
        .changes
        .iter()
        .map(|c| c.episode().id)
        .max()
        .expect("the park entry was told");
    // Restarted from the first checkpoint, knowing nothing told: the park entry is judged
    // anew, and must not take an id issued before the restart.
    let first = checkpoints.first().expect("a checkpoint");
    let mut restarted = engine(1);
    restarted.resume_ids_after(1, last).expect("a known client");
    let mut out = Outcome::default();
    restarted
        .rejudge(first, &fixes(), &[], &mut out)
        .expect("fits");
    assert!(!out.changes.is_empty());
    assert!(
        out.changes.iter().all(|c| c.episode().id > last),
        "{:?}",
        out.changes
    );
    assert_eq!(
        restarted.resume_ids_after(9, last),
        Err(EngineError::UnknownClient(9))
    );
}

#[test]
fn a_checkpoint_of_another_revision_or_client_is_refused() {
    let (checkpoints, _) = judged_in_order();
    let checkpoint = checkpoints.last().expect("a checkpoint");
    let mut out = Outcome::default();
    let err = engine(2)
        .rejudge(checkpoint, &[], &[], &mut out)
        .expect_err("another revision");
    assert_eq!(
        err,
        EngineError::Checkpoint(CheckpointError::OtherRevision {
            checkpoint: 1,
            monitor: 2
        })
    );
    let mut other = checkpoint.clone();
    other.client = 2;
    assert_eq!(
        engine(1).rejudge(&other, &[], &[], &mut out),
        Err(EngineError::UnknownClient(2))
    );
    assert!(out.changes.is_empty());
}

#[test]
fn a_tampered_checkpoint_is_refused_not_a_panic() {
    let (checkpoints, _) = judged_in_order();
    let checkpoint = checkpoints.last().expect("a checkpoint");
    let mut value = serde_json::to_value(checkpoint).expect("serialises");
    let zones = value["state"]["zones"]["zones"]
        .as_array_mut()
        .expect("the zone states");
    zones.clear();
    let tampered: Checkpoint = serde_json::from_value(value.clone()).expect("still well-formed");
    let mut out = Outcome::default();
    assert_eq!(
        engine(1).rejudge(&tampered, &fixes(), &[], &mut out),
        Err(EngineError::Checkpoint(CheckpointError::Malformed(
            "not one state per zone"
        )))
    );
    // An episode of a zone the policy does not have.
    let mut value = serde_json::to_value(checkpoint).expect("serialises");
    value["state"]["book"]["keys"] = serde_json::json!([{ "Zone": 7 }]);
    value["state"]["book"]["episodes"] =
        serde_json::json!([serde_json::to_value(rules::Episode {
            id: rules::EpisodeId(1),
            client: 1,
            condition: rules::ConditionRef::Zone { id: "x".into() },
            kind: rules::BreachKind::ExclusionZoneEntered,
            severity: rules::Severity::Critical,
            start: Timestamp::MIN,
            end: None,
            evidence: Vec::new(),
            policy_revision: 1,
        })
        .expect("serialises")]);
    let tampered: Checkpoint = serde_json::from_value(value).expect("still well-formed");
    assert_eq!(
        engine(1).rejudge(&tampered, &fixes(), &[], &mut out),
        Err(EngineError::Checkpoint(CheckpointError::Malformed(
            "an episode of a condition the policy does not have"
        )))
    );
    assert!(out.changes.is_empty());
    // Not a checkpoint at all: an error from the reader, before the engine sees it.
    assert!(serde_json::from_str::<Checkpoint>(r#"{"client": 1}"#).is_err());
}
