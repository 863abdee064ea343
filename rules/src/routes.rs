//! The engine's routing table: which clients an observation of one device concerns.
//!
//! Looked up for every observation, so it is built for that: open addressing with linear
//! probing over 16-byte slots (four to a cache line, never straddling two), the device id and
//! its route side by side. Where a device's slot lies follows from its id alone, so a batch can
//! fetch the slot of an observation some way ahead and find it in the cache when it gets there:
//! one wait, overlapped, where a general-purpose map has two dependent ones (its control bytes,
//! then the bucket).

use crate::observation::DeviceId;
use crate::policy::DeviceKind;
use crate::prefetch;

/// Who an observation of one device concerns: the client wearing it, and the first client whose
/// victim-proximity condition watches it. 8 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Route {
    /// [`Route::NOBODY`], or the wearer's monitor in the low [`MONITOR_BITS`], the device's
    /// index among the wearer's devices in the next four, and its kind (its place in
    /// [`DeviceKind::ALL`]) in the top three.
    worn: u32,
    /// [`Route::NOBODY`], or the first watcher's monitor, with [`Route::MORE`] set when other
    /// clients watch the device too (the engine keeps them all, in order, apart).
    watcher: u32,
}

/// Bits of a monitor's index in a route: the engine holds fewer monitors than `1 << 25`, so no
/// index, with device and kind, makes [`Route::NOBODY`].
const MONITOR_BITS: u32 = 25;
const MONITOR_MASK: u32 = (1 << MONITOR_BITS) - 1;
/// Where a worn route's kind starts: after the monitor and the device's four bits.
const KIND_SHIFT: u32 = MONITOR_BITS + 4;

/// The most monitors an engine holds.
pub(crate) const MAX_MONITORS: usize = MONITOR_MASK as usize;

impl Route {
    pub const NOBODY: u32 = u32::MAX;
    const MORE: u32 = 1 << 31;
    pub const NONE: Route = Route {
        worn: Route::NOBODY,
        watcher: Route::NOBODY,
    };

    /// The wearer's monitor, the device's index among its devices, and the device's kind.
    pub fn worn(self) -> Option<(usize, usize, DeviceKind)> {
        if self.worn == Route::NOBODY {
            return None;
        }
        // Always one of the kinds: only `set_worn` writes the bits.
        let kind = *DeviceKind::ALL.get((self.worn >> KIND_SHIFT) as usize)?;
        Some((
            (self.worn & MONITOR_MASK) as usize,
            ((self.worn >> MONITOR_BITS) & 0xf) as usize,
            kind,
        ))
    }

    /// Worn by `monitor` (below [`MAX_MONITORS`]) as its device `device` (below 16), or by
    /// nobody.
    pub fn set_worn(&mut self, wearer: Option<(u32, usize, DeviceKind)>) {
        self.worn = match wearer {
            None => Route::NOBODY,
            Some((monitor, device, kind)) => {
                debug_assert!((monitor as usize) < MAX_MONITORS && device < 16);
                // Its place in `DeviceKind::ALL`, which lists the kinds as declared.
                let kind = kind as u32;
                (monitor & MONITOR_MASK)
                    | ((device as u32 & 0xf) << MONITOR_BITS)
                    | (kind << KIND_SHIFT)
            }
        };
    }

    /// The first client watching the device, and whether others do too.
    pub fn first_watcher(self) -> Option<(u32, bool)> {
        (self.watcher != Route::NOBODY)
            .then_some((self.watcher & MONITOR_MASK, self.watcher & Route::MORE != 0))
    }

    /// The clients watching the device, in order.
    pub fn set_watchers(&mut self, watchers: &[u32]) {
        self.watcher = match watchers {
            [] => Route::NOBODY,
            [first] => *first,
            [first, ..] => *first | Route::MORE,
        };
    }

    fn is_none(self) -> bool {
        self == Route::NONE
    }
}

#[derive(Debug, Clone, Copy)]
#[repr(C, align(16))]
struct Slot {
    device: DeviceId,
    /// [`Route::NONE`] for an empty slot: no device's route is none (it leaves the table).
    route: Route,
}

const EMPTY: Slot = Slot {
    device: 0,
    route: Route::NONE,
};

/// Device id to route. At most half full, so a probe is short.
#[derive(Debug)]
pub(crate) struct Routes {
    slots: Vec<Slot>,
    len: usize,
    /// 64 less the log2 of the slot count: a hash's top bits pick the home slot.
    shift: u32,
}

impl Default for Routes {
    fn default() -> Self {
        Routes::with_slots(16)
    }
}

impl Routes {
    fn with_slots(slots: usize) -> Routes {
        debug_assert!(slots.is_power_of_two());
        Routes {
            slots: vec![EMPTY; slots],
            len: 0,
            shift: 64 - slots.trailing_zeros(),
        }
    }

    /// The slot where the search for `device` starts (Fibonacci hashing: device ids are often
    /// consecutive, and multiplying spreads them over the top bits).
    #[inline]
    fn home(&self, device: DeviceId) -> usize {
        (device.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> self.shift) as usize
    }

