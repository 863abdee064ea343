//! The device side of the protocol as a pure state machine: sequence numbers, the buffer of
//! unacknowledged frames, resends, the clock offset set by TIME, and downlink validation.
//!
//! It does no I/O and reads no clock (the caller passes `now_ms` and says whether the link is
//! up), so the simulator can run thousands of devices in one task and the tests can step
//! through gaps and resends deterministically. Modelled on quinn-proto's sans-I/O connection.

use std::collections::VecDeque;

use crate::{
    DeviceKey, EncodeError, FrameError, FrameType, Header, Message, decode, encode_to_vec,
    header::Flags, message::Config, message::NotifyWearer, verify_mac,
};

/// Tunables of a [`DeviceSession`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SessionOptions {
    /// How long a sent frame waits for an ACK before it is sent again.
    pub resend_after_ms: u64,
    /// Most frames kept unacknowledged; beyond it the oldest is dropped and counted.
    pub capacity: usize,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            resend_after_ms: 10_000,
            capacity: 100_000,
        }
    }
}

/// What an accepted downlink frame asks of the device.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DownlinkEvent {
    /// ACK: the engine stored every frame up to `acked_seq`; `released` of them left the buffer.
    Acked {
        /// The frame's acked seq.
        acked_seq: u32,
        /// Buffered frames dropped because the ACK covers them.
        released: usize,
    },
    /// CONFIG: new reporting intervals (also kept, see [`DeviceSession::config`]).
    Config(Config),
    /// NOTIFY_WEARER: vibrate or beep.
    Notify(NotifyWearer),
    /// LOCATE_NOW: send a LOCATION now.
    LocateNow,
    /// TIME: the device clock now runs `offset_ms` ahead of the caller's clock.
    TimeSet {
        /// Device time minus `now_ms`.
        offset_ms: i64,
    },
}

/// Why a downlink frame was refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum SessionError {
    /// The frame is malformed, or its MAC is missing or wrong.
    #[error("invalid downlink frame: {0}")]
    Frame(#[from] FrameError),
    /// The frame is for another device.
    #[error("downlink for device {got}, this is device {expected}")]
    WrongDevice {
        /// This device.
        expected: u64,
        /// The frame's device id.
        got: u64,
    },
    /// An uplink type arrived on the downlink.
    #[error("{0} is not a downlink frame type")]
    NotDownlink(FrameType),
    /// The downlink seq is not above the last accepted one.
    #[error("downlink seq {seq} replayed: last accepted {last}")]
    Replay {
        /// The frame's seq.
        seq: u32,
        /// The last accepted downlink seq.
        last: u32,
    },
}

/// An uplink frame waiting for its ACK.
#[derive(Clone, Copy, Debug)]
struct Pending {
    seq: u32,
    message: Message,
    /// Device time when it was recorded; resends keep it.
    time_ms: u64,
    /// When it was last put on the wire (caller's clock), if ever.
    sent_at_ms: Option<u64>,
    /// Whether it sat in the buffer while the link was down.
    held: bool,
}

/// One device's protocol state. See the module docs.
#[derive(Clone)]
pub struct DeviceSession {
    device_id: u64,
    key: Option<DeviceKey>,
    options: SessionOptions,
    next_seq: u32,
    pending: VecDeque<Pending>,
    acked_seq: u32,
    last_downlink_seq: u32,
    clock_offset_ms: i64,
    config: Option<Config>,
    dropped: u64,
}

impl core::fmt::Debug for DeviceSession {
    // Written by hand so the key never reaches a log.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DeviceSession")
            .field("device_id", &self.device_id)
            .field("keyed", &self.key.is_some())
            .field("options", &self.options)
            .field("next_seq", &self.next_seq)
            .field("unacked", &self.pending.len())
            .field("acked_seq", &self.acked_seq)
            .field("last_downlink_seq", &self.last_downlink_seq)
            .field("clock_offset_ms", &self.clock_offset_ms)
            .field("config", &self.config)
            .field("dropped", &self.dropped)
            .finish()
    }
}

impl DeviceSession {
    /// A session for `device_id` whose next uplink frame gets `first_seq` (0 is taken as 1,
    /// since seq 0 is invalid). With a key every uplink frame carries a MAC and every downlink
    /// frame must.
    pub fn new(
        device_id: u64,
        key: Option<DeviceKey>,
        first_seq: u32,
        options: SessionOptions,
    ) -> Self {
        DeviceSession {
            device_id,
            key,
            options,
            next_seq: first_seq.max(1),
            pending: VecDeque::new(),
            acked_seq: 0,
            last_downlink_seq: 0,
            clock_offset_ms: 0,
            config: None,
            dropped: 0,
        }
    }

    /// Queues an uplink message stamped with the device clock (`now_ms` + the offset set by
    /// TIME) and returns its seq: +1 per frame, never reused. Beyond `capacity` the oldest
    /// unacknowledged frame is dropped and counted in [`DeviceSession::dropped`].
    pub fn record(&mut self, message: Message, now_ms: u64) -> u32 {
        let seq = self.next_seq;
        // Wrapping takes 2^32 frames (136 years at one a second); skip 0, which is invalid.
        self.next_seq = self.next_seq.checked_add(1).unwrap_or(1);
        self.pending.push_back(Pending {
            seq,
            message,
            time_ms: self.device_time(now_ms),
            sent_at_ms: None,
            held: false,
        });
        while self.pending.len() > self.options.capacity {
            self.pending.pop_front();
            self.dropped += 1;
        }
        seq
    }

