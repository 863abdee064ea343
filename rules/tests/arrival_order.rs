//! The engine's central promise: for any set of observations, every arrival order (shuffled,
//! duplicated, delayed, with clock ticks in between) ends in the same episodes once all data
//! is in, namely those of judging every observation in event order.
//!
//! Communication lost and clock skew are judged by arrival by definition (docs/rules.md) and
//! are left out of the comparison.

use std::collections::HashSet;
use std::sync::Arc;

use proptest::prelude::*;
use rules::Outcome;
use rules::memory::MemoryJudge;
use rules::observation::{DeviceEvent, FixSource, Heartbeat};
use rules::{
    BreachKind, Episode, EpisodeChange, MonitoringPolicy, Observation, Reading, Span, Timestamp,
};

const TAG: u64 = 1001;
const HOME_UNIT: u64 = 5001;
const VICTIM: u64 = 9001;
const HOME: (f64, f64) = (56.9496, 24.1052);

/// A curfew every night, an exclusion circle 600 m east, an inclusion polygon around the city
/// centre, victim proximity, and health limits: every kind of condition at once.
fn policy() -> MonitoringPolicy {
    let text = r#"
client = 7
revision = 3
devices = [{ id = 1001, kind = "tag" }, { id = 5001, kind = "home_unit" }]
addresses = [{ id = "home", home_unit = 5001, zone = { type = "circle", centre = [24.1052, 56.9496], radius_m = 60.0 } }]

[curfew]
timetable = [{ address = "home", slots = [
  { day = "mon", start = "21:00", end = "23:00" },
  { day = "tue", start = "00:30", end = "02:00" },
] }]
grace = { late_arrival = "5m", early_departure = "5m", absence = "3m", presence_valid_for = "150s", fix_valid_for = "5m" }

[[zones]]
id = "park"
kind = "exclusion"
shape = { type = "circle", centre = [24.1152, 56.9496], radius_m = 150.0 }
warning_buffer_m = 200.0

[[zones]]
id = "city"
kind = "inclusion"
shape = { type = "polygon", coordinates = [[[24.08, 56.935], [24.13, 56.935], [24.13, 56.965], [24.08, 56.965], [24.08, 56.935]]] }

[[proximity]]
id = "victim"
victim_device = 9001
alarm_m = 300.0
release_m = 450.0
warning_m = 800.0

[health]
battery_low_pct = 20
battery_critical_pct = 10
charge_every = "3h"
motion_without_fix = { motion = "5m", within = "30m" }
"#;
    toml::from_str(text).expect("the test policy parses")
}

fn start() -> Timestamp {
    "2026-03-02T20:30:00+02:00".parse().expect("a time")
}

/// One generated reading at an offset (in seconds) into the night.
fn reading() -> impl Strategy<Value = (u64, Reading)> {
    let fix =
        (-0.012f64..0.02, -0.01f64..0.01, 0u8..4, 0u16..400).prop_map(|(dlon, dlat, q, acc)| {
            let accuracy_m = match q {
                0 => None,
                _ => Some(f64::from(acc)),
            };
            Reading::Location {
                lat: HOME.0 + dlat * 0.3,
                lon: HOME.1 + dlon,
                accuracy_m,
                source: FixSource::Gnss,
            }
        });
    prop_oneof![
        3 => fix.clone().prop_map(|r| (TAG, r)),
        1 => fix.prop_map(|r| (VICTIM, r)),
        3 => any::<bool>().prop_map(|in_range| (HOME_UNIT, Reading::Presence { tag: TAG, in_range })),
        2 => (0u8..=100, any::<[bool; 6]>()).prop_map(|(battery_pct, b)| (TAG, Reading::Heartbeat(Heartbeat {
            battery_pct,
            strap_closed: b[0] || b[1],
            case_closed: true,
            skin_contact: b[2] || b[3],
            charging: b[4] && b[5],
            rf_home: b[1],
            gnss_fix: b[2] && b[4],
            mains_power: true,
            motion: b[3],
        }))),
        1 => prop_oneof![
            Just(DeviceEvent::StrapOpened),
            Just(DeviceEvent::StrapClosed),
            Just(DeviceEvent::JammingSuspected),
            Just(DeviceEvent::ChargerConnected),
            Just(DeviceEvent::BatteryLow),
        ].prop_map(|event| (TAG, Reading::Event { event, value: 0 })),
    ]
}

/// A night's observations: device times spread over six hours, seqs in device-time order per
/// device (as a real device numbers them).
fn night() -> impl Strategy<Value = Vec<Observation>> {
    prop::collection::vec((0i64..6 * 3600, reading()), 1..120).prop_map(|mut items| {
        items.sort_by_key(|(offset, _)| *offset);
        let mut seqs = std::collections::HashMap::new();
        items
            .into_iter()
            .map(|(offset, (device, reading))| {
                let seq = seqs.entry(device).and_modify(|s| *s += 1).or_insert(1u32);
                let device_time = start().saturating_add(Span::seconds(offset));
                Observation {
                    device,
                    seq: *seq,
                    device_time,
                    received: device_time.saturating_add(Span::seconds(1)),
                    stored: false,
                    reading,
                }
            })
            .collect()
    })
}

