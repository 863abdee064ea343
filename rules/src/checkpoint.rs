//! A checkpoint: a snapshot of one client's state that the caller keeps, stores and hands back
//! to the monitor when data older than the monitor's own copy arrives, and the reasons a
//! monitor refuses one. Re-exported from [`crate::monitor`], whose type it is.

use serde::{Deserialize, Serialize};

use crate::observation::DeviceId;
use crate::policy::{ClientId, CompiledPolicy};
use crate::state::ClientState;
use crate::time::Timestamp;

/// A snapshot of a client's state, for the caller to keep and hand back to
/// [`ClientMonitor::rejudge`] when data older than the monitor's own copy arrives. It
/// serialises, so the caller can store it and resume after a restart; a stored one is checked
/// against the policy before use.
///
/// [`ClientMonitor::rejudge`]: crate::monitor::ClientMonitor::rejudge
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The probation client whose state this is.
    pub client: ClientId,
    /// No observation after this instant has been judged into it: it serves for late data
    /// after this instant.
    pub until: Timestamp,
    /// Episodes that ended before this instant are settled: judging again from here cannot
    /// change them. It is earlier than `until` while something that began before is
    /// undecided (an absence whose end is not known yet, say).
    pub settled: Timestamp,
    /// The policy revision the state was judged under; a checkpoint serves only that revision.
    pub policy_revision: u32,
    pub(crate) state: ClientState,
}

impl Checkpoint {
    /// The observations of `device` the caller must hand back with this checkpoint: those from
    /// this instant on (earlier ones are judged into it).
    pub fn replay_from(&self, policy: &CompiledPolicy, device: DeviceId) -> Timestamp {
        self.state.replay_from(policy, device)
    }
}

/// A checkpoint that cannot serve this monitor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// The checkpoint belongs to another client.
    #[error("the checkpoint is of client {checkpoint}, not {monitor}")]
    OtherClient {
        /// The client the checkpoint belongs to.
        checkpoint: ClientId,
        /// The client of the monitor it was handed to.
        monitor: ClientId,
    },
    /// The checkpoint was judged under another revision of the policy.
    #[error(
        "the checkpoint was judged under policy revision {checkpoint}, the monitor has {monitor}"
    )]
    OtherRevision {
        /// The revision the checkpoint was judged under.
        checkpoint: u32,
        /// The monitor's revision.
        monitor: u32,
    },
    /// The checkpoint's state does not fit the policy: not one state per zone, device or proximity rule.
    #[error("the checkpoint does not fit the policy: {0}")]
    Malformed(&'static str),
}
