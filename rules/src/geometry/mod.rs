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
//!
//! # Modules
//!
//! * `shape`: shapes as a policy writes them (their serde form), the limits they must keep
//!   and the errors that refuse them; `side`: the answer a fix gets.
//! * `ellipsoid`: distances on the WGS84 ellipsoid; `plane`: a shape's local plane.
//! * `compile` and `check`: turning a written shape into a [`CompiledShape`], or refusing it.
//! * `compiled`: the compiled shape's questions (signed distance, classify, overlap).
//! * `quick`: the boxes in degrees that answer most fixes before the plane is used.
//! * `polygons`, `grid` and `planar`: polygon sets on the plane, their spatial index and
//!   the arithmetic under both; `faces`: how two polygon sets overlap.

mod check;
mod compile;
mod compiled;
mod ellipsoid;
mod faces;
mod grid;
mod planar;
mod plane;
mod polygons;
mod quick;
mod shape;
mod side;

#[cfg(test)]
mod plane_tests;
#[cfg(test)]
mod polygons_tests;
#[cfg(test)]
mod quick_tests;

pub use compiled::CompiledShape;
pub use ellipsoid::{distance_m, distance_m_fast, surely_beyond};
pub(crate) use quick::Quick;
pub use shape::{
    EdgeRef, GeoPoint, MAX_LATITUDE, MAX_SPAN_M, MAX_VERTICES, MIN_GAP_M, MIN_OVERLAP_M,
    MIN_RING_AREA_M2, PointRef, RingRef, ShapeError, ZoneShape,
};
pub use side::Side;
