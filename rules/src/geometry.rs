//! Zone geometry: where a location fix lies relative to a zone, in metres on the WGS84 ellipsoid.
//!
//! Why this exists: an order says "stay out of this park" or "be inside this address's circle",
//! and a fix is a position plus an accuracy radius. Judging that in degrees would stretch zones
//! east-west by 1/cos(latitude) (nearly double at Riga) and would ignore the accuracy, so a fix
//! 10 m from a boundary with 30 m accuracy could be called a breach. Here every zone is judged in
//! metres on the ellipsoid, and a fix is Inside or Outside only when its whole accuracy circle
//! (plus a safety margin) is; otherwise it is Uncertain and the engine waits for better evidence.
//! It must also be fast: the engine judges a million fixes per second per core, each against a
//! curfew address and several zones, so [`CompiledShape::classify`] answers most fixes in a few
//! tens of nanoseconds without allocating.
//!
//! # How
//!
//! A shape is compiled once onto its own local plane: the tangent plane of the ellipsoid at the
//! shape's centre (east and north metres of the local east-north-up frame, i.e. an orthographic
//! projection of the ellipsoid). Distances on that plane match the ellipsoid to better than
//! 0.001 % within 25 km of the centre and 0.08 % at 250 km, which is why zones may span at most
//! [`MAX_SPAN_M`]. Polygon edges are straight lines on that plane, which over the short edges of
//! real zones are the geodesics between their points to within centimetres. A circle's boundary
//! is its geodesic circle (the radius is corrected for the plane's radial shrinkage).
//!
//! Polygons get a uniform grid over their bounding box. Each cell knows a lower bound on its
//! distance to the boundary and whether it lies inside, so a fix in a cell farther from the
//! boundary than its accuracy circle is answered at once; otherwise the edges listed in nearby
//! cells give the exact answer. Every shortcut is a proven bound on the exact signed distance, so
//! `classify` always agrees with [`CompiledShape::signed_distance_m`].
//!
//! # Conventions
//!
//! * Zones are closed: a fix exactly on the boundary with a zero accuracy radius is Inside.
//! * Polygons follow GeoJSON: `[lon, lat]` points, each ring closed by repeating its first point,
//!   the outer ring first and then its holes; orientation does not matter. Consecutive points
//!   closer than [`MIN_GAP_M`] are merged. Otherwise edges (of any rings of the shape) may not
//!   cross, touch or come closer than [`MIN_GAP_M`], except consecutive edges at their shared
//!   point; so holes may not touch their outer ring, and the polygons of a multipolygon may not
//!   touch each other (a polygon may sit inside another's hole).
//! * Shapes must not cross the 180° meridian (split them there, as GeoJSON asks) and must stay
//!   within [`MAX_LATITUDE`] of the equator; fixes on the far side of the meridian are handled.

use std::collections::VecDeque;
use std::fmt;
use std::sync::LazyLock;

use geographiclib_rs::{Geodesic, InverseGeodesic};
use serde::{Deserialize, Serialize};

/// Most points (counting each ring's closing point) a zone may have.
pub const MAX_VERTICES: usize = 100_000;
/// Widest zone accepted, in metres (twice the largest distance from its centre to its boundary).
/// The local plane drifts from the ellipsoid by about 0.08 % at this size; wider would be worse.
pub const MAX_SPAN_M: f64 = 500_000.0;
/// Highest latitude (north or south) a zone may reach, in degrees.
pub const MAX_LATITUDE: f64 = 80.0;
/// Smallest area a ring may enclose, in square metres.
pub const MIN_RING_AREA_M2: f64 = 1.0;
/// Thinnest overlap of two zones that [`CompiledShape::overlaps`] and
/// [`CompiledShape::contains`] notice, in metres.
pub const MIN_OVERLAP_M: f64 = 0.01;
/// Closest that two edges of a zone may come, in metres, except consecutive edges at their shared
/// point. Consecutive points closer than this are merged into one.
pub const MIN_GAP_M: f64 = 0.001;

const WGS84_A: f64 = 6_378_137.0;
const WGS84_F: f64 = 1.0 / 298.257_223_563;
const WGS84_E2: f64 = WGS84_F * (2.0 - WGS84_F);

/// Positions farther than this from a shape's centre in latitude, or in longitude, are "far": the
/// plane is not used for them, as it folds over beyond 90° from its centre.
const NEAR_DLAT_DEG: f64 = 30.0;
const NEAR_DLON_DEG: f64 = 60.0;
/// Every far position is at least this far from any shape that compiles: with the centre within
/// 80° of the equator a 60° step of longitude is over 900 km even there, and shapes reach at most
/// 250 km from their centre. Far positions are thus Outside for any smaller accuracy circle.
const FAR_FLOOR_M: f64 = 500_000.0;
/// Slack in metres when comparing with precomputed bounds: far above rounding (~1e-9 m), far
/// below anything a fix can resolve.
const SLACK_M: f64 = 1e-6;

static WGS84: LazyLock<Geodesic> = LazyLock::new(Geodesic::wgs84);

/// A WGS84 position in degrees.
#[derive(Copy, Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    pub lat: f64,
    pub lon: f64,
}

/// A zone's shape as written in a policy (GeoJSON order: `[lon, lat]`).
///
/// ```toml
/// { type = "circle", centre = [24.1052, 56.9496], radius_m = 150.0 }
/// { type = "polygon", coordinates = [[[24.10, 56.94], [24.12, 56.94], [24.11, 56.95], [24.10, 56.94]]] }
/// ```
/// A polygon is its outer ring then its holes; a multipolygon is a list of polygons.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ZoneShape {
    Circle {
        centre: [f64; 2],
        radius_m: f64,
    },
    Polygon {
        coordinates: Vec<Vec<[f64; 2]>>,
    },
    MultiPolygon {
        coordinates: Vec<Vec<Vec<[f64; 2]>>>,
    },
}

/// A ring of a shape as written: indices count from 0, as in the GeoJSON arrays (ring 0 of a
/// polygon is its outer boundary, the others are holes; a plain polygon is polygon 0).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct RingRef {
    pub polygon: usize,
    pub ring: usize,
}

/// A point of a shape as written.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum PointRef {
    CircleCentre,
    Vertex { ring: RingRef, point: usize },
}

/// The edge of a ring that starts at point `from_point`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct EdgeRef {
    pub ring: RingRef,
    pub from_point: usize,
}

impl fmt::Display for RingRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.ring == 0 {
            "outer boundary"
        } else {
            "a hole"
        };
        write!(f, "ring {} ({kind}) of polygon {}", self.ring, self.polygon)
    }
}

impl fmt::Display for PointRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PointRef::CircleCentre => f.write_str("the circle's centre"),
            PointRef::Vertex { ring, point } => write!(f, "point {point} of {ring}"),
        }
    }
}

impl fmt::Display for EdgeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the edge from point {} of {}",
            self.from_point, self.ring
        )
    }
}

/// Why a zone's shape was refused. Indices count from 0, as in the GeoJSON arrays.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ShapeError {
    #[error("{at}: a coordinate is not a finite number")]
    NonFinite { at: PointRef },
    #[error("{at}: latitude {lat} is outside -90..90 (points are written [longitude, latitude])")]
    LatitudeOutOfRange { at: PointRef, lat: f64 },
    #[error("{at}: longitude {lon} is outside -180..180")]
    LongitudeOutOfRange { at: PointRef, lon: f64 },
    #[error("{at}: latitude {lat} is nearer a pole than the supported {MAX_LATITUDE}°")]
    TooNearPole { at: PointRef, lat: f64 },
    #[error("the circle's radius must be a positive number of metres, not {radius_m}")]
    BadRadius { radius_m: f64 },
    #[error("the multipolygon has no polygons")]
    EmptyMultiPolygon,
    #[error("polygon {polygon} has no rings")]
    EmptyPolygon { polygon: usize },
    #[error("{ring} is not closed: its last point must repeat its first")]
    RingNotClosed { ring: RingRef },
    #[error(
        "{ring} has {distinct} distinct points; a ring needs at least 3, then its first point again"
    )]
    TooFewPoints { ring: RingRef, distinct: usize },
    #[error(
        "{first} and {second} cross or touch (or come within {MIN_GAP_M} m); a zone's boundary \
         must not meet itself"
    )]
    SelfIntersection { first: EdgeRef, second: EdgeRef },
    #[error("{ring} encloses (almost) no area: less than {MIN_RING_AREA_M2} m²")]
    ZeroArea { ring: RingRef },
    #[error("{hole} is not inside the outer boundary of its polygon")]
    HoleOutsideShell { hole: RingRef },
    #[error(
        "{ring} lies inside {container}: a zone's polygons must not overlap, nor its holes nest"
    )]
    RingsOverlap { ring: RingRef, container: RingRef },
    #[error("the zone crosses the 180° meridian; split it there into separate polygons")]
    CrossesAntimeridian,
    #[error(
        "the zone spans about {span_km:.0} km; at most {} km is supported, because distances \
         are computed on a local plane that stays accurate only up to that size",
        MAX_SPAN_M / 1000.0
    )]
    TooLarge { span_km: f64 },
    #[error("the zone has {count} points; at most {MAX_VERTICES} are supported")]
    TooManyVertices { count: usize },
}

/// Where a fix lies relative to a shape, given its accuracy circle.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Side {
    Inside,
    Outside,
    Uncertain,
}

/// A validated shape, prepared for fast tests. In C order, so that the boxes, which decide
/// most fixes, and the frame come first: a caller fetching ahead fetches the first lines.
#[derive(Clone, Debug)]
#[repr(C)]
pub struct CompiledShape {
    /// First, beside the frame's origin: most fixes are decided by these alone.
    quick: Quick,
    frame: Frame,
    /// An upper bound on the distance from the centre to any point of the shape, in metres.
    reach_m: f64,
    interior: GeoPoint,
    kind: Kind,
}

#[derive(Clone, Debug)]
enum Kind {
    Circle {
        radius_m: f64,
    },
    /// Out of line: the zones of a policy lie side by side, and a fix that is well away from a
    /// polygon is decided from the shape's reach without reading its edges or grid.
    Polygons(Box<Polygons>),
}

