//! One simulated device on the wire: its behaviour model, its `DeviceSession`, its coverage gaps,
//! and the bookkeeping that makes every frame count.
//!
//! Frames are made only by the session (never by hand): the node records what the model says,
//! asks the session what to transmit, and hands downlinks back to it. Alongside, it keeps per
//! frame (by seq) when it was first and last put on the wire, which gives the ack latency and
//! tells the node when a resend can next be due, so that an idle device costs almost nothing
//! per tick. Transports (`mqtt`, `serial`) only move the bytes.

use std::collections::VecDeque;

use firmware_proto::{DeviceKey, DeviceSession, DownlinkEvent, Hello, Message, SessionOptions};
use rand::Rng;

use super::coverage::{GapChange, GapPlan, Gaps};
use super::fleet::{self, Member};
use super::model::{Model, Timing};
use super::report::{Counters, Histogram};

/// A report this much older than the moment it is recorded was held in the device's buffer.
const BUFFERED_AFTER_MS: u64 = 60_000;

/// What every node of a run shares.
#[derive(Clone, Debug)]
pub struct Plan {
    pub seed: u64,
    pub timing: Timing,
    /// Wall-clock ms when the run starts generating, and when it stops.
    pub start_ms: u64,
    pub end_ms: u64,
    pub session: SessionOptions,
    pub gaps: GapPlan,
}

/// A frame in the device's buffer, as the simulator saw it go out.
#[derive(Clone, Copy, Debug)]
struct Sent {
    seq: u32,
    first_sent_ms: Option<u64>,
    last_sent_ms: u64,
}

/// When device `id` switches on. Devices switch on spread over the first step (at most 15 s,
/// within the run), as a real fleet would never boot in one instant; a benchmark then has no
/// start-up spike.
pub fn boot_ms(plan: &Plan, id: u64) -> u64 {
    let spread = plan
        .timing
        .step_ms
        .min(15_000)
        .min(plan.end_ms.saturating_sub(plan.start_ms));
    plan.start_ms + fleet::stream(plan.seed, id, "boot").gen_range(0..spread.max(1))
}

/// One device. See the module docs.
#[derive(Debug)]
pub struct Node {
    id: u64,
    model: Model,
    session: DeviceSession,
    frames: VecDeque<Sent>,
    gaps: Gaps,
    /// When the device switches on (and says HELLO), until it has.
    boot_ms: Option<u64>,
    end_ms: u64,
    resend_after_ms: u64,
    generating: bool,
    /// Recorded since the session was last polled.
    dirty: bool,
    was_online: bool,
    next_resend_ms: u64,
    scratch: Vec<(u64, Message)>,
}

impl Node {
    pub fn new(member: &Member, plan: &Plan) -> Node {
        let id = member.device.id;
        let key: Option<DeviceKey> = member.device.key;
        let boot_ms = boot_ms(plan, id);
        Node {
            id,
            model: fleet::model(plan.seed, member, boot_ms, plan.timing),
            session: DeviceSession::new(id, key, member.first_seq, plan.session),
            frames: VecDeque::new(),
            gaps: Gaps::new(
                fleet::stream(plan.seed, id, "gaps"),
                plan.gaps,
                boot_ms,
                plan.end_ms,
            ),
            boot_ms: Some(boot_ms),
            end_ms: plan.end_ms,
            resend_after_ms: plan.session.resend_after_ms,
            generating: true,
            dirty: false,
            was_online: false,
            next_resend_ms: u64::MAX,
            scratch: Vec::new(),
        }
    }

    pub fn id(&self) -> u64 {
        self.id
    }

    /// Frames recorded and not yet acked.
    pub fn unacked(&self) -> u64 {
        self.session.unacked() as u64
    }

    pub fn dropped(&self) -> u64 {
        self.session.dropped()
    }

