//! What the writer keeps while the storage refuses writes.
//!
//! An ACK may only follow a commit, so while the database refuses writes (a full disk, an I/O
//! error, PostgreSQL down) nothing is acknowledged. The writer still takes frames from the
//! pipeline, so that the transports keep reading (an MQTT connection that stops reading is
//! dropped by its broker) and what was taken can be committed the moment the storage is back.
//! It holds them here, up to a limit on memory; past it a frame is dropped unacknowledged,
//! which is safe: its device keeps it and sends it again, oldest first. A frame sent again while
//! held is held once.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use crate::check::Checked;

/// Frames taken but not yet committed.
#[derive(Debug, Default)]
pub(crate) struct Hold {
    frames: Vec<Checked>,
    /// (device, seq) of the accepted frames held.
    keys: HashSet<(u64, u32)>,
}

impl Hold {
    pub(crate) fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.frames.len()
    }

    /// Keeps what fits under `limit`; returns how many frames were dropped for want of room.
    pub(crate) fn take(
        &mut self,
        incoming: impl IntoIterator<Item = Checked>,
        limit: usize,
    ) -> u64 {
        let mut dropped = 0;
        for item in incoming {
            if let Checked::Accepted(accepted) = &item {
                let header = &accepted.frame.header;
                if self.keys.contains(&(header.device_id, header.seq)) {
                    continue;
                }
                if self.frames.len() >= limit {
                    dropped += 1;
                    continue;
                }
                self.keys.insert((header.device_id, header.seq));
            } else if self.frames.len() >= limit {
                // A packet of another protocol is not answered, and its device sends it again;
                // a sighting of an unknown device or a refused MAC is counted when sent again.
                if let Checked::Foreign(foreign) = &item {
                    dropped += foreign.reports.len() as u64;
                }
                continue;
            }
            self.frames.push(item);
        }
        dropped
    }

    /// The oldest frames, up to `n`, to commit next.
    pub(crate) fn front(&self, n: usize) -> &[Checked] {
        &self.frames[..n.min(self.frames.len())]
    }

    /// The oldest `n` frames were committed.
    pub(crate) fn committed(&mut self, n: usize) {
        let n = n.min(self.frames.len());
        for item in self.frames.drain(..n) {
            if let Checked::Accepted(accepted) = item {
                let header = &accepted.frame.header;
                self.keys.remove(&(header.device_id, header.seq));
            }
        }
    }

    /// Everything held is given up (the service is stopping): nothing of it was acknowledged.
    pub(crate) fn clear(&mut self) -> usize {
        let n = self.frames.len();
        self.frames.clear();
        self.keys.clear();
        n
    }
}

/// When to try the storage again, and when to say again that it refuses.
#[derive(Debug)]
pub(crate) struct Retry {
    delay: Duration,
    next_try: Instant,
    last_said: Option<Instant>,
    since: Instant,
    failures_unsaid: u64,
}

/// The first wait after a failed commit; it doubles up to [`MAX_DELAY`].
const FIRST_DELAY: Duration = Duration::from_millis(100);
const MAX_DELAY: Duration = Duration::from_secs(2);
/// At most one error line this often while the storage refuses writes.
const SAY_EVERY: Duration = Duration::from_secs(10);

impl Retry {
    pub(crate) fn new(now: Instant) -> Retry {
        Retry {
            delay: FIRST_DELAY,
            next_try: now + FIRST_DELAY,
            last_said: None,
            since: now,
            failures_unsaid: 0,
        }
    }

    pub(crate) fn next_try(&self) -> Instant {
        self.next_try
    }

    /// Since when the commits have failed.
    pub(crate) fn since(&self) -> Instant {
        self.since
    }

    /// Another commit failed at `now`: wait longer; returns the number of failures to report if
    /// an error line is due now (rate-limited), else `None`.
    pub(crate) fn failed(&mut self, now: Instant) -> Option<u64> {
        self.failures_unsaid += 1;
        self.next_try = now + self.delay;
        self.delay = (self.delay * 2).min(MAX_DELAY);
        let due = self
            .last_said
            .is_none_or(|said| now.duration_since(said) >= SAY_EVERY);
        if !due {
            return None;
        }
        self.last_said = Some(now);
        Some(std::mem::take(&mut self.failures_unsaid))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Accepted;
    use crate::source::Via;
    use firmware_proto::{Flags, FrameType, Header, Message};

    fn frame(device_id: u64, seq: u32) -> Checked {
        let header = Header {
            frame_type: FrameType::Time,
            flags: Flags::empty(),
            device_id,
            seq,
            time_ms: 1_700_000_000_000,
        };
        let raw = firmware_proto::encode_to_vec(&header, &Message::Time, None).expect("encode");
        Checked::Accepted(Accepted {
            frame: firmware_proto::decode(&raw).expect("decode"),
            raw: raw.into(),
            key: None,
            via: Via::Mqtt {
                topic_device: Some(device_id),
            },
            received_at_ms: 1_700_000_000_000,
        })
    }

    fn seqs(hold: &Hold) -> Vec<(u64, u32)> {
        hold.front(usize::MAX)
            .iter()
            .map(|item| match item {
                Checked::Accepted(a) => (a.frame.header.device_id, a.frame.header.seq),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn a_resent_frame_is_held_once_and_the_newest_are_dropped_past_the_limit() {
        let mut hold = Hold::default();
        assert_eq!(hold.take([frame(1, 1), frame(1, 2), frame(2, 1)], 4), 0);
        // Resent while held: held once, and not counted as dropped.
        assert_eq!(hold.take([frame(1, 1), frame(1, 3), frame(1, 4)], 4), 1);
        assert_eq!(seqs(&hold), [(1, 1), (1, 2), (2, 1), (1, 3)]);
        hold.committed(2);
        assert_eq!(seqs(&hold), [(2, 1), (1, 3)]);
        // Committed frames are no longer held: a resend of one is taken again (and stored once
        // by the database).
        assert_eq!(hold.take([frame(1, 1)], 4), 0);
        assert_eq!(hold.len(), 3);
        assert_eq!(hold.clear(), 3);
        assert!(hold.is_empty());
        assert_eq!(hold.take([frame(1, 1)], 4), 0);
        assert_eq!(hold.len(), 1);
    }

    #[test]
    fn the_wait_doubles_to_its_cap_and_the_error_line_is_rate_limited() {
        let start = Instant::now();
        let mut retry = Retry::new(start);
        assert_eq!(retry.next_try(), start + FIRST_DELAY);
        let mut lines = vec![(start, retry.failed(start))];
        assert_eq!(retry.next_try(), start + FIRST_DELAY);
        for i in 1..=40 {
            let now = start + Duration::from_millis(500) * i;
            lines.push((now, retry.failed(now)));
        }
        let said: Vec<_> = lines
            .iter()
            .filter_map(|(at, n)| n.map(|n| (at.duration_since(start).as_secs(), n)))
            .collect();
        // Failures every half second for 20 s: a line at once, then one every 10 s, each
        // counting the failures since the last.
        assert_eq!(said, [(0, 1), (10, 20), (20, 20)]);
        let last = start + Duration::from_secs(20);
        assert_eq!(retry.next_try(), last + MAX_DELAY);
        assert_eq!(retry.since(), start);
    }
}
