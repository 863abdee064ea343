//! Where a simulated probation client is, as a pure function of time.
//!
//! A [`Track`] alternates staying at home, walking or driving somewhere along straight legs with
//! turns, dwelling there, and coming back. Randomness is drawn only when a phase or leg begins,
//! and a position is computed from the start of its leg (never accumulated step by step), so the
//! path does not depend on how often it is sampled: the tag and the replica its home unit keeps
//! (to know whether the tag is in RF range) agree exactly. Positions are metres east and north
//! of Riga's centre; [`Point::lat_lon`] converts them for the wire.

use std::collections::VecDeque;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Riga's centre (Old Town), the origin of the simulated world.
pub const CENTRE_LAT: f64 = 56.9496;
/// See [`CENTRE_LAT`].
pub const CENTRE_LON: f64 = 24.1052;
/// Metres per degree of latitude (mean Earth radius 6 371 km).
const M_PER_DEG: f64 = 111_195.0;
/// Homes lie within this distance of the centre.
pub const HOME_RADIUS_M: f64 = 15_000.0;
/// Trips end within this distance of the centre.
pub const WORLD_RADIUS_M: f64 = 20_000.0;
/// Nothing lies further north than this (≈ 57.02 N): beyond it is the Gulf of Riga.
const NORTH_LIMIT_M: f64 = 8_000.0;
/// Top speeds, for callers and tests.
pub const MAX_WALK_M_S: f64 = 1.6;
/// See [`MAX_WALK_M_S`].
pub const MAX_DRIVE_M_S: f64 = 15.0;

/// A position in metres east (`x`) and north (`y`) of the centre.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

impl Point {
    pub fn distance(self, other: Point) -> f64 {
        (self.x - other.x).hypot(self.y - other.y)
    }

    /// Latitude and longitude in degrees (an equirectangular projection: metre-accurate at
    /// city scale).
    pub fn lat_lon(self) -> (f64, f64) {
        let lat = CENTRE_LAT + self.y / M_PER_DEG;
        let lon = CENTRE_LON + self.x / (M_PER_DEG * CENTRE_LAT.to_radians().cos());
        (lat, lon)
    }

    fn offset(self, dx: f64, dy: f64) -> Point {
        Point {
            x: self.x + dx,
            y: self.y + dy,
        }
    }

    /// The point brought back inside the simulated world (on land, near Riga).
    fn confined(self) -> Point {
        let mut p = self;
        p.y = p.y.min(NORTH_LIMIT_M);
        let r = p.distance(Point::default());
        if r > WORLD_RADIUS_M {
            let k = WORLD_RADIUS_M / r;
            p = Point {
                x: p.x * k,
                y: p.y * k,
            };
        }
        p
    }
}

/// What the client is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activity {
    Home,
    /// Dwelling somewhere else (work, a shop, a friend's).
    Away,
    Walking,
    Driving,
}

impl Activity {
    pub fn is_moving(self) -> bool {
        matches!(self, Activity::Walking | Activity::Driving)
    }
}

/// The state of motion at the track's current time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Motion {
    pub pos: Point,
    pub activity: Activity,
    pub speed_m_s: f64,
    /// Degrees clockwise from north, 0..360.
    pub heading_deg: f64,
}

/// One client's path. See the module docs.
#[derive(Clone, Debug)]
pub struct Track {
    rng: ChaCha8Rng,
    home: Point,
    activity: Activity,
    now_ms: u64,
    /// When a still phase (home, away) ends.
    phase_end_ms: u64,
    /// Where the current leg (or still phase) started, and when.
    leg_start: Point,
    leg_start_ms: u64,
    /// Ends of the remaining legs; the front is the current leg's end.
    waypoints: VecDeque<Point>,
    speed_m_s: f64,
    /// Whether the current trip ends at home.
    going_home: bool,
}

/// How long before the start the track begins, so the fleet starts in a mix of activities.
const WARM_UP_MS: u64 = 4 * 3_600_000;

impl Track {
    /// A track whose home is drawn from `rng`, positioned at `start_ms`.
    pub fn new(mut rng: ChaCha8Rng, start_ms: u64) -> Track {
        let home = random_home(&mut rng);
        let begin = start_ms.saturating_sub(WARM_UP_MS);
        // The first home stay ends anywhere from the beginning to two hours after the start,
        // so that at the start some clients are home, some out, some on the way.
        let phase_end_ms = begin + rng.gen_range(0..WARM_UP_MS + 2 * 3_600_000);
        let mut track = Track {
            rng,
            home,
            activity: Activity::Home,
            now_ms: begin,
            phase_end_ms,
            leg_start: home,
            leg_start_ms: begin,
            waypoints: VecDeque::new(),
            speed_m_s: 0.0,
            going_home: false,
        };
        track.advance_to(start_ms);
        track
    }

