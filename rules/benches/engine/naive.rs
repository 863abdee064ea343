//! The baseline: what a general-purpose tracker does on every fix, with `geo` and nothing else.

use super::*;

/// What a general-purpose tracker does: every zone tested with `geo` on every fix (point in
/// polygon in degrees, haversine distance for circles and the victim), no accuracy circle, no
/// confirmation, no hysteresis, no episodes: just the current violations.
pub(crate) struct NaiveClient {
    home: Point<f64>,
    inclusion: Polygon<f64>,
    exclusions: Vec<Polygon<f64>>,
    circle: (Point<f64>, f64),
    victim: Option<(Point<f64>, i64)>,
    violations: u8,
}

pub(crate) struct Naive {
    clients: Vec<NaiveClient>,
    /// Device to (client, is the victim's device).
    devices: HashMap<u64, (usize, bool)>,
    pub(crate) changes: u64,
}

pub(crate) fn ring_of(coords: &[[f64; 2]]) -> LineString<f64> {
    LineString::from(coords.iter().map(|p| (p[0], p[1])).collect::<Vec<_>>())
}

impl Naive {
    pub(crate) fn new(policies: &[&MonitoringPolicy]) -> Self {
        let mut clients = Vec::with_capacity(policies.len());
        let mut devices = HashMap::new();
        for (i, p) in policies.iter().enumerate() {
            let poly = |shape: &ZoneShape| match shape {
                ZoneShape::Polygon { coordinates } => {
                    Polygon::new(ring_of(&coordinates[0]), Vec::new())
                }
                _ => unreachable!(),
            };
            let circle = |shape: &ZoneShape| match shape {
                ZoneShape::Circle { centre, radius_m } => {
                    (Point::new(centre[0], centre[1]), *radius_m)
                }
                _ => unreachable!(),
            };
            clients.push(NaiveClient {
                home: circle(&p.addresses[0].zone).0,
                inclusion: poly(&p.zones[0].shape),
                exclusions: p.zones[1..4].iter().map(|z| poly(&z.shape)).collect(),
                circle: circle(&p.zones[4].shape),
                victim: None,
                violations: 0,
            });
            devices.insert(p.devices[0].id, (i, false));
            devices.insert(p.proximity[0].victim_device, (i, true));
        }
        Naive {
            clients,
            devices,
            changes: 0,
        }
    }

    pub(crate) fn observe(&mut self, obs: &Observation) {
        let Reading::Location { lat, lon, .. } = obs.reading else {
            return;
        };
        let Some(&(i, is_victim)) = self.devices.get(&obs.device) else {
            return;
        };
        let c = &mut self.clients[i];
        let p = Point::new(lon, lat);
        let t = obs.device_time.0;
        if is_victim {
            c.victim = Some((p, t));
            return;
        }
        let mut v = 0u8;
        if Haversine::distance(c.home, p) > 50.0 {
            v |= 1;
        }
        if !c.inclusion.contains(&p) {
            v |= 2;
        }
        for (k, e) in c.exclusions.iter().enumerate() {
            if e.contains(&p) {
                v |= 4 << k;
            }
        }
        if Haversine::distance(c.circle.0, p) <= c.circle.1 {
            v |= 32;
        }
        if let Some((vp, vt)) = c.victim
            && (t - vt).abs() <= 120_000
            && Haversine::distance(vp, p) < 500.0
        {
            v |= 64;
        }
        if v != c.violations {
            self.changes += 1;
            c.violations = v;
        }
    }
}
