//! The answer a fix gets from a shape, and the one rule that gives it from a signed distance
//! and an accuracy circle: shared by the exact path, the grid and the quick boxes, so that every
//! shortcut answers as the exact distance would.

/// Where a fix lies relative to a shape, given its accuracy circle.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Side {
    /// The whole accuracy circle is inside the shape.
    Inside,
    /// The whole accuracy circle is outside the shape.
    Outside,
    /// The accuracy circle straddles the edge: the fix decides nothing.
    Uncertain,
}

/// The decision rule: the whole circle of radius `r` inside, or outside, or neither.
pub(super) fn decide(signed_distance: f64, r: f64) -> Side {
    if signed_distance <= -r {
        Side::Inside
    } else if signed_distance >= r {
        Side::Outside
    } else {
        Side::Uncertain
    }
}

/// The radius of the circle that must be wholly inside or outside: NaN is unknown, so infinite.
pub(super) fn query_radius(accuracy_m: f64, margin_m: f64) -> f64 {
    let clean = |v: f64| {
        if v.is_nan() {
            f64::INFINITY
        } else {
            v.max(0.0)
        }
    };
    clean(accuracy_m) + clean(margin_m)
}
