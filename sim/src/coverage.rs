//! Coverage gaps: when one simulated device is out of reach of the network. Each device draws
//! its gaps from its own seeded generator, so a run with the same seed has the same gaps.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::model::exponential;

/// Coverage gaps: how often and how long.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GapPlan {
    /// Mean wait between gaps; infinite for none.
    pub mean_between_ms: f64,
    pub min_ms: u64,
    pub max_ms: u64,
}

impl GapPlan {
    /// `rate` gaps per device-hour, each 30 s to 10 min long but at most a quarter of the run.
    pub fn new(rate: f64, duration_ms: u64) -> GapPlan {
        let max_ms = (duration_ms / 4).clamp(2_000, 600_000);
        GapPlan {
            mean_between_ms: if rate > 0.0 {
                3_600_000.0 / rate
            } else {
                f64::INFINITY
            },
            min_ms: (max_ms / 2).min(30_000),
            max_ms,
        }
    }
}

/// When one device is out of coverage.
#[derive(Clone, Debug)]
pub(crate) struct Gaps {
    rng: ChaCha8Rng,
    plan: GapPlan,
    end_ms: u64,
    next_start_ms: Option<u64>,
    current: Option<(u64, u64)>,
}

pub(crate) enum GapChange {
    Begin,
    End,
}

impl Gaps {
    pub(crate) fn new(mut rng: ChaCha8Rng, plan: GapPlan, start_ms: u64, end_ms: u64) -> Gaps {
        let next_start_ms = next_gap(&mut rng, &plan, start_ms, end_ms);
        Gaps {
            rng,
            plan,
            end_ms,
            next_start_ms,
            current: None,
        }
    }

    /// The next gap beginning or ending at or before `until_ms`, if any.
    pub(crate) fn next_change(&mut self, until_ms: u64) -> Option<(u64, GapChange)> {
        if let Some((_, end)) = self.current {
            if end > until_ms {
                return None;
            }
            self.current = None;
            self.next_start_ms = next_gap(&mut self.rng, &self.plan, end, self.end_ms);
            return Some((end, GapChange::End));
        }
        let start = self.next_start_ms.filter(|&s| s <= until_ms)?;
        let length = self.rng.gen_range(self.plan.min_ms..=self.plan.max_ms);
        self.current = Some((start, (start + length).min(self.end_ms)));
        self.next_start_ms = None;
        Some((start, GapChange::Begin))
    }

    /// No gap now and none to come: the run is draining.
    pub(crate) fn stop(&mut self) {
        self.current = None;
        self.next_start_ms = None;
    }

    pub(crate) fn covers(&self, now_ms: u64) -> bool {
        self.current
            .is_some_and(|(start, end)| start <= now_ms && now_ms < end)
    }
}

fn next_gap(rng: &mut ChaCha8Rng, plan: &GapPlan, after_ms: u64, end_ms: u64) -> Option<u64> {
    if !plan.mean_between_ms.is_finite() {
        return None;
    }
    let start = after_ms.saturating_add(exponential(rng, plan.mean_between_ms));
    (start < end_ms).then_some(start)
}