/// What the comparison looks at: every episode but the arrival-judged kinds, with its id
/// cleared (an id is fixed when an episode is first told, which depends on what was known then).
fn judged(judge: &MemoryJudge) -> Vec<Episode> {
    judge
        .episodes(7)
        .into_iter()
        .filter(|e| !e.kind.judged_by_arrival())
        .map(|e| Episode {
            id: rules::EpisodeId(0),
            ..e
        })
        .collect()
}

fn end() -> Timestamp {
    // After every tick an arrival order may hold (observations end at 6 h, ticks up to 3 h later).
    start().saturating_add(Span::hours(10))
}

fn reference(observations: &[Observation]) -> Vec<Episode> {
    let mut sorted = observations.to_vec();
    sorted.sort_by_key(|o| o.key());
    let mut judge = MemoryJudge::new();
    judge
        .add_client(Arc::new(policy().compile().expect("compiles")))
        .expect("added");
    for o in sorted {
        judge.observe(o);
    }
    judge.tick(end());
    judged(&judge)
}

/// An arrival: which observation, and whether a tick (at that observation's time plus a delay)
/// comes first.
type Arrival = (usize, Option<i64>);

fn arrivals(n: usize) -> impl Strategy<Value = Vec<Arrival>> {
    // Every observation at least once, some twice, in any order.
    let each = (0..n).map(|i| (Just(i), prop::option::of(0i64..3 * 3600)).boxed());
    let all: Vec<_> = each.collect();
    (
        all,
        prop::collection::vec((0..n, prop::option::of(0i64..3600)), 0..n),
    )
        .prop_flat_map(|(once, extra)| {
            let v: Vec<Arrival> = once.into_iter().chain(extra).collect();
            Just(v).prop_shuffle()
        })
}

