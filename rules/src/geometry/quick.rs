//! Deciding without the plane: two boxes in degrees per shape that answer most fixes before any
//! projection or grid is touched, and that a caller may keep beside its other hot data.

use super::ellipsoid::wrap_degrees;
use super::planar::{dist2, round_down, round_up};
use super::plane::{Frame, Place};
use super::shape::GeoPoint;
use super::side::{Side, query_radius};

/// A fix whose query radius (accuracy plus margin) is at most this is first tried against the
/// shape's boxes in degrees ([`Quick`]).
pub(super) const QUICK_M: f64 = 500.0;

/// Two boxes in degrees (latitude and longitude, as offsets from the frame's origin) that decide
/// most fixes without projecting them onto the plane or reading a polygon's grid: zones are
/// mostly far from the client (an exclusion zone across town) or far around them (the city they
/// must stay in), and the projection and the grid are most of a fix's work and memory. Outside
/// `outer` a position is over [`QUICK_M`] beyond the shape's reach, so Outside; inside `inner` it
/// is over [`QUICK_M`] inside the boundary, so Inside. Both are built with room to spare and
/// checked on the plane when compiled, so they only ever give the answer the plane would.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Quick {
    /// The frame's origin, which the offsets are from.
    origin: GeoPoint,
    /// Lowest and highest latitude offset, lowest and highest longitude offset.
    pub(super) outer: [f32; 4],
    /// The same, or an empty box (low above high) when the shape has no room for one.
    pub(super) inner: [f32; 4],
    /// The largest query radius `inner` decides: [`QUICK_M`], or less in a small shape (half
    /// its clearance, so that a curfew address of 50 m still has a box for fixes 20 m good).
    pub(super) inner_m: f32,
}

impl Quick {
    pub(super) const EMPTY: [f32; 4] = [1.0, -1.0, 1.0, -1.0];
    /// Samples of a circle, and of each side of a box, checked when compiling.
    const SAMPLES: usize = 96;

    /// `centre` (on the plane) is `clearance` metres inside the shape, whose points are all
    /// within `reach_m` of the frame's origin.
    pub(super) fn new(frame: &Frame, reach_m: f64, centre: [f64; 2], clearance: f64) -> Quick {
        // Rounded down to an f32 (the type it is kept in) and used as such for the box too.
        let inner_m = f64::from(round_down(QUICK_M.min((clearance - 1.0) * 0.5).max(0.0)));
        Quick {
            origin: frame.origin,
            outer: Quick::outer(frame, reach_m),
            inner: Quick::inner(frame, centre, clearance, inner_m),
            inner_m: inner_m as f32,
        }
    }

    /// What [`CompiledShape::classify`] answers, when the boxes decide it.
    ///
    /// [`CompiledShape::classify`]: super::CompiledShape::classify
    #[inline]
    pub(crate) fn side(&self, p: GeoPoint, accuracy_m: f64, margin_m: f64) -> Option<Side> {
        self.side_within(p, query_radius(accuracy_m, margin_m))
    }

    #[inline]
    pub(super) fn side_within(&self, p: GeoPoint, r: f64) -> Option<Side> {
        if !(r <= QUICK_M && p.lat.abs() <= 90.0 && p.lon.is_finite()) {
            return None;
        }
        let dlat = p.lat - self.origin.lat;
        let dlon = wrap_degrees(p.lon - self.origin.lon);
        if !Quick::holds(self.outer, dlat, dlon) {
            Some(Side::Outside)
        } else if r <= f64::from(self.inner_m) && Quick::holds(self.inner, dlat, dlon) {
            Some(Side::Inside)
        } else {
            None
        }
    }

    #[inline]
    pub(super) fn holds(b: [f32; 4], dlat: f64, dlon: f64) -> bool {
        f64::from(b[0]) <= dlat
            && dlat <= f64::from(b[1])
            && f64::from(b[2]) <= dlon
            && dlon <= f64::from(b[3])
    }

