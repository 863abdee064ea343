//! The clock: the judge's ticks, the instant a changed policy takes over. Injected, so that
//! tests set the time instead of waiting for it; it lives in the platform so that every part
//! can be given the same one.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use rules::Timestamp;

/// Where the time comes from: the machine's clock in service, a set one in tests and replays.
pub trait Clock: Send + Sync + std::fmt::Debug + 'static {
    /// The time now.
    fn now(&self) -> Timestamp;
}

/// The machine's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp(chrono::Utc::now().timestamp_millis())
    }
}

/// A clock that says what it was last set to: for tests and replays.
#[derive(Clone, Debug)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    /// A clock stopped at `at`.
    pub fn new(at: Timestamp) -> ManualClock {
        ManualClock(Arc::new(AtomicI64::new(at.0)))
    }

    /// Moves the clock to `at` (backwards too).
    pub fn set(&self, at: Timestamp) {
        self.0.store(at.0, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}
