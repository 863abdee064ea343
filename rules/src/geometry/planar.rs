//! Arithmetic on the plane: points as `[east, north]` metres, edges, orientation, crossing and
//! clipping tests, and the rounding that keeps a precomputed bound a bound when it is stored
//! as an f32. Shared by the polygon set, its grid, the checks and the quick boxes.

/// Slack in metres when comparing with precomputed bounds: far above rounding (~1e-9 m), far
/// below anything a fix can resolve.
pub(super) const SLACK_M: f64 = 1e-6;

#[derive(Clone, Debug)]
pub(super) struct Edge {
    pub(super) a: [f64; 2],
    pub(super) b: [f64; 2],
    pub(super) inv_len2: f64,
}

impl Edge {
    pub(super) fn new(a: [f64; 2], b: [f64; 2]) -> Edge {
        Edge {
            a,
            b,
            inv_len2: 1.0 / dist2(a, b),
        }
    }

    /// Squared distance from `p` to the edge.
    #[inline]
    pub(super) fn dist2(&self, p: [f64; 2]) -> f64 {
        let (dx, dy) = (self.b[0] - self.a[0], self.b[1] - self.a[1]);
        let (px, py) = (p[0] - self.a[0], p[1] - self.a[1]);
        let t = ((px * dx + py * dy) * self.inv_len2).clamp(0.0, 1.0);
        let (ex, ey) = (px - t * dx, py - t * dy);
        ex * ex + ey * ey
    }

    /// Whether a rightward horizontal ray from `q` crosses the edge (the half-open rule counts a
    /// vertex on the ray once).
    pub(super) fn ray_crosses(&self, q: [f64; 2]) -> bool {
        let (a, b) = (self.a, self.b);
        (a[1] > q[1]) != (b[1] > q[1])
            && q[0] < a[0] + (q[1] - a[1]) * (b[0] - a[0]) / (b[1] - a[1])
    }
}

/// The smallest f32 at least `x`, so that a bound stays a bound.
pub(super) fn round_up(x: f64) -> f32 {
    let y = x as f32;
    if f64::from(y) < x { y.next_up() } else { y }
}

/// The largest f32 at most `x`, so that a bound stays a bound.
pub(super) fn round_down(x: f64) -> f32 {
    let y = x as f32;
    if f64::from(y) > x { y.next_down() } else { y }
}

pub(super) fn sub(a: [f64; 2], b: [f64; 2]) -> [f64; 2] {
    [a[0] - b[0], a[1] - b[1]]
}

pub(super) fn cross(a: [f64; 2], b: [f64; 2]) -> f64 {
    a[0] * b[1] - a[1] * b[0]
}

pub(super) fn dot(a: [f64; 2], b: [f64; 2]) -> f64 {
    a[0] * b[0] + a[1] * b[1]
}

pub(super) fn dist2(a: [f64; 2], b: [f64; 2]) -> f64 {
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
pub(super) fn crosses(s: [f64; 2], p: [f64; 2], e: &Edge) -> bool {
    (orient(s, p, e.a) > 0.0) != (orient(s, p, e.b) > 0.0)
        && (orient(e.a, e.b, s) > 0.0) != (orient(e.a, e.b, p) > 0.0)
}

/// Squared distance between two segments.
pub(super) fn segments_dist2(e: &Edge, f: &Edge) -> f64 {
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
pub(super) fn clip(a: [f64; 2], b: [f64; 2], lo: [f64; 2], hi: [f64; 2]) -> Option<(f64, f64)> {
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

pub(super) fn lerp(a: [f64; 2], b: [f64; 2], t: f64) -> [f64; 2] {
    [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]
}

pub(super) fn bounding_box(points: impl Iterator<Item = [f64; 2]>) -> ([f64; 2], [f64; 2]) {
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

pub(super) fn in_box(p: [f64; 2], (lo, hi): ([f64; 2], [f64; 2])) -> bool {
    (lo[0]..=hi[0]).contains(&p[0]) && (lo[1]..=hi[1]).contains(&p[1])
}
