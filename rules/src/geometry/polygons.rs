//! Polygons on the plane: a set of rings with even-odd insideness and the grid over them, giving
//! exact signed distances and the hot-path classification of a point, plus what compiling, the
//! checks and overlap tests need of them (areas, containment, moving to another plane, cuts).

use super::grid::{ANCHORS, Cell, Grid};
use super::planar::{Edge, SLACK_M, bounding_box, cross, crosses, dot, round_down, sub};
use super::plane::{Frame, Place};
use super::shape::{MIN_GAP_M, RingRef};
use super::side::{Side, decide};

#[derive(Clone, Debug)]
pub(super) struct RingSpan {
    pub(super) id: RingRef,
    /// Its edges: `edges[start..end]`.
    pub(super) start: usize,
    pub(super) end: usize,
}

/// Polygons (rings with even-odd insideness, which the nesting checks make equal to the union of
/// the polygons) on a plane, with a grid to find edges quickly.
#[derive(Clone, Debug)]
pub(super) struct Polygons {
    pub(super) edges: Vec<Edge>,
    pub(super) rings: Vec<RingSpan>,
    pub(super) grid: Grid,
}

impl Polygons {
    pub(super) fn new(rings: &[(RingRef, &[[f64; 2]])]) -> Polygons {
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
    pub(super) fn moved(&self, from: &Frame, to: &Frame) -> Option<Polygons> {
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
    ///
    /// [`CompiledShape::classify`]: super::CompiledShape::classify
    #[inline]
    pub(super) fn classify(&self, p: [f64; 2], r: f64) -> Side {
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

    pub(super) fn signed_distance(&self, p: [f64; 2]) -> f64 {
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

    pub(super) fn ring_area(&self, ring: &RingSpan) -> f64 {
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

    pub(super) fn ring_box(&self, ring: &RingSpan) -> ([f64; 2], [f64; 2]) {
        bounding_box(self.edges[ring.start..ring.end].iter().map(|e| e.a))
    }

    pub(super) fn ring_contains(&self, ring: &RingSpan, p: [f64; 2]) -> bool {
        self.edges[ring.start..ring.end]
            .iter()
            .filter(|e| e.ray_crosses(p))
            .count()
            % 2
            == 1
    }

    /// The points of the outer rings.
    pub(super) fn outer_vertices(&self) -> impl Iterator<Item = [f64; 2]> + '_ {
        self.rings
            .iter()
            .filter(|r| r.id.ring == 0)
            .flat_map(|r| self.edges[r.start..r.end].iter().map(|e| e.a))
    }

    /// A point well inside polygon 0: of the middles of the widest inside stretch of a few
    /// horizontal lines across it, the one farthest from the boundary.
    pub(super) fn interior_xy(&self) -> [f64; 2] {
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
    pub(super) fn cuts(&self, e: &Edge, ts: &mut Vec<f64>) {
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

    pub(super) fn heap_bytes(&self) -> usize {
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

/// A signed distance from insideness and the distance to the nearest edge (None: beyond reach).
pub(super) fn signed(inside: bool, nearest: Option<f64>) -> f64 {
    let d = nearest.unwrap_or(f64::INFINITY);
    if inside { -d } else { d }
}