    /// Records everything the device does up to `until_ms` (never beyond the end of the run):
    /// HELLO when it switches on, what its model says, and the coverage gaps that begin or end
    /// meanwhile, with a HELLO after each.
    pub fn generate(&mut self, until_ms: u64, counters: &mut Counters) {
        if !self.generating {
            return;
        }
        let until_ms = until_ms.min(self.end_ms);
        if let Some(boot_ms) = self.boot_ms {
            if until_ms < boot_ms {
                return;
            }
            self.boot_ms = None;
            self.hello(boot_ms, counters);
        }
        while let Some((t, change)) = self.gaps.next_change(until_ms) {
            self.poll_model(t, counters);
            match change {
                GapChange::Begin => counters.gaps += 1,
                GapChange::End => self.hello(t, counters),
            }
        }
        self.poll_model(until_ms, counters);
    }

    /// Stops recording (the run is draining): the device keeps only resending, and any coverage
    /// gap ends so that its buffer can empty.
    pub fn stop_generating(&mut self) {
        self.generating = false;
        self.gaps.stop();
    }

    /// The transport came back after a loss: HELLO, as on every reconnect.
    pub fn link_restored(&mut self, now_ms: u64, counters: &mut Counters) {
        if self.generating && self.boot_ms.is_none() {
            self.hello(now_ms.min(self.end_ms), counters);
        }
    }

    /// The frames to put on the wire now (new ones, and resends that are due). Offline (link
    /// down or in a coverage gap) nothing is sent and the session marks its frames held.
    pub fn transmit(
        &mut self,
        now_ms: u64,
        link_up: bool,
        counters: &mut Counters,
    ) -> Vec<Vec<u8>> {
        let online = link_up && !self.gaps.covers(now_ms);
        if !online {
            if self.dirty || self.was_online {
                let _ = self.session.poll_transmit(now_ms, false);
            }
            self.dirty = false;
            self.was_online = false;
            return Vec::new();
        }
        if !self.dirty && self.was_online && now_ms < self.next_resend_ms {
            return Vec::new();
        }
        self.dirty = false;
        self.was_online = true;
        let frames = self.session.poll_transmit(now_ms, true);
        for frame in &frames {
            counters.transmitted += 1;
            let Some(i) = seq_of(frame)
                .and_then(|seq| self.frames.binary_search_by_key(&seq, |s| s.seq).ok())
            else {
                continue;
            };
            let sent = &mut self.frames[i];
            if sent.first_sent_ms.is_some() {
                counters.resent += 1;
            } else {
                sent.first_sent_ms = Some(now_ms);
            }
            sent.last_sent_ms = now_ms;
        }
        self.sync();
        frames
    }

    /// A downlink frame for this device: ACKs release frames (and give their latency),
    /// LOCATE_NOW records a fix at once (GPS tags, while the run generates), NOTIFY_WEARER is
    /// counted and logged; a refused frame (bad or missing MAC when the device has a key,
    /// replayed seq, ...) is counted.
    pub fn downlink(
        &mut self,
        bytes: &[u8],
        now_ms: u64,
        latency: &mut Histogram,
        counters: &mut Counters,
    ) {
        match self.session.handle_downlink(bytes, now_ms) {
            Ok(DownlinkEvent::Acked {
                acked_seq,
                released,
            }) => {
                counters.acks_received += 1;
                counters.acked += released as u64;
                while let Some(sent) = self.frames.front().filter(|s| s.seq <= acked_seq) {
                    if let Some(first) = sent.first_sent_ms {
                        latency.record(now_ms.saturating_sub(first));
                    }
                    self.frames.pop_front();
                }
                self.sync();
            }
            Ok(DownlinkEvent::LocateNow) => {
                counters.locate_requests += 1;
                tracing::info!(device_id = self.id, "locate request");
                if self.generating
                    && now_ms < self.end_ms
                    && let Some(fix) = self.model.locate_now(now_ms)
                {
                    self.record(fix, now_ms, counters);
                }
            }
            Ok(DownlinkEvent::Notify(notify)) => {
                counters.notifications += 1;
                tracing::info!(
                    device_id = self.id,
                    pattern = ?notify.pattern,
                    message_id = notify.message_id,
                    "wearer notified"
                );
            }
            Ok(_) => {}
            Err(error) => {
                counters.downlink_rejected += 1;
                tracing::debug!(device = self.id, %error, "downlink refused");
            }
        }
    }