    pub fn home(&self) -> Point {
        self.home
    }

    #[cfg(test)]
    pub fn now_ms(&self) -> u64 {
        self.now_ms
    }

    /// Moves the track forward to `t_ms` (earlier times are ignored: time only goes forward).
    pub fn advance_to(&mut self, t_ms: u64) {
        while self.now_ms < t_ms {
            if !self.activity.is_moving() {
                if t_ms < self.phase_end_ms {
                    self.now_ms = t_ms;
                } else {
                    self.now_ms = self.phase_end_ms;
                    self.depart();
                }
                continue;
            }
            let Some(&end) = self.waypoints.front() else {
                self.arrive();
                continue;
            };
            let leg_ms = (self.leg_start.distance(end) / self.speed_m_s * 1000.0).ceil() as u64;
            let arrival = self.leg_start_ms + leg_ms;
            if t_ms < arrival {
                self.now_ms = t_ms;
            } else {
                self.now_ms = arrival;
                self.leg_start = end;
                self.leg_start_ms = arrival;
                self.waypoints.pop_front();
                if self.waypoints.is_empty() {
                    self.arrive();
                } else if self.activity == Activity::Driving {
                    self.speed_m_s = self.rng.gen_range(8.0..MAX_DRIVE_M_S);
                }
            }
        }
    }

    /// Where the client is and how they move, at the current time.
    pub fn motion(&self) -> Motion {
        let still = Motion {
            pos: self.leg_start,
            activity: self.activity,
            speed_m_s: 0.0,
            heading_deg: 0.0,
        };
        let Some(&end) = self.waypoints.front().filter(|_| self.activity.is_moving()) else {
            return still;
        };
        let length = self.leg_start.distance(end);
        if length <= f64::EPSILON {
            return Motion {
                activity: self.activity,
                ..still
            };
        }
        let travelled =
            (self.speed_m_s * (self.now_ms - self.leg_start_ms) as f64 / 1000.0).min(length);
        let (dx, dy) = (
            (end.x - self.leg_start.x) / length,
            (end.y - self.leg_start.y) / length,
        );
        Motion {
            pos: self.leg_start.offset(dx * travelled, dy * travelled),
            activity: self.activity,
            speed_m_s: self.speed_m_s,
            heading_deg: dx.atan2(dy).to_degrees().rem_euclid(360.0),
        }
    }

    /// A still phase ended: leave home for somewhere, or head home.
    fn depart(&mut self) {
        let from = self.leg_start;
        let (to, walking) = if self.activity == Activity::Home {
            let walking = self.rng.gen_bool(0.4);
            let distance = if walking {
                self.rng.gen_range(300.0..2_000.0)
            } else {
                self.rng.gen_range(2_000.0..12_000.0)
            };
            let bearing: f64 = self.rng.gen_range(0.0..std::f64::consts::TAU);
            let to = from
                .offset(distance * bearing.sin(), distance * bearing.cos())
                .confined();
            self.going_home = false;
            (to, walking)
        } else {
            self.going_home = true;
            // Walk home from nearby places, drive from far ones.
            (self.home, from.distance(self.home) < 2_500.0)
        };
        self.waypoints = legs(&mut self.rng, from, to, walking);
        self.activity = if walking {
            Activity::Walking
        } else {
            Activity::Driving
        };
        self.speed_m_s = if walking {
            self.rng.gen_range(1.2..MAX_WALK_M_S)
        } else {
            self.rng.gen_range(8.0..MAX_DRIVE_M_S)
        };
        self.leg_start_ms = self.now_ms;
    }

    /// A trip ended: stay home, or dwell where it led.
    fn arrive(&mut self) {
        let minutes = if self.going_home {
            self.activity = Activity::Home;
            self.rng.gen_range(10..120)
        } else {
            self.activity = Activity::Away;
            self.rng.gen_range(5..45)
        };
        self.waypoints.clear();
        self.speed_m_s = 0.0;
        self.leg_start_ms = self.now_ms;
        self.phase_end_ms = self.now_ms + minutes * 60_000 + self.rng.gen_range(0..60_000);
    }
}

/// A home within [`HOME_RADIUS_M`] of the centre, uniform over the area, not in the gulf.
fn random_home(rng: &mut ChaCha8Rng) -> Point {
    for _ in 0..32 {
        let r = HOME_RADIUS_M * rng.gen_range(0.0f64..1.0).sqrt();
        let bearing: f64 = rng.gen_range(0.0..std::f64::consts::TAU);
        let p = Point {
            x: r * bearing.sin(),
            y: r * bearing.cos(),
        };
        if p.y <= NORTH_LIMIT_M {
            return p;
        }
    }
    Point::default()
}