    /// Frames to put on the wire now, oldest first: every frame never sent, and every frame sent
    /// but unacknowledged for `resend_after_ms`. If `online` is false nothing is returned and the
    /// queued frames are marked held. Frames held during a gap, and every resend, carry STORED;
    /// every frame carries ACK_REQUESTED, and the MAC when the session has a key.
    ///
    /// A frame that cannot be encoded (a message with a field out of range, or device id 0) is
    /// dropped and counted in [`DeviceSession::dropped`], since it never could be sent.
    pub fn poll_transmit(&mut self, now_ms: u64, online: bool) -> Vec<Vec<u8>> {
        if !online {
            for p in &mut self.pending {
                p.held = true;
            }
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut unencodable = 0u64;
        let (device_id, key, resend_after) =
            (self.device_id, self.key, self.options.resend_after_ms);
        self.pending.retain_mut(|p| {
            let due = match p.sent_at_ms {
                None => true,
                Some(sent) => now_ms.saturating_sub(sent) >= resend_after,
            };
            if !due {
                return true;
            }
            match encode_pending(device_id, key.as_ref(), p) {
                Ok(bytes) => {
                    out.push(bytes);
                    p.sent_at_ms = Some(now_ms);
                    true
                }
                Err(_) => {
                    unencodable += 1;
                    false
                }
            }
        });
        self.dropped += unencodable;
        out
    }

    /// Applies a downlink frame. It must decode, be for this device, carry a valid MAC if the
    /// session has a key, be of a downlink type, and have a seq above the last accepted one.
    /// ACK drops every buffered frame with seq ≤ acked_seq; TIME sets the clock offset so that
    /// the device clock equals the frame's time; CONFIG is kept.
    pub fn handle_downlink(
        &mut self,
        bytes: &[u8],
        now_ms: u64,
    ) -> Result<DownlinkEvent, SessionError> {
        let frame = decode(bytes)?;
        let header = frame.header;
        if header.device_id != self.device_id {
            return Err(SessionError::WrongDevice {
                expected: self.device_id,
                got: header.device_id,
            });
        }
        if let Some(key) = &self.key {
            verify_mac(bytes, key)?;
        }
        if header.frame_type.is_uplink() {
            return Err(SessionError::NotDownlink(header.frame_type));
        }
        if header.seq <= self.last_downlink_seq {
            return Err(SessionError::Replay {
                seq: header.seq,
                last: self.last_downlink_seq,
            });
        }
        self.last_downlink_seq = header.seq;

        Ok(match frame.message {
            Message::Ack(ack) => {
                let before = self.pending.len();
                self.pending.retain(|p| p.seq > ack.acked_seq);
                self.acked_seq = self.acked_seq.max(ack.acked_seq);
                DownlinkEvent::Acked {
                    acked_seq: ack.acked_seq,
                    released: before - self.pending.len(),
                }
            }
            Message::Config(config) => {
                self.config = Some(config);
                DownlinkEvent::Config(config)
            }
            Message::NotifyWearer(notify) => DownlinkEvent::Notify(notify),
            Message::LocateNow => DownlinkEvent::LocateNow,
            Message::Time => {
                let offset = i128::from(header.time_ms) - i128::from(now_ms);
                self.clock_offset_ms =
                    i64::try_from(offset).unwrap_or(if offset < 0 { i64::MIN } else { i64::MAX });
                DownlinkEvent::TimeSet {
                    offset_ms: self.clock_offset_ms,
                }
            }
            // Uplink types were refused above.
            Message::Heartbeat(_)
            | Message::Location(_)
            | Message::Event(_)
            | Message::Hello(_)
            | Message::Presence(_)
            | Message::Alcohol(_) => return Err(SessionError::NotDownlink(header.frame_type)),
        })
    }

    /// This device's id.
    pub fn device_id(&self) -> u64 {
        self.device_id
    }

    /// Frames recorded and not yet covered by an ACK.
    pub fn unacked(&self) -> usize {
        self.pending.len()
    }

    /// The highest seq an ACK has covered (0 before the first ACK).
    pub fn acked_seq(&self) -> u32 {
        self.acked_seq
    }

    /// The seq the next recorded frame gets.
    pub fn next_seq(&self) -> u32 {
        self.next_seq
    }

    /// Frames dropped unacknowledged: beyond capacity, or impossible to encode.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// The last CONFIG received.
    pub fn config(&self) -> Option<Config> {
        self.config
    }

    /// The device clock at caller time `now_ms`: `now_ms` plus the offset set by TIME.
    pub fn device_time(&self, now_ms: u64) -> u64 {
        let t = i128::from(now_ms) + i128::from(self.clock_offset_ms);
        u64::try_from(t.max(0)).unwrap_or(u64::MAX)
    }

    /// The seqs of the frames waiting for an ACK, oldest first.
    pub fn unacked_seqs(&self) -> impl Iterator<Item = u32> + '_ {
        self.pending.iter().map(|p| p.seq)
    }
}

/// The wire bytes of a buffered frame as of now.
fn encode_pending(
    device_id: u64,
    key: Option<&DeviceKey>,
    p: &Pending,
) -> Result<Vec<u8>, EncodeError> {
    let mut flags = Flags::ACK_REQUESTED;
    if p.held || p.sent_at_ms.is_some() {
        flags.insert(Flags::STORED);
    }
    let header = Header {
        frame_type: p.message.frame_type(),
        flags,
        device_id,
        seq: p.seq,
        time_ms: p.time_ms,
    };
    encode_to_vec(&header, &p.message, key)
}
