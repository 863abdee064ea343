//! Device health: the state of the straps, cases, batteries and radios the order relies on.
//!
//! Most of it is judged in event time like everything else ([`DeviceHealth`]). Two conditions
//! are about arrival, not about what happened, and so are judged by receive time in arrival
//! order and never re-judged ([`ArrivalHealth`]): communication lost (nothing received for too
//! long) and a skewed device clock.

use crate::book::{Book, CondKey};
use crate::episode::BreachKind;
use crate::observation::{DeviceEvent, DeviceId, EvidenceRef, FixSource, Observation, Reading};
use crate::policy::{Capabilities, Capability, CompiledPolicy};
use crate::time::{CompactTime, Span, Timestamp};
use serde::{Deserialize, Serialize};

/// Battery must rise this many points above a threshold to end its episode.
const BATTERY_HYSTERESIS_PCT: u8 = 5;

/// One per device in each copy of a client's state, so its instants are compact: each `Option`
/// here takes no tag word.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct DeviceHealth {
    /// When the tag was last seen charging (or first heard from).
    last_charge: Option<CompactTime>,
    /// Motion seen since the last fix, within the current window of `within`.
    motion_window_start: Option<CompactTime>,
    motion_ms: i64,
    last_heartbeat: Option<(CompactTime, bool)>,
}

impl DeviceHealth {
    pub fn deadline(&self, policy: &CompiledPolicy) -> Timestamp {
        match (policy.health.charge_every, self.last_charge) {
            (Some(every), Some(last)) => last.get().saturating_add(every).saturating_add(Span(1)),
            _ => Timestamp::MAX,
        }
    }

    pub fn on_deadline(
        &mut self,
        policy: &CompiledPolicy,
        device: DeviceId,
        t: Timestamp,
        book: &mut Book,
    ) {
        if let (Some(every), Some(last)) = (
            policy.health.charge_every,
            self.last_charge.map(CompactTime::get),
        ) && t.since(last) > every
        {
            book.open(
                policy,
                CondKey::Device(device),
                BreachKind::NotCharged,
                last.saturating_add(every),
                &[],
            );
            // No further deadline until the tag is charged, which ends the episode.
            self.last_charge = Some(CompactTime::new(Timestamp::MAX));
        }
    }

    /// `can`: what the device's kind can tell. Only that is judged: a bit about something it
    /// cannot tell is clear because nothing said it (PROTOCOL.md: each kind sets only its own
    /// bits; a report transcribed from another protocol sets none of strap, case and skin), and
    /// an event about it is not its to send.
    pub fn on_observation(
        &mut self,
        policy: &CompiledPolicy,
        obs: &Observation,
        can: Capabilities,
        book: &mut Book,
    ) {
        use Capability::*;
        let key = CondKey::Device(obs.device);
        let t = obs.device_time;
        let proof = obs.evidence();
        let health = &policy.health;
        if can.can(Charging) && self.last_charge.is_none() {
            self.last_charge = Some(CompactTime::new(t));
        }
        let set = |book: &mut Book, kind: BreachKind, on: bool| {
            if on {
                book.open(policy, key, kind, t, &[proof]);
            } else {
                book.close(key, kind, t, Some(proof));
            }
        };
        // What each breach rests on: the kind must be able to tell it.
        let told = |kind: BreachKind| match kind {
            BreachKind::StrapOpened => can.can(Strap),
            BreachKind::CaseOpened => can.can(Case),
            BreachKind::SkinContactLost => can.can(SkinContact),
            BreachKind::MainsPowerLost => can.can(MainsPower),
            BreachKind::BatteryLow | BreachKind::BatteryCritical => can.can(Battery),
            // The device's own finding about its radios, whatever they are.
            BreachKind::JammingSuspected | BreachKind::ShieldingSuspected => true,
            _ => false,
        };
        match &obs.reading {
            Reading::Heartbeat(h) => {
                for (kind, closed) in [
                    (BreachKind::StrapOpened, h.strap_closed),
                    (BreachKind::SkinContactLost, h.skin_contact),
                    (BreachKind::MainsPowerLost, h.mains_power),
                    (BreachKind::CaseOpened, h.case_closed),
                ] {
                    if told(kind) {
                        set(book, kind, !closed);
                    }
                }
                if can.can(Battery) {
                    for (kind, threshold) in [
                        (BreachKind::BatteryLow, health.battery_low_pct),
                        (BreachKind::BatteryCritical, health.battery_critical_pct),
                    ] {
                        if h.battery_pct <= threshold {
                            set(book, kind, true);
                        } else if h.battery_pct > threshold.saturating_add(BATTERY_HYSTERESIS_PCT) {
                            set(book, kind, false);
                        }
                    }
                }
                if h.charging && can.can(Charging) {
                    self.charged(key, t, proof, book);
                }
                if can.can(GnssStatus) {
                    if h.gnss_fix {
                        self.fixed(key, t, proof, book);
                    }
                    let moving = can.can(Motion) && h.motion && !h.gnss_fix;
                    self.motion(policy, key, t, moving, proof, book);
                }
            }
            Reading::Event { event, .. } => {
                let change = match event {
                    DeviceEvent::StrapOpened => Some((BreachKind::StrapOpened, true)),
                    DeviceEvent::StrapClosed => Some((BreachKind::StrapOpened, false)),
                    DeviceEvent::CaseOpened => Some((BreachKind::CaseOpened, true)),
                    DeviceEvent::CaseClosed => Some((BreachKind::CaseOpened, false)),
                    DeviceEvent::SkinContactLost => Some((BreachKind::SkinContactLost, true)),
                    DeviceEvent::SkinContactRestored => Some((BreachKind::SkinContactLost, false)),
                    DeviceEvent::MainsPowerLost => Some((BreachKind::MainsPowerLost, true)),
                    DeviceEvent::MainsPowerRestored => Some((BreachKind::MainsPowerLost, false)),
                    DeviceEvent::BatteryLow => Some((BreachKind::BatteryLow, true)),
                    DeviceEvent::BatteryCritical => Some((BreachKind::BatteryCritical, true)),
                    DeviceEvent::JammingSuspected => Some((BreachKind::JammingSuspected, true)),
                    DeviceEvent::ShieldingSuspected => Some((BreachKind::ShieldingSuspected, true)),
                    DeviceEvent::ChargerConnected if can.can(Charging) => {
                        self.charged(key, t, proof, book);
                        None
                    }
                    _ => None,
                };
                if let Some((kind, on)) = change.filter(|(kind, _)| told(*kind)) {
                    set(book, kind, on);
                }
            }
            Reading::Location { source, .. }
                if *source == FixSource::Gnss && can.can(GnssStatus) =>
            {
                self.fixed(key, t, proof, book);
            }
            _ => {}
        }
    }

