//! The fleet a seed gives: which ids are tags and which are home units, who is paired with
//! whom, every device's key, and the RNG streams its behaviour is drawn from.
//!
//! Everything here is a pure function of the seed and the device id, so `sargs simulate
//! --register`, the demo and a later run agree on the same devices, and two runs with the same
//! seed (and start time) replay the same tracks and events.
//!
//! Key derivation (documented for anyone registering simulated devices by other means):
//! `key = SHA-256("sargs-sim" || seed as 8 bytes big-endian || device id as 8 bytes big-endian)`.

use std::sync::Arc;

use firmware_proto::DeviceKind;
use firmware_proto::{DeviceKey, Message};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};

use super::model::{HomeUnitModel, Model, ScriptedModel, TagModel, Timing};

/// One simulated device as it would be registered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimDevice {
    /// The device's id, as its frames carry it and as it must be registered.
    pub id: u64,
    /// GPS tag, RF tag or home unit.
    pub kind: DeviceKind,
    /// The key its frames are MAC-signed with, if it has one.
    pub key: Option<DeviceKey>,
}

/// A device of the fleet with what its behaviour needs: for a home unit, its tag's id; for a
/// scripted device, its reports in time order.
#[derive(Clone, Debug, PartialEq)]
pub struct Member {
    pub device: SimDevice,
    pub paired_tag: Option<u64>,
    pub script: Option<Arc<[(u64, Message)]>>,
    /// The seq of the device's first frame (a device already heard from goes on from where it
    /// was; the engine takes a seq it has stored as a duplicate).
    pub first_seq: u32,
}

/// The device key of simulated device `id` under `seed` (see the module docs).
pub fn device_key(seed: u64, id: u64) -> DeviceKey {
    let mut hash = Sha256::new();
    hash.update(b"sargs-sim");
    hash.update(seed.to_be_bytes());
    hash.update(id.to_be_bytes());
    hash.finalize().into()
}

/// An independent RNG stream for one purpose of one device.
pub fn stream(seed: u64, id: u64, purpose: &str) -> ChaCha8Rng {
    let mut hash = Sha256::new();
    hash.update(b"sargs-sim/rng/");
    hash.update(purpose.as_bytes());
    hash.update(seed.to_be_bytes());
    hash.update(id.to_be_bytes());
    ChaCha8Rng::from_seed(hash.finalize().into())
}

/// The fleet: ids `first_id ..` (`count` of them, fewer only if the ids would pass `u64::MAX`),
/// in households of a GPS tag alone or a tag followed by its home unit, each household with a
/// home unit with probability 1/2, so that about 2/3 of the devices are tags and 1/3 home units.
pub fn members(seed: u64, first_id: u64, count: u32, keys: bool) -> Vec<Member> {
    let mut rng = stream(seed, 0, "fleet");
    let ids: Vec<u64> = (0..u64::from(count))
        .map_while(|i| first_id.checked_add(i))
        .collect();
    let device = |id: u64, kind| SimDevice {
        id,
        kind,
        key: keys.then(|| device_key(seed, id)),
    };
    let mut out = Vec::with_capacity(ids.len());
    let mut i = 0;
    while let Some(&tag) = ids.get(i) {
        out.push(Member {
            device: device(tag, DeviceKind::GpsTag),
            paired_tag: None,
            script: None,
            first_seq: 1,
        });
        i += 1;
        // The draw comes first, whether or not an id is left, so a fleet's households do not
        // depend on its size.
        if rng.gen_bool(0.5)
            && let Some(&unit) = ids.get(i)
        {
            out.push(Member {
                device: device(unit, DeviceKind::HomeUnit),
                paired_tag: Some(tag),
                script: None,
                first_seq: 1,
            });
            i += 1;
        }
    }
    out
}

/// The behaviour of `member`, starting at `start_ms`.
pub fn model(seed: u64, member: &Member, start_ms: u64, timing: Timing) -> Model {
    let id = member.device.id;
    if let Some(script) = &member.script {
        return Model::Scripted(ScriptedModel::new(script.clone()));
    }
    match member.paired_tag {
        Some(tag) => Model::HomeUnit(Box::new(HomeUnitModel::new(
            tag,
            stream(seed, tag, "track"),
            stream(seed, id, "device"),
            start_ms,
            timing,
        ))),
        None => Model::Tag(Box::new(TagModel::new(
            stream(seed, id, "track"),
            stream(seed, id, "device"),
            start_ms,
            timing,
        ))),
    }
}
