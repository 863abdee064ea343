//! The topological checks of a polygon set, in plane metres: no boundary meets itself, every
//! ring encloses area, holes sit in their own polygon and polygons do not overlap. Kept apart
//! from compiling because these are the checks whose errors an admin must understand.

use super::planar::{clip, dot, in_box, lerp, segments_dist2, sub};
use super::polygons::Polygons;
use super::shape::{EdgeRef, MIN_GAP_M, MIN_RING_AREA_M2, ShapeError};

/// The topological checks of a polygon set: simple rings, real area, proper nesting.
pub(super) struct Checker<'a> {
    set: &'a Polygons,
    /// Per edge, the index (as written) of the point it starts from.
    written: Vec<usize>,
    /// Per edge, its ring.
    ring_of: Vec<usize>,
    /// Per ring, the area it encloses.
    areas: Vec<f64>,
}

impl<'a> Checker<'a> {
    pub(super) fn new(set: &'a Polygons, written: Vec<usize>) -> Checker<'a> {
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

    pub(super) fn check(&self) -> Result<(), ShapeError> {
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