/// Every change is a change to what was told before: an id is opened once and never reused, and
/// only a told episode is updated or withdrawn.
fn told_as_changes(log: &[EpisodeChange]) -> Result<(), TestCaseError> {
    let mut ever = HashSet::new();
    let mut current = HashSet::new();
    for change in log {
        let id = change.episode().id;
        match change {
            EpisodeChange::Opened(_) => {
                prop_assert!(ever.insert(id), "{id:?} opened again: {change:?}");
                current.insert(id);
            }
            EpisodeChange::Closed(_) => {
                prop_assert!(
                    current.contains(&id) || ever.insert(id),
                    "{id:?} reused: {change:?}"
                );
                current.insert(id);
            }
            EpisodeChange::Updated(_) => {
                prop_assert!(current.contains(&id), "{id:?} updated untold: {change:?}");
            }
            EpisodeChange::Withdrawn(_) => {
                prop_assert!(current.remove(&id), "{id:?} withdrawn untold: {change:?}");
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn every_arrival_order_ends_in_the_same_episodes(
        (observations, order) in night().prop_flat_map(|obs| {
            let n = obs.len();
            (Just(obs), arrivals(n))
        })
    ) {
        let want = reference(&observations);
        let mut judge = MemoryJudge::new();
        judge.add_client(Arc::new(policy().compile().expect("compiles"))).expect("added");
        for &(i, tick_delay) in &order {
            let obs = &observations[i];
            if let Some(delay) = tick_delay {
                judge.tick(obs.device_time.saturating_add(Span::seconds(delay)));
            }
            judge.observe(obs.clone());
        }
        judge.tick(end());
        let got = judged(&judge);
        let consistent = told_as_changes(&judge.log);
        if (got != want || consistent.is_err()) && std::env::var("ARRIVAL_DEBUG").is_ok() {
            for change in &judge.log {
                eprintln!("{change:?}");
            }
        }
        prop_assert_eq!(got, want);
        consistent?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    /// `Engine::observe_batch` fetches memory ahead but judges exactly as `observe` one by one:
    /// the same changes in the same order, whatever the arrival order and the batch sizes.
    #[test]
    fn a_batch_judges_as_one_by_one(
        (observations, order, cuts) in night().prop_flat_map(|obs| {
            let n = obs.len();
            (
                Just(obs),
                Just((0..n).collect::<Vec<usize>>()).prop_shuffle(),
                prop::collection::vec(1usize..20, 1..10),
            )
        })
    ) {
        let arrived: Vec<Observation> = order.iter().map(|&i| observations[i].clone()).collect();
        let new_engine = || {
            let mut engine = rules::Engine::new();
            engine.add_client(Arc::new(policy().compile().expect("compiles"))).expect("added");
            engine
        };
        let mut one = new_engine();
        let mut by_one = Outcome::default();
        for obs in &arrived {
            one.observe(obs, &mut by_one);
        }
        let mut batched = new_engine();
        let mut in_batches = Outcome::default();
        let mut rest = arrived.as_slice();
        for &cut in cuts.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (batch, after) = rest.split_at(cut.min(rest.len()));
            batched.observe_batch(batch, &mut in_batches);
            rest = after;
        }
        prop_assert_eq!(&by_one.changes, &in_batches.changes);
        prop_assert_eq!(&by_one.late, &in_batches.late);
        prop_assert_eq!(by_one.checkpoints.len(), in_batches.checkpoints.len());
    }
}

#[test]
fn late_data_withdraws_what_a_tick_raised() {
    // Away reports until 21:04, ticks to 21:20: the engine sees an absence past the grace. Then
    // the home unit's held-back reports from 21:04 on arrive: the client was home at 21:04, and
    // the episode is withdrawn.
    let mut judge = MemoryJudge::new();
    judge
        .add_client(Arc::new(policy().compile().expect("compiles")))
        .expect("added");
    let at = |s: &str| s.parse::<Timestamp>().expect("a time");
    let presence = |seq: u32, t: Timestamp, in_range: bool| Observation {
        device: HOME_UNIT,
        seq,
        device_time: t,
        received: t,
        stored: false,
        reading: Reading::Presence { tag: TAG, in_range },
    };
    let mut seq = 0;
    let mut t = at("2026-03-02T20:58:00+02:00");
    while t <= at("2026-03-02T21:03:00+02:00") {
        seq += 1;
        judge.observe(presence(seq, t, false));
        t = t.saturating_add(Span::minutes(1));
    }
    judge.tick(at("2026-03-02T21:20:00+02:00"));
    let raised = judged(&judge);
    assert!(
        raised
            .iter()
            .any(|e| e.kind == BreachKind::LateArrival && e.end.is_none()),
        "the tick should raise an open late arrival: {raised:?}"
    );
    while t <= at("2026-03-02T21:30:00+02:00") {
        seq += 1;
        judge.observe(presence(seq, t, true));
        t = t.saturating_add(Span::minutes(1));
    }
    assert_eq!(judged(&judge), Vec::<Episode>::new());
    assert!(
        judge.log.iter().any(
            |c| matches!(c, rules::EpisodeChange::Withdrawn(e) if e.kind == BreachKind::LateArrival)
        ),
        "the withdrawal is told"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    /// The evidence of presence a compliance summary counts as kept: the same whatever the order
    /// and duplicates it comes in, one address's spans never overlapping, and never inside a
    /// curfew breach the engine found on the same observations.
    #[test]
    fn presence_evidence_never_meets_a_curfew_breach(
        (observations, order) in night().prop_flat_map(|obs| {
            let n = obs.len();
            (Just(obs), arrivals(n))
        })
    ) {
        let policy = policy().compile().expect("compiles");
        let spans = rules::presence_evidence(&policy, &observations);
        let arrived: Vec<Observation> =
            order.iter().map(|&(i, _)| observations[i].clone()).collect();
        prop_assert_eq!(&rules::presence_evidence(&policy, &arrived), &spans);
        for pair in spans.windows(2) {
            prop_assert!(
                pair[0].address != pair[1].address || pair[0].span.end <= pair[1].span.start,
                "{pair:?}"
            );
        }
        for breach in reference(&observations)
            .iter()
            .filter(|e| e.condition == rules::ConditionRef::Curfew)
        {
            let end = breach.end.unwrap_or(Timestamp::MAX);
            for s in spans.iter().filter(|s| s.present) {
                prop_assert!(
                    s.span.end <= breach.start || s.span.start >= end,
                    "present {s:?} within {breach:?}"
                );
            }
        }
    }
}

/// Each piece counts for as long as the policy lets it (150 s for a home unit's report, 5 min
/// for a fix), runs on into the next that agrees, and gives way to the next that does not.
#[test]
fn presence_evidence_counts_each_piece_for_its_validity() {
    let policy = policy().compile().expect("compiles");
    let at = |s: i64| start().saturating_add(Span::seconds(s));
    let obs = |device, seq, s, reading| Observation {
        device,
        seq,
        device_time: at(s),
        received: at(s),
        stored: false,
        reading,
    };
    let away = Reading::Location {
        lat: HOME.0 + 0.01,
        lon: HOME.1,
        accuracy_m: Some(10.0),
        source: FixSource::Gnss,
    };
    let present = |in_range| Reading::Presence { tag: TAG, in_range };
    let observations = [
        obs(HOME_UNIT, 1, 0, present(true)),
        obs(HOME_UNIT, 2, 60, present(true)),
        obs(TAG, 1, 100, away),
        obs(HOME_UNIT, 3, 1000, present(true)),
        // Another client's device says nothing of this one.
        obs(4242, 1, 1010, present(false)),
    ];
    let spans: Vec<(bool, Timestamp, Timestamp)> = rules::presence_evidence(&policy, &observations)
        .iter()
        .map(|e| (e.present, e.span.start, e.span.end))
        .collect();
    assert_eq!(
        spans,
        [
            (true, at(0), at(100)),
            (false, at(100), at(400)),
            (true, at(1000), at(1150)),
        ]
    );
}
