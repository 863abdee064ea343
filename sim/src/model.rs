//! What each simulated device says and when: the messages a GPS tag and a home unit would record.
//!
//! Pure and deterministic: a model is built from its RNG streams and the run's start time, and
//! [`Model::poll`] yields every message due up to a time, in time order, stamped with the time
//! it happened. It knows nothing of sessions, sequence numbers or transports (see `node`).
//!
//! A tag fixes its position every step (15 s) while moving and every 60 s while still, sends a
//! HEARTBEAT every 300 s, charges during some home stays, reports a low battery, and now and
//! then has its strap opened and closed. A home unit checks every step whether its tag (a
//! replica of the tag's [`Track`]) is within RF range and sends PRESENCE on every change and at
//! least every 60 s, plus a HEARTBEAT on mains power. With `--location-interval-ms` every step
//! yields a LOCATION or PRESENCE and a HEARTBEAT follows every 20th step.

use firmware_proto::{
    Coord, Event, EventCode, Heartbeat, HeartbeatStatus, Location, LocationSource, Message,
    Presence,
};
use std::sync::Arc;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::track::{Activity, Track};

/// Home units hear their tag within this distance.
pub const RF_RANGE_M: f64 = 50.0;

/// When each kind of message is due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// Between two looks at the world (and fixes while moving).
    pub step_ms: u64,
    /// Longest time without a LOCATION or PRESENCE while nothing changes.
    pub still_ms: u64,
    pub heartbeat_ms: u64,
}

impl Timing {
    /// The realistic schedule, or the load-test one where every step reports.
    pub fn new(location_interval_ms: Option<u64>) -> Timing {
        match location_interval_ms {
            Some(interval) => {
                let step_ms = interval.max(1);
                Timing {
                    step_ms,
                    still_ms: step_ms,
                    heartbeat_ms: step_ms.saturating_mul(20),
                }
            }
            None => Timing {
                step_ms: 15_000,
                still_ms: 60_000,
                heartbeat_ms: 300_000,
            },
        }
    }
}

/// A device's behaviour.
#[derive(Clone, Debug)]
pub enum Model {
    Tag(Box<TagModel>),
    HomeUnit(Box<HomeUnitModel>),
    Scripted(ScriptedModel),
}

/// A device that says what its script says (see `script`), each report when it falls due.
#[derive(Clone, Debug)]
pub struct ScriptedModel {
    reports: Arc<[(u64, Message)]>,
    next: usize,
}

impl ScriptedModel {
    pub fn new(reports: Arc<[(u64, Message)]>) -> ScriptedModel {
        ScriptedModel { reports, next: 0 }
    }

    fn poll(&mut self, until_ms: u64, out: &mut Vec<(u64, Message)>) {
        while let Some((t, message)) = self.reports.get(self.next) {
            if *t > until_ms {
                break;
            }
            out.push((*t, *message));
            self.next += 1;
        }
    }
}

impl Model {
    /// Appends every message due at or before `until_ms`, oldest first, with its time.
    pub fn poll(&mut self, until_ms: u64, out: &mut Vec<(u64, Message)>) {
        match self {
            Model::Tag(tag) => tag.poll(until_ms, out),
            Model::HomeUnit(unit) => unit.poll(until_ms, out),
            Model::Scripted(script) => script.poll(until_ms, out),
        }
    }

    /// A fix taken now, for LOCATE_NOW (home units have none).
    pub fn locate_now(&mut self, now_ms: u64) -> Option<Message> {
        match self {
            Model::Tag(tag) => {
                tag.track.advance_to(now_ms);
                Some(tag.fix(now_ms))
            }
            Model::HomeUnit(_) | Model::Scripted(_) => None,
        }
    }
}

/// An ankle tag with GNSS. See the module docs.
#[derive(Clone, Debug)]
pub struct TagModel {
    pub(crate) track: Track,
    rng: ChaCha8Rng,
    timing: Timing,
    next_step_ms: u64,
    next_heartbeat_ms: u64,
    /// When the strap is next opened, or closed again if `strap_open`.
    next_strap_ms: u64,
    strap_open: bool,
    last_fix_ms: Option<u64>,
    last_fix_gnss: bool,
    /// Battery in percent, and when it was last brought up to date.
    battery: f64,
    battery_ms: u64,
    charging: bool,
    low_reported: bool,
    critical_reported: bool,
    was_home: bool,
}

/// Mean time between two strap openings of one tag.
const STRAP_MEAN_MS: f64 = 48.0 * 3_600_000.0;

