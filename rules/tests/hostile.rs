//! Hostile input never panics the engine, nor sends it into endless work: a policy with any of
//! its numbers, lengths of time and instants replaced by extreme values either compiles or is
//! refused with an error, and a policy that compiles judges observations with extreme positions,
//! accuracies and device clocks (the receive time and the ticks are the caller's own clock).

use std::sync::Arc;

use proptest::prelude::*;
use rules::observation::FixSource;
use rules::{Engine, MonitoringPolicy, Observation, Outcome, Reading, Timestamp};
use serde_json::{Value, json};

/// A policy with every kind of condition, to be mutated.
fn base() -> Value {
    json!({
        "client": 7,
        "revision": 1,
        "devices": [{ "id": 1001, "kind": "tag" }, { "id": 5001, "kind": "home_unit" }],
        "addresses": [{ "id": "home", "home_unit": 5001,
            "zone": { "type": "circle", "centre": [24.1052, 56.9496], "radius_m": 60.0 } }],
        "curfew": {
            "timetable": [{ "address": "home", "slots": [
                { "day": "mon", "start": "21:00", "end": "06:00" },
                { "day": "sat", "start": "23:30", "end": "00:30" }
            ] }],
            "grace": { "late_arrival": "5m", "early_departure": "5m", "absence": "3m",
                "presence_valid_for": "150s", "fix_valid_for": "5m" }
        },
        "zones": [
            { "id": "park", "kind": "exclusion", "warning_buffer_m": 200.0,
              "shape": { "type": "circle", "centre": [24.1152, 56.9496], "radius_m": 150.0 },
              "confirm": { "fixes": 2, "dwell": "2m", "hysteresis_m": 20.0, "unknown_after": "15m" } },
            { "id": "city", "kind": "inclusion",
              "shape": { "type": "polygon", "coordinates": [[[24.08, 56.935], [24.13, 56.935],
                  [24.13, 56.965], [24.08, 56.965], [24.08, 56.935]]] } }
        ],
        "proximity": [{ "id": "victim", "victim_device": 9001, "alarm_m": 300.0,
            "release_m": 450.0, "warning_m": 800.0, "max_fix_gap": "2m" }],
        "health": { "battery_low_pct": 20, "battery_critical_pct": 10, "charge_every": "3h",
            "motion_without_fix": { "motion": "5m", "within": "30m" } }
    })
}

/// Every leaf of a JSON value, by its path.
fn leaves(value: &Value, path: &mut Vec<PathStep>, out: &mut Vec<Vec<PathStep>>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                path.push(PathStep::Key(k.clone()));
                leaves(v, path, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                path.push(PathStep::Index(i));
                leaves(v, path, out);
                path.pop();
            }
        }
        _ => out.push(path.clone()),
    }
}

#[derive(Clone, Debug)]
enum PathStep {
    Key(String),
    Index(usize),
}

fn at<'a>(value: &'a mut Value, path: &[PathStep]) -> Option<&'a mut Value> {
    path.iter().try_fold(value, |v, step| match step {
        PathStep::Key(k) => v.get_mut(k.as_str()),
        PathStep::Index(i) => v.get_mut(*i),
    })
}

/// An extreme value of the kind `leaf` holds: a number for a number, a length of time for a
/// length of time, and so on (a value of the wrong kind is refused by the policy's reader, which
/// the tests of the reader cover).
fn hostile(leaf: &Value, pick: usize, x: f64) -> Value {
    let pick_of = |options: &[Value]| options[pick % options.len()].clone();
    match leaf {
        Value::Number(_) => pick_of(&[
            json!(0),
            json!(-1),
            json!(1e-12),
            json!(-1e12),
            json!(1.7e308),
            json!(u32::MAX),
            json!(u64::MAX),
            json!(x),
        ]),
        Value::String(text)
            if text.ends_with('m') || text.ends_with('s') || text.ends_with('h') =>
        {
            pick_of(&[
                json!("0s"),
                json!("1ms"),
                json!("36500d"),
                json!("1h"),
                json!(""),
            ])
        }
        Value::String(text) if text.len() == 5 && text.contains(':') => pick_of(&[
            json!("00:00"),
            json!("23:59"),
            json!("24:00"),
            json!("12:00"),
        ]),
        Value::String(text) if text.len() == 3 => {
            pick_of(&[json!("mon"), json!("sun"), json!("xyz")])
        }
        Value::String(_) => pick_of(&[json!("home"), json!("park"), json!(""), json!("victim")]),
        _ => leaf.clone(),
    }
}

