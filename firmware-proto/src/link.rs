//! The engine side of one device's link, as a pure state machine: the uplink sequence window
//! (which seqs are new, the cumulative ACK watermark, holes given up as gaps) and the numbering
//! of the engine's downlink frames (ACKs and commands share one counter).
//!
//! It is the counterpart of [`crate::DeviceSession`]: it does no I/O and reads no clock. The
//! caller (ingest's writer) passes each decoded frame's seq and flags in, asks at the end of a
//! batch which gap expired and which ACK to send, persists [`LinkState`] with the frames, and
//! sends the ACK only once that commit succeeded: an ACK means durable (PROTOCOL.md,
//! Delivery). A failed commit must leave the link as it was before the batch, so the caller
//! works on a copy and keeps it only on success.
//!
//! An ACK is cumulative: "every uplink frame with seq ≤ it is durably stored". Frames arrive out
//! of order and duplicated, so the watermark is the highest seq below which nothing is missing.
//! A device resends unacked frames oldest first, so a hole that stays open while later frames
//! keep arriving means the device no longer holds that frame (lost in the device, or acked by
//! another engine). After the gap timeout such a hole is given up as a [`Gap`], reported, and
//! skipped, so the device is not held resending forever.
//!
//! Needs `std` (an allocating set of the seqs stored beyond a hole), while the crate's no_std
//! core never allocates.

use std::collections::BTreeSet;

use crate::{Ack, FrameType, Header, Message, header::Flags};

/// A hole in a device's sequence that was given up on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gap {
    /// The first seq missing.
    pub first_seq: u32,
    /// The last seq missing.
    pub last_seq: u32,
}

/// What a received uplink seq is to the link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Received {
    /// Not seen before: it moves the window (or waits beyond a hole).
    New,
    /// At or below the watermark (stored before, or given up in a gap), or already stored
    /// beyond a hole: storing it again changes nothing.
    Duplicate,
}

/// An ACK the link numbered: to be sent once the batch that earned it is committed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AckToSend {
    /// The downlink seq of the ACK frame.
    pub down_seq: u32,
    /// Every uplink frame with seq ≤ it is durably stored (once the batch is committed).
    pub acked_seq: u32,
}

impl AckToSend {
    /// The ACK frame's header and message, stamped with the engine's time `now_ms`.
    pub fn frame(&self, device_id: u64, now_ms: i64) -> (Header, Message) {
        let header = Header {
            frame_type: FrameType::Ack,
            flags: Flags::empty(),
            device_id,
            seq: self.down_seq,
            time_ms: u64::try_from(now_ms).unwrap_or_default(),
        };
        (
            header,
            Message::Ack(Ack {
                acked_seq: self.acked_seq,
            }),
        )
    }
}

/// What the caller persists of a link (the seqs stored beyond a hole are the stored frames
/// themselves, given back to [`EngineLink::restore`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkState {
    /// The ACK watermark.
    pub acked_through: u32,
    /// The last downlink seq used.
    pub down_seq: u32,
}

/// What the end of a batch decided for one device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchEnd {
    /// A hole given up in this batch, to be recorded with it.
    pub gap: Option<Gap>,
    /// The ACK to send after the commit, if the batch asked for one and anything is stored.
    pub ack: Option<AckToSend>,
    /// The state to persist with the batch.
    pub state: LinkState,
}

/// The engine's side of one device's link. See the module docs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EngineLink {
    acked_through: u32,
    /// Stored seqs above `acked_through + 1`.
    ahead: BTreeSet<u32>,
    /// When the current hole was first seen with frames beyond it (caller's clock).
    hole_since_ms: Option<i64>,
    /// The last downlink seq used.
    down_seq: u32,
    /// Whether a frame of the current batch asked for an ACK.
    ack_requested: bool,
}

/// The downlink seq after `seq`: +1, skipping 0 (invalid).
pub fn next_down_seq(seq: u32) -> u32 {
    seq.wrapping_add(1).max(1)
}

impl EngineLink {
    /// The link as persisted: the watermark, the seqs stored above it, the last downlink seq.
    pub fn restore(
        acked_through: u32,
        stored_above: impl IntoIterator<Item = u32>,
        down_seq: u32,
    ) -> EngineLink {
        let mut link = EngineLink {
            acked_through,
            down_seq,
            ..EngineLink::default()
        };
        link.ahead.extend(stored_above);
        link.advance();
        link
    }

    /// The ACK watermark: every seq up to it is stored or given up.
    pub fn acked_through(&self) -> u32 {
        self.acked_through
    }

    /// The last downlink seq used (0 before the first).
    pub fn down_seq(&self) -> u32 {
        self.down_seq
    }

    /// Whether frames are stored beyond a hole.
    pub fn has_hole(&self) -> bool {
        !self.ahead.is_empty()
    }

    /// What to persist now.
    pub fn state(&self) -> LinkState {
        LinkState {
            acked_through: self.acked_through,
            down_seq: self.down_seq,
        }
    }

    /// A decoded uplink frame of this device, stored in the current batch: moves the window
    /// (a duplicate changes nothing) and notes whether the frame asked for an ACK.
    pub fn receive(&mut self, seq: u32, flags: Flags) -> Received {
        self.ack_requested |= flags.contains(Flags::ACK_REQUESTED);
        if seq <= self.acked_through || !self.ahead.insert(seq) {
            return Received::Duplicate;
        }
        self.advance();
        Received::New
    }

    /// Ends a batch at `now_ms`: gives up a hole that has stayed open for `gap_timeout_ms`
    /// while frames beyond it were arriving, numbers the ACK if a frame of the batch asked for
    /// one and anything is stored, and says what to persist.
    pub fn end_batch(&mut self, now_ms: i64, gap_timeout_ms: i64) -> BatchEnd {
        let gap = self.expire_hole(now_ms, gap_timeout_ms);
        let ack = if std::mem::take(&mut self.ack_requested) && self.acked_through > 0 {
            self.down_seq = next_down_seq(self.down_seq);
            Some(AckToSend {
                down_seq: self.down_seq,
                acked_seq: self.acked_through,
            })
        } else {
            None
        };
        BatchEnd {
            gap,
            ack,
            state: self.state(),
        }
    }

    /// The seq the next command to the device gets; the caller persists it, then calls
    /// [`EngineLink::command_sent`], before the frame leaves, so it is never reused.
    pub fn next_command_seq(&self) -> u32 {
        next_down_seq(self.down_seq)
    }

    /// A command numbered `seq` ([`EngineLink::next_command_seq`]) was persisted.
    pub fn command_sent(&mut self, seq: u32) {
        self.down_seq = seq;
    }

    fn expire_hole(&mut self, now_ms: i64, gap_timeout_ms: i64) -> Option<Gap> {
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
#[path = "link_tests.rs"]
mod tests;
