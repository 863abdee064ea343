//! Live judgement: every observation ingest commits is judged by the rules engine against the
//! policy of the client's active order, and the breach episodes are stored with their evidence
//! and the policy revision that judged them (docs/judge.md).
//!
//! - [`observation`]: a stored row as the engine's observation.
//! - [`records`]: the episodes, checkpoints, monitors and cursor in the store; readers.
//! - `pending`: what one step produced, written in one transaction.
//! - `policies`: which order's policy judges each client now.
//! - `judgement`: the engine and the steps of judging, each ending in one transaction.
//! - [`Judge`]: the task and its handle.
//! - [`follower`]: a follower of the episode log (the alerts) writing in a step's transaction.
#![warn(missing_docs)]

mod error;
pub mod follower;
mod judgement;
pub mod observation;
mod pending;
mod policies;
pub mod records;
mod schema;
mod task;

pub use error::JudgeError;
pub use follower::EpisodeFollower;
pub use records::{EpisodeState, LoggedChange, MonitorRecord, StoredEpisode};
pub use schema::migrate;
pub use task::{Judge, JudgeOptions, PolicyNotifier};