impl CompiledShape {
    /// Checks a shape and prepares it for [`classify`](Self::classify).
    pub fn compile(shape: &ZoneShape) -> Result<CompiledShape, ShapeError> {
        match shape {
            ZoneShape::Circle { centre, radius_m } => compile_circle(*centre, *radius_m),
            ZoneShape::Polygon { coordinates } => {
                compile_polygons(std::slice::from_ref(coordinates))
            }
            ZoneShape::MultiPolygon { coordinates } if coordinates.is_empty() => {
                Err(ShapeError::EmptyMultiPolygon)
            }
            ZoneShape::MultiPolygon { coordinates } => compile_polygons(coordinates),
        }
    }

    /// Signed distance in metres from the point to the shape's boundary: negative inside,
    /// positive outside. NaN for a position that is not one (NaN, or latitude beyond ±90°).
    /// For positions more than 30° of latitude or 60° of longitude from the shape's centre it is the
    /// geodesic distance to the shape's centre less the shape's reach (a lower bound), and at
    /// least 500 km.
    pub fn signed_distance_m(&self, p: GeoPoint) -> f64 {
        match self.frame.locate(p) {
            Place::Invalid => f64::NAN,
            Place::Far => self.far_distance_m(p),
            Place::Near(xy) => match &self.kind {
                Kind::Circle { radius_m } => self.frame.radial_m(xy) - radius_m,
                Kind::Polygons(set) => set.signed_distance(xy),
            },
        }
    }

    /// Inside only when the whole circle of radius `accuracy_m + margin_m` around `p` is inside
    /// (signed distance <= -radius); otherwise Outside when the whole circle is outside (signed
    /// distance >= radius); otherwise Uncertain. Always the answer that
    /// [`signed_distance_m`](Self::signed_distance_m) gives by that rule. A negative accuracy or
    /// margin counts as 0; a NaN one as unknown, hence infinite, so the answer is Uncertain, as
    /// it is for a position that is not one.
    pub fn classify(&self, p: GeoPoint, accuracy_m: f64, margin_m: f64) -> Side {
        let r = query_radius(accuracy_m, margin_m);
        if r == f64::INFINITY {
            return Side::Uncertain;
        }
        if let Some(side) = self.quick_side(p, r) {
            return side;
        }
        match self.frame.locate(p) {
            Place::Invalid => Side::Uncertain,
            Place::Far if r < FAR_FLOOR_M => Side::Outside,
            Place::Far => decide(self.far_distance_m(p), r),
            Place::Near(xy) => match &self.kind {
                Kind::Circle { radius_m } => decide(self.frame.radial_m(xy) - radius_m, r),
                // Beyond the circle that holds every vertex by r (squared: no root, no hypot,
                // and the slack covers their rounding).
                Kind::Polygons(_)
                    if xy[0] * xy[0] + xy[1] * xy[1] >= (self.reach_m + r + SLACK_M).powi(2) =>
                {
                    Side::Outside
                }
                Kind::Polygons(set) => set.classify(xy, r),
            },
        }
    }

    /// Whether two shapes' areas overlap (share interior points), as when an exclusion zone
    /// covers a curfew address. Shapes that only touch do not overlap, nor do ones whose common
    /// part is thinner than [`MIN_OVERLAP_M`].
    pub fn overlaps(&self, other: &CompiledShape) -> bool {
        match (&self.kind, &other.kind) {
            (Kind::Circle { radius_m }, _) => {
                other.signed_distance_m(self.frame.origin) < radius_m - MIN_OVERLAP_M
            }
            (_, Kind::Circle { radius_m }) => {
                self.signed_distance_m(other.frame.origin) < radius_m - MIN_OVERLAP_M
            }
            (Kind::Polygons(a), Kind::Polygons(_)) => {
                self.faces_with(a, other).is_some_and(|f| f.in_both)
            }
        }
    }

    /// Whether this shape's area wholly contains the other's (boundaries may touch, and the other
    /// may stick out by less than [`MIN_OVERLAP_M`]).
    pub fn contains(&self, other: &CompiledShape) -> bool {
        match (&self.kind, &other.kind) {
            (_, Kind::Circle { radius_m }) => {
                self.signed_distance_m(other.frame.origin) <= MIN_OVERLAP_M - radius_m
            }
            // A geodesic disc is convex, so it holds a polygon when it holds the polygon's points.
            (Kind::Circle { .. }, Kind::Polygons(b)) => b
                .outer_vertices()
                .all(|xy| self.signed_distance_m(other.frame.to_geo(xy)) <= MIN_OVERLAP_M),
            (Kind::Polygons(a), Kind::Polygons(_)) => self
                .faces_with(a, other)
                .is_some_and(|f| f.in_other && !f.in_other_only),
        }
    }

    /// A representative point inside: the circle's centre, or a point well inside the first
    /// polygon.
    pub fn interior_point(&self) -> GeoPoint {
        self.interior
    }

    /// Where [`classify`](Self::classify) reads out of line (a polygon's edges and grid), as an
    /// address only: a judging engine keeps it beside its other hot data to fetch it ahead,
    /// never to read through it. 0 for a circle.
    pub(crate) fn out_of_line(&self) -> (usize, usize) {
        match &self.kind {
            Kind::Circle { .. } => (0, 0),
            Kind::Polygons(set) => (
                &**set as *const Polygons as usize,
                std::mem::size_of::<Polygons>(),
            ),
        }
    }

    /// What the boxes in degrees say of a circle of radius `r` around `p`, if they decide it.
    #[inline]
    fn quick_side(&self, p: GeoPoint, r: f64) -> Option<Side> {
        self.quick.side_within(p, r)
    }

    /// The shape's boxes in degrees: what [`classify`](Self::classify) tries first, in 48 bytes
    /// that a caller may keep beside its other hot data.
    pub(crate) fn quick(&self) -> Quick {
        self.quick
    }

    /// Bytes of heap this shape uses.
    pub fn heap_bytes(&self) -> usize {
        match &self.kind {
            Kind::Circle { .. } => 0,
            Kind::Polygons(set) => std::mem::size_of::<Polygons>() + set.heap_bytes(),
        }
    }

    fn far_distance_m(&self, p: GeoPoint) -> f64 {
        (distance_m(self.frame.origin, p) - self.reach_m).max(FAR_FLOOR_M)
    }

    /// What the faces of the arrangement of both shapes' edges say, with `other` moved onto this
    /// shape's plane; None when the shapes are too far apart to meet.
    fn faces_with(&self, mine: &Polygons, other: &CompiledShape) -> Option<Faces> {
        let apart = distance_m(self.frame.origin, other.frame.origin);
        // (NaN, from a position that is not one, counts as apart too.)
        let may_meet = apart <= self.reach_m + other.reach_m + 1000.0;
        if !may_meet {
            return None;
        }
        let Kind::Polygons(theirs) = &other.kind else {
            return None;
        };
        let moved = theirs.moved(&other.frame, &self.frame)?;
        Some(Faces::of(mine, &moved))
    }
}

/// Distance in metres between two positions on the WGS84 ellipsoid (geodesic, Karney's method).
pub fn distance_m(a: GeoPoint, b: GeoPoint) -> f64 {
    WGS84.inverse(a.lat, a.lon, b.lat, b.lon)
}

/// Whether `distance_m_fast(a, b) > metres` is certain from a lower bound of it with no root and
/// no call into libm. Its north-south leg is the latitude difference times the meridional
/// radius, nowhere less than a(1 − e²) (110 574 m a degree); its east-west leg the longitude
/// difference times the prime vertical radius, nowhere less than a (111 319 m a degree), times
/// the cosine of the mean latitude, which is at least that of the larger latitude, which is at
/// least 1 − x²/2 + x⁴/24 − x⁶/720 (for every x). The bound takes 110 500 and 111 200 m a degree
/// and a cosine 1e-12 less, so rounding cannot carry it past the true legs.
#[inline]
pub fn surely_beyond(a: GeoPoint, b: GeoPoint, metres: f64) -> bool {
    // Below 0 (or NaN), squaring would turn the comparison round: claim nothing.
    if metres.is_nan() || metres < 0.0 {
        return false;
    }
    let north = (a.lat - b.lat).abs() * 110_500.0;
    let x = a.lat.abs().max(b.lat.abs()).to_radians();
    let x2 = x * x;
    let cos = (1.0 - x2 * (0.5 - x2 * (1.0 / 24.0 - x2 / 720.0)) - 1e-12).max(0.0);
    let east = wrap_degrees(b.lon - a.lon).abs() * 111_200.0 * cos;
    north * north + east * east > metres * metres
}

/// A fast approximation of [`distance_m`] for nearby points (within ~50 km, latitudes within
/// ±80°): the plane tangent at the mean latitude, scaled by the ellipsoid's meridional and
/// prime-vertical radii of curvature there. Within 0.1 % + 0.5 m of the geodesic up to 50 km.
pub fn distance_m_fast(a: GeoPoint, b: GeoPoint) -> f64 {
    let mean = ((a.lat + b.lat) * 0.5).to_radians();
    let cos = cos_latitude(mean);
    // 1/w with w² = 1 - e² sin²: the prime vertical is a/w, the meridional a(1 - e²)/w³.
    let inv_w = inv_sqrt_one_minus(WGS84_E2 * (1.0 - cos * cos));
    let prime_vertical = WGS84_A * inv_w;
    let meridional = WGS84_A * (1.0 - WGS84_E2) * inv_w * inv_w * inv_w;
    let x = wrap_degrees(b.lon - a.lon).to_radians() * prime_vertical * cos;
    let y = (b.lat - a.lat).to_radians() * meridional;
    (x * x + y * y).sqrt()
}

/// cos of a latitude in radians: a Taylor polynomial within 4e-15 on ±π/2 (no call into libm on
/// the hot path); beyond, libm's.
#[inline]
fn cos_latitude(x: f64) -> f64 {
    if x.abs() > std::f64::consts::FRAC_PI_2 {
        return x.cos();
    }
    // cos x = Σ (-1)^k x^2k / (2k)!, k = 0..=9, in Horner form.
    const C: [f64; 10] = [
        1.0,
        -1.0 / 2.0,
        1.0 / 24.0,
        -1.0 / 720.0,
        1.0 / 40_320.0,
        -1.0 / 3_628_800.0,
        1.0 / 479_001_600.0,
        -1.0 / 87_178_291_200.0,
        1.0 / 20_922_789_888_000.0,
        -1.0 / 6_402_373_705_728_000.0,
    ];
    let x2 = x * x;
    C.iter().rev().fold(0.0, |acc, &c| acc * x2 + c)
}

