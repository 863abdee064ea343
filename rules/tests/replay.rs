//! The one late-data replay loop (`rules::Replay`), pumped by hand as a caller with storage
//! pumps it, with no database: what it asks for (the checkpoint before the earliest late
//! instant, each device's observations from the instant that checkpoint needs), and that
//! answering those asks judges late data to the episodes that judging in order gives.

use rules::{
    Checkpoint, Engine, Episode, EpisodeChange, EpisodeId, Observation, Outcome, Replay,
    ReplayRequest, ReplayStep, RowsRequest, Span, Timestamp,
};
use std::collections::BTreeMap;

mod common;

use common::{TAG, engine, start};

/// A fix each minute from 10:00 for three hours: inside the park from 10:30 to 11:15.
fn fixes() -> Vec<Observation> {
    common::park_walk(180)
}

/// A caller's storage, in memory, and what the replay asked of it.
#[derive(Default)]
struct Caller {
    observations: Vec<Observation>,
    checkpoints: BTreeMap<Timestamp, Checkpoint>,
    episodes: BTreeMap<EpisodeId, Episode>,
    asked: Vec<ReplayRequest>,
    fetched: Vec<RowsRequest>,
}

impl Caller {
    /// Stores an observation, judges it and pumps the replay.
    fn arrive(&mut self, engine: &mut Engine, obs: Observation) {
        let mut out = Outcome::default();
        engine.observe(&obs, &mut out);
        self.observations.push(obs);
        self.pump(engine, Replay::new(out));
    }

    fn pump(&mut self, engine: &mut Engine, mut replay: Replay) {
        while let Some(step) = replay.next(engine) {
            match step {
                ReplayStep::Told {
                    changes,
                    checkpoints,
                } => {
                    for change in changes {
                        match change {
                            EpisodeChange::Withdrawn(e) => {
                                self.episodes.remove(&e.id);
                            }
                            other => {
                                let e = other.episode().clone();
                                self.episodes.insert(e.id, e);
                            }
                        }
                    }
                    for c in checkpoints {
                        self.checkpoints.split_off(&c.until);
                        self.checkpoints.insert(c.until, c);
                    }
                }
                ReplayStep::Checkpoint(ask) => {
                    self.asked.push(ask);
                    self.checkpoints.split_off(&ask.before);
                    let found = self
                        .checkpoints
                        .range(..ask.before)
                        .next_back()
                        .map(|(_, c)| c.clone());
                    replay.found(engine, found);
                }
                ReplayStep::Rows(ask) => {
                    let rows: Vec<Observation> = self
                        .observations
                        .iter()
                        .filter(|o| {
                            ask.devices
                                .iter()
                                .any(|(d, from)| o.device == *d && o.device_time >= *from)
                        })
                        .cloned()
                        .collect();
                    let known: Vec<Episode> = self
                        .episodes
                        .values()
                        .filter(|e| e.end.is_none_or(|end| end >= ask.settled))
                        .cloned()
                        .collect();
                    self.fetched.push(ask);
                    replay
                        .feed(engine, &rows, &known)
                        .expect("the checkpoint is the client's own");
                }
            }
        }
    }
}

fn episodes_in_order() -> Vec<Episode> {
    let mut engine = engine(1);
    let mut caller = Caller::default();
    for obs in fixes() {
        caller.arrive(&mut engine, obs);
    }
    assert!(caller.asked.is_empty(), "nothing came late");
    caller.episodes.into_values().collect()
}

#[test]
fn late_data_is_replayed_from_the_checkpoint_before_it() {
    let mut engine = engine(1);
    let mut caller = Caller::default();
    // The park visit (10:30 to 11:15) was held in the tag through a coverage gap and comes
    // after everything else, STORED.
    let (held, live): (Vec<_>, Vec<_>) = fixes().into_iter().partition(|o| {
        (start().saturating_add(Span::minutes(25))..start().saturating_add(Span::minutes(80)))
            .contains(&o.device_time)
    });
    for obs in live {
        caller.arrive(&mut engine, obs);
    }
    assert!(caller.episodes.is_empty(), "no breach seen yet");
    let first_late = held[0].device_time;
    for mut obs in held {
        obs.stored = true;
        caller.arrive(&mut engine, obs);
    }
    let asked = caller.asked.first().expect("late data asks for a replay");
    assert_eq!(asked.client, 1);
    assert_eq!(asked.before, first_late);
    let rows = caller.fetched.first().expect("the checkpoint was found");
    assert_eq!(rows.client, 1);
    assert_eq!(rows.devices.len(), 1);
    assert_eq!(rows.devices[0].0, TAG);
    assert!(
        rows.devices[0].1 < first_late,
        "replayed from before the late data"
    );
    let in_order = episodes_in_order();
    assert!(!in_order.is_empty(), "the park visit is a breach");
    assert_eq!(caller.episodes.into_values().collect::<Vec<_>>(), in_order);
}

#[test]
fn each_client_is_replayed_once_from_its_earliest_late_instant() {
    let t = |m| start().saturating_add(Span::minutes(m));
    let mut out = Outcome {
        late: vec![(1, t(30)), (2, t(10)), (1, t(5)), (2, t(3)), (1, t(20))],
        ..Outcome::default()
    };
    assert_eq!(
        out.next_replay(),
        Some(ReplayRequest {
            client: 1,
            before: t(5)
        })
    );
    assert_eq!(out.late, vec![(2, t(10)), (2, t(3))]);
    assert_eq!(
        out.next_replay(),
        Some(ReplayRequest {
            client: 2,
            before: t(3)
        })
    );
    assert_eq!(out.next_replay(), None);
}

#[test]
fn told_comes_before_the_replay_and_a_missing_checkpoint_skips_it() {
    let mut engine = engine(1);
    let mut out = Outcome::default();
    engine.observe(&fixes()[0], &mut out);
    out.late.push((1, start()));
    out.late.push((99, start())); // a client the engine does not judge: nothing to ask
    let mut replay = Replay::new(out);
    assert!(matches!(
        replay.next(&engine),
        Some(ReplayStep::Told { .. })
    ));
    let Some(ReplayStep::Checkpoint(ask)) = replay.next(&engine) else {
        panic!("the replay asks for a checkpoint");
    };
    assert_eq!(ask.client, 1);
    // Unanswered, the ask stands; fed out of turn, nothing happens.
    assert!(matches!(
        replay.next(&engine),
        Some(ReplayStep::Checkpoint(_))
    ));
    assert_eq!(replay.feed(&mut engine, &[], &[]), Ok(()));
    replay.found(&engine, None);
    assert!(replay.next(&engine).is_none());
}

#[test]
fn a_resumed_monitor_is_judged_again_from_its_newest_checkpoint() {
    let mut engine = engine(1);
    let mut caller = Caller::default();
    for obs in fixes() {
        caller.arrive(&mut engine, obs);
    }
    let before = caller.episodes.clone();
    // After a restart: a fresh engine, the storage as it was.
    let mut fresh = common::engine(1);
    let newest = *caller
        .checkpoints
        .keys()
        .next_back()
        .expect("checkpoints kept");
    caller.pump(&mut fresh, Replay::rejudge(1, Timestamp::MAX));
    assert_eq!(caller.asked.last().map(|a| a.before), Some(Timestamp::MAX));
    assert_eq!(caller.checkpoints.keys().next_back(), Some(&newest));
    assert_eq!(caller.episodes, before);
}