    fn poll_model(&mut self, until_ms: u64, counters: &mut Counters) {
        let mut due = std::mem::take(&mut self.scratch);
        self.model.poll(until_ms, &mut due);
        // A scripted report of the past was buffered by the device, as through a coverage gap:
        // it goes out marked STORED, so the engine takes its old time for late data, not a
        // skewed clock (PROTOCOL.md, "Delivery").
        let buffered = due
            .iter()
            .any(|(t, _)| t.saturating_add(BUFFERED_AFTER_MS) < until_ms);
        for (t, message) in due.drain(..) {
            self.record(message, t, counters);
        }
        if buffered {
            let _ = self.session.poll_transmit(until_ms, false);
        }
        self.scratch = due;
    }

    fn hello(&mut self, t: u64, counters: &mut Counters) {
        let (hardware_model, firmware_major, firmware_minor, firmware_patch) = match self.model {
            Model::Tag(_) => (0x0A01, 1, 4, 2),
            Model::HomeUnit(_) => (0x0B01, 2, 1, 0),
            Model::Scripted(_) => (0x0C01, 1, 0, 0),
        };
        let hello = Hello {
            hardware_model,
            firmware_major,
            firmware_minor,
            firmware_patch,
            config_revision: self.session.config().map_or(0, |c| c.config_revision),
            frames_buffered: u32::try_from(self.session.unacked()).unwrap_or(u32::MAX),
        };
        self.record(Message::Hello(hello), t, counters);
    }

    fn record(&mut self, message: Message, t: u64, counters: &mut Counters) {
        let seq = self.session.record(message, t);
        self.frames.push_back(Sent {
            seq,
            first_sent_ms: None,
            last_sent_ms: 0,
        });
        counters.recorded += 1;
        self.dirty = true;
        // A new frame is unsent, so the next resend stays where it was (a frame dropped from a
        // full buffer can only make it later, and an early poll is harmless).
        self.follow_drops();
    }

    /// Follows the session's buffer, and works out when a resend can next be due.
    fn sync(&mut self) {
        self.follow_drops();
        self.next_resend_ms = self
            .frames
            .iter()
            .filter(|s| s.first_sent_ms.is_some())
            .map(|s| s.last_sent_ms)
            .min()
            .map_or(u64::MAX, |t| t.saturating_add(self.resend_after_ms));
    }

    /// Forgets frames the session dropped on its own (buffer full, unencodable).
    fn follow_drops(&mut self) {
        if self.frames.len() != self.session.unacked() {
            let mut live = self.session.unacked_seqs().peekable();
            self.frames.retain(|sent| {
                while live.next_if(|&seq| seq < sent.seq).is_some() {}
                live.peek() == Some(&sent.seq)
            });
        }
    }
}