    /// A box holding every position within `reach_m + QUICK_M` of the origin on the plane: those
    /// of a circle 1 % wider, sampled, and rounded outward. (The plane is one to one within 90° of
    /// its origin, and positions beyond the plane's reach are outside any shape anyway.)
    fn outer(frame: &Frame, reach_m: f64) -> [f32; 4] {
        let radius = (reach_m + QUICK_M + 1.0) * 1.01 + 1.0;
        let mut b = [
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        for k in 0..Quick::SAMPLES {
            let (s, c) = (std::f64::consts::TAU * k as f64 / Quick::SAMPLES as f64).sin_cos();
            let g = frame.to_geo([radius * c, radius * s]);
            let (dlat, dlon) = (
                g.lat - frame.origin.lat,
                wrap_degrees(g.lon - frame.origin.lon),
            );
            if !(dlat.is_finite() && dlon.is_finite()) {
                return [
                    f32::NEG_INFINITY,
                    f32::INFINITY,
                    f32::NEG_INFINITY,
                    f32::INFINITY,
                ];
            }
            b = [
                b[0].min(dlat),
                b[1].max(dlat),
                b[2].min(dlon),
                b[3].max(dlon),
            ];
        }
        [
            round_down(b[0]),
            round_up(b[1]),
            round_down(b[2]),
            round_up(b[3]),
        ]
    }

    /// A box whose every position is within `room` of `centre` on the plane, `room` being at
    /// least `margin` less than the clearance there (the distance to the boundary changes by at
    /// most a metre a metre), so every position in it is over `margin` inside. Tried with the
    /// box inscribed in the circle, shrunk until its sampled sides pass with a step to spare.
    fn inner(frame: &Frame, centre: [f64; 2], clearance: f64, margin: f64) -> [f32; 4] {
        // 0.999: a circle's distance has the plane's radial shrinkage undone (under 0.03 %).
        let room = (clearance - margin - 1.0) * 0.999;
        if room.is_nan() || room <= 5.0 {
            return Quick::EMPTY;
        }
        let g = frame.to_geo(centre);
        let (clat, clon) = (
            g.lat - frame.origin.lat,
            wrap_degrees(g.lon - frame.origin.lon),
        );
        // Metres per degree, roughly: the check below makes it right.
        let per_lat = 111_000.0;
        let per_lon = (per_lat * g.lat.to_radians().cos()).max(1.0);
        let mut half = room * std::f64::consts::FRAC_1_SQRT_2 * 0.95;
        for _ in 0..8 {
            let (hlat, hlon) = (half / per_lat, half / per_lon);
            let b = [
                round_up(clat - hlat),
                round_down(clat + hlat),
                round_up(clon - hlon),
                round_down(clon + hlon),
            ];
            if b[0] < b[1] && b[2] < b[3] && Quick::within(frame, centre, room, b) {
                return b;
            }
            half *= 0.8;
        }
        Quick::EMPTY
    }

    /// Whether the box's sides, walked in small steps, stay within `room` of `centre` on the
    /// plane by more than the longest step; then so does all of the box (its image on the plane
    /// is bounded by the image of its sides, and a disc is convex).
    fn within(frame: &Frame, centre: [f64; 2], room: f64, b: [f32; 4]) -> bool {
        let b = b.map(f64::from);
        let corners = [
            [b[0], b[2]],
            [b[1], b[2]],
            [b[1], b[3]],
            [b[0], b[3]],
            [b[0], b[2]],
        ];
        let (mut far, mut step) = (0.0f64, 0.0f64);
        let mut last: Option<[f64; 2]> = None;
        for side in corners.windows(2) {
            let ([a_lat, a_lon], [z_lat, z_lon]) = (side[0], side[1]);
            for k in 0..=Quick::SAMPLES {
                let t = k as f64 / Quick::SAMPLES as f64;
                let p = GeoPoint {
                    lat: frame.origin.lat + a_lat + t * (z_lat - a_lat),
                    lon: frame.origin.lon + a_lon + t * (z_lon - a_lon),
                };
                let Place::Near(xy) = frame.locate(p) else {
                    return false;
                };
                far = far.max(dist2(xy, centre).sqrt());
                if let Some(before) = last {
                    step = step.max(dist2(xy, before).sqrt());
                }
                last = Some(xy);
            }
        }
        far + step < room
    }
}
