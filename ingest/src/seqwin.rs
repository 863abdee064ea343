//! The acknowledgement watermark of one device.
//!
//! An ACK is cumulative: "every uplink frame with seq ≤ it is durably stored". Frames arrive out
//! of order and duplicated, so the watermark is the highest seq below which nothing is missing.
//! A device resends unacked frames oldest first, so a hole that stays open while later frames keep
//! arriving means the device no longer holds that frame (lost in the device, or acked by another
//! engine). After `gap_timeout_ms` such a hole is declared a gap, reported, and skipped, so the
//! device is not held resending forever. Pure: the caller supplies the time.

use std::collections::BTreeSet;

/// A hole in a device's sequence that was given up on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gap {
    pub first_seq: u32,
    pub last_seq: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeqWindow {
    acked_through: u32,
    /// Stored seqs above `acked_through + 1`.
    ahead: BTreeSet<u32>,
    /// When the current hole was first seen with frames beyond it.
    hole_since_ms: Option<i64>,
}

impl SeqWindow {
    pub fn new(acked_through: u32, stored_above: impl IntoIterator<Item = u32>) -> SeqWindow {
        let mut window = SeqWindow {
            acked_through,
            ahead: BTreeSet::new(),
            hole_since_ms: None,
        };
        for seq in stored_above {
            window.ahead.insert(seq);
        }
        window.advance();
        window
    }

    pub fn acked_through(&self) -> u32 {
        self.acked_through
    }

    /// Whether frames are stored beyond a hole.
    pub fn has_hole(&self) -> bool {
        !self.ahead.is_empty()
    }

    /// Record that `seq` is durably stored (a duplicate is harmless).
    pub fn stored(&mut self, seq: u32) {
        if seq > self.acked_through {
            self.ahead.insert(seq);
            self.advance();
        }
    }

    /// Called after a batch: gives up on a hole that has stayed open for `gap_timeout_ms`
    /// while frames beyond it were arriving, and returns it.
    pub fn expire_hole(&mut self, now_ms: i64, gap_timeout_ms: i64) -> Option<Gap> {
        let first_ahead = *self.ahead.first()?;
        let since = *self.hole_since_ms.get_or_insert(now_ms);
        if now_ms.saturating_sub(since) < gap_timeout_ms {
            return None;
        }
        let gap = Gap {
            first_seq: self.acked_through + 1,
            last_seq: first_ahead - 1,
        };
        self.acked_through = first_ahead - 1;
        self.advance();
        Some(gap)
    }

    fn advance(&mut self) {
        while let Some(&next) = self.ahead.first() {
            if next > self.acked_through.saturating_add(1) {
                return;
            }
            self.ahead.pop_first();
            self.acked_through = self.acked_through.max(next);
            self.hole_since_ms = None;
        }
        self.hole_since_ms = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn in_order_frames_advance_the_watermark() {
        let mut w = SeqWindow::new(0, []);
        for seq in 1..=5 {
            w.stored(seq);
            assert_eq!(w.acked_through(), seq);
        }
        assert!(!w.has_hole());
    }

    #[test]
    fn a_hole_holds_the_watermark_until_filled() {
        let mut w = SeqWindow::new(0, []);
        w.stored(1);
        w.stored(3);
        w.stored(4);
        assert_eq!(w.acked_through(), 1);
        assert!(w.has_hole());
        w.stored(2);
        assert_eq!(w.acked_through(), 4);
        assert!(!w.has_hole());
    }

    #[test]
    fn duplicates_and_old_seqs_change_nothing() {
        let mut w = SeqWindow::new(10, []);
        w.stored(3);
        w.stored(10);
        assert_eq!(w.acked_through(), 10);
        assert!(!w.has_hole());
    }

    #[test]
    fn a_hole_is_given_up_only_after_the_timeout() {
        let mut w = SeqWindow::new(0, []);
        w.stored(1);
        w.stored(5);
        assert_eq!(w.expire_hole(1_000, 60_000), None);
        w.stored(6);
        assert_eq!(w.expire_hole(60_999, 60_000), None);
        assert_eq!(
            w.expire_hole(61_000, 60_000),
            Some(Gap {
                first_seq: 2,
                last_seq: 4
            })
        );
        assert_eq!(w.acked_through(), 6);
        assert_eq!(w.expire_hole(200_000, 60_000), None);
    }

    #[test]
    fn filling_a_hole_restarts_the_timer_for_the_next() {
        let mut w = SeqWindow::new(0, []);
        w.stored(2);
        w.stored(4);
        assert_eq!(w.expire_hole(0, 100), None);
        w.stored(1); // fills the first hole; 3 is now missing
        assert_eq!(w.acked_through(), 2);
        assert_eq!(w.expire_hole(50, 100), None);
        assert_eq!(w.expire_hole(149, 100), None);
        assert_eq!(
            w.expire_hole(150, 100),
            Some(Gap {
                first_seq: 3,
                last_seq: 3
            })
        );
    }

    #[test]
    fn restored_state_advances_over_what_is_stored() {
        let w = SeqWindow::new(4, [5, 6, 8]);
        assert_eq!(w.acked_through(), 6);
        assert!(w.has_hole());
    }

    #[test]
    fn the_top_of_the_sequence_space_does_not_overflow() {
        let mut w = SeqWindow::new(u32::MAX - 1, []);
        w.stored(u32::MAX);
        assert_eq!(w.acked_through(), u32::MAX);
        w.stored(u32::MAX);
        assert_eq!(w.acked_through(), u32::MAX);
    }

    proptest! {
        /// Whatever the arrival order and duplication, once every seq 1..=n is stored the
        /// watermark is n, and it never exceeds the highest seq with all below it stored.
        #[test]
        fn watermark_is_the_contiguous_prefix(
            order in Just((1u32..=60).collect::<Vec<_>>()).prop_shuffle(),
            dups in proptest::collection::vec(1u32..=60, 0..30),
        ) {
            let mut w = SeqWindow::new(0, []);
            let mut seen = BTreeSet::new();
            for seq in order.iter().chain(dups.iter()) {
                w.stored(*seq);
                seen.insert(*seq);
                let prefix = (1..).take_while(|s| seen.contains(s)).last().unwrap_or(0);
                prop_assert_eq!(w.acked_through(), prefix);
            }
            prop_assert_eq!(w.acked_through(), 60);
        }
    }
}