impl TagModel {
    pub fn new(
        track_rng: ChaCha8Rng,
        mut rng: ChaCha8Rng,
        start_ms: u64,
        timing: Timing,
    ) -> TagModel {
        let track = Track::new(track_rng, start_ms);
        let was_home = track.motion().activity == Activity::Home;
        let battery = rng.gen_range(15.0..100.0);
        let charging = was_home && battery < 60.0 && rng.gen_bool(0.5);
        TagModel {
            track,
            next_step_ms: start_ms + rng.gen_range(0..timing.step_ms),
            next_heartbeat_ms: start_ms + rng.gen_range(0..timing.heartbeat_ms),
            next_strap_ms: start_ms + exponential(&mut rng, STRAP_MEAN_MS),
            timing,
            strap_open: false,
            last_fix_ms: None,
            last_fix_gnss: true,
            battery,
            battery_ms: start_ms,
            charging,
            low_reported: battery < 20.0,
            critical_reported: battery < 5.0,
            was_home,
            rng,
        }
    }

    fn poll(&mut self, until_ms: u64, out: &mut Vec<(u64, Message)>) {
        loop {
            let t = self
                .next_step_ms
                .min(self.next_heartbeat_ms)
                .min(self.next_strap_ms);
            if t > until_ms {
                return;
            }
            self.track.advance_to(t);
            self.update_battery(t, out);
            if t == self.next_step_ms {
                self.next_step_ms += self.timing.step_ms;
                self.step(t, out);
            } else if t == self.next_heartbeat_ms {
                self.next_heartbeat_ms += self.timing.heartbeat_ms;
                out.push((t, self.heartbeat()));
            } else {
                self.strap_open = !self.strap_open;
                let code = if self.strap_open {
                    self.next_strap_ms = t + self.rng.gen_range(20_000..180_000);
                    EventCode::StrapOpened
                } else {
                    self.next_strap_ms = t + exponential(&mut self.rng, STRAP_MEAN_MS);
                    EventCode::StrapClosed
                };
                out.push((t, Message::Event(Event { code, value: 0 })));
            }
        }
    }

    /// A look at the world: plug or unplug the charger, and fix the position if it is due.
    fn step(&mut self, t: u64, out: &mut Vec<(u64, Message)>) {
        let motion = self.track.motion();
        let home = motion.activity == Activity::Home;
        if home && !self.was_home && (self.battery < 35.0 || self.rng.gen_bool(0.3)) {
            self.charging = true;
            out.push((t, event(EventCode::ChargerConnected, self.battery)));
        } else if !home && self.charging {
            self.charging = false;
            out.push((t, event(EventCode::ChargerDisconnected, self.battery)));
        }
        self.was_home = home;
        let due = match self.last_fix_ms {
            None => true,
            Some(last) => motion.activity.is_moving() || t - last >= self.timing.still_ms,
        };
        if due {
            out.push((t, self.fix(t)));
        }
    }

    /// Drain or charge the battery up to `t`, with BATTERY_LOW / BATTERY_CRITICAL on the way down.
    fn update_battery(&mut self, t: u64, out: &mut Vec<(u64, Message)>) {
        let hours = t.saturating_sub(self.battery_ms) as f64 / 3_600_000.0;
        self.battery_ms = t;
        let per_hour = if self.charging {
            25.0
        } else if self.track.motion().activity.is_moving() {
            -1.0
        } else {
            -0.5
        };
        self.battery = (self.battery + per_hour * hours).clamp(1.0, 100.0);
        if self.battery < 20.0 && !self.low_reported {
            self.low_reported = true;
            out.push((t, event(EventCode::BatteryLow, self.battery)));
        } else if self.battery > 25.0 {
            self.low_reported = false;
        }
        if self.battery < 5.0 && !self.critical_reported {
            self.critical_reported = true;
            out.push((t, event(EventCode::BatteryCritical, self.battery)));
        } else if self.battery > 10.0 {
            self.critical_reported = false;
        }
    }

    /// A position fix with realistic error: GNSS mostly, Wi-Fi or cell now and then.
    fn fix(&mut self, t: u64) -> Message {
        let motion = self.track.motion();
        let indoors = !motion.activity.is_moving();
        let roll: f64 = self.rng.gen_range(0.0..1.0);
        let (source, accuracy) = if roll < if indoors { 0.75 } else { 0.92 } {
            let accuracy = if motion.activity == Activity::Home {
                self.rng.gen_range(5..=30)
            } else {
                self.rng.gen_range(3..=25)
            };
            (LocationSource::Gnss, accuracy)
        } else if roll < 0.97 {
            (LocationSource::WiFi, self.rng.gen_range(30..=80))
        } else {
            (LocationSource::Cell, self.rng.gen_range(300..=1_500))
        };
        self.last_fix_ms = Some(t);
        self.last_fix_gnss = source == LocationSource::Gnss;
        // Accuracy is a 95 % radius: about 2.45 standard deviations of a 2-D normal error.
        let sigma = f64::from(accuracy) / 2.45;
        let (ex, ey) = normal_pair(&mut self.rng);
        let mut pos = motion.pos;
        pos.x += ex * sigma;
        pos.y += ey * sigma;
        let (lat, lon) = pos.lat_lon();
        let gnss = source == LocationSource::Gnss;
        Message::Location(Location {
            lat: Coord::from_degrees(lat),
            lon: Coord::from_degrees(lon),
            accuracy_m: Some(accuracy),
            source,
            satellites: if gnss { self.rng.gen_range(5..=14) } else { 0 },
            speed_cm_s: (motion.speed_m_s * 100.0).round() as u16,
            heading_deg: (gnss && motion.activity.is_moving())
                .then(|| (motion.heading_deg.round() as u16) % 360),
        })
    }

