//! What the simulated devices of other protocols share (`--teltonika`, `--osmand`): each keeps
//! what its model says until it is answered, sends the oldest first on a connection of its own,
//! and after a connection is lost or an answer does not come, connects again and sends it
//! again, as a real tracker or phone keeps its reports in memory.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use super::report::{Counters, Histogram, SimStats};
use super::{Outcome, RunClock, TICK, now_ms};

/// A device of another protocol, as the run drives it.
pub(crate) trait Speaker: Send + 'static {
    /// Its connection.
    type Link: Send;

    /// Records what its model says up to `until_ms`.
    fn generate(&mut self, until_ms: u64, counters: &mut Counters);

    /// Reports not yet answered.
    fn unanswered(&self) -> u64;

    /// Connects (and logs in, where the protocol does).
    fn connect(&self, addr: SocketAddr) -> impl Future<Output = Option<Self::Link>> + Send;

    /// Sends the oldest reports and lets go of those answered; none when the connection is
    /// lost or no answer comes.
    fn send_oldest(
        &mut self,
        link: &mut Self::Link,
        now: u64,
        counters: &mut Counters,
        latency: &mut Histogram,
    ) -> impl Future<Output = Option<()>> + Send;
}

/// Runs one device against `addr` until the run ends and it is drained (or the drain times
/// out), connecting again whenever its connection is lost.
pub(crate) async fn drive<S: Speaker>(
    addr: SocketAddr,
    mut speaker: S,
    clock: RunClock,
    stagger: Duration,
    stats: Arc<SimStats>,
) -> Outcome {
    let mut counters = Counters::default();
    let mut latency = Histogram::default();
    let mut outcome = Outcome::default();
    let mut link: Option<S::Link> = None;
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + stagger, TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut ever_connected = false;
    loop {
        tick.tick().await;
        let now = now_ms();
        let generating = now < clock.end_ms;
        speaker.generate(now.min(clock.end_ms), &mut counters);
        if speaker.unanswered() > 0 {
            if link.is_none() {
                link = speaker.connect(addr).await;
                if link.is_some() && ever_connected {
                    outcome.reconnects += 1;
                }
                ever_connected |= link.is_some();
            }
            if let Some(connected) = link.as_mut()
                && speaker
                    .send_oldest(connected, now, &mut counters, &mut latency)
                    .await
                    .is_none()
            {
                // Lost, or not answered in time: keep the reports, connect again next tick.
                link = None;
            }
        }
        counters.flush(&stats);
        if !generating && (speaker.unanswered() == 0 || now >= clock.drain_deadline_ms) {
            break;
        }
    }
    counters.flush(&stats);
    outcome.unacked = speaker.unanswered();
    outcome.latency = latency;
    outcome
}
