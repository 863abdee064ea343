//! What an observation feeds: which of a client's parts it goes to, worked out once per
//! observation, and what the joint part (the curfew and victim proximity) takes from it. Kept
//! apart from [`crate::state`] because the curfew judges these inputs too, and the state holds
//! the curfew: with both here, each would import the other.

use crate::geometry::{CompiledShape, GeoPoint, Side};
use crate::observation::{CompactRef, EventKey, EvidenceRef, Observation, Reading};
use crate::policy::{Capabilities, Capability, CompiledPolicy, DeviceKind};

/// Which parts an observation feeds, worked out once per observation.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Route {
    /// The index of the client's own device that sent it.
    pub device: Option<usize>,
    /// What the client's device that sent it can tell; nothing for a victim's device.
    pub can: Capabilities,
    /// A usable fix from a device the client wears that can locate itself, with its accuracy:
    /// what the zones are judged by.
    pub fix: Option<(GeoPoint, f64)>,
    /// What it tells the curfew or victim proximity, if anything.
    pub joint: Option<JointInput>,
}

impl Route {
    pub fn of(policy: &CompiledPolicy, obs: &Observation) -> Route {
        let device = policy
            .device_index(obs.device)
            .map(|i| (i, policy.source.devices[i].kind));
        Route::of_device(policy, obs, device)
    }

    /// As [`Route::of`], with the sending device's index among the client's and its kind
    /// already known (or known to be none of the client's).
    pub fn of_device(
        policy: &CompiledPolicy,
        obs: &Observation,
        device: Option<(usize, DeviceKind)>,
    ) -> Route {
        let on_body = device.is_some_and(|(_, kind)| kind.on_body());
        let can = device.map_or(Capabilities::NONE, |(_, kind)| kind.capabilities());
        // A worn device tells where the client is only if it can: what it cannot tell (an RF
        // bit a tracker leaves clear) is no evidence of being away.
        let locates = device.is_some_and(|(_, kind)| kind.locates_client());
        let hears_home = on_body && can.can(Capability::RfPresence);
        let device = device.map(|(i, _)| i);
        let fix = obs.fix();
        let curfew = policy.has_curfew;
        let proximity = !policy.proximity.is_empty();
        let evidence = match &obs.reading {
            Reading::Presence { tag, in_range }
                if device.is_some() && curfew && policy.heard_by_home_unit(*tag) =>
            {
                Some(JointEvidence::Presence {
                    in_range: *in_range,
                })
            }
            Reading::Heartbeat(h) if hears_home && curfew => Some(JointEvidence::RfHome(h.rf_home)),
            Reading::Location { .. }
                if (locates && (curfew || proximity)) || (device.is_none() && proximity) =>
            {
                fix.map(|(at, accuracy)| JointEvidence::Fix {
                    lat: at.lat,
                    lon: at.lon,
                    // The joint part judges the fix with this accuracy both live and in a
                    // replay, so rounding it changes nothing between the two.
                    accuracy_m: accuracy as f32,
                })
            }
            _ => None,
        };
        Route {
            device,
            can,
            fix: fix.filter(|_| locates),
            joint: evidence.map(|evidence| JointInput {
                proof: CompactRef::new(obs.evidence()),
                on_body,
                worn: device.is_some(),
                address_side: None,
                evidence,
            }),
        }
    }

    pub fn feeds_zones(&self) -> bool {
        self.fix.is_some()
    }
}

/// What the joint part takes from an observation. The monitor keeps the recent ones to replay,
/// so it is two thirds the size of the observation.
#[derive(Copy, Clone, Debug)]
pub(crate) struct JointInput {
    proof: CompactRef,
    /// Sent by a device the client wears (a tag or a tracker).
    pub on_body: bool,
    /// Sent by one of the client's own devices (else by a victim's device).
    pub worn: bool,
    /// Which side of which curfew address a fix was found on, once worked out: every input is
    /// judged twice (live, then into the anchor), and the answer depends on nothing else. In
    /// what is otherwise padding.
    address_side: Option<(u8, Side)>,
    pub evidence: JointEvidence,
}

#[derive(Copy, Clone, Debug)]
pub(crate) enum JointEvidence {
    /// A home unit's PRESENCE report about one of the client's tags.
    Presence {
        in_range: bool,
    },
    /// A tag's heartbeat: whether it hears its home unit.
    RfHome(bool),
    Fix {
        lat: f64,
        lon: f64,
        accuracy_m: f32,
    },
}

impl JointInput {
    pub fn proof(&self) -> EvidenceRef {
        self.proof.get()
    }

    pub fn key(&self) -> EventKey {
        let p = self.proof.get();
        EventKey {
            time: p.device_time,
            device: p.device,
            seq: p.seq,
        }
    }

    /// Which side of address `address` (whose shape is `shape`) the fix is on, worked out once.
    pub fn address_side(&mut self, address: u16, shape: &CompiledShape) -> Option<Side> {
        let (at, accuracy) = self.fix()?;
        let Ok(key) = u8::try_from(address) else {
            return Some(shape.classify(at, accuracy, 0.0));
        };
        if let Some((known, side)) = self.address_side
            && known == key
        {
            return Some(side);
        }
        let side = shape.classify(at, accuracy, 0.0);
        self.address_side = Some((key, side));
        Some(side)
    }

    pub fn fix(&self) -> Option<(GeoPoint, f64)> {
        match self.evidence {
            JointEvidence::Fix {
                lat,
                lon,
                accuracy_m,
            } => Some((GeoPoint { lat, lon }, f64::from(accuracy_m))),
            _ => None,
        }
    }
}