/// 1/√(1 - x) for 0 <= x <= e² (the ellipsoid's radii of curvature): the binomial series to
/// x⁶, within 2e-16 relative, with no root and no division.
#[inline]
fn inv_sqrt_one_minus(x: f64) -> f64 {
    const C: [f64; 7] = [
        1.0,
        1.0 / 2.0,
        3.0 / 8.0,
        5.0 / 16.0,
        35.0 / 128.0,
        63.0 / 256.0,
        231.0 / 1024.0,
    ];
    C.iter().rev().fold(0.0, |acc, &c| acc * x + c)
}

/// The decision rule: the whole circle of radius `r` inside, or outside, or neither.
fn decide(signed_distance: f64, r: f64) -> Side {
    if signed_distance <= -r {
        Side::Inside
    } else if signed_distance >= r {
        Side::Outside
    } else {
        Side::Uncertain
    }
}

/// The radius of the circle that must be wholly inside or outside: NaN is unknown, so infinite.
fn query_radius(accuracy_m: f64, margin_m: f64) -> f64 {
    let clean = |v: f64| {
        if v.is_nan() {
            f64::INFINITY
        } else {
            v.max(0.0)
        }
    };
    clean(accuracy_m) + clean(margin_m)
}

/// A longitude difference brought into -180..=180.
fn wrap_degrees(d: f64) -> f64 {
    if d.abs() <= 180.0 {
        d
    } else {
        d - 360.0 * (d / 360.0).round()
    }
}

// ---------------------------------------------------------------------------------------------
// The local plane

/// The tangent plane at a shape's centre: east and north metres of the local east-north-up frame
/// (an orthographic projection of the ellipsoid, exact in 3-D and never stretching distances).
#[derive(Clone, Debug)]
struct Frame {
    origin: GeoPoint,
    sin0: f64,
    cos0: f64,
    /// The origin in earth-centred coordinates, turned so that its longitude is 0.
    x0: f64,
    z0: f64,
    /// sin0 x0 - cos0 z0: the origin's own north coordinate, taken away.
    north_bias: f64,
    /// 1 / (6 R²) with R the Gaussian radius of curvature at the origin.
    inv_6r2: f64,
}

enum Place {
    Near([f64; 2]),
    Far,
    Invalid,
}

impl Frame {
    fn new(origin: GeoPoint) -> Frame {
        let (sin0, cos0) = origin.lat.to_radians().sin_cos();
        let w2 = 1.0 - WGS84_E2 * sin0 * sin0;
        let prime_vertical = WGS84_A / w2.sqrt();
        let meridional = WGS84_A * (1.0 - WGS84_E2) / (w2 * w2.sqrt());
        let (x0, z0) = (
            prime_vertical * cos0,
            prime_vertical * (1.0 - WGS84_E2) * sin0,
        );
        Frame {
            origin,
            sin0,
            cos0,
            x0,
            z0,
            north_bias: sin0 * x0 - cos0 * z0,
            inv_6r2: 1.0 / (6.0 * meridional * prime_vertical),
        }
    }

    #[inline]
    fn locate(&self, p: GeoPoint) -> Place {
        if !(p.lat.abs() <= 90.0 && p.lon.is_finite()) {
            return Place::Invalid;
        }
        let dlat = p.lat - self.origin.lat;
        let dlon = wrap_degrees(p.lon - self.origin.lon);
        if dlat.abs() > NEAR_DLAT_DEG || dlon.abs() > NEAR_DLON_DEG {
            return Place::Far;
        }
        Place::Near(self.to_plane(dlat.to_radians(), dlon.to_radians()))
    }

    /// East and north metres of the point `dlat`, `dlon` radians from the origin: the point's
    /// earth-centred coordinates (turned so that the origin's longitude is 0) on the origin's east
    /// and north axes.
    #[inline]
    fn to_plane(&self, dlat: f64, dlon: f64) -> [f64; 2] {
        let (su, cu) = sin_cos(dlat);
        let (sv, cv) = sin_cos(dlon);
        let sin_lat = self.sin0 * cu + self.cos0 * su;
        let cos_lat = self.cos0 * cu - self.sin0 * su;
        let prime_vertical = WGS84_A * inv_sqrt_one_minus(WGS84_E2 * sin_lat * sin_lat);
        let east = cos_lat * sv;
        // cos0 (z - z0) - sin0 (x - x0) with x = N cos(lat) cos(dlon), z = N (1 - e²) sin(lat).
        let north = self.cos0 * (1.0 - WGS84_E2) * sin_lat - self.sin0 * cos_lat * cv;
        [
            prime_vertical * east,
            prime_vertical * north + self.north_bias,
        ]
    }

    /// The position on the ellipsoid below (or above) a point of the plane.
    fn to_geo(&self, [east, north]: [f64; 2]) -> GeoPoint {
        let q = 1.0 / (1.0 - WGS84_E2);
        let (xc, zc) = (self.x0 - north * self.sin0, self.z0 + north * self.cos0);
        // Solve for the height `h` above the plane at which the ellipsoid is met.
        let a2 = self.cos0 * self.cos0 + self.sin0 * self.sin0 * q;
        let b2 = xc * self.cos0 + zc * self.sin0 * q;
        let c2 = xc * xc + east * east + zc * zc * q - WGS84_A * WGS84_A;
        let h = -c2 / (b2 + (b2 * b2 - a2 * c2).max(0.0).sqrt());
        let (x, z) = (xc + h * self.cos0, zc + h * self.sin0);
        let lat = z.atan2((1.0 - WGS84_E2) * x.hypot(east)).to_degrees();
        let lon = wrap_degrees(self.origin.lon + east.atan2(x).to_degrees());
        GeoPoint { lat, lon }
    }

    /// The geodesic distance from the origin to a point of the plane: the orthographic plane
    /// shrinks it like R·sin(s/R), which this undoes to third order (0.03 m at 20 km unmended).
    #[inline]
    fn radial_m(&self, [x, y]: [f64; 2]) -> f64 {
        let rho2 = x * x + y * y;
        rho2.sqrt() * (1.0 + rho2 * self.inv_6r2)
    }
}

/// sin and cos; for the small angles of the hot path, Taylor series to within 1e-16 (relative),
/// each evaluated as two halves in parallel.
#[inline]
fn sin_cos(x: f64) -> (f64, f64) {
    if x.abs() > 0.05 {
        return x.sin_cos();
    }
    let x2 = x * x;
    let x4 = x2 * x2;
    let sin = x * ((1.0 - x2 * (1.0 / 6.0)) + x4 * ((1.0 / 120.0) - x2 * (1.0 / 5040.0)));
    let cos = (1.0 - x2 * 0.5) + x4 * ((1.0 / 24.0) - x2 * (1.0 / 720.0) + x4 * (1.0 / 40320.0));
    (sin, cos)
}

// ---------------------------------------------------------------------------------------------
// Deciding without the plane

/// A fix whose query radius (accuracy plus margin) is at most this is first tried against the
/// shape's boxes in degrees ([`Quick`]).
const QUICK_M: f64 = 500.0;

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
    outer: [f32; 4],
    /// The same, or an empty box (low above high) when the shape has no room for one.
    inner: [f32; 4],
    /// The largest query radius `inner` decides: [`QUICK_M`], or less in a small shape (half
    /// its clearance, so that a curfew address of 50 m still has a box for fixes 20 m good).
    inner_m: f32,
}

impl Quick {
    const EMPTY: [f32; 4] = [1.0, -1.0, 1.0, -1.0];
    /// Samples of a circle, and of each side of a box, checked when compiling.
    const SAMPLES: usize = 96;