/// The ends of the legs from `from` to `to`. Driving follows a street grid at a random angle
/// (two to four legs, alternating between its axes); walking cuts across with one to three
/// legs bent a little off the straight line.
fn legs(rng: &mut ChaCha8Rng, from: Point, to: Point, walking: bool) -> VecDeque<Point> {
    let (dx, dy) = (to.x - from.x, to.y - from.y);
    let mut out = VecDeque::new();
    if walking {
        let n = rng.gen_range(1..=3u32);
        let length = dx.hypot(dy);
        for k in 1..n {
            let f = f64::from(k) / f64::from(n);
            let side = rng.gen_range(-0.15..0.15) * length;
            let (px, py) = if length > 0.0 {
                (-dy / length, dx / length)
            } else {
                (0.0, 0.0)
            };
            out.push_back(from.offset(dx * f + px * side, dy * f + py * side));
        }
    } else {
        let angle: f64 = rng.gen_range(0.0..std::f64::consts::FRAC_PI_2);
        let (ux, uy) = (angle.cos(), angle.sin());
        let (vx, vy) = (-uy, ux);
        let (a, b) = (dx * ux + dy * uy, dx * vx + dy * vy);
        let f = rng.gen_range(0.3..0.7);
        let mut p = from;
        let steps: &[(f64, f64)] = match rng.gen_range(2..=4u32) {
            2 => &[(a, 0.0), (0.0, b)],
            3 => &[(a * f, 0.0), (0.0, b), (a * (1.0 - f), 0.0)],
            _ => &[
                (a * f, 0.0),
                (0.0, b * f),
                (a * (1.0 - f), 0.0),
                (0.0, b * (1.0 - f)),
            ],
        };
        for &(along_u, along_v) in steps {
            p = p.offset(along_u * ux + along_v * vx, along_u * uy + along_v * vy);
            out.push_back(p);
        }
        out.pop_back();
    }
    out.push_back(to);
    // Both ends of every leg inside the (convex) world keep the whole leg inside it.
    out.into_iter().map(Point::confined).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn track(n: u64) -> Track {
        Track::new(ChaCha8Rng::seed_from_u64(n), 1_767_225_600_000)
    }

    #[test]
    fn tracks_stay_near_riga_at_plausible_speeds() {
        let mut moving = 0;
        for n in 0..40 {
            let mut t = track(n);
            assert!(t.home().distance(Point::default()) <= HOME_RADIUS_M + 1.0);
            let mut last = t.motion().pos;
            let mut time = t.now_ms();
            // Ten simulated hours in 15 s steps.
            for _ in 0..2_400 {
                time += 15_000;
                t.advance_to(time);
                let m = t.motion();
                assert!(
                    m.pos.distance(Point::default()) <= WORLD_RADIUS_M + 1.0,
                    "{m:?}"
                );
                assert!(m.pos.y <= NORTH_LIMIT_M + 1.0);
                let (lat, lon) = m.pos.lat_lon();
                assert!(
                    (56.7..57.1).contains(&lat) && (23.7..24.5).contains(&lon),
                    "{lat} {lon}"
                );
                assert!(m.speed_m_s <= MAX_DRIVE_M_S);
                // Straight-line distance per step never beats the top speed.
                assert!(m.pos.distance(last) <= MAX_DRIVE_M_S * 15.0 + 1.0);
                if m.activity == Activity::Walking {
                    assert!((1.2..=MAX_WALK_M_S).contains(&m.speed_m_s));
                }
                if m.activity.is_moving() {
                    moving += 1;
                    assert!((0.0..360.0).contains(&m.heading_deg));
                }
                last = m.pos;
            }
        }
        // Clients do go out, but are still most of the time.
        assert!(
            moving > 40 * 2_400 / 20 && moving < 40 * 2_400 / 2,
            "{moving}"
        );
    }

    #[test]
    fn a_track_does_not_depend_on_how_often_it_is_sampled() {
        let (mut fine, mut coarse) = (track(7), track(7));
        let start = fine.now_ms();
        for k in 1..=4 * 3_600 {
            fine.advance_to(start + k * 1_000);
            if k % 60 == 0 {
                coarse.advance_to(start + k * 1_000);
                let (a, b) = (fine.motion(), coarse.motion());
                assert_eq!(a.activity, b.activity);
                assert!(a.pos.distance(b.pos) < 1e-6, "{a:?} {b:?}");
            }
        }
    }
}
