//! How far a part of a client's state has judged (its cursor in event time and the last
//! observation it took), where a new observation stands against that, and moving a part through
//! its deadlines up to an instant. Every part of [`crate::state`] keeps one, and the monitor
//! reads them to tell a live observation from a late one.

use serde::{Deserialize, Serialize};

use crate::observation::EventKey;
use crate::time::Timestamp;

/// How far a part has judged: up to `cursor` in event time, the last observation `frontier`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Progress {
    pub cursor: Timestamp,
    pub frontier: EventKey,
}

/// Where an observation stands against a part's progress.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Order {
    /// After everything judged: judge it now.
    Next,
    /// The very observation judged last.
    Duplicate,
    /// Before something judged already.
    Late,
}

impl Progress {
    pub const START: Progress = Progress {
        cursor: Timestamp::MIN,
        frontier: EventKey {
            time: Timestamp::MIN,
            device: 0,
            seq: 0,
        },
    };

    /// Where the observation `key` stands.
    pub fn order(&self, key: EventKey) -> Order {
        if key == self.frontier {
            Order::Duplicate
        } else if key > self.frontier && key.time >= self.cursor {
            Order::Next
        } else {
            Order::Late
        }
    }

    pub fn has_judged(&self) -> bool {
        self.frontier != Progress::START.frontier
    }
}

/// Runs the deadlines of a part up to `t`, in order. `step(Some(due))` handles what falls due
/// at `due` and returns the part's next deadline; `step(None)` only returns it.
pub(crate) fn advance(
    progress: &mut Progress,
    t: Timestamp,
    mut step: impl FnMut(Option<Timestamp>) -> Timestamp,
) {
    if progress.cursor == Timestamp::MIN {
        // A new part starts at its first instant, not at the beginning of time.
        progress.cursor = t;
    }
    let mut next = step(None);
    loop {
        let due = next.max(progress.cursor);
        if due > t {
            break;
        }
        progress.cursor = due;
        let after = step(Some(due));
        if after <= due {
            // Every handler moves its own deadline past `due`; this is a guard, not a path.
            break;
        }
        next = after;
    }
    progress.cursor = progress.cursor.max(t);
}
