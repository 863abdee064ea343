//! The alert lifecycle as pure rules, apart from storage and time: what an episode change does
//! to its alert, which transitions a person may make, and when an unacknowledged alert goes to
//! the next level. The store (`crate::follow`, `crate::actions`, `crate::escalation`) applies
//! the decisions; everything that can be argued about is decided, and tested, here.

use rules::{BreachKind, ConditionRef, EpisodeState, Severity, Timestamp};
use serde::{Deserialize, Serialize};

use crate::config::AlertsConfig;

/// Where an alert stands with the people handling it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    /// Raised; nobody has taken it yet. Escalates when left so.
    Open,
    /// Somebody has it in hand.
    Acknowledged,
    /// Closed by a person, with a resolution code and a note. Final.
    Resolved,
}

impl AlertState {
    /// Every state, in lifecycle order.
    pub const ALL: [AlertState; 3] = [
        AlertState::Open,
        AlertState::Acknowledged,
        AlertState::Resolved,
    ];

    /// The state's name as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Open => "open",
            AlertState::Acknowledged => "acknowledged",
            AlertState::Resolved => "resolved",
        }
    }

    /// The state of a stored name; none if it is no state's.
    pub fn parse(s: &str) -> Option<AlertState> {
        AlertState::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// How an alert was resolved.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// The client did breach the order.
    ConfirmedBreach,
    /// The client was away with the officer's authorisation.
    AuthorisedAbsence,
    /// The client breached but had a reasonable excuse.
    ReasonableExcuse,
    /// A device or data fault, not the client's conduct.
    TechnicalFault,
    /// There was no breach.
    FalseAlarm,
}

impl Resolution {
    /// Every resolution, in the order offered to people.
    pub const ALL: [Resolution; 5] = [
        Resolution::ConfirmedBreach,
        Resolution::AuthorisedAbsence,
        Resolution::ReasonableExcuse,
        Resolution::TechnicalFault,
        Resolution::FalseAlarm,
    ];

    /// The resolution's name as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::ConfirmedBreach => "confirmed_breach",
            Resolution::AuthorisedAbsence => "authorised_absence",
            Resolution::ReasonableExcuse => "reasonable_excuse",
            Resolution::TechnicalFault => "technical_fault",
            Resolution::FalseAlarm => "false_alarm",
        }
    }

    /// The resolution of a stored name; none if it is no resolution's.
    pub fn parse(s: &str) -> Option<Resolution> {
        Resolution::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// What is recorded of an alert: each is one row of its history and one event on the live
/// feed.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertAction {
    /// A new episode: the alert is raised.
    Raised,
    /// The episode changed what a person sees: its kind, severity or end.
    Updated,
    /// Another episode of the same condition carries the alert on (the order changed while
    /// the breach went on, or the condition flapped back within the flap window).
    Continued,
    /// Later data showed there was no breach.
    Withdrawn,
    /// Left unacknowledged: sent to the next level.
    Escalated,
    /// Somebody took the alert in hand.
    Acknowledged,
    /// Somebody closed the alert with a resolution.
    Resolved,
    /// Somebody added a note.
    Noted,
    /// An operator asked the tag for a fix now.
    LocateRequested,
    /// Somebody took the alert: it is theirs to handle, and everyone sees so.
    Taken,
    /// Somebody took over an alert another person had taken (after confirming it).
    TakenOver,
    /// Whoever had taken the alert let it go (or somebody let it go for them).
    Released,
}