    fn heartbeat(&mut self) -> Message {
        let motion = self.track.motion();
        let mut status = HeartbeatStatus::CASE_CLOSED;
        if !self.strap_open {
            status |= HeartbeatStatus::STRAP_CLOSED | HeartbeatStatus::SKIN_CONTACT;
        }
        if self.charging {
            status |= HeartbeatStatus::CHARGING;
        }
        if motion.pos.distance(self.track.home()) <= RF_RANGE_M {
            status |= HeartbeatStatus::RF_HOME_PRESENT;
        }
        if self.last_fix_gnss {
            status |= HeartbeatStatus::GNSS_FIX;
        }
        if motion.activity.is_moving() {
            status |= HeartbeatStatus::MOTION;
        }
        let percent = self.battery.round().clamp(0.0, 100.0) as u8;
        Message::Heartbeat(Heartbeat {
            battery_percent: percent,
            battery_mv: 3_300 + 9 * u16::from(percent),
            status: HeartbeatStatus(status),
            rssi_dbm: self.rng.gen_range(-105..=-60),
            temperature_c: self.rng.gen_range(27..=33),
        })
    }
}

/// A home unit at the curfew address, reporting whether its tag is in range.
#[derive(Clone, Debug)]
pub struct HomeUnitModel {
    tag_id: u64,
    /// A replica of the tag's track (same RNG stream, so the same path).
    tag_track: Track,
    rng: ChaCha8Rng,
    timing: Timing,
    next_step_ms: u64,
    next_heartbeat_ms: u64,
    last_presence: Option<(u64, bool)>,
}

impl HomeUnitModel {
    pub fn new(
        tag_id: u64,
        tag_track_rng: ChaCha8Rng,
        mut rng: ChaCha8Rng,
        start_ms: u64,
        timing: Timing,
    ) -> HomeUnitModel {
        HomeUnitModel {
            tag_id,
            tag_track: Track::new(tag_track_rng, start_ms),
            next_step_ms: start_ms + rng.gen_range(0..timing.step_ms),
            next_heartbeat_ms: start_ms + rng.gen_range(0..timing.heartbeat_ms),
            timing,
            last_presence: None,
            rng,
        }
    }

    fn poll(&mut self, until_ms: u64, out: &mut Vec<(u64, Message)>) {
        loop {
            let t = self.next_step_ms.min(self.next_heartbeat_ms);
            if t > until_ms {
                return;
            }
            if t == self.next_step_ms {
                self.next_step_ms += self.timing.step_ms;
                self.tag_track.advance_to(t);
                let distance = self.tag_track.motion().pos.distance(self.tag_track.home());
                let in_range = distance <= RF_RANGE_M;
                let due = match self.last_presence {
                    None => true,
                    Some((last, was)) => was != in_range || t - last >= self.timing.still_ms,
                };
                if due {
                    self.last_presence = Some((t, in_range));
                    let rssi = if in_range {
                        -40.0 - 0.8 * distance + self.rng.gen_range(-3.0..3.0)
                    } else {
                        -110.0
                    };
                    out.push((
                        t,
                        Message::Presence(Presence {
                            tag_id: self.tag_id,
                            in_range,
                            rssi_dbm: rssi.round() as i8,
                        }),
                    ));
                }
            } else {
                self.next_heartbeat_ms += self.timing.heartbeat_ms;
                out.push((
                    t,
                    Message::Heartbeat(Heartbeat {
                        battery_percent: 100,
                        battery_mv: 4_150,
                        status: HeartbeatStatus(
                            HeartbeatStatus::MAINS_POWER | HeartbeatStatus::CASE_CLOSED,
                        ),
                        rssi_dbm: self.rng.gen_range(-85..=-55),
                        temperature_c: self.rng.gen_range(18..=24),
                    }),
                ));
            }
        }
    }
}

fn event(code: EventCode, battery: f64) -> Message {
    let value = match code {
        EventCode::BatteryLow
        | EventCode::BatteryCritical
        | EventCode::ChargerConnected
        | EventCode::ChargerDisconnected => battery.round().clamp(0.0, 100.0) as u16,
        _ => 0,
    };
    Message::Event(Event { code, value })
}

