//! The engine's routing: which client an observation of a device concerns. A tag or home unit
//! is worn by one client; a victim's device may be watched by several clients' proximity
//! conditions; a client refused leaves the others as they were.

use std::sync::Arc;

use rules::observation::FixSource;
use rules::{
    ConditionRef, Engine, EngineError, EpisodeChange, MonitoringPolicy, Observation, Outcome,
    Reading, Span, Timestamp,
};

const VICTIM: u64 = 9001;

/// A client wearing `tag`, watched against the victim's device 9001.
fn policy(client: u64, tag: u64) -> MonitoringPolicy {
    let text = format!(
        r#"
client = {client}
revision = 1
devices = [{{ id = {tag}, kind = "tag" }}]

[[proximity]]
id = "victim"
victim_device = {VICTIM}
alarm_m = 300.0
release_m = 450.0
"#
    );
    toml::from_str(&text).expect("the test policy parses")
}

fn add(engine: &mut Engine, client: u64, tag: u64) -> Result<(), EngineError> {
    engine.add_client(Arc::new(policy(client, tag).compile().expect("compiles")))
}

fn fix(device: u64, seq: u32, at: Timestamp, lat: f64) -> Observation {
    Observation {
        device,
        seq,
        device_time: at,
        received: at,
        stored: false,
        reading: Reading::Location {
            lat,
            lon: 24.1052,
            accuracy_m: Some(10.0),
            source: FixSource::Gnss,
        },
    }
}

/// Ten minutes of fixes every 15 s: the victim's, and each tag's 50 m from it.
fn stream(tags: &[u64]) -> Vec<Observation> {
    let start: Timestamp = "2026-03-02T12:00:00Z".parse().expect("a time");
    let mut out = Vec::new();
    for i in 0..40u32 {
        let at = start.saturating_add(Span::seconds(15 * i64::from(i)));
        out.push(fix(VICTIM, i + 1, at, 56.9496));
        for &tag in tags {
            out.push(fix(tag, i + 1, at, 56.95005));
        }
    }
    out
}

/// The clients that had a proximity breach opened.
fn breached(out: &Outcome) -> Vec<u64> {
    let mut clients: Vec<u64> = out
        .changes
        .iter()
        .filter_map(|c| match c {
            EpisodeChange::Opened(e) if matches!(e.condition, ConditionRef::Proximity { .. }) => {
                Some(e.client)
            }
            _ => None,
        })
        .collect();
    clients.sort_unstable();
    clients.dedup();
    clients
}

#[test]
fn a_victims_device_concerns_every_client_that_watches_it() {
    let observations = stream(&[1001, 1002]);
    let (mut one_by_one, mut batched) = (Engine::new(), Engine::new());
    for engine in [&mut one_by_one, &mut batched] {
        add(engine, 7, 1001).expect("added");
        add(engine, 8, 1002).expect("added");
    }
    let mut out = Outcome::default();
    for obs in &observations {
        one_by_one.observe(obs, &mut out);
    }
    let mut out_batched = Outcome::default();
    batched.observe_batch(&observations, &mut out_batched);

    assert_eq!(breached(&out), vec![7, 8]);
    assert_eq!(out.changes, out_batched.changes);
}

#[test]
fn a_refused_client_leaves_the_others_as_they_were() {
    let mut engine = Engine::new();
    add(&mut engine, 7, 1001).expect("added");
    assert_eq!(
        add(&mut engine, 7, 1003),
        Err(EngineError::DuplicateClient(7))
    );
    assert_eq!(
        add(&mut engine, 8, 1001),
        Err(EngineError::DeviceTaken {
            device: 1001,
            client: 7
        })
    );
    assert!(engine.monitor(8).is_none());

    // Tag 1001 is still client 7's alone, and the victim's device watched by client 7 only.
    let mut out = Outcome::default();
    engine.observe_batch(&stream(&[1001]), &mut out);
    assert_eq!(breached(&out), vec![7]);
}

#[test]
fn devices_of_no_client_are_ignored() {
    let mut engine = Engine::new();
    add(&mut engine, 7, 1001).expect("added");
    let mut out = Outcome::default();
    engine.observe_batch(&stream(&[4242]), &mut out);
    for obs in stream(&[4242]).iter().filter(|o| o.device == 4242) {
        engine.observe(obs, &mut out);
    }
    assert!(out.changes.is_empty(), "{:?}", out.changes);
    assert!(out.late.is_empty());
}

/// Everything told to one client.
fn told_to(out: &Outcome, client: u64) -> Vec<EpisodeChange> {
    out.changes
        .iter()
        .filter(|c| c.episode().client == client)
        .cloned()
        .collect()
}

#[test]
fn a_removed_client_is_told_nothing_and_the_others_keep_their_routes() {
    // Three clients share the victim's watch; the first one added leaves, so the last one
    // moves into its place in the engine's table.
    let mut engine = Engine::new();
    for (client, tag) in [(7, 1001), (8, 1002), (9, 1003)] {
        add(&mut engine, client, tag).expect("added");
    }
    let removed = engine.remove_client(7).expect("removed");
    assert_eq!(removed.client(), 7);
    assert!(engine.monitor(7).is_none());
    assert_eq!(
        engine.remove_client(7).err(),
        Some(EngineError::UnknownClient(7))
    );

    let observations = stream(&[1001, 1002, 1003]);
    let mut out = Outcome::default();
    engine.observe_batch(&observations, &mut out);
    assert_eq!(breached(&out), vec![8, 9]);
    // One by one, the same.
    let mut one_by_one = Engine::new();
    for (client, tag) in [(8, 1002), (9, 1003)] {
        add(&mut one_by_one, client, tag).expect("added");
    }
    let mut expected = Outcome::default();
    for obs in &observations {
        one_by_one.observe(obs, &mut expected);
    }
    assert_eq!(out.changes, expected.changes);

    // The removed client's tag is free for another client.
    add(&mut engine, 10, 1001).expect("the tag is free");
}

