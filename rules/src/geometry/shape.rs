//! Shapes as a policy writes them: the serde form of a zone (GeoJSON order, `[lon, lat]`), the
//! limits a shape must keep, and the errors that refuse one, naming the ring, point or edge at
//! fault as written. Everything else in [`super`] starts from these.

use std::fmt;

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
///
/// [`CompiledShape::overlaps`]: super::CompiledShape::overlaps
/// [`CompiledShape::contains`]: super::CompiledShape::contains
pub const MIN_OVERLAP_M: f64 = 0.01;
/// Closest that two edges of a zone may come, in metres, except consecutive edges at their shared
/// point. Consecutive points closer than this are merged into one.
pub const MIN_GAP_M: f64 = 0.001;

/// A WGS84 position in degrees.
#[derive(Copy, Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    /// Latitude in degrees, north positive.
    pub lat: f64,
    /// Longitude in degrees, east positive.
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
    /// A disc around a point, such as an exclusion zone around a victim's home.
    Circle {
        /// The centre as `[lon, lat]` in degrees.
        centre: [f64; 2],
        /// The radius in metres.
        radius_m: f64,
    },
    /// One area, possibly with holes.
    Polygon {
        /// The outer ring first, then the holes; each ring a closed list of `[lon, lat]` points.
        coordinates: Vec<Vec<[f64; 2]>>,
    },
    /// Several separate areas that make up one zone.
    MultiPolygon {
        /// The polygons, each written as in [`ZoneShape::Polygon`].
        coordinates: Vec<Vec<Vec<[f64; 2]>>>,
    },
}

/// A ring of a shape as written: indices count from 0, as in the GeoJSON arrays (ring 0 of a
/// polygon is its outer boundary, the others are holes; a plain polygon is polygon 0).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct RingRef {
    /// Which polygon: 0 for a plain polygon, the index in a multipolygon's list otherwise.
    pub polygon: usize,
    /// Which ring of that polygon: 0 is the outer boundary, the others are holes.
    pub ring: usize,
}

/// A point of a shape as written.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum PointRef {
    /// The centre of a circle zone.
    CircleCentre,
    /// A point of a polygon's ring.
    Vertex {
        /// The ring it belongs to.
        ring: RingRef,
        /// Its index in that ring as written.
        point: usize,
    },
}

/// The edge of a ring that starts at point `from_point`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct EdgeRef {
    /// The ring the edge belongs to.
    pub ring: RingRef,
    /// The index of the edge's first point in that ring, as written.
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
    /// A latitude or longitude is NaN or infinite.
    #[error("{at}: a coordinate is not a finite number")]
    NonFinite {
        /// The point at fault.
        at: PointRef,
    },
    /// A latitude beyond ±90°, most often a point written `[lat, lon]` instead of `[lon, lat]`.
    #[error("{at}: latitude {lat} is outside -90..90 (points are written [longitude, latitude])")]
    LatitudeOutOfRange {
        /// The point at fault.
        at: PointRef,
        /// The latitude as written, in degrees.
        lat: f64,
    },
    /// A longitude beyond ±180°.
    #[error("{at}: longitude {lon} is outside -180..180")]
    LongitudeOutOfRange {
        /// The point at fault.
        at: PointRef,
        /// The longitude as written, in degrees.
        lon: f64,
    },
    /// A point nearer a pole than [`MAX_LATITUDE`], the highest latitude a zone may reach.
    #[error("{at}: latitude {lat} is nearer a pole than the supported {MAX_LATITUDE}°")]
    TooNearPole {
        /// The point at fault.
        at: PointRef,
        /// Its latitude, in degrees.
        lat: f64,
    },
    /// A circle whose radius is zero, negative or not a number.
    #[error("the circle's radius must be a positive number of metres, not {radius_m}")]
    BadRadius {
        /// The radius as written, in metres.
        radius_m: f64,
    },
    /// A multipolygon with an empty list of polygons: it would cover nowhere.
    #[error("the multipolygon has no polygons")]
    EmptyMultiPolygon,
    /// A polygon with no rings at all.
    #[error("polygon {polygon} has no rings")]
    EmptyPolygon {
        /// Which polygon of the multipolygon (0 for a plain polygon).
        polygon: usize,
    },
    /// A ring whose last point is not its first again, as GeoJSON requires.
    #[error("{ring} is not closed: its last point must repeat its first")]
    RingNotClosed {
        /// The ring at fault.
        ring: RingRef,
    },
    /// A ring with fewer than 3 distinct points, which cannot enclose an area.
    #[error(
        "{ring} has {distinct} distinct points; a ring needs at least 3, then its first point again"
    )]
    TooFewPoints {
        /// The ring at fault.
        ring: RingRef,
        /// How many distinct points it has (after merging points closer than [`MIN_GAP_M`]).
        distinct: usize,
    },
    /// Two edges cross, touch or come within [`MIN_GAP_M`], so inside and outside are ambiguous.
    #[error(
        "{first} and {second} cross or touch (or come within {MIN_GAP_M} m); a zone's boundary \
         must not meet itself"
    )]
    SelfIntersection {
        /// One of the two edges.
        first: EdgeRef,
        /// The other edge.
        second: EdgeRef,
    },
    /// A ring enclosing less than [`MIN_RING_AREA_M2`].
    #[error("{ring} encloses (almost) no area: less than {MIN_RING_AREA_M2} m²")]
    ZeroArea {
        /// The ring at fault.
        ring: RingRef,
    },
    /// A hole that is not inside its polygon's outer boundary.
    #[error("{hole} is not inside the outer boundary of its polygon")]
    HoleOutsideShell {
        /// The hole at fault.
        hole: RingRef,
    },
    /// Two polygons of a multipolygon overlap, or a hole lies inside another hole.
    #[error(
        "{ring} lies inside {container}: a zone's polygons must not overlap, nor its holes nest"
    )]
    RingsOverlap {
        /// The ring found inside another.
        ring: RingRef,
        /// The ring that contains it.
        container: RingRef,
    },
    /// A zone crossing the 180° meridian, which the local plane cannot represent in one piece.
    #[error("the zone crosses the 180° meridian; split it there into separate polygons")]
    CrossesAntimeridian,
    /// A zone wider than [`MAX_SPAN_M`], beyond which local plane distances drift too far.
    #[error(
        "the zone spans about {span_km:.0} km; at most {} km is supported, because distances \
         are computed on a local plane that stays accurate only up to that size",
        MAX_SPAN_M / 1000.0
    )]
    TooLarge {
        /// Its span, in kilometres.
        span_km: f64,
    },
    /// A zone with more than [`MAX_VERTICES`] points.
    #[error("the zone has {count} points; at most {MAX_VERTICES} are supported")]
    TooManyVertices {
        /// How many points it has, counting each ring's closing point.
        count: usize,
    },
}