/// An exponentially distributed wait with the given mean, in whole milliseconds (at least 1).
pub fn exponential(rng: &mut ChaCha8Rng, mean_ms: f64) -> u64 {
    let u: f64 = rng.gen_range(f64::EPSILON..1.0);
    ((-u.ln() * mean_ms) as u64).max(1)
}

/// Two independent standard normal values (Box–Muller).
fn normal_pair(rng: &mut ChaCha8Rng) -> (f64, f64) {
    let u: f64 = rng.gen_range(f64::EPSILON..1.0);
    let v: f64 = rng.gen_range(0.0..std::f64::consts::TAU);
    let r = (-2.0 * u.ln()).sqrt();
    (r * v.cos(), r * v.sin())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::{members, model};

    const START: u64 = 1_767_225_600_000;

    fn run(seed: u64, timing: Timing, hours: u64) -> Vec<Vec<(u64, Message)>> {
        members(seed, 1, 60, false)
            .iter()
            .map(|m| {
                let mut out = Vec::new();
                let mut model = model(seed, m, START, timing);
                // Polled in uneven slices, as ticks would.
                let mut t = START;
                while t < START + hours * 3_600_000 {
                    t += 70 + t % 997;
                    model.poll(t, &mut out);
                }
                out
            })
            .collect()
    }

    fn times<'a>(out: &'a [(u64, Message)], pick: impl Fn(&Message) -> bool + 'a) -> Vec<u64> {
        out.iter()
            .filter(|(_, m)| pick(m))
            .map(|(t, _)| *t)
            .collect()
    }

    fn is_fix(m: &Message) -> bool {
        matches!(m, Message::Location(_) | Message::Presence(_))
    }

    #[test]
    fn the_override_sets_every_interval() {
        let timing = Timing::new(Some(250));
        for out in run(1, timing, 1) {
            let fixes = times(&out, is_fix);
            assert!(fixes.len() >= 14_000, "{}", fixes.len());
            assert!(fixes.windows(2).all(|w| w[1] - w[0] == 250));
            let beats = times(&out, |m| matches!(m, Message::Heartbeat(_)));
            assert!(beats.windows(2).all(|w| w[1] - w[0] == 5_000));
            assert!(out.windows(2).all(|w| w[0].0 <= w[1].0), "in time order");
        }
    }

    #[test]
    fn the_realistic_schedule() {
        let mut moving_fixes = 0;
        for out in run(2, Timing::new(None), 6) {
            let fixes = times(&out, is_fix);
            assert!(fixes[0] < START + 15_000);
            for w in fixes.windows(2) {
                let gap = w[1] - w[0];
                assert!(
                    gap % 15_000 == 0 && (15_000..=60_000).contains(&gap),
                    "{gap}"
                );
                moving_fixes += usize::from(gap == 15_000);
            }
            let beats = times(&out, |m| matches!(m, Message::Heartbeat(_)));
            assert!(beats.windows(2).all(|w| w[1] - w[0] == 300_000));
            assert!(out.windows(2).all(|w| w[0].0 <= w[1].0), "in time order");
            for (_, m) in &out {
                if let Message::Location(l) = m {
                    let accuracy = l.accuracy_m.unwrap_or(0);
                    match l.source {
                        LocationSource::Gnss => assert!((3..=30).contains(&accuracy)),
                        LocationSource::WiFi => assert!((30..=80).contains(&accuracy)),
                        LocationSource::Cell => assert!((300..=1_500).contains(&accuracy)),
                    }
                    assert!(l.speed_cm_s <= 1_500);
                }
            }
        }
        assert!(moving_fixes > 1_000, "{moving_fixes}");
    }

    #[test]
    fn home_units_see_their_tag_come_and_go() {
        let members = members(5, 1, 200, false);
        let mut changes = 0;
        for (i, m) in members.iter().enumerate() {
            let Some(tag) = m.paired_tag else { continue };
            let mut unit = model(5, m, START, Timing::new(None));
            let mut out = Vec::new();
            unit.poll(START + 12 * 3_600_000, &mut out);
            let states: Vec<bool> = out
                .iter()
                .filter_map(|(_, m)| match m {
                    Message::Presence(p) => {
                        assert_eq!(p.tag_id, tag);
                        Some(p.in_range)
                    }
                    _ => None,
                })
                .collect();
            changes += states.windows(2).filter(|w| w[0] != w[1]).count();
            assert_eq!(members[i - 1].device.id, tag);
        }
        assert!(changes > 50, "{changes}");
    }

    #[test]
    fn the_same_seed_replays_the_same_messages() {
        let timing = Timing::new(None);
        assert_eq!(run(9, timing, 2), run(9, timing, 2));
        assert_ne!(run(9, timing, 2), run(10, timing, 2));
    }
}