#[test]
fn a_victims_device_no_longer_watched_is_ignored() {
    let mut engine = Engine::new();
    add(&mut engine, 7, 1001).expect("added");
    engine.remove_client(7).expect("removed");
    let mut out = Outcome::default();
    engine.observe_batch(&stream(&[1001]), &mut out);
    assert!(out.changes.is_empty(), "{:?}", out.changes);
    assert_eq!(engine.clients().count(), 0);
}

#[test]
fn a_replaced_policy_judges_from_then_on_and_a_refused_one_changes_nothing() {
    let mut engine = Engine::new();
    add(&mut engine, 7, 1001).expect("added");
    add(&mut engine, 8, 1002).expect("added");
    let observations = stream(&[1001, 1002, 1004]);
    let (first, rest) = observations.split_at(observations.len() / 2);
    let mut out = Outcome::default();
    engine.observe_batch(first, &mut out);
    assert_eq!(breached(&out), vec![7, 8]);

    // Client 8 cannot take client 7's tag: refused, and nothing changed.
    let taken = Arc::new(policy(8, 1001).compile().expect("compiles"));
    assert_eq!(
        engine.replace_client(taken).err(),
        Some(EngineError::DeviceTaken {
            device: 1001,
            client: 7
        })
    );
    let unknown = Arc::new(policy(11, 1005).compile().expect("compiles"));
    assert_eq!(
        engine.replace_client(unknown).err(),
        Some(EngineError::UnknownClient(11))
    );
    assert_eq!(
        engine.monitor(8).map(|m| m.policy().source.devices[0].id),
        Some(1002)
    );

    // Client 7 now wears tag 1004 under revision 2: tag 1001 concerns nobody, and the new
    // monitor opens its own episode under the new revision.
    let mut varied = policy(7, 1004);
    varied.revision = 2;
    let old = engine
        .replace_client(Arc::new(varied.compile().expect("compiles")))
        .expect("replaced");
    assert_eq!(old.policy().revision(), 1);
    let mut later = Outcome::default();
    engine.observe_batch(rest, &mut later);
    let opened: Vec<_> = told_to(&later, 7)
        .into_iter()
        .filter(|c| matches!(c, EpisodeChange::Opened(_)))
        .collect();
    assert_eq!(opened.len(), 1, "{opened:?}");
    assert_eq!(opened[0].episode().policy_revision, 2);
    assert!(
        opened[0]
            .episode()
            .evidence
            .iter()
            .all(|e| e.device == 1004 || e.device == VICTIM),
        "{opened:?}"
    );
    // Client 8 went on as before: its episode was told once.
    assert!(
        told_to(&later, 8)
            .iter()
            .all(|c| !matches!(c, EpisodeChange::Opened(_)))
    );
}

#[test]
fn a_resumed_monitor_finds_a_silent_device_and_closes_what_was_told_before() {
    let start: Timestamp = "2026-03-02T12:00:00Z".parse().expect("a time");
    let mut engine = Engine::new();
    add(&mut engine, 7, 1001).expect("added");
    let mut out = Outcome::default();
    engine.observe(&fix(1001, 1, start, 56.99), &mut out);
    // Silent for a day: communication lost.
    engine.tick(start.saturating_add(Span::days(1)), &mut out);
    let lost = out
        .changes
        .iter()
        .find(|c| matches!(c, EpisodeChange::Opened(e) if e.kind == rules::BreachKind::CommunicationLost))
        .map(|c| c.episode().clone())
        .expect("communication lost");

    // A restart: a new engine knows when the tag was last heard and the episode told.
    let mut resumed = Engine::new();
    add(&mut resumed, 7, 1001).expect("added");
    resumed.resume_ids_after(7, lost.id).expect("resumed");
    resumed
        .resume_arrival(7, &[(1001, start)], std::slice::from_ref(&lost))
        .expect("resumed");
    let mut after = Outcome::default();
    resumed.tick(start.saturating_add(Span::days(2)), &mut after);
    assert!(
        after.changes.is_empty(),
        "raised twice: {:?}",
        after.changes
    );
    let back = start.saturating_add(Span::days(2));
    resumed.observe(&fix(1001, 2, back, 56.99), &mut after);
    assert_eq!(after.changes.len(), 1, "{:?}", after.changes);
    let EpisodeChange::Closed(closed) = &after.changes[0] else {
        panic!("expected the episode closed: {:?}", after.changes);
    };
    assert_eq!((closed.id, closed.end), (lost.id, Some(back)));

    // Without it, a device silent since before the restart is never found silent.
    let mut forgetful = Engine::new();
    add(&mut forgetful, 7, 1001).expect("added");
    let mut none = Outcome::default();
    forgetful.tick(start.saturating_add(Span::days(2)), &mut none);
    assert!(none.changes.is_empty());
    let mut remembering = Engine::new();
    add(&mut remembering, 7, 1001).expect("added");
    remembering
        .resume_arrival(7, &[(1001, start)], &[])
        .expect("resumed");
    remembering.tick(start.saturating_add(Span::days(2)), &mut none);
    assert!(
        none.changes
            .iter()
            .any(|c| c.episode().kind == rules::BreachKind::CommunicationLost)
    );
}
