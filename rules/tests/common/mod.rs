//! The park walk the replay and checkpoint tests share: a client under one exclusion zone (a
//! park, 200 m across) and a tag that fixes once a minute, inside the park from minute 30 to 75.

use std::sync::Arc;

use rules::observation::FixSource;
use rules::{Engine, MonitoringPolicy, Observation, Reading, Span, Timestamp};

/// The client's tag.
pub const TAG: u64 = 1001;

/// The client's policy at `revision`: the tag, and the park as an exclusion zone.
pub fn policy(revision: u32) -> MonitoringPolicy {
    let text = format!(
        r#"
client = 1
revision = {revision}
devices = [{{ id = 1001, kind = "tag" }}]
zones = [{{ id = "park", kind = "exclusion", shape = {{ type = "circle", centre = [24.1300, 56.9600], radius_m = 200.0 }} }}]
"#
    );
    toml::from_str(&text).expect("the test policy parses")
}

/// An engine judging the client by `policy(revision)`.
pub fn engine(revision: u32) -> Engine {
    let mut engine = Engine::new();
    engine
        .add_client(Arc::new(policy(revision).compile().expect("compiles")))
        .expect("added");
    engine
}

/// When the walk starts: 10:00 in Riga.
pub fn start() -> Timestamp {
    "2026-03-02T10:00:00+02:00".parse().expect("a time")
}

/// A fix each minute for `minutes` minutes from [`start`], seq 1 upwards: outside the park,
/// inside it from 10:30 to 11:15.
pub fn park_walk(minutes: i64) -> Vec<Observation> {
    (0..minutes)
        .map(|minute| {
            let inside = (30..75).contains(&minute);
            let t = start().saturating_add(Span::minutes(minute));
            Observation {
                device: TAG,
                seq: minute as u32 + 1,
                device_time: t,
                received: t,
                stored: false,
                reading: Reading::Location {
                    lat: if inside { 56.9600 } else { 56.9645 },
                    lon: 24.1300,
                    accuracy_m: Some(10.0),
                    source: FixSource::Gnss,
                },
            }
        })
        .collect()
}