impl AlertAction {
    /// The action's name as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertAction::Raised => "raised",
            AlertAction::Updated => "updated",
            AlertAction::Continued => "continued",
            AlertAction::Withdrawn => "withdrawn",
            AlertAction::Escalated => "escalated",
            AlertAction::Acknowledged => "acknowledged",
            AlertAction::Resolved => "resolved",
            AlertAction::Noted => "noted",
            AlertAction::LocateRequested => "locate_requested",
            AlertAction::Taken => "taken",
            AlertAction::TakenOver => "taken_over",
            AlertAction::Released => "released",
        }
    }

    /// The action of a stored name; none if it is no action's.
    pub fn parse(s: &str) -> Option<AlertAction> {
        use AlertAction::*;
        [
            Raised,
            Updated,
            Continued,
            Withdrawn,
            Escalated,
            Acknowledged,
            Resolved,
            Noted,
            LocateRequested,
            Taken,
            TakenOver,
            Released,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

/// An episode as the lifecycle sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct EpisodeView {
    /// The condition of the order it breaches.
    pub condition: ConditionRef,
    /// What kind of breach.
    pub kind: BreachKind,
    /// When it began, by device time.
    pub start: Timestamp,
    /// When it ended; none while it goes on.
    pub end: Option<Timestamp>,
    /// Where it stands: open, closed, withdrawn or superseded.
    pub state: EpisodeState,
}

/// An alert as the lifecycle sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertView {
    /// Open, acknowledged or resolved.
    pub state: AlertState,
    /// The condition of the order breached.
    pub condition: ConditionRef,
    /// What kind of breach, as of the episode carrying it.
    pub kind: BreachKind,
    /// How urgent (the configured severity of the kind).
    pub severity: Severity,
    /// Of the episode that carries it now.
    pub episode_state: EpisodeState,
    /// When the breach ended; none while it goes on.
    pub end: Option<Timestamp>,
    /// Escalation levels reached: 0 the officer and the monitoring centre, 1 the officer's
    /// supervisor, 2 the duty lead.
    pub level: u8,
    /// When it escalates next if nobody takes it; none if it does not.
    pub escalate_at: Option<Timestamp>,
}

/// The highest escalation level.
pub const TOP_LEVEL: u8 = 2;

/// What an episode change does.
#[derive(Clone, Debug, PartialEq)]
pub enum EpisodeDecision {
    /// An episode first seen already withdrawn: there is nothing for anyone to act on.
    Ignore,
    /// Raise a new alert at level 0, escalating at the time given (if its severity does).
    Raise {
        /// The alert's severity.
        severity: Severity,
        /// When it first escalates; none if its severity does not escalate.
        escalate_at: Option<Timestamp>,
    },
    /// The episode joins this alert (found by [`continues`]).
    Continue,
    /// The alert follows its episode, with an event when something a person sees changed;
    /// `stop_escalating` when later data withdrew the breach.
    Follow {
        /// The event to record, if something a person sees changed.
        action: Option<AlertAction>,
        /// The alert's severity now.
        severity: Severity,
        /// Stop escalating: later data withdrew the breach.
        stop_escalating: bool,
    },
}

/// The severity of a kind: the configured one, or the engine's.
pub fn severity_of(kind: BreachKind, config: &AlertsConfig) -> Severity {
    config
        .severity
        .get(&kind)
        .copied()
        .unwrap_or(kind.severity())
}

/// When an alert raised (or escalated) at `at` escalates next, if its severity escalates and
/// the level is not the top.
pub fn next_escalation(
    severity: Severity,
    level: u8,
    at: Timestamp,
    config: &AlertsConfig,
) -> Option<Timestamp> {
    if level >= TOP_LEVEL {
        return None;
    }
    let after = config.escalate_after(severity)?;
    Some(Timestamp(at.0.saturating_add(after)))
}

/// A new episode (one no alert carries yet): does it carry on `alert` rather than raise one?
/// Yes when the alert is not resolved, is of the same condition and kind, and its episode was
/// superseded (the order changed under a breach that goes on) or ended no longer than the flap
/// window before this one started (a condition flapping at its boundary).
pub fn continues(alert: &AlertView, episode: &EpisodeView, config: &AlertsConfig) -> bool {
    if alert.state == AlertState::Resolved
        || alert.condition != episode.condition
        || alert.kind != episode.kind
    {
        return false;
    }
    match alert.episode_state {
        EpisodeState::Superseded => true,
        EpisodeState::Closed => alert.end.is_some_and(|end| {
            episode.start.0 >= end.0 && episode.start.0 - end.0 <= config.flap_window_ms()
        }),
        EpisodeState::Open | EpisodeState::Withdrawn => false,
    }
}

