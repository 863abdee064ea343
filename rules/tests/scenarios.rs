//! The scenario suite: every file in `rules/scenarios/` is a policy, a stream of inputs in
//! arrival order, and the episodes expected once all of it is in. See `rules/scenarios/README.md`.
//!
//! Each scenario is judged in the order written, and, unless it says `arrival_order_matters`,
//! again with its observations reversed and sorted by device time: the episodes must not change.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rules::memory::MemoryJudge;
use rules::{
    BreachKind, ConditionRef, ConditionState, Episode, EpisodeChange, MonitoringPolicy,
    Observation, Reading, Span, Timestamp,
};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Scenario {
    description: String,
    policy: MonitoringPolicy,
    #[serde(default)]
    input: Vec<Input>,
    #[serde(default)]
    expect: Vec<Expected>,
    /// Episodes told and later withdrawn, at least this many.
    #[serde(default)]
    expect_withdrawn: usize,
    /// Condition states at the end, by condition label.
    #[serde(default)]
    expect_state: HashMap<String, ConditionState>,
    /// The policy must be rejected with an error containing this text.
    #[serde(default)]
    expect_policy_error: Option<String>,
    #[serde(default)]
    arrival_order_matters: bool,
}

#[derive(Deserialize, Clone)]
#[serde(untagged)]
enum Input {
    Tick {
        tick: Timestamp,
    },
    Series {
        device: u64,
        from: Timestamp,
        until: Timestamp,
        every: Span,
        reading: Reading,
        #[serde(default)]
        delay: Option<Span>,
    },
    One {
        device: u64,
        at: Timestamp,
        reading: Reading,
        #[serde(default)]
        seq: Option<u32>,
        #[serde(default)]
        delay: Option<Span>,
    },
}

#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
struct Expected {
    condition: String,
    kind: BreachKind,
    start: Timestamp,
    #[serde(default)]
    end: Option<Timestamp>,
}

/// Inputs expand to observations and ticks, with seqs counted per device in written order.
#[derive(Clone)]
enum Step {
    Tick(Timestamp),
    Observe(Observation),
}

fn expand(inputs: &[Input]) -> Vec<Step> {
    let mut seqs: HashMap<u64, u32> = HashMap::new();
    let mut next_seq = |device: u64, given: Option<u32>| {
        let counter = seqs.entry(device).or_insert(0);
        *counter = given.unwrap_or(*counter + 1).max(*counter);
        *counter
    };
    let observation = |device, seq, at: Timestamp, reading: &Reading, delay: Option<Span>| {
        let delay = delay.unwrap_or(Span::seconds(1));
        Observation {
            device,
            seq,
            device_time: at,
            received: at.saturating_add(delay),
            stored: delay > Span::minutes(5),
            reading: reading.clone(),
        }
    };
    let mut steps = Vec::new();
    for input in inputs {
        match input {
            Input::Tick { tick } => steps.push(Step::Tick(*tick)),
            Input::One {
                device,
                at,
                reading,
                seq,
                delay,
            } => {
                let seq = next_seq(*device, *seq);
                steps.push(Step::Observe(observation(
                    *device, seq, *at, reading, *delay,
                )));
            }
            Input::Series {
                device,
                from,
                until,
                every,
                reading,
                delay,
            } => {
                assert!(every.millis() > 0, "a series needs a positive `every`");
                let mut t = *from;
                while t < *until {
                    let seq = next_seq(*device, None);
                    steps.push(Step::Observe(observation(*device, seq, t, reading, *delay)));
                    t = t.saturating_add(*every);
                }
            }
        }
    }
    steps
}

fn label(condition: &ConditionRef) -> String {
    match condition {
        ConditionRef::Curfew => "curfew".into(),
        ConditionRef::Zone { id } => format!("zone:{id}"),
        ConditionRef::Proximity { id } => format!("proximity:{id}"),
        ConditionRef::Device { device } => format!("device:{device}"),
    }
}

struct Run {
    episodes: Vec<Episode>,
    log: Vec<EpisodeChange>,
    states: HashMap<String, ConditionState>,
}

