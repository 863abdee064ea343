//! Alerts: every breach episode becomes one alert that reaches the right people in seconds,
//! and nobody can lose track of it (docs/alerts.md).
//!
//! - [`lifecycle`]: the rules, pure: what an episode change does to its alert, which
//!   transitions a person may make, when an alert escalates.
//! - `follow`: takes the judge's episode log into alerts, in the judge's step's transaction
//!   ([`JudgeFollower`]) or one of its own.
//! - [`actions`]: acknowledge, resolve, note, escalate.
//! - [`notify`]: who hears of an event, on which channels; the outbox rows.
//! - [`outbox`]: sends what is stored, per channel, with retries.
//! - [`queue`]: the queue's filters and orders, paged.
//! - [`records`]: alerts, their history and deliveries as stored; the live feed.
//! - `reminders`: "curfew starts in 15 minutes" to the wearer.
//! - [`units`]: each unit's channels, escalation contacts and times.
//! - [`wearer`]: the wearer's notices through their tag.
//! - [`Alerts`]: the task and its handle.
#![warn(missing_docs)]

pub mod actions;
pub mod channels;
pub mod config;
mod error;
mod follow;
pub mod lifecycle;
pub mod notify;
pub mod outbox;
pub mod over_time;
pub mod queue;
pub mod records;
mod reminders;
mod schema;
mod task;
#[cfg(feature = "test-support")]
pub mod testing;
pub mod units;
pub mod wearer;

pub use config::AlertsConfig;
pub use error::AlertsError;
pub use schema::migrate;
pub use task::{Alerts, AlertsOptions, JudgeFollower};
