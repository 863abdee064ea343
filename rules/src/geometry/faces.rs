//! Pairs of polygon sets: whether two shapes overlap or one contains the other, from sample
//! points beside every piece of both boundaries (cut where they meet).

use super::planar::{Edge, sub};
use super::polygons::Polygons;
use super::shape::MIN_OVERLAP_M;

/// What sample points beside every piece of every edge of two polygon sets (their edges cut where
/// they meet) say. Every face of the arrangement of both boundaries borders such a piece, so the
/// samples see every face (except slivers thinner than [`MIN_OVERLAP_M`]).
pub(super) struct Faces {
    /// Some sample is inside both.
    pub(super) in_both: bool,
    /// Some sample is inside the second.
    pub(super) in_other: bool,
    /// Some sample is inside the second but not the first.
    pub(super) in_other_only: bool,
}

impl Faces {
    pub(super) fn of(first: &Polygons, second: &Polygons) -> Faces {
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