fn judge(policy: &MonitoringPolicy, steps: &[Step]) -> Run {
    let compiled = Arc::new(policy.clone().compile().expect("policy compiles"));
    let mut judge = MemoryJudge::new();
    judge.add_client(compiled).expect("client added");
    for step in steps {
        match step {
            Step::Tick(t) => judge.tick(*t),
            Step::Observe(o) => {
                judge.observe(o.clone());
            }
        }
    }
    let states = judge
        .engine()
        .monitor(policy.client)
        .map(|m| m.conditions())
        .unwrap_or_default()
        .into_iter()
        .map(|(c, s)| (label(&c), s))
        .collect();
    Run {
        episodes: judge.episodes(policy.client),
        log: judge.log.clone(),
        states,
    }
}

fn summary(episodes: &[Episode]) -> Vec<Expected> {
    let mut out: Vec<Expected> = episodes
        .iter()
        .map(|e| Expected {
            condition: label(&e.condition),
            kind: e.kind,
            start: e.start,
            end: e.end,
        })
        .collect();
    out.sort_by(|a, b| (a.start, &a.condition, a.kind).cmp(&(b.start, &b.condition, b.kind)));
    out
}

fn check(path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let scenario: Scenario = toml::from_str(&text).map_err(|e| format!("unreadable: {e}"))?;
    if scenario.description.trim().is_empty() {
        return Err("no description".into());
    }
    if let Some(expected) = &scenario.expect_policy_error {
        return match scenario.policy.clone().compile() {
            Ok(_) => Err(format!(
                "policy accepted; expected an error with `{expected}`"
            )),
            Err(e) if e.to_string().contains(expected.as_str()) => Ok(()),
            Err(e) => Err(format!("policy error `{e}` does not contain `{expected}`")),
        };
    }
    let steps = expand(&scenario.input);
    let run = judge(&scenario.policy, &steps);
    let got = summary(&run.episodes);
    let mut want = scenario.expect.clone();
    want.sort_by(|a, b| (a.start, &a.condition, a.kind).cmp(&(b.start, &b.condition, b.kind)));
    if got != want {
        return Err(format!(
            "episodes differ\n  expected: {want:#?}\n  got: {got:#?}\n  log: {:#?}",
            run.log
        ));
    }
    let withdrawn = run
        .log
        .iter()
        .filter(|c| matches!(c, EpisodeChange::Withdrawn(_)))
        .count();
    if withdrawn < scenario.expect_withdrawn {
        return Err(format!(
            "expected at least {} withdrawals, got {withdrawn}",
            scenario.expect_withdrawn
        ));
    }
    for (condition, state) in &scenario.expect_state {
        match run.states.get(condition) {
            Some(s) if s == state => {}
            other => {
                return Err(format!(
                    "state of {condition}: expected {state:?}, got {other:?}"
                ));
            }
        }
    }
    if !scenario.arrival_order_matters {
        let ticks: Vec<Step> = steps
            .iter()
            .filter(|s| matches!(s, Step::Tick(_)))
            .cloned()
            .collect();
        let mut observations: Vec<Step> = steps
            .iter()
            .filter(|s| matches!(s, Step::Observe(_)))
            .cloned()
            .collect();
        observations.reverse();
        let reversed: Vec<Step> = observations.iter().cloned().chain(ticks.clone()).collect();
        observations.sort_by_key(|s| match s {
            Step::Observe(o) => o.key(),
            Step::Tick(_) => unreachable!("only observations here"),
        });
        let sorted: Vec<Step> = observations.into_iter().chain(ticks).collect();
        for (name, order) in [("reversed", reversed), ("sorted", sorted)] {
            let other = summary(&judge(&scenario.policy, &order).episodes);
            if other != got {
                return Err(format!(
                    "arrival order changed the episodes ({name})\n  in order written: {got:#?}\n  {name}: {other:#?}"
                ));
            }
        }
    }
    Ok(())
}

fn scenario_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("rules/scenarios exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_scenario_ends_in_the_expected_episodes() {
    let files = scenario_files();
    assert!(!files.is_empty(), "no scenarios found");
    let only = std::env::var("SCENARIO").ok();
    let mut failures = Vec::new();
    for path in &files {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if only.as_ref().is_some_and(|o| !name.contains(o.as_str())) {
            continue;
        }
        if let Err(e) = check(path) {
            failures.push(format!("{name}: {e}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn the_suite_has_at_least_40_scenarios() {
    let n = scenario_files().len();
    assert!(n >= 40, "the suite has {n} scenarios; it needs at least 40");
}
