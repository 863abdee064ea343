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
