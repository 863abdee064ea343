//! Where a told episode stands as its caller keeps it: open, closed, withdrawn, or superseded
//! by a new policy.
//!
//! It lives here, with the episodes, rather than with the judge that stores it, so that what
//! follows an episode's state without a database (the alerts' pure lifecycle, the report) can
//! use it without pulling in the judge's runtime and database.

use serde::{Deserialize, Serialize};

use crate::episode::EpisodeChange;

/// Where an episode stands.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EpisodeState {
    /// Going on.
    Open,
    /// Ended.
    Closed,
    /// Later data showed there was no breach. Kept, with the evidence it was told with.
    Withdrawn,
    /// Open when the policy that judged it was replaced or ended (a changed order, a tag
    /// removed): closed at that instant; a breach that goes on is judged under the new policy
    /// as an episode of its own (docs/judge.md).
    Superseded,
}

/// A name that is no [`EpisodeState`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown episode state {0:?}")]
pub struct UnknownEpisodeState(pub String);

impl EpisodeState {
    /// The state's name as stored and shown (`open`, `closed`, `withdrawn`, `superseded`).
    pub fn as_str(self) -> &'static str {
        match self {
            EpisodeState::Open => "open",
            EpisodeState::Closed => "closed",
            EpisodeState::Withdrawn => "withdrawn",
            EpisodeState::Superseded => "superseded",
        }
    }

    /// The state named by [`EpisodeState::as_str`].
    pub fn parse(s: &str) -> Result<EpisodeState, UnknownEpisodeState> {
        [
            EpisodeState::Open,
            EpisodeState::Closed,
            EpisodeState::Withdrawn,
            EpisodeState::Superseded,
        ]
        .into_iter()
        .find(|state| state.as_str() == s)
        .ok_or_else(|| UnknownEpisodeState(s.to_string()))
    }

    /// The state an episode is in once this change is told.
    pub fn of(change: &EpisodeChange) -> EpisodeState {
        match change {
            EpisodeChange::Withdrawn(_) => EpisodeState::Withdrawn,
            _ if change.episode().is_open() => EpisodeState::Open,
            _ => EpisodeState::Closed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_reads_back_from_its_name() {
        for state in [
            EpisodeState::Open,
            EpisodeState::Closed,
            EpisodeState::Withdrawn,
            EpisodeState::Superseded,
        ] {
            assert_eq!(EpisodeState::parse(state.as_str()), Ok(state));
            let json = serde_json::to_string(&state).expect("serialises");
            assert_eq!(json, format!("\"{}\"", state.as_str()));
        }
        assert_eq!(
            EpisodeState::parse("Open"),
            Err(UnknownEpisodeState("Open".into()))
        );
    }
}