    /// The start of a motion window that may still become an episode.
    pub fn pending_since(&self) -> Option<Timestamp> {
        self.motion_window_start.map(CompactTime::get)
    }

    fn charged(&mut self, key: CondKey, t: Timestamp, proof: EvidenceRef, book: &mut Book) {
        self.last_charge = Some(CompactTime::new(t));
        book.close(key, BreachKind::NotCharged, t, Some(proof));
    }

    /// A GNSS fix: the radio works, so suspected jamming or shielding is over.
    fn fixed(&mut self, key: CondKey, t: Timestamp, proof: EvidenceRef, book: &mut Book) {
        for kind in [
            BreachKind::JammingSuspected,
            BreachKind::ShieldingSuspected,
            BreachKind::MotionWithoutFix,
        ] {
            book.close(key, kind, t, Some(proof));
        }
        self.motion_window_start = None;
        self.motion_ms = 0;
    }

    /// Counts motion between heartbeats; enough of it within the window with no fix is
    /// suspicious. Windows are consecutive stretches of `within`, starting at the first motion.
    fn motion(
        &mut self,
        policy: &CompiledPolicy,
        key: CondKey,
        t: Timestamp,
        moving: bool,
        proof: EvidenceRef,
        book: &mut Book,
    ) {
        let previous = self.last_heartbeat.replace((CompactTime::new(t), moving));
        let Some(rule) = &policy.health.motion_without_fix else {
            return;
        };
        if !moving {
            return;
        }
        let start = self
            .motion_window_start
            .get_or_insert(CompactTime::new(t))
            .get();
        if t.since(start) > rule.within {
            self.motion_window_start = Some(CompactTime::new(t));
            self.motion_ms = 0;
        }
        if let Some((before, was_moving)) = previous
            && was_moving
        {
            // A long silence between heartbeats is not motion we saw.
            self.motion_ms += t
                .since(before.get())
                .millis()
                .clamp(0, Span::minutes(5).millis());
        }
        if self.motion_ms >= rule.motion.millis() {
            let from = self.motion_window_start.map_or(t, CompactTime::get);
            book.open(policy, key, BreachKind::MotionWithoutFix, from, &[proof]);
        }
    }
}

/// Communication and clock, judged by receive time as frames arrive.
#[derive(Clone, Debug, Default)]
pub(crate) struct ArrivalHealth {
    last_received: Option<Timestamp>,
}

impl ArrivalHealth {
    /// A frame of `obs.device` (at `index` among the policy's devices) has arrived.
    pub fn on_arrival(&mut self, policy: &CompiledPolicy, obs: &Observation, book: &mut Book) {
        let key = CondKey::Device(obs.device);
        let received = obs.received;
        if self.last_received.is_none_or(|last| received > last) {
            self.last_received = Some(received);
        }
        book.close(
            key,
            BreachKind::CommunicationLost,
            received,
            Some(obs.evidence()),
        );
        if obs.stored {
            return;
        }
        let skew = received.since(obs.device_time).millis().abs();
        if skew > policy.health.clock_skew_limit.millis() {
            book.open(
                policy,
                key,
                BreachKind::ClockSkewed,
                received,
                &[obs.evidence()],
            );
        } else {
            book.close(key, BreachKind::ClockSkewed, received, Some(obs.evidence()));
        }
    }

    /// After a restart: the device was last heard from at `at`.
    pub fn resume(&mut self, at: Timestamp) {
        if self.last_received.is_none_or(|last| at > last) {
            self.last_received = Some(at);
        }
    }

    /// The caller's clock says `now`: has the device been silent too long?
    pub fn on_tick(
        &mut self,
        policy: &CompiledPolicy,
        index: usize,
        now: Timestamp,
        book: &mut Book,
    ) {
        let Some(last) = self.last_received else {
            return;
        };
        if now.since(last) > policy.comm_lost_after(index) {
            let device = policy.source.devices[index].id;
            book.open(
                policy,
                CondKey::Device(device),
                BreachKind::CommunicationLost,
                last,
                &[],
            );
        }
    }

    pub fn deadline(&self, policy: &CompiledPolicy, index: usize) -> Timestamp {
        self.last_received.map_or(Timestamp::MAX, |last| {
            last.saturating_add(policy.comm_lost_after(index))
                .saturating_add(Span(1))
        })
    }
}