/// The receive time: the caller's clock, which is trusted, unlike a device's.
fn now() -> Timestamp {
    "2026-11-22T21:00:00Z".parse().expect("a time")
}

fn fix(device: u64, seq: u32, t: Timestamp, lat: f64, lon: f64, accuracy: f64) -> Observation {
    Observation {
        device,
        seq,
        device_time: t,
        received: now(),
        stored: false,
        reading: Reading::Location {
            lat,
            lon,
            accuracy_m: Some(accuracy),
            source: FixSource::Gnss,
        },
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn a_mutated_policy_compiles_or_is_refused_and_never_panics(
        picks in prop::collection::vec(
            (any::<prop::sample::Index>(), any::<usize>(), -1e7f64..1e7),
            1..5,
        ),
        times in prop::collection::vec(
            prop_oneof![
                Just(Timestamp::MIN),
                Just(Timestamp::MAX),
                Just(Timestamp(0)),
                (-10_000_000_000_000i64..10_000_000_000_000).prop_map(Timestamp),
                // Near the receive time, where observations are judged in event time.
                (-40i64 * 86_400_000..2 * 86_400_000).prop_map(|ms| Timestamp(now().0 + ms)),
            ],
            1..8,
        ),
        places in prop::collection::vec(
            (prop_oneof![Just(f64::NAN), Just(1e308), Just(-90.0), Just(90.0), -100.0..100.0f64],
             prop_oneof![Just(f64::INFINITY), Just(-180.0), Just(180.0), -400.0..400.0f64],
             prop_oneof![Just(-1.0), Just(0.0), Just(f64::NAN), Just(1e300), 0.0..5000.0f64]),
            1..8,
        ),
    ) {
        let mut value = base();
        let mut paths = Vec::new();
        leaves(&value, &mut Vec::new(), &mut paths);
        for (index, pick, x) in picks {
            let path = &paths[index.index(paths.len())];
            if let Some(leaf) = at(&mut value, path) {
                *leaf = hostile(leaf, pick, x);
            }
        }
        let Ok(policy) = serde_json::from_value::<MonitoringPolicy>(value) else {
            // Refused by its shape: an error, not a panic.
            return Ok(());
        };
        let Ok(compiled) = policy.compile() else {
            return Ok(());
        };
        let mut engine = Engine::new();
        engine.add_client(Arc::new(compiled)).expect("one client");
        let mut out = Outcome::default();
        for (seq, (&t, &(lat, lon, accuracy))) in times.iter().zip(places.iter().cycle()).enumerate() {
            let seq = seq as u32 + 1;
            engine.observe(&fix(1001, seq, t, lat, lon, accuracy), &mut out);
            engine.observe(&fix(9001, seq, t, lat, lon, accuracy), &mut out);
            // The caller's clock moves on (ticks come from it, not from devices).
            engine.tick(now().saturating_add(rules::Span::minutes(i64::from(seq))), &mut out);
        }
        engine.observe_batch(&[fix(1001, u32::MAX, Timestamp::MAX, 56.95, 24.1, 5.0)], &mut out);
        engine.tick(now().saturating_add(rules::Span::days(7)), &mut out);
        for monitor in engine.clients() {
            let _ = monitor.conditions();
        }
    }
}