    /// `centre` (on the plane) is `clearance` metres inside the shape, whose points are all
    /// within `reach_m` of the frame's origin.
    fn new(frame: &Frame, reach_m: f64, centre: [f64; 2], clearance: f64) -> Quick {
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
    #[inline]
    pub(crate) fn side(&self, p: GeoPoint, accuracy_m: f64, margin_m: f64) -> Option<Side> {
        self.side_within(p, query_radius(accuracy_m, margin_m))
    }

    #[inline]
    fn side_within(&self, p: GeoPoint, r: f64) -> Option<Side> {
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
    fn holds(b: [f32; 4], dlat: f64, dlon: f64) -> bool {
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

/// The smallest f32 at least `x`, so that a bound stays a bound.
fn round_up(x: f64) -> f32 {
    let y = x as f32;
    if f64::from(y) < x { y.next_up() } else { y }
}

// ---------------------------------------------------------------------------------------------
// Compiling

fn compile_circle(centre: [f64; 2], radius_m: f64) -> Result<CompiledShape, ShapeError> {
    let centre = check_position(centre, PointRef::CircleCentre)?;
    if !(radius_m.is_finite() && radius_m > 0.0) {
        return Err(ShapeError::BadRadius { radius_m });
    }
    if 2.0 * radius_m > MAX_SPAN_M {
        return Err(ShapeError::TooLarge {
            span_km: 2.0 * radius_m / 1000.0,
        });
    }
    let frame = Frame::new(centre);
    Ok(CompiledShape {
        quick: Quick::new(&frame, radius_m, [0.0, 0.0], radius_m),
        frame,
        reach_m: radius_m,
        interior: centre,
        kind: Kind::Circle { radius_m },
    })
}

fn check_position([lon, lat]: [f64; 2], at: PointRef) -> Result<GeoPoint, ShapeError> {
    if !(lon.is_finite() && lat.is_finite()) {
        return Err(ShapeError::NonFinite { at });
    }
    if lat.abs() > 90.0 {
        return Err(ShapeError::LatitudeOutOfRange { at, lat });
    }
    if lon.abs() > 180.0 {
        return Err(ShapeError::LongitudeOutOfRange { at, lon });
    }
    if lat.abs() > MAX_LATITUDE {
        return Err(ShapeError::TooNearPole { at, lat });
    }
    Ok(GeoPoint { lat, lon })
}

/// A ring as written, checked point by point, without its closing point.
struct RawRing {
    id: RingRef,
    points: Vec<GeoPoint>,
}

/// A ring on the plane: its points, with their indices as written (for error messages).
struct PlaneRing {
    id: RingRef,
    points: Vec<[f64; 2]>,
    written: Vec<usize>,
}

fn compile_polygons(polygons: &[Vec<Vec<[f64; 2]>>]) -> Result<CompiledShape, ShapeError> {
    let count = polygons.iter().flatten().map(Vec::len).sum();
    if count > MAX_VERTICES {
        return Err(ShapeError::TooManyVertices { count });
    }
    let raw = read_rings(polygons)?;
    let frame = frame_for(&raw)?;
    let rings = raw
        .iter()
        .map(|ring| to_plane_ring(&frame, ring))
        .collect::<Result<Vec<_>, _>>()?;
    let reach = rings
        .iter()
        .flat_map(|r| &r.points)
        .map(|&[x, y]| x.hypot(y))
        .fold(0.0, f64::max);
    if 2.0 * reach > MAX_SPAN_M {
        return Err(ShapeError::TooLarge {
            span_km: 2.0 * reach / 1000.0,
        });
    }
    let plane: Vec<_> = rings.iter().map(|r| (r.id, r.points.as_slice())).collect();
    let set = Polygons::new(&plane);
    let written: Vec<usize> = rings
        .iter()
        .flat_map(|r| r.written.iter().copied())
        .collect();
    Checker::new(&set, written).check()?;
    let interior = set.interior_xy();
    // The plane never stretches distances; allow for its slight shrinkage.
    let reach_m = reach * 1.001 + 1.0;
    Ok(CompiledShape {
        quick: Quick::new(&frame, reach_m, interior, -set.signed_distance(interior)),
        interior: frame.to_geo(interior),
        reach_m,
        frame,
        kind: Kind::Polygons(Box::new(set)),
    })
}

fn read_rings(polygons: &[Vec<Vec<[f64; 2]>>]) -> Result<Vec<RawRing>, ShapeError> {
    let mut rings = Vec::new();
    for (polygon, rings_written) in polygons.iter().enumerate() {
        if rings_written.is_empty() {
            return Err(ShapeError::EmptyPolygon { polygon });
        }
        for (ring, written) in rings_written.iter().enumerate() {
            let id = RingRef { polygon, ring };
            let points = written
                .iter()
                .enumerate()
                .map(|(point, &c)| check_position(c, PointRef::Vertex { ring: id, point }))
                .collect::<Result<Vec<_>, _>>()?;
            let (Some(first), Some(last)) = (written.first(), written.last()) else {
                return Err(ShapeError::TooFewPoints {
                    ring: id,
                    distinct: 0,
                });
            };
            if first != last {
                return Err(ShapeError::RingNotClosed { ring: id });
            }
            rings.push(RawRing {
                id,
                points: points[..points.len() - 1].to_vec(),
            });
        }
    }
    Ok(rings)
}

/// The plane for a set of rings: tangent at the middle of their latitudes and longitudes.
fn frame_for(rings: &[RawRing]) -> Result<Frame, ShapeError> {
    let points = || rings.iter().flat_map(|r| &r.points);
    let (lat_lo, lat_hi) = points().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
        (lo.min(p.lat), hi.max(p.lat))
    });
    let (lon_lo, lon_hi) = points().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
        (lo.min(p.lon), hi.max(p.lon))
    });
    if lon_hi - lon_lo > 180.0 {
        return Err(ShapeError::CrossesAntimeridian);
    }
    Ok(Frame::new(GeoPoint {
        lat: (lat_lo + lat_hi) * 0.5,
        lon: (lon_lo + lon_hi) * 0.5,
    }))
}

/// A ring on the plane, with points closer than [`MIN_GAP_M`] to the previous one merged.
fn to_plane_ring(frame: &Frame, ring: &RawRing) -> Result<PlaneRing, ShapeError> {
    let mut out = PlaneRing {
        id: ring.id,
        points: Vec::with_capacity(ring.points.len()),
        written: Vec::with_capacity(ring.points.len()),
    };
    for (i, &p) in ring.points.iter().enumerate() {
        let Place::Near(xy) = frame.locate(p) else {
            return Err(ShapeError::TooLarge {
                span_km: 2.0 * distance_m(frame.origin, p) / 1000.0,
            });
        };
        if out
            .points
            .last()
            .is_none_or(|&last| dist2(last, xy) >= MIN_GAP_M * MIN_GAP_M)
        {
            out.points.push(xy);
            out.written.push(i);
        }
    }
    while out.points.len() > 1
        && dist2(out.points[0], out.points[out.points.len() - 1]) < MIN_GAP_M * MIN_GAP_M
    {
        out.points.pop();
        out.written.pop();
    }
    if out.points.len() < 3 {
        return Err(ShapeError::TooFewPoints {
            ring: ring.id,
            distinct: out.points.len(),
        });
    }
    Ok(out)
}

/// The topological checks of a polygon set: simple rings, real area, proper nesting.
struct Checker<'a> {
    set: &'a Polygons,
    /// Per edge, the index (as written) of the point it starts from.
    written: Vec<usize>,
    /// Per edge, its ring.
    ring_of: Vec<usize>,
    /// Per ring, the area it encloses.
    areas: Vec<f64>,
}