    fn mask(&self) -> usize {
        self.slots.len() - 1
    }

    /// Where `device` is, or the empty slot where it would go.
    fn find(&self, device: DeviceId) -> (usize, bool) {
        let mut i = self.home(device);
        loop {
            let slot = &self.slots[i];
            if slot.route.is_none() {
                return (i, false);
            }
            if slot.device == device {
                return (i, true);
            }
            i = (i + 1) & self.mask();
        }
    }

    #[inline]
    pub fn get(&self, device: DeviceId) -> Option<Route> {
        match self.find(device) {
            (i, true) => Some(self.slots[i].route),
            (_, false) => None,
        }
    }

    /// Fetches ahead the line where the search for `device` starts.
    #[inline]
    pub fn prefetch(&self, device: DeviceId) {
        prefetch::range(&self.slots[self.home(device)], std::mem::size_of::<Slot>());
    }

    /// Sets `device`'s route; [`Route::NONE`] removes it.
    pub fn set(&mut self, device: DeviceId, route: Route) {
        if route.is_none() {
            self.remove(device);
            return;
        }
        if let (i, true) = self.find(device) {
            self.slots[i].route = route;
            return;
        }
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let (i, _) = self.find(device);
        self.slots[i] = Slot { device, route };
        self.len += 1;
    }

    fn grow(&mut self) {
        let old = std::mem::replace(self, Routes::with_slots(self.slots.len() * 2));
        for slot in old.slots.into_iter().filter(|s| !s.route.is_none()) {
            let (i, _) = self.find(slot.device);
            self.slots[i] = slot;
            self.len += 1;
        }
    }

    /// Removes `device`, moving back the slots after it that its place would otherwise cut off
    /// from their home (no tombstones, so searches stay short).
    fn remove(&mut self, device: DeviceId) {
        let (mut hole, true) = self.find(device) else {
            return;
        };
        self.len -= 1;
        let mask = self.mask();
        let mut i = hole;
        loop {
            i = (i + 1) & mask;
            let slot = self.slots[i];
            if slot.route.is_none() {
                break;
            }
            // The slot may fill the hole when its home is not within (hole, i], cyclically.
            let home = self.home(slot.device);
            let reachable = if hole <= i {
                hole < home && home <= i
            } else {
                hole < home || home <= i
            };
            if !reachable {
                self.slots[hole] = slot;
                hole = i;
            }
        }
        self.slots[hole] = EMPTY;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn worn(m: u32) -> Route {
        let mut r = Route::NONE;
        r.set_worn(Some((m, (m % 16) as usize, DeviceKind::HomeUnit)));
        r
    }

    #[test]
    fn route_packs_and_unpacks() {
        let mut r = Route::NONE;
        assert_eq!(r.worn(), None);
        assert_eq!(r.first_watcher(), None);
        r.set_worn(Some((MAX_MONITORS as u32 - 1, 15, DeviceKind::HomeUnit)));
        assert_eq!(r.worn(), Some((MAX_MONITORS - 1, 15, DeviceKind::HomeUnit)));
        r.set_worn(Some((0, 0, DeviceKind::Tag)));
        assert_eq!(r.worn(), Some((0, 0, DeviceKind::Tag)));
        for (i, kind) in DeviceKind::ALL.into_iter().enumerate() {
            assert_eq!(kind as usize, i, "ALL lists the kinds as declared");
            for (monitor, device) in [(0, 0), (MAX_MONITORS as u32 - 1, 15), (12_345, 7)] {
                r.set_worn(Some((monitor, device, kind)));
                assert_eq!(r.worn(), Some((monitor as usize, device, kind)));
                assert_ne!(r.worn, Route::NOBODY);
            }
        }
        r.set_watchers(&[7, 9]);
        assert_eq!(r.first_watcher(), Some((7, true)));
        r.set_watchers(&[MAX_MONITORS as u32 - 1]);
        assert_eq!(r.first_watcher(), Some((MAX_MONITORS as u32 - 1, false)));
        r.set_worn(None);
        assert!(!r.is_none());
        r.set_watchers(&[]);
        assert!(r.is_none());
    }

    /// Against a `HashMap`, through growth and removals that shift slots back (colliding ids
    /// included: every id a multiple of a large power of two lands in few home slots).
    #[test]
    fn behaves_as_a_map() {
        let mut table = Routes::default();
        let mut model = HashMap::new();
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for step in 0..20_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let device = match x % 3 {
                0 => x % 300,
                1 => (x % 64) << 58,
                _ => x % 5000,
            };
            if x % 5 < 2 {
                table.set(device, Route::NONE);
                model.remove(&device);
            } else {
                table.set(device, worn(step % 1000));
                model.insert(device, worn(step % 1000));
            }
            if step % 97 == 0 {
                for d in (0..300).chain((0..64).map(|k| k << 58)) {
                    assert_eq!(table.get(d), model.get(&d).copied(), "device {d}");
                }
                assert_eq!(table.len, model.len());
            }
        }
        for (&d, &r) in &model {
            assert_eq!(table.get(d), Some(r));
        }
    }
}