/// What a change to an episode does to the alert that carries it (`None`: no alert yet).
pub fn on_episode(
    alert: Option<&AlertView>,
    episode: &EpisodeView,
    now: Timestamp,
    config: &AlertsConfig,
) -> EpisodeDecision {
    let severity = severity_of(episode.kind, config);
    let Some(alert) = alert else {
        let escalate_at = match episode.state {
            EpisodeState::Withdrawn => return EpisodeDecision::Ignore,
            // Ended by a changed order before it was seen: raised for the record, and a
            // breach that goes on continues it (`continues`).
            EpisodeState::Superseded => None,
            EpisodeState::Open | EpisodeState::Closed => next_escalation(severity, 0, now, config),
        };
        return EpisodeDecision::Raise {
            severity,
            escalate_at,
        };
    };
    let withdrawn = episode.state == EpisodeState::Withdrawn;
    let action = if withdrawn && alert.episode_state != EpisodeState::Withdrawn {
        Some(AlertAction::Withdrawn)
    } else if alert.kind != episode.kind
        || alert.severity != severity
        || alert.end != episode.end
        || alert.episode_state != episode.state
    {
        Some(AlertAction::Updated)
    } else {
        None
    };
    EpisodeDecision::Follow {
        action,
        // An alert keeps the highest severity it reached: a person was told that one.
        severity: severity.max(alert.severity),
        stop_escalating: withdrawn,
    }
}

/// Why a person's transition was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// Asked to move to the state the alert is in already (its name).
    #[error("the alert is already {0}")]
    AlreadyIn(&'static str),
    /// The alert is resolved, so nothing may change.
    #[error("a resolved alert cannot change")]
    Resolved,
    /// The request needs a note, and none was given.
    #[error("a note is required")]
    NoteRequired,
    /// Escalation asked for at the top level, where there is nobody further.
    #[error("the alert is at the top escalation level already")]
    TopLevel,
    /// Somebody else has taken the alert (their display name): taking it over must be asked.
    #[error("{0} has taken the alert; ask to take it over")]
    TakenBy(String),
    /// The caller has taken the alert already.
    #[error("you have taken the alert already")]
    AlreadyYours,
    /// Nobody has taken the alert, so there is nothing to release.
    #[error("nobody has taken the alert")]
    NotTaken,
}

/// A person's transition: acknowledge (from open) or resolve (from open or acknowledged, with
/// a note). Returns the state after.
pub fn transition(
    from: AlertState,
    to: AlertState,
    note: &str,
) -> Result<AlertState, TransitionError> {
    match (from, to) {
        (AlertState::Resolved, _) => Err(TransitionError::Resolved),
        (AlertState::Open, AlertState::Acknowledged) => Ok(to),
        (AlertState::Acknowledged, AlertState::Acknowledged) => {
            Err(TransitionError::AlreadyIn(from.as_str()))
        }
        (_, AlertState::Resolved) if note.trim().is_empty() => Err(TransitionError::NoteRequired),
        (_, AlertState::Resolved) => Ok(to),
        (_, AlertState::Open) => Err(TransitionError::AlreadyIn(from.as_str())),
    }
}

/// A person escalates an alert by hand (a breach that cannot wait for the timer): one level up,
/// in any state but resolved, with a note saying why. Returns the level after.
pub fn escalate_by_hand(state: AlertState, level: u8, note: &str) -> Result<u8, TransitionError> {
    if state == AlertState::Resolved {
        return Err(TransitionError::Resolved);
    }
    if level >= TOP_LEVEL {
        return Err(TransitionError::TopLevel);
    }
    if note.trim().is_empty() {
        return Err(TransitionError::NoteRequired);
    }
    Ok(level + 1)
}

#[cfg(test)]
mod tests;
