//! The lifecycle's rules tested: transitions, episodes, escalation (properties too).

use proptest::prelude::*;

use super::*;

#[test]
fn escalating_by_hand_goes_one_level_up_with_a_reason_until_the_top() {
    assert_eq!(escalate_by_hand(AlertState::Open, 0, "no answer"), Ok(1));
    assert_eq!(
        escalate_by_hand(AlertState::Acknowledged, 1, "needs the duty lead"),
        Ok(2)
    );
    assert_eq!(
        escalate_by_hand(AlertState::Open, TOP_LEVEL, "more"),
        Err(TransitionError::TopLevel)
    );
    assert_eq!(
        escalate_by_hand(AlertState::Open, 0, " "),
        Err(TransitionError::NoteRequired)
    );
    assert_eq!(
        escalate_by_hand(AlertState::Resolved, 0, "late"),
        Err(TransitionError::Resolved)
    );
}

fn episode(state: EpisodeState, start: i64, end: Option<i64>) -> EpisodeView {
    EpisodeView {
        condition: ConditionRef::Zone {
            id: "old-town".into(),
        },
        kind: BreachKind::ExclusionZoneEntered,
        start: Timestamp(start),
        end: end.map(Timestamp),
        state,
    }
}

fn alert(state: AlertState, episode_state: EpisodeState, end: Option<i64>) -> AlertView {
    AlertView {
        state,
        condition: ConditionRef::Zone {
            id: "old-town".into(),
        },
        kind: BreachKind::ExclusionZoneEntered,
        severity: Severity::Critical,
        episode_state,
        end: end.map(Timestamp),
        level: 0,
        escalate_at: Some(Timestamp(300_000)),
    }
}

#[test]
fn a_new_episode_raises_an_alert_that_escalates_by_its_severity() {
    let config = AlertsConfig::default();
    let decision = on_episode(
        None,
        &episode(EpisodeState::Open, 0, None),
        Timestamp(1_000),
        &config,
    );
    assert_eq!(
        decision,
        EpisodeDecision::Raise {
            severity: Severity::Critical,
            escalate_at: Some(Timestamp(301_000)),
        }
    );
    // Battery low is low: it never escalates by default.
    let low = EpisodeView {
        kind: BreachKind::BatteryLow,
        ..episode(EpisodeState::Open, 0, None)
    };
    assert_eq!(
        on_episode(None, &low, Timestamp(1_000), &config),
        EpisodeDecision::Raise {
            severity: Severity::Low,
            escalate_at: None,
        }
    );
    // An episode first seen withdrawn raises nothing.
    assert_eq!(
        on_episode(
            None,
            &episode(EpisodeState::Withdrawn, 0, Some(5)),
            Timestamp(1),
            &config
        ),
        EpisodeDecision::Ignore
    );
}

#[test]
fn configured_severity_overrides_the_engines() {
    let mut config = AlertsConfig::default();
    config
        .severity
        .insert(BreachKind::ExclusionZoneEntered, Severity::Medium);
    assert_eq!(
        severity_of(BreachKind::ExclusionZoneEntered, &config),
        Severity::Medium
    );
    assert_eq!(
        severity_of(BreachKind::StrapOpened, &config),
        Severity::Critical
    );
}

#[test]
fn only_a_visible_change_is_an_event() {
    let config = AlertsConfig::default();
    let a = alert(AlertState::Open, EpisodeState::Open, None);
    let same = on_episode(
        Some(&a),
        &episode(EpisodeState::Open, 0, None),
        Timestamp(5),
        &config,
    );
    assert!(matches!(same, EpisodeDecision::Follow { action: None, .. }));
    let ended = on_episode(
        Some(&a),
        &episode(EpisodeState::Closed, 0, Some(60)),
        Timestamp(5),
        &config,
    );
    assert!(matches!(
        ended,
        EpisodeDecision::Follow {
            action: Some(AlertAction::Updated),
            stop_escalating: false,
            ..
        }
    ));
    let withdrawn = on_episode(
        Some(&a),
        &episode(EpisodeState::Withdrawn, 0, Some(60)),
        Timestamp(5),
        &config,
    );
    assert!(matches!(
        withdrawn,
        EpisodeDecision::Follow {
            action: Some(AlertAction::Withdrawn),
            stop_escalating: true,
            ..
        }
    ));
}

#[test]
fn a_superseded_or_flapping_condition_continues_its_alert() {
    let config = AlertsConfig::default();
    let next = episode(EpisodeState::Open, 1_000_000, None);
    assert!(continues(
        &alert(AlertState::Open, EpisodeState::Superseded, Some(999_000)),
        &next,
        &config
    ));
    // Ended 10 minutes before: within the flap window; a minute more: not.
    assert!(continues(
        &alert(
            AlertState::Acknowledged,
            EpisodeState::Closed,
            Some(400_000)
        ),
        &next,
        &config
    ));
    assert!(!continues(
        &alert(AlertState::Open, EpisodeState::Closed, Some(340_000)),
        &next,
        &config
    ));
    // A resolved alert is final; an open episode or another kind is another alert.
    assert!(!continues(
        &alert(
            AlertState::Resolved,
            EpisodeState::Superseded,
            Some(999_000)
        ),
        &next,
        &config
    ));
    assert!(!continues(
        &alert(AlertState::Open, EpisodeState::Open, None),
        &next,
        &config
    ));
    let other = EpisodeView {
        kind: BreachKind::ExclusionZoneApproached,
        ..next
    };
    assert!(!continues(
        &alert(AlertState::Open, EpisodeState::Superseded, Some(999_000)),
        &other,
        &config
    ));
}

fn any_state() -> impl Strategy<Value = AlertState> {
    prop::sample::select(AlertState::ALL.to_vec())
}

proptest! {
    /// A resolved alert never changes; nothing returns to open; resolving needs a note.
    #[test]
    fn transitions_only_move_forward(from in any_state(), to in any_state(), note in ".{0,8}") {
        match transition(from, to, &note) {
            Ok(after) => {
                prop_assert_ne!(from, AlertState::Resolved);
                prop_assert_ne!(after, AlertState::Open);
                prop_assert_eq!(after, to);
                prop_assert!(after != AlertState::Resolved || !note.trim().is_empty());
            }
            Err(_) => prop_assert!(
                from == AlertState::Resolved || to == AlertState::Open || from == to
                    || note.trim().is_empty()
            ),
        }
    }

    /// Escalation stops at the top level, and comes later than the instant it is set at.
    #[test]
    fn escalation_is_bounded(level in 0u8..5, at in -1_000_000_000i64..1_000_000_000_000,
                             severity in prop::sample::select(vec![Severity::Warning, Severity::Low, Severity::Medium, Severity::High, Severity::Critical])) {
        let config = AlertsConfig::default();
        match next_escalation(severity, level, Timestamp(at), &config) {
            Some(t) => {
                prop_assert!(level < TOP_LEVEL);
                prop_assert!(t.0 > at);
            }
            None => prop_assert!(level >= TOP_LEVEL || config.escalate_after(severity).is_none()),
        }
    }
}
