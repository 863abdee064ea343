//! A compiled shape and the questions it answers: the signed distance of a position, the side
//! of a fix with its accuracy circle (the hot path), and whether two shapes overlap or one
//! contains the other. How a shape gets compiled is in [`super::compile`].

use super::ellipsoid::distance_m;
use super::faces::Faces;
use super::planar::SLACK_M;
use super::plane::{Frame, Place};
use super::polygons::Polygons;
use super::quick::Quick;
use super::shape::{GeoPoint, MIN_OVERLAP_M};
use super::side::{Side, decide, query_radius};

/// Every far position is at least this far from any shape that compiles: with the centre within
/// 80° of the equator a 60° step of longitude is over 900 km even there, and shapes reach at most
/// 250 km from their centre. Far positions are thus Outside for any smaller accuracy circle.
const FAR_FLOOR_M: f64 = 500_000.0;

/// A validated shape, prepared for fast tests. In C order, so that the boxes, which decide
/// most fixes, and the frame come first: a caller fetching ahead fetches the first lines.
#[derive(Clone, Debug)]
#[repr(C)]
pub struct CompiledShape {
    /// First, beside the frame's origin: most fixes are decided by these alone.
    pub(super) quick: Quick,
    pub(super) frame: Frame,
    /// An upper bound on the distance from the centre to any point of the shape, in metres.
    pub(super) reach_m: f64,
    pub(super) interior: GeoPoint,
    pub(super) kind: Kind,
}

#[derive(Clone, Debug)]
pub(super) enum Kind {
    Circle {
        radius_m: f64,
    },
    /// Out of line: the zones of a policy lie side by side, and a fix that is well away from a
    /// polygon is decided from the shape's reach without reading its edges or grid.
    Polygons(Box<Polygons>),
}

impl CompiledShape {
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