impl<'a> Checker<'a> {
    fn new(set: &'a Polygons, written: Vec<usize>) -> Checker<'a> {
        let mut ring_of = vec![0; set.edges.len()];
        for (i, ring) in set.rings.iter().enumerate() {
            ring_of[ring.start..ring.end].fill(i);
        }
        let areas = set.rings.iter().map(|r| set.ring_area(r).abs()).collect();
        Checker {
            set,
            written,
            ring_of,
            areas,
        }
    }

    fn check(&self) -> Result<(), ShapeError> {
        if let Some((first, second)) = self.first_clash() {
            return Err(ShapeError::SelfIntersection {
                first: self.edge_ref(first),
                second: self.edge_ref(second),
            });
        }
        if let Some(i) = self.areas.iter().position(|&a| a < MIN_RING_AREA_M2) {
            return Err(ShapeError::ZeroArea {
                ring: self.set.rings[i].id,
            });
        }
        self.check_nesting()
    }

    fn edge_ref(&self, edge: usize) -> EdgeRef {
        EdgeRef {
            ring: self.set.rings[self.ring_of[edge]].id,
            from_point: self.written[edge],
        }
    }

    /// The first pair of edges that meet where they should not. Any two edges that come within
    /// [`MIN_GAP_M`] share a grid cell (cells list the edges within that distance of them).
    fn first_clash(&self) -> Option<(usize, usize)> {
        let grid = &self.set.grid;
        let (mut pieces, mut sweep) = (Vec::new(), Vec::new());
        (0..grid.nx * grid.ny).find_map(|cell| {
            let (ix, iy) = (cell % grid.nx, cell / grid.nx);
            let lo = [
                grid.min[0] + ix as f64 * grid.cell - MIN_GAP_M,
                grid.min[1] + iy as f64 * grid.cell - MIN_GAP_M,
            ];
            let hi = [
                lo[0] + grid.cell + 2.0 * MIN_GAP_M,
                lo[1] + grid.cell + 2.0 * MIN_GAP_M,
            ];
            self.clash_in(grid.items(cell), (lo, hi), &mut pieces, &mut sweep)
        })
    }

    /// The first clashing pair among the edges listed for a cell, whose box (grown by the gap) is
    /// given. Edges that do not meet run nearly parallel within a small box when there are many
    /// of them, so their pieces in the box are swept across their mean direction: only pairs
    /// whose pieces overlap across it (within the gap) can clash, and only they are tested.
    fn clash_in(
        &self,
        items: &[u32],
        (lo, hi): ([f64; 2], [f64; 2]),
        pieces: &mut Vec<([f64; 2], [f64; 2], usize)>,
        sweep: &mut Vec<(f64, f64, usize)>,
    ) -> Option<(usize, usize)> {
        pieces.clear();
        pieces.extend(items.iter().filter_map(|&i| {
            let e = &self.set.edges[i as usize];
            let (t0, t1) = clip(e.a, e.b, lo, hi)?;
            Some((lerp(e.a, e.b, t0), lerp(e.a, e.b, t1), i as usize))
        }));
        // The mean direction, by doubled angles so that opposite directions agree.
        let (c2, s2) = pieces.iter().fold((0.0, 0.0), |(c, s), (p, q, _)| {
            let d = sub(*q, *p);
            (c + d[0] * d[0] - d[1] * d[1], s + 2.0 * d[0] * d[1])
        });
        let (sin, cos) = (s2.atan2(c2) * 0.5).sin_cos();
        let across = [-sin, cos];
        sweep.clear();
        sweep.extend(pieces.iter().map(|&(p, q, i)| {
            let (u, v) = (dot(p, across), dot(q, across));
            (u.min(v), u.max(v), i)
        }));
        sweep.sort_by(|a, b| a.0.total_cmp(&b.0));
        sweep.iter().enumerate().find_map(|(k, &(_, end, i))| {
            sweep[k + 1..]
                .iter()
                .take_while(|&&(start, _, _)| start <= end + MIN_GAP_M)
                .find(|&&(_, _, j)| self.clash(i, j))
                .map(|&(_, _, j)| (i, j))
        })
    }

    fn clash(&self, i: usize, j: usize) -> bool {
        let (e, f) = (&self.set.edges[i], &self.set.edges[j]);
        let gap2 = MIN_GAP_M * MIN_GAP_M;
        if self.next(i) == j {
            // Consecutive edges meet at e.b == f.a; they clash only if one folds back on the other.
            f.dist2(e.a) < gap2 || e.dist2(f.b) < gap2
        } else if self.next(j) == i {
            e.dist2(f.a) < gap2 || f.dist2(e.b) < gap2
        } else {
            segments_dist2(e, f) < gap2
        }
    }

    fn next(&self, edge: usize) -> usize {
        let ring = &self.set.rings[self.ring_of[edge]];
        if edge + 1 == ring.end {
            ring.start
        } else {
            edge + 1
        }
    }

    /// Holes inside their own polygon's outer ring and in no other ring of it; polygons outside
    /// each other (or inside another's hole). Rings do not cross (checked before), so each ring
    /// is inside another exactly when one of its points is.
    fn check_nesting(&self) -> Result<(), ShapeError> {
        let rings = &self.set.rings;
        let boxes: Vec<_> = rings.iter().map(|r| self.set.ring_box(r)).collect();
        for (i, ring) in rings.iter().enumerate() {
            let probe = self.set.edges[ring.start].a;
            let innermost = (0..rings.len())
                .filter(|&j| j != i && in_box(probe, boxes[j]))
                .filter(|&j| self.set.ring_contains(&rings[j], probe))
                .min_by(|&a, &b| self.areas[a].total_cmp(&self.areas[b]));
            if ring.id.ring > 0 {
                let shell = i - ring.id.ring;
                if !self.set.ring_contains(&rings[shell], probe) {
                    return Err(ShapeError::HoleOutsideShell { hole: ring.id });
                }
                if let Some(c) = innermost.filter(|&c| c != shell) {
                    return Err(ShapeError::RingsOverlap {
                        ring: ring.id,
                        container: rings[c].id,
                    });
                }
            } else if let Some(c) = innermost.filter(|&c| rings[c].id.ring == 0) {
                return Err(ShapeError::RingsOverlap {
                    ring: ring.id,
                    container: rings[c].id,
                });
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Polygons on the plane

#[derive(Clone, Debug)]
struct Edge {
    a: [f64; 2],
    b: [f64; 2],
    inv_len2: f64,
}

impl Edge {
    fn new(a: [f64; 2], b: [f64; 2]) -> Edge {
        Edge {
            a,
            b,
            inv_len2: 1.0 / dist2(a, b),
        }
    }

    /// Squared distance from `p` to the edge.
    #[inline]
    fn dist2(&self, p: [f64; 2]) -> f64 {
        let (dx, dy) = (self.b[0] - self.a[0], self.b[1] - self.a[1]);
        let (px, py) = (p[0] - self.a[0], p[1] - self.a[1]);
        let t = ((px * dx + py * dy) * self.inv_len2).clamp(0.0, 1.0);
        let (ex, ey) = (px - t * dx, py - t * dy);
        ex * ex + ey * ey
    }

    /// Whether a rightward horizontal ray from `q` crosses the edge (the half-open rule counts a
    /// vertex on the ray once).
    fn ray_crosses(&self, q: [f64; 2]) -> bool {
        let (a, b) = (self.a, self.b);
        (a[1] > q[1]) != (b[1] > q[1])
            && q[0] < a[0] + (q[1] - a[1]) * (b[0] - a[0]) / (b[1] - a[1])
    }
}

#[derive(Clone, Debug)]
struct RingSpan {
    id: RingRef,
    /// Its edges: `edges[start..end]`.
    start: usize,
    end: usize,
}

/// Polygons (rings with even-odd insideness, which the nesting checks make equal to the union of
/// the polygons) on a plane, with a grid to find edges quickly.
#[derive(Clone, Debug)]
struct Polygons {
    edges: Vec<Edge>,
    rings: Vec<RingSpan>,
    grid: Grid,
}

impl Polygons {
    fn new(rings: &[(RingRef, &[[f64; 2]])]) -> Polygons {
        let mut edges = Vec::with_capacity(rings.iter().map(|r| r.1.len()).sum());
        let mut spans = Vec::with_capacity(rings.len());
        for &(id, points) in rings {
            let start = edges.len();
            let next = points.iter().skip(1).chain(points.first());
            edges.extend(points.iter().zip(next).map(|(&a, &b)| Edge::new(a, b)));
            spans.push(RingSpan {
                id,
                start,
                end: edges.len(),
            });
        }
        let grid = Grid::layout(&edges);
        let mut set = Polygons {
            edges,
            rings: spans,
            grid,
        };
        set.grid.cells = set.cells();
        set
    }

    /// The same rings, moved from one plane to another.
    fn moved(&self, from: &Frame, to: &Frame) -> Option<Polygons> {
        let rings = self
            .rings
            .iter()
            .map(|r| {
                let points = self.edges[r.start..r.end]
                    .iter()
                    .map(|e| match to.locate(from.to_geo(e.a)) {
                        Place::Near(xy) => Some(xy),
                        Place::Far | Place::Invalid => None,
                    })
                    .collect::<Option<Vec<_>>>()?;
                Some((r.id, points))
            })
            .collect::<Option<Vec<_>>>()?;
        let rings: Vec<_> = rings.iter().map(|(id, p)| (*id, p.as_slice())).collect();
        Some(Polygons::new(&rings))
    }

    /// The hot path; see [`CompiledShape::classify`]. Each shortcut is a bound on the exact
    /// distance that [`Self::signed_distance`] computes, with the same insideness.
    #[inline]
    fn classify(&self, p: [f64; 2], r: f64) -> Side {
        let grid = &self.grid;
        let outside_box2 = grid.box_dist2(p);
        let (ix, iy) = grid.cell_of(p);
        let search = |floor| Search {
            floor,
            limit: r + SLACK_M,
            // An edge nearer than r makes the answer Uncertain, whatever the exact distance.
            enough2: r * r * (1.0 - 1e-9),
        };
        if outside_box2 > 0.0 {
            if outside_box2 >= r * r {
                return Side::Outside;
            }
            let near = self.nearest(p, ix, iy, search(outside_box2.sqrt()));
            return decide(signed(false, near), r);
        }
        let cell = &grid.cells[iy * grid.nx + ix];
        if f64::from(cell.clear) >= r + SLACK_M {
            return if cell.inside {
                Side::Inside
            } else {
                Side::Outside
            };
        }
        let near = self.nearest(p, ix, iy, search(0.0));
        if near.is_some_and(|d| d < r) {
            return Side::Uncertain;
        }
        decide(signed(self.side_in_cell(p, ix, iy), near), r)
    }

    fn signed_distance(&self, p: [f64; 2]) -> f64 {
        let outside_box2 = self.grid.box_dist2(p);
        let (ix, iy) = self.grid.cell_of(p);
        let inside = outside_box2 == 0.0 && self.side_in_cell(p, ix, iy);
        signed(
            inside,
            self.nearest(p, ix, iy, Search::all(outside_box2.sqrt())),
        )
    }

    /// Whether `p`, a point of cell (ix, iy), is inside: the cell's anchor's side, flipped at each
    /// edge crossed on the way from the anchor to `p` (all such edges are listed in the cell).
    #[inline]
    fn side_in_cell(&self, p: [f64; 2], ix: usize, iy: usize) -> bool {
        let index = iy * self.grid.nx + ix;
        let cell = &self.grid.cells[index];
        let anchor = self.grid.anchor(ix, iy, cell.anchor);
        self.grid
            .items(index)
            .iter()
            .fold(cell.inside, |inside, &e| {
                inside != crosses(anchor, p, &self.edges[e as usize])
            })
    }

    /// The distance from `p` (in, or clamped to, cell (ix, iy)) to the nearest edge, if that is
    /// at most `search.limit`; but as soon as an edge nearer than √`search.enough2` turns up, the
    /// distance to that one. Searches rings of cells outwards until they are farther than the
    /// best edge so far, so it always finds the nearest edge when that is within the limit.
    #[inline]
    fn nearest(&self, p: [f64; 2], ix: usize, iy: usize, search: Search) -> Option<f64> {
        let grid = &self.grid;
        let to_cell_border = grid.border_gap(p, ix, iy);
        let last_ring = ix.max(grid.nx - 1 - ix).max(iy).max(grid.ny - 1 - iy);
        let mut best2 = f64::INFINITY;
        for k in 0..=last_ring {
            let reach = match k {
                0 => search.floor,
                _ => search
                    .floor
                    .max((k - 1) as f64 * grid.cell + to_cell_border),
            };
            let bound = best2.sqrt().min(search.limit) + SLACK_M;
            if reach > bound || best2 < search.enough2 {
                break;
            }
            let bound2 = bound * bound;
            grid.for_ring(ix, iy, k, |x, y| {
                if best2 < search.enough2 || (k > 0 && grid.cell_dist2(p, x, y) > bound2) {
                    return;
                }
                for &e in grid.items(y * grid.nx + x) {
                    best2 = best2.min(self.edges[e as usize].dist2(p));
                }
            });
        }
        (best2 <= search.limit * search.limit).then(|| best2.sqrt())
    }

    /// Cell facts: clearance from the boundary and the anchors' sides. A row's first anchor is
    /// inside when the way from it to the left of the grid crosses the boundary an odd number of
    /// times; each next one differs from the one before by the crossings between them. All are
    /// counted with the same test as [`Self::side_in_cell`], and every edge a way could cross is
    /// listed in the cells it runs through.
    fn cells(&self) -> Vec<Cell> {
        let grid = &self.grid;
        let steps = grid.steps_to_boundary();
        let mut cells = Vec::with_capacity(grid.nx * grid.ny);
        for iy in 0..grid.ny {
            let mut before: Option<(usize, [f64; 2], bool)> = None;
            for ix in 0..grid.nx {
                let index = iy * grid.nx + ix;
                let anchor = self.pick_anchor(ix, iy);
                let at = grid.anchor(ix, iy, anchor);
                let here = grid.items(index);
                let inside = match before {
                    None => self.crossings(at, [grid.min[0] - 1.0, at[1]], here, &[]),
                    Some((was, from, inside)) => {
                        inside != self.crossings(from, at, grid.items(was), here)
                    }
                };
                cells.push(Cell {
                    clear: round_down(self.clearance(ix, iy, steps[index])),
                    inside,
                    anchor,
                });
                before = Some((index, at, inside));
            }
        }
        cells
    }

    /// Whether the segment from `s` to `p` crosses an odd number of the edges in two ascending
    /// lists, counting an edge in both once.
    fn crossings(&self, s: [f64; 2], p: [f64; 2], first: &[u32], second: &[u32]) -> bool {
        let crossed = |&&e: &&u32| crosses(s, p, &self.edges[e as usize]);
        let once = first.iter().filter(crossed).count()
            + second
                .iter()
                .filter(|e| first.binary_search(e).is_err())
                .filter(crossed)
                .count();
        once % 2 == 1
    }

    /// A lower bound on the distance from any point of cell (ix, iy) to the boundary, given the
    /// number of cell steps to the nearest cell that lists an edge: exact from the cell's centre
    /// when that is near, else from the step count.
    fn clearance(&self, ix: usize, iy: usize, steps: usize) -> f64 {
        let grid = &self.grid;
        if steps > 3 {
            return (steps - 1) as f64 * grid.cell;
        }
        let centre = grid.anchor(ix, iy, 0);
        self.nearest(centre, ix, iy, Search::all(0.0))
            .map_or(0.0, |d| d - grid.cell * std::f64::consts::FRAC_1_SQRT_2)
    }

    /// The first of the cell's candidate anchors well clear of its edges, or the clearest one.
    fn pick_anchor(&self, ix: usize, iy: usize) -> u8 {
        let items = self.grid.items(iy * self.grid.nx + ix);
        let clearance2 = |k: usize| {
            let at = self.grid.anchor(ix, iy, k as u8);
            items
                .iter()
                .map(|&e| self.edges[e as usize].dist2(at))
                .fold(f64::INFINITY, f64::min)
        };
        let wanted2 = (0.1 * self.grid.cell).powi(2);
        let mut best = (0, f64::NEG_INFINITY);
        for k in 0..ANCHORS.len() {
            let c2 = clearance2(k);
            if c2 >= wanted2 {
                return k as u8;
            }
            if c2 > best.1 {
                best = (k, c2);
            }
        }
        best.0 as u8
    }

    fn ring_area(&self, ring: &RingSpan) -> f64 {
        let edges = &self.edges[ring.start..ring.end];
        let Some(o) = edges.first().map(|e| e.a) else {
            return 0.0;
        };
        edges
            .iter()
            .map(|e| {
                let (a, b) = (
                    [e.a[0] - o[0], e.a[1] - o[1]],
                    [e.b[0] - o[0], e.b[1] - o[1]],
                );
                a[0] * b[1] - a[1] * b[0]
            })
            .sum::<f64>()
            * 0.5
    }

    fn ring_box(&self, ring: &RingSpan) -> ([f64; 2], [f64; 2]) {
        bounding_box(self.edges[ring.start..ring.end].iter().map(|e| e.a))
    }

    fn ring_contains(&self, ring: &RingSpan, p: [f64; 2]) -> bool {
        self.edges[ring.start..ring.end]
            .iter()
            .filter(|e| e.ray_crosses(p))
            .count()
            % 2
            == 1
    }

    /// The points of the outer rings.
    fn outer_vertices(&self) -> impl Iterator<Item = [f64; 2]> + '_ {
        self.rings
            .iter()
            .filter(|r| r.id.ring == 0)
            .flat_map(|r| self.edges[r.start..r.end].iter().map(|e| e.a))
    }

    /// A point well inside polygon 0: of the middles of the widest inside stretch of a few
    /// horizontal lines across it, the one farthest from the boundary.
    fn interior_xy(&self) -> [f64; 2] {
        let own: Vec<&Edge> = self
            .rings
            .iter()
            .filter(|r| r.id.polygon == 0)
            .flat_map(|r| &self.edges[r.start..r.end])
            .collect();
        let (lo, hi) = bounding_box(own.iter().map(|e| e.a));
        let widest_middle = |y: f64| {
            let mut xs: Vec<f64> = own
                .iter()
                .filter(|e| (e.a[1] > y) != (e.b[1] > y))
                .map(|e| e.a[0] + (y - e.a[1]) * (e.b[0] - e.a[0]) / (e.b[1] - e.a[1]))
                .collect();
            xs.sort_by(f64::total_cmp);
            let widest = xs
                .chunks_exact(2)
                .max_by(|a, b| (a[1] - a[0]).total_cmp(&(b[1] - b[0])))?;
            Some([(widest[0] + widest[1]) * 0.5, y])
        };
        [0.5, 0.31, 0.69, 0.17, 0.83, 0.43, 0.57]
            .into_iter()
            .filter_map(|f| widest_middle(lo[1] + f * (hi[1] - lo[1])))
            .map(|q| (q, self.signed_distance(q)))
            .filter(|&(_, d)| d < 0.0)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map_or(lo, |(q, _)| q)
    }

    /// Parameters along `e` (0..=1) where edges of this set meet it.
    fn cuts(&self, e: &Edge, ts: &mut Vec<f64>) {
        let (lo, hi) = bounding_box([e.a, e.b].into_iter());
        let (ix0, iy0) = self.grid.cell_of([lo[0] - MIN_GAP_M, lo[1] - MIN_GAP_M]);
        let (ix1, iy1) = self.grid.cell_of([hi[0] + MIN_GAP_M, hi[1] + MIN_GAP_M]);
        let d = sub(e.b, e.a);
        let len = d[0].hypot(d[1]);
        for iy in iy0..=iy1 {
            for ix in ix0..=ix1 {
                for &f in self.grid.items(iy * self.grid.nx + ix) {
                    let f = &self.edges[f as usize];
                    let g = sub(f.b, f.a);
                    let w = sub(f.a, e.a);
                    let den = cross(d, g);
                    if den.abs() > 1e-12 * len * g[0].hypot(g[1]) {
                        let (t, u) = (cross(w, g) / den, cross(w, d) / den);
                        let within = -1e-9..=1.0 + 1e-9;
                        if within.contains(&t) && within.contains(&u) {
                            ts.push(t.clamp(0.0, 1.0));
                        }
                    } else if cross(w, d).abs() <= 1e-6 * len {
                        // Collinear: where the other edge's ends fall along this one.
                        for q in [f.a, f.b] {
                            ts.push((dot(sub(q, e.a), d) * e.inv_len2).clamp(0.0, 1.0));
                        }
                    }
                }
            }
        }
    }

    fn heap_bytes(&self) -> usize {
        self.edges.capacity() * size_of::<Edge>()
            + self.rings.capacity() * size_of::<RingSpan>()
            + self.grid.cells.capacity() * size_of::<Cell>()
            + (self.grid.starts.capacity() + self.grid.items.capacity()) * size_of::<u32>()
    }
}

/// What a nearest-edge search needs to know.
#[derive(Copy, Clone)]
struct Search {
    /// No cell is nearer than this to the point.
    floor: f64,
    /// Edges farther than this do not matter.
    limit: f64,
    /// An edge within the square root of this settles the question.
    enough2: f64,
}

impl Search {
    /// A search for the nearest edge, wherever it is.
    fn all(floor: f64) -> Search {
        Search {
            floor,
            limit: f64::INFINITY,
            enough2: 0.0,
        }
    }
}

/// The largest f32 at most `x`, so that a bound stays a bound.
fn round_down(x: f64) -> f32 {
    let y = x as f32;
    if f64::from(y) > x { y.next_down() } else { y }
}

/// A signed distance from insideness and the distance to the nearest edge (None: beyond reach).
fn signed(inside: bool, nearest: Option<f64>) -> f64 {
    let d = nearest.unwrap_or(f64::INFINITY);
    if inside { -d } else { d }
}

// ---------------------------------------------------------------------------------------------
// The grid

/// A uniform grid of square cells over a polygon set's bounding box (padded so that no point of
/// the boundary lies on its border). Each cell lists the edges within [`MIN_GAP_M`] of it.
#[derive(Clone, Debug)]
struct Grid {
    min: [f64; 2],
    max: [f64; 2],
    cell: f64,
    inv_cell: f64,
    nx: usize,
    ny: usize,
    cells: Vec<Cell>,
    /// Cell i lists `items[starts[i]..starts[i + 1]]`.
    starts: Vec<u32>,
    items: Vec<u32>,
}

#[derive(Copy, Clone, Debug)]
struct Cell {
    /// No point of the cell is nearer than this to the boundary (metres; may be negative).
    clear: f32,
    /// Whether the cell's anchor is inside.
    inside: bool,
    /// Which of [`ANCHORS`] is the cell's anchor: a point well clear of the boundary from which
    /// crossings are counted.
    anchor: u8,
}

/// Candidate anchors, as fractions of a cell; the first is its centre.
const ANCHORS: [[f64; 2]; 5] = [
    [0.5, 0.5],
    [0.27, 0.31],
    [0.73, 0.69],
    [0.29, 0.77],
    [0.71, 0.23],
];

impl Grid {
    /// Cells about twice as many as edges (at least 64), each edge listed where it passes.
    fn layout(edges: &[Edge]) -> Grid {
        let (lo, hi) = bounding_box(edges.iter().map(|e| e.a));
        let pad = 1.0 + 1e-3 * (hi[0] - lo[0]).max(hi[1] - lo[1]);
        let min = [lo[0] - pad, lo[1] - pad];
        let (w, h) = (hi[0] - lo[0] + 2.0 * pad, hi[1] - lo[1] + 2.0 * pad);
        let target = (2 * edges.len()).clamp(64, 1 << 18) as f64;
        // Cells no smaller than a sixteenth of the mean edge, so that shapes of many long edges
        // do not list each edge in hundreds of cells.
        let length: f64 = edges.iter().map(|e| dist2(e.a, e.b).sqrt()).sum();
        let cell = (w * h / target).sqrt().max(length / (8.0 * target));
        let nx = ((w / cell).ceil() as usize).max(1);
        let ny = ((h / cell).ceil() as usize).max(1);
        let mut grid = Grid {
            min,
            max: [min[0] + nx as f64 * cell, min[1] + ny as f64 * cell],
            cell,
            inv_cell: 1.0 / cell,
            nx,
            ny,
            cells: Vec::new(),
            starts: Vec::new(),
            items: Vec::new(),
        };
        grid.list_edges(edges);
        grid
    }

    fn list_edges(&mut self, edges: &[Edge]) {
        let mut pairs: Vec<(u32, u32)> = Vec::with_capacity(edges.len() * 3);
        for (i, e) in edges.iter().enumerate() {
            let (lo, hi) = bounding_box([e.a, e.b].into_iter());
            let (ix0, iy0) = self.cell_of([lo[0] - MIN_GAP_M, lo[1] - MIN_GAP_M]);
            let (ix1, iy1) = self.cell_of([hi[0] + MIN_GAP_M, hi[1] + MIN_GAP_M]);
            for iy in iy0..=iy1 {
                for ix in ix0..=ix1 {
                    let corner = [
                        self.min[0] + ix as f64 * self.cell,
                        self.min[1] + iy as f64 * self.cell,
                    ];
                    let box_lo = [corner[0] - MIN_GAP_M, corner[1] - MIN_GAP_M];
                    let box_hi = [
                        corner[0] + self.cell + MIN_GAP_M,
                        corner[1] + self.cell + MIN_GAP_M,
                    ];
                    if clip(e.a, e.b, box_lo, box_hi).is_some() {
                        pairs.push(((iy * self.nx + ix) as u32, i as u32));
                    }
                }
            }
        }
        pairs.sort_unstable();
        let mut starts = Vec::with_capacity(self.nx * self.ny + 1);
        let mut next = 0;
        for cell in 0..self.nx * self.ny {
            starts.push(next as u32);
            while pairs.get(next).is_some_and(|&(c, _)| c as usize == cell) {
                next += 1;
            }
        }
        starts.push(next as u32);
        self.starts = starts;
        self.items = pairs.iter().map(|&(_, e)| e).collect();
    }

    /// The cell holding `p`, or the nearest one.
    #[inline]
    fn cell_of(&self, p: [f64; 2]) -> (usize, usize) {
        // `as usize` saturates: points left of or below the grid land in column or row 0.
        let ix = ((p[0] - self.min[0]) * self.inv_cell) as usize;
        let iy = ((p[1] - self.min[1]) * self.inv_cell) as usize;
        (ix.min(self.nx - 1), iy.min(self.ny - 1))
    }

    #[inline]
    fn items(&self, cell: usize) -> &[u32] {
        let (s, e) = (self.starts[cell] as usize, self.starts[cell + 1] as usize);
        &self.items[s..e]
    }

    /// Squared distance from `p` to the grid's box (0 inside it).
    #[inline]
    fn box_dist2(&self, p: [f64; 2]) -> f64 {
        let dx = (self.min[0] - p[0]).max(p[0] - self.max[0]).max(0.0);
        let dy = (self.min[1] - p[1]).max(p[1] - self.max[1]).max(0.0);
        dx * dx + dy * dy
    }

    /// Distance from `p` to the border of cell (ix, iy), 0 when `p` is not in it.
    #[inline]
    fn border_gap(&self, p: [f64; 2], ix: usize, iy: usize) -> f64 {
        let x0 = self.min[0] + ix as f64 * self.cell;
        let y0 = self.min[1] + iy as f64 * self.cell;
        let gap = (p[0] - x0)
            .min(x0 + self.cell - p[0])
            .min(p[1] - y0)
            .min(y0 + self.cell - p[1]);
        gap.max(0.0)
    }

    #[inline]
    fn anchor(&self, ix: usize, iy: usize, k: u8) -> [f64; 2] {
        let [fx, fy] = ANCHORS[k as usize % ANCHORS.len()];
        [
            self.min[0] + (ix as f64 + fx) * self.cell,
            self.min[1] + (iy as f64 + fy) * self.cell,
        ]
    }

    /// Calls `f` with the column and row of each cell at Chebyshev distance `k` from (ix, iy).
    #[inline]
    fn for_ring(&self, ix: usize, iy: usize, k: usize, mut f: impl FnMut(usize, usize)) {
        if k == 0 {
            f(ix, iy);
            return;
        }
        let (x0, x1) = (ix.saturating_sub(k), (ix + k).min(self.nx - 1));
        for row in [iy.checked_sub(k), Some(iy + k).filter(|&y| y < self.ny)]
            .into_iter()
            .flatten()
        {
            (x0..=x1).for_each(|x| f(x, row));
        }
        let (y0, y1) = ((iy + 1).saturating_sub(k), (iy + k - 1).min(self.ny - 1));
        for col in [ix.checked_sub(k), Some(ix + k).filter(|&x| x < self.nx)]
            .into_iter()
            .flatten()
        {
            (y0..=y1).for_each(|y| f(col, y));
        }
    }

    /// Squared distance from `p` to cell (ix, iy).
    #[inline]
    fn cell_dist2(&self, p: [f64; 2], ix: usize, iy: usize) -> f64 {
        let x0 = self.min[0] + ix as f64 * self.cell;
        let y0 = self.min[1] + iy as f64 * self.cell;
        let dx = (x0 - p[0]).max(p[0] - x0 - self.cell).max(0.0);
        let dy = (y0 - p[1]).max(p[1] - y0 - self.cell).max(0.0);
        dx * dx + dy * dy
    }

    /// For each cell, the number of king's moves to the nearest cell that lists an edge.
    fn steps_to_boundary(&self) -> Vec<usize> {
        let mut steps = vec![usize::MAX; self.nx * self.ny];
        let mut queue = VecDeque::new();
        for (cell, s) in steps.iter_mut().enumerate() {
            if !self.items(cell).is_empty() {
                *s = 0;
                queue.push_back(cell);
            }
        }
        while let Some(cell) = queue.pop_front() {
            let (ix, iy) = (cell % self.nx, cell / self.nx);
            let next = steps[cell] + 1;
            self.for_ring(ix, iy, 1, |x, y| {
                let n = y * self.nx + x;
                if steps[n] == usize::MAX {
                    steps[n] = next;
                    queue.push_back(n);
                }
            });
        }
        steps
    }
}

// ---------------------------------------------------------------------------------------------
// Pairs of polygon sets

/// What sample points beside every piece of every edge of two polygon sets (their edges cut where
/// they meet) say. Every face of the arrangement of both boundaries borders such a piece, so the
/// samples see every face (except slivers thinner than [`MIN_OVERLAP_M`]).
struct Faces {
    /// Some sample is inside both.
    in_both: bool,
    /// Some sample is inside the second.
    in_other: bool,
    /// Some sample is inside the second but not the first.
    in_other_only: bool,
}

impl Faces {
    fn of(first: &Polygons, second: &Polygons) -> Faces {
        let mut faces = Faces {
            in_both: false,
            in_other: false,
            in_other_only: false,
        };
        let mut ts = Vec::new();
        for (mine, theirs) in [(first, second), (second, first)] {
            for e in &mine.edges {
                ts.clear();
                ts.extend([0.0, 1.0]);
                theirs.cuts(e, &mut ts);
                ts.sort_by(f64::total_cmp);
                for w in ts.windows(2) {
                    faces.sample_piece(first, second, e, w[0], w[1]);
                }
            }
        }
        faces
    }

    /// Samples both sides of the middle of the piece of `e` from `t0` to `t1`, each at the
    /// largest offset (halving down to [`MIN_OVERLAP_M`]) whose neighbourhood no edge enters.
    fn sample_piece(&mut self, first: &Polygons, second: &Polygons, e: &Edge, t0: f64, t1: f64) {
        let d = sub(e.b, e.a);
        let len = d[0].hypot(d[1]);
        let piece = (t1 - t0) * len;
        if piece < 2.0 * MIN_OVERLAP_M {
            return;
        }
        let t = (t0 + t1) * 0.5;
        let mid = [e.a[0] + t * d[0], e.a[1] + t * d[1]];
        let normal = [-d[1] / len, d[0] / len];
        for side in [1.0, -1.0] {
            let mut offset = (piece / 4.0).min(1.0);
            while offset >= MIN_OVERLAP_M {
                let q = [
                    mid[0] + side * offset * normal[0],
                    mid[1] + side * offset * normal[1],
                ];
                let (a, b) = (first.signed_distance(q), second.signed_distance(q));
                if a.abs() >= 0.999 * offset && b.abs() >= 0.999 * offset {
                    self.in_both |= a < 0.0 && b < 0.0;
                    self.in_other |= b < 0.0;
                    self.in_other_only |= b < 0.0 && a > 0.0;
                    break;
                }
                offset *= 0.5;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Plane helpers

fn sub(a: [f64; 2], b: [f64; 2]) -> [f64; 2] {
    [a[0] - b[0], a[1] - b[1]]
}

fn cross(a: [f64; 2], b: [f64; 2]) -> f64 {
    a[0] * b[1] - a[1] * b[0]
}

fn dot(a: [f64; 2], b: [f64; 2]) -> f64 {
    a[0] * b[0] + a[1] * b[1]
}

fn dist2(a: [f64; 2], b: [f64; 2]) -> f64 {
    let d = sub(a, b);
    dot(d, d)
}

/// Twice the signed area of triangle a, b, c: positive when c is left of a→b.
#[inline]
fn orient(a: [f64; 2], b: [f64; 2], c: [f64; 2]) -> f64 {
    cross(sub(b, a), sub(c, a))
}

/// Whether the segment from `s` to `p` crosses edge `e`. An end of the edge exactly on the
/// segment's line counts as right of it, so a path through a vertex crosses once or not at all.
#[inline]
fn crosses(s: [f64; 2], p: [f64; 2], e: &Edge) -> bool {
    (orient(s, p, e.a) > 0.0) != (orient(s, p, e.b) > 0.0)
        && (orient(e.a, e.b, s) > 0.0) != (orient(e.a, e.b, p) > 0.0)
}

/// Squared distance between two segments.
fn segments_dist2(e: &Edge, f: &Edge) -> f64 {
    let proper = orient(e.a, e.b, f.a) * orient(e.a, e.b, f.b) < 0.0
        && orient(f.a, f.b, e.a) * orient(f.a, f.b, e.b) < 0.0;
    if proper {
        return 0.0;
    }
    f.dist2(e.a)
        .min(f.dist2(e.b))
        .min(e.dist2(f.a))
        .min(e.dist2(f.b))
}

/// The part of the segment a→b inside the box, as a range of its parameter (Liang–Barsky).
fn clip(a: [f64; 2], b: [f64; 2], lo: [f64; 2], hi: [f64; 2]) -> Option<(f64, f64)> {
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for axis in [0, 1] {
        let d = b[axis] - a[axis];
        if d == 0.0 {
            if a[axis] < lo[axis] || a[axis] > hi[axis] {
                return None;
            }
            continue;
        }
        let (ta, tb) = ((lo[axis] - a[axis]) / d, (hi[axis] - a[axis]) / d);
        t0 = t0.max(ta.min(tb));
        t1 = t1.min(ta.max(tb));
        if t0 > t1 {
            return None;
        }
    }
    Some((t0, t1))
}

fn lerp(a: [f64; 2], b: [f64; 2], t: f64) -> [f64; 2] {
    [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]
}

fn bounding_box(points: impl Iterator<Item = [f64; 2]>) -> ([f64; 2], [f64; 2]) {
    points.fold(
        ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]),
        |(lo, hi), p| {
            (
                [lo[0].min(p[0]), lo[1].min(p[1])],
                [hi[0].max(p[0]), hi[1].max(p[1])],
            )
        },
    )
}

fn in_box(p: [f64; 2], (lo, hi): ([f64; 2], [f64; 2])) -> bool {
    (lo[0]..=hi[0]).contains(&p[0]) && (lo[1]..=hi[1]).contains(&p[1])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A star-shaped ring around `c`: `n` points at the given radii, evenly spaced in angle.
    fn star(c: [f64; 2], radii: &[f64], turn: f64) -> Vec<[f64; 2]> {
        let n = radii.len() as f64;
        radii
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let a = turn + std::f64::consts::TAU * i as f64 / n;
                [c[0] + r * a.cos(), c[1] + r * a.sin()]
            })
            .collect()
    }

    /// Signed distance over every edge, insideness by a ray across every edge.
    fn brute_force(set: &Polygons, p: [f64; 2]) -> f64 {
        let d2 = set
            .edges
            .iter()
            .map(|e| e.dist2(p))
            .fold(f64::INFINITY, f64::min);
        let inside = set.edges.iter().filter(|e| e.ray_crosses(p)).count() % 2 == 1;
        signed(inside, Some(d2.sqrt()))
    }

    fn test_set(radii: &[f64], hole: bool, second: bool) -> Polygons {
        let mut rings = vec![(
            RingRef {
                polygon: 0,
                ring: 0,
            },
            star([0.0, 0.0], radii, 0.1),
        )];
        if hole {
            let inner: Vec<f64> = radii.iter().map(|r| r * 0.1).collect();
            rings.push((
                RingRef {
                    polygon: 0,
                    ring: 1,
                },
                star([0.0, 0.0], &inner, 0.3),
            ));
        }
        if second {
            let other: Vec<f64> = radii.iter().rev().map(|r| r * 0.5).collect();
            rings.push((
                RingRef {
                    polygon: 1,
                    ring: 0,
                },
                star([2500.0, 300.0], &other, 0.0),
            ));
        }
        let rings: Vec<_> = rings.iter().map(|(id, p)| (*id, p.as_slice())).collect();
        let set = Polygons::new(&rings);
        let written = (0..set.edges.len()).collect();
        assert_eq!(Checker::new(&set, written).check(), Ok(()));
        set
    }

    proptest! {
        #[test]
        fn grid_answers_equal_brute_force(
            radii in prop::collection::vec(400.0..1000.0f64, 5..60),
            hole in any::<bool>(),
            second in any::<bool>(),
            points in prop::collection::vec((-1500.0..4000.0f64, -1500.0..1500.0f64), 50),
        ) {
            let set = test_set(&radii, hole, second);
            let vertices = set.edges.iter().map(|e| [e.a[0] + 0.3, e.a[1] - 0.2]);
            for p in points.iter().map(|&(x, y)| [x, y]).chain(vertices) {
                let (grid, brute) = (set.signed_distance(p), brute_force(&set, p));
                prop_assert!((grid - brute).abs() < 1e-9, "{p:?}: {grid} vs {brute}");
            }
        }

        #[test]
        fn plane_round_trips(lat in -80.0..80.0f64, lon in -180.0..180.0f64,
                             dlat in -2.0..2.0f64, dlon in -4.0..4.0f64) {
            let frame = Frame::new(GeoPoint { lat, lon });
            let p = GeoPoint { lat: lat + dlat, lon: wrap_degrees(lon + dlon) };
            let Place::Near(xy) = frame.locate(p) else { panic!("{p:?} is near") };
            let back = frame.to_geo(xy);
            prop_assert!((back.lat - p.lat).abs() < 1e-10 && wrap_degrees(back.lon - p.lon).abs() < 1e-10,
                "{p:?} came back as {back:?}");
        }

        #[test]
        fn radius_series_matches_std(x in 0.0..=WGS84_E2) {
            let exact = 1.0 / (1.0 - x).sqrt();
            prop_assert!((inv_sqrt_one_minus(x) - exact).abs() <= 4e-16 * exact);
        }

        #[test]
        fn latitude_cosine_matches_std(x in -std::f64::consts::FRAC_PI_2..=std::f64::consts::FRAC_PI_2) {
            prop_assert!((cos_latitude(x) - x.cos()).abs() <= 5e-15);
        }

        #[test]
        fn short_series_matches_std(x in -0.05..0.05f64) {
            let ((s, c), (ss, sc)) = (sin_cos(x), x.sin_cos());
            prop_assert!((s - ss).abs() <= 2e-16 && (c - sc).abs() <= 2e-16);
        }
    }

    /// A comb with square teeth on whole metres, and a square hole: many edges on shared lines.
    fn comb(teeth: usize) -> Polygons {
        let mut outer = vec![[0.0, 0.0]];
        for i in 0..teeth {
            let x = 4.0 * i as f64;
            outer.extend([
                [x + 1.0, 0.0],
                [x + 1.0, 10.0],
                [x + 3.0, 10.0],
                [x + 3.0, 0.0],
            ]);
        }
        outer.extend([
            [4.0 * teeth as f64, 0.0],
            [4.0 * teeth as f64, -6.0],
            [0.0, -6.0],
        ]);
        let hole = [[1.0, -4.0], [1.0, -2.0], [3.0, -2.0], [3.0, -4.0]];
        let rings = [
            (
                RingRef {
                    polygon: 0,
                    ring: 0,
                },
                outer.as_slice(),
            ),
            (
                RingRef {
                    polygon: 0,
                    ring: 1,
                },
                hole.as_slice(),
            ),
        ];
        let set = Polygons::new(&rings);
        let written = (0..set.edges.len()).collect();
        assert_eq!(Checker::new(&set, written).check(), Ok(()));
        set
    }

    proptest! {
        #[test]
        fn points_on_the_lines_of_a_comb_equal_brute_force(
            teeth in 1..40usize,
            points in prop::collection::vec((-3i32..170, -8i32..13, 0..4u8), 100),
        ) {
            let set = comb(teeth);
            for (x, y, frac) in points {
                // Whole and half metres: on vertices, on edges and on their lines.
                let p = [f64::from(x) + f64::from(frac % 2) * 0.5, f64::from(y) + f64::from(frac / 2) * 0.5];
                let (grid, brute) = (set.signed_distance(p), brute_force(&set, p));
                prop_assert!(
                    (grid - brute).abs() < 1e-9 || (grid.abs() < 1e-9 && brute.abs() < 1e-9),
                    "{p:?}: {grid} vs {brute}"
                );
            }
        }
    }

    /// A zone around (lon, lat): a circle, or a polygon of 5-20 points `radius` metres out,
    /// give or take 30 %.
    fn quick_zone(lat: f64, lon: f64, radius: f64, jitter: &[f64]) -> CompiledShape {
        if jitter.len() < 5 {
            return compile_circle([lon, lat], radius).expect("a circle");
        }
        let (per_lat, per_lon) = (111_000.0, 111_000.0 * lat.to_radians().cos());
        let n = jitter.len() as f64;
        let mut ring: Vec<[f64; 2]> = jitter
            .iter()
            .enumerate()
            .map(|(i, j)| {
                let a = std::f64::consts::TAU * i as f64 / n;
                let r = radius * (1.0 + 0.3 * j);
                [lon + r * a.cos() / per_lon, lat + r * a.sin() / per_lat]
            })
            .collect();
        ring.push(ring[0]);
        compile_polygons(&[vec![ring]]).expect("a star-shaped polygon")
    }

    /// A position on the border of a quick box (`t` along it), moved by `nudge` degrees.
    fn on_box(zone: &CompiledShape, b: [f32; 4], t: f64, nudge: [f64; 2]) -> GeoPoint {
        let b = b.map(f64::from);
        let (w, h) = (b[3] - b[2], b[1] - b[0]);
        let s = t * 2.0 * (w + h);
        let [dlat, dlon] = if s < w {
            [b[0], b[2] + s]
        } else if s < w + h {
            [b[0] + s - w, b[3]]
        } else if s < 2.0 * w + h {
            [b[1], b[3] - (s - w - h)]
        } else {
            [b[1] - (s - 2.0 * w - h), b[2]]
        };
        GeoPoint {
            lat: zone.frame.origin.lat + dlat + nudge[0],
            lon: wrap_degrees(zone.frame.origin.lon + dlon + nudge[1]),
        }
    }

    proptest! {
        /// Around and along both boxes, with every query radius they take and just beyond:
        /// the boxes answer as the plane would.
        #[test]
        fn quick_boxes_answer_as_the_plane(
            lat in -79.0..79.0f64,
            lon in -170.0..170.0f64,
            radius in prop_oneof![20.0..600.0f64, 600.0..5000.0f64, 5000.0..60_000.0f64],
            jitter in prop::collection::vec(-1.0..1.0f64, 0..20),
            points in prop::collection::vec((0.0..1.0f64, -1.0..1.0f64, -1.0..1.0f64, 0.0..600.0f64), 60),
        ) {
            let zone = quick_zone(lat, lon, radius, &jitter);
            let quick = zone.quick;
            for (i, &(t, nlat, nlon, r)) in points.iter().enumerate() {
                let b = if i % 2 == 0 { quick.outer } else { quick.inner };
                if b == Quick::EMPTY {
                    continue;
                }
                let scale = [1e-3, 1e-5, 1e-7][i % 3];
                let p = on_box(&zone, b, t, [nlat * scale, nlon * scale]);
                let inner_m = f64::from(quick.inner_m);
                for r in [r, r * inner_m / QUICK_M, QUICK_M, QUICK_M * (1.0 + 1e-12), inner_m, inner_m * (1.0 + 1e-12)] {
                    let d = zone.signed_distance_m(p);
                    let rule = decide(d, r);
                    prop_assert_eq!(zone.classify(p, r, 0.0), rule, "{:?} ±{}: {}", p, r, d);
                }
            }
        }
    }

    #[test]
    fn quick_boxes_decide_the_usual_zones() {
        // A city to stay in, 8 km across, and a park 400 m across to keep out of.
        let city = quick_zone(56.95, 24.1, 4000.0, &[0.0; 24]);
        let park = quick_zone(56.95, 24.1, 200.0, &[0.0; 8]);
        // A curfew address: a fix 20 m good a few metres from its middle is inside.
        let home = quick_zone(56.95, 24.1, 50.0, &[]);
        assert_eq!(
            home.classify(
                GeoPoint {
                    lat: 56.95002,
                    lon: 24.1
                },
                20.0,
                0.0
            ),
            Side::Inside
        );
        assert_eq!(
            home.quick.side(
                GeoPoint {
                    lat: 56.95002,
                    lon: 24.1
                },
                20.0,
                0.0
            ),
            Some(Side::Inside)
        );
        assert!(
            Quick::holds(city.quick.inner, 0.01, 0.01),
            "{:?}",
            city.quick
        );
        assert!(
            !Quick::holds(park.quick.outer, 0.01, 0.01),
            "{:?}",
            park.quick
        );
        assert!(park.quick.inner_m < 100.0, "{:?}", park.quick);
    }

    #[test]
    fn cells_far_from_the_boundary_answer_at_once() {
        let set = test_set(&[1000.0; 40], false, false);
        let centre = set.grid.cell_of([0.0, 0.0]);
        let cell = set.grid.cells[centre.1 * set.grid.nx + centre.0];
        assert!(cell.inside && cell.clear > 500.0, "{cell:?}");
        let corner = set.grid.cells[0];
        assert!(!corner.inside, "{corner:?}");
    }
}