/// The seq of an encoded frame: bytes 12..16, big-endian (PROTOCOL.md, "Frame").
fn seq_of(frame: &[u8]) -> Option<u32> {
    let bytes: [u8; 4] = frame.get(12..16)?.try_into().ok()?;
    Some(u32::from_be_bytes(bytes))
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashMap};

    use firmware_proto::{Ack, Flags, FrameType, Header, decode, encode_to_vec, verify_mac};

    use super::*;
    use crate::fleet::members;
    use firmware_proto::DeviceKind;

    const START: u64 = 1_767_225_600_000;

    /// A minimal engine: checks each frame, stores its seq, acks the contiguous prefix.
    #[derive(Default)]
    struct Engine {
        stored: HashMap<u64, BTreeSet<u32>>,
        down_seq: HashMap<u64, u32>,
        stored_flags: u64,
        hellos: u64,
    }

    impl Engine {
        fn take(&mut self, frame: &[u8], key: Option<&DeviceKey>, now: u64) -> Vec<u8> {
            let decoded = decode(frame).expect("valid frame");
            if let Some(key) = key {
                verify_mac(frame, key).expect("valid MAC");
            }
            let h = decoded.header;
            assert!(h.flags.contains(Flags::ACK_REQUESTED));
            self.stored_flags += u64::from(h.flags.contains(Flags::STORED));
            self.hellos += u64::from(matches!(decoded.message, Message::Hello(_)));
            let seqs = self.stored.entry(h.device_id).or_default();
            seqs.insert(h.seq);
            let acked_seq = (1..).take_while(|s| seqs.contains(s)).last().unwrap_or(0);
            let down = self.down_seq.entry(h.device_id).or_default();
            *down += 1;
            let header = Header {
                frame_type: FrameType::Ack,
                flags: Flags::empty(),
                device_id: h.device_id,
                seq: *down,
                time_ms: now,
            };
            encode_to_vec(&header, &Message::Ack(Ack { acked_seq }), key).expect("ACK encodes")
        }
    }

    /// Runs 20 devices for `minutes` of simulated time against [`Engine`], losing every
    /// `lose_every`-th ACK, and returns the totals.
    fn simulate(
        gap_rate: f64,
        lose_every: u64,
        minutes: u64,
    ) -> (Counters, Histogram, Engine, Vec<Node>) {
        let members = members(11, 500, 20, true);
        let plan = Plan {
            seed: 11,
            timing: Timing::new(None),
            start_ms: START,
            end_ms: START + minutes * 60_000,
            session: SessionOptions::default(),
            gaps: GapPlan::new(gap_rate, minutes * 60_000),
        };
        let keys: HashMap<u64, DeviceKey> = members
            .iter()
            .filter_map(|m| Some((m.device.id, m.device.key?)))
            .collect();
        let mut nodes: Vec<Node> = members.iter().map(|m| Node::new(m, &plan)).collect();
        let (mut c, mut latency, mut engine) =
            (Counters::default(), Histogram::default(), Engine::default());
        let mut acks = 0;
        let mut now = START;
        while now < plan.end_ms + 60_000 {
            now += 100;
            for node in &mut nodes {
                node.generate(now, &mut c);
                if now >= plan.end_ms {
                    node.stop_generating();
                }
                for frame in node.transmit(now, true, &mut c) {
                    let ack = engine.take(&frame, keys.get(&node.id()), now);
                    acks += 1;
                    if acks % lose_every != 0 {
                        node.downlink(&ack, now + 30, &mut latency, &mut c);
                    }
                }
            }
        }
        (c, latency, engine, nodes)
    }

    #[test]
    fn every_frame_is_acked_and_accounted_for() {
        let (c, latency, engine, nodes) = simulate(0.0, u64::MAX, 10);
        assert!(c.recorded > 20 * 10, "{c:?}");
        assert_eq!(c.acked, c.recorded);
        assert_eq!(c.transmitted, c.recorded);
        assert_eq!((c.resent, c.downlink_rejected, c.gaps), (0, 0, 0));
        assert_eq!(c.acks_received, c.transmitted);
        assert_eq!(latency.count(), c.acked);
        assert_eq!(latency.max(), 30);
        assert_eq!(engine.stored_flags, 0);
        assert_eq!(engine.hellos, 20);
        assert!(nodes.iter().all(|n| n.unacked() == 0 && n.dropped() == 0));
        let stored: usize = engine.stored.values().map(BTreeSet::len).sum();
        assert_eq!(stored as u64, c.recorded);
    }

    #[test]
    fn gaps_hold_frames_and_send_them_stored_after_a_hello() {
        let (c, _, engine, nodes) = simulate(30.0, u64::MAX, 20);
        assert!(c.gaps >= 20, "{c:?}");
        assert!(engine.stored_flags > 0);
        assert_eq!(engine.hellos, 20 + c.gaps);
        assert_eq!(c.acked, c.recorded);
        assert!(nodes.iter().all(|n| n.unacked() == 0));
    }

    #[test]
    fn lost_acks_are_made_good_by_resends() {
        let (c, latency, engine, nodes) = simulate(0.0, 3, 10);
        assert!(c.resent > 0, "{c:?}");
        assert_eq!(c.transmitted, c.recorded + c.resent);
        assert_eq!(c.acked, c.recorded);
        assert_eq!(latency.count(), c.acked);
        assert!(engine.stored_flags >= c.resent);
        assert!(nodes.iter().all(|n| n.unacked() == 0));
    }

    /// A downlink command to `node`'s device, as the engine encodes it.
    fn command(
        node: &Node,
        message: Message,
        seq: u32,
        key: Option<&DeviceKey>,
        now: u64,
    ) -> Vec<u8> {
        let header = Header {
            frame_type: message.frame_type(),
            flags: Flags::empty(),
            device_id: node.id(),
            seq,
            time_ms: now,
        };
        encode_to_vec(&header, &message, key).expect("command encodes")
    }

    #[test]
    fn a_tag_answers_locate_now_with_a_fix_and_counts_notifications() {
        let members = members(5, 700, 3, true);
        let tag = members
            .iter()
            .find(|m| m.device.kind == DeviceKind::GpsTag)
            .expect("a GPS tag in the fleet");
        let key = tag.device.key.expect("keyed fleet");
        let plan = Plan {
            seed: 5,
            timing: Timing::new(None),
            start_ms: START,
            end_ms: START + 600_000,
            session: SessionOptions::default(),
            gaps: GapPlan::new(0.0, 600_000),
        };
        let mut node = Node::new(tag, &plan);
        let (mut c, mut latency) = (Counters::default(), Histogram::default());
        let now = START + 20_000;
        node.generate(now, &mut c);
        let before = node.transmit(now, true, &mut c).len();
        assert!(before > 0);

        // LOCATE_NOW: a LOCATION is due at once, with the device's time of now.
        let locate = command(&node, Message::LocateNow, 1, Some(&key), now);
        node.downlink(&locate, now + 10, &mut latency, &mut c);
        let frames = node.transmit(now + 10, true, &mut c);
        let fixes: Vec<_> = frames
            .iter()
            .filter_map(|f| decode(f).ok())
            .filter(|d| matches!(d.message, Message::Location(_)))
            .collect();
        assert_eq!(fixes.len(), 1, "one LOCATION in answer");
        assert_eq!(fixes[0].header.time_ms, now + 10);
        assert_eq!(c.locate_requests, 1);

        // NOTIFY_WEARER is counted; nothing is sent for it.
        let notify = Message::NotifyWearer(firmware_proto::NotifyWearer {
            pattern: firmware_proto::NotifyPattern::Beep,
            message_id: 12,
        });
        let frame = command(&node, notify, 2, Some(&key), now);
        node.downlink(&frame, now + 20, &mut latency, &mut c);
        assert_eq!(c.notifications, 1);
        assert!(node.transmit(now + 20, true, &mut c).is_empty());

        // A keyed device refuses a command without its MAC, or replayed.
        let unsigned = command(&node, Message::LocateNow, 3, None, now);
        node.downlink(&unsigned, now + 30, &mut latency, &mut c);
        node.downlink(&frame, now + 30, &mut latency, &mut c);
        assert_eq!((c.downlink_rejected, c.locate_requests), (2, 1));
    }

    #[test]
    fn offline_devices_keep_recording_and_send_nothing() {
        let members = members(3, 1, 2, false);
        let plan = Plan {
            seed: 3,
            timing: Timing::new(Some(1_000)),
            start_ms: START,
            end_ms: START + 60_000,
            session: SessionOptions::default(),
            gaps: GapPlan::new(0.0, 60_000),
        };
        let mut node = Node::new(&members[0], &plan);
        let mut c = Counters::default();
        for t in (START..START + 30_000).step_by(100) {
            node.generate(t, &mut c);
            assert!(node.transmit(t, false, &mut c).is_empty());
        }
        assert!(node.unacked() >= 30);
        let frames = node.transmit(START + 30_000, true, &mut c);
        assert_eq!(frames.len() as u64, node.unacked());
        let seqs: Vec<u32> = frames.iter().filter_map(|f| seq_of(f)).collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "oldest first");
        assert!(
            frames
                .iter()
                .all(|f| decode(f).is_ok_and(|d| d.header.flags.contains(Flags::STORED)))
        );
    }
}
