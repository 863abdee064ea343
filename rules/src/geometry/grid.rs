//! The spatial index of a polygon set: a uniform grid of square cells, each listing the edges
//! near it and knowing how far it is from the boundary, so that most points are answered from
//! their cell and the rest search only the cells around them.

use std::collections::VecDeque;

use super::planar::{Edge, bounding_box, clip, dist2};
use super::shape::MIN_GAP_M;

/// A uniform grid of square cells over a polygon set's bounding box (padded so that no point of
/// the boundary lies on its border). Each cell lists the edges within [`MIN_GAP_M`] of it.
#[derive(Clone, Debug)]
pub(super) struct Grid {
    pub(super) min: [f64; 2],
    max: [f64; 2],
    pub(super) cell: f64,
    inv_cell: f64,
    pub(super) nx: usize,
    pub(super) ny: usize,
    pub(super) cells: Vec<Cell>,
    /// Cell i lists `items[starts[i]..starts[i + 1]]`.
    pub(super) starts: Vec<u32>,
    pub(super) items: Vec<u32>,
}

#[derive(Copy, Clone, Debug)]
pub(super) struct Cell {
    /// No point of the cell is nearer than this to the boundary (metres; may be negative).
    pub(super) clear: f32,
    /// Whether the cell's anchor is inside.
    pub(super) inside: bool,
    /// Which of [`ANCHORS`] is the cell's anchor: a point well clear of the boundary from which
    /// crossings are counted.
    pub(super) anchor: u8,
}

/// Candidate anchors, as fractions of a cell; the first is its centre.
pub(super) const ANCHORS: [[f64; 2]; 5] = [
    [0.5, 0.5],
    [0.27, 0.31],
    [0.73, 0.69],
    [0.29, 0.77],
    [0.71, 0.23],
];

impl Grid {
    /// Cells about twice as many as edges (at least 64), each edge listed where it passes.
    pub(super) fn layout(edges: &[Edge]) -> Grid {
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
    pub(super) fn cell_of(&self, p: [f64; 2]) -> (usize, usize) {
        // `as usize` saturates: points left of or below the grid land in column or row 0.
        let ix = ((p[0] - self.min[0]) * self.inv_cell) as usize;
        let iy = ((p[1] - self.min[1]) * self.inv_cell) as usize;
        (ix.min(self.nx - 1), iy.min(self.ny - 1))
    }

    #[inline]
    pub(super) fn items(&self, cell: usize) -> &[u32] {
        let (s, e) = (self.starts[cell] as usize, self.starts[cell + 1] as usize);
        &self.items[s..e]
    }

    /// Squared distance from `p` to the grid's box (0 inside it).
    #[inline]
    pub(super) fn box_dist2(&self, p: [f64; 2]) -> f64 {
        let dx = (self.min[0] - p[0]).max(p[0] - self.max[0]).max(0.0);
        let dy = (self.min[1] - p[1]).max(p[1] - self.max[1]).max(0.0);
        dx * dx + dy * dy
    }

    /// Distance from `p` to the border of cell (ix, iy), 0 when `p` is not in it.
    #[inline]
    pub(super) fn border_gap(&self, p: [f64; 2], ix: usize, iy: usize) -> f64 {
        let x0 = self.min[0] + ix as f64 * self.cell;
        let y0 = self.min[1] + iy as f64 * self.cell;
        let gap = (p[0] - x0)
            .min(x0 + self.cell - p[0])
            .min(p[1] - y0)
            .min(y0 + self.cell - p[1]);
        gap.max(0.0)
    }

    #[inline]
    pub(super) fn anchor(&self, ix: usize, iy: usize, k: u8) -> [f64; 2] {
        let [fx, fy] = ANCHORS[k as usize % ANCHORS.len()];
        [
            self.min[0] + (ix as f64 + fx) * self.cell,
            self.min[1] + (iy as f64 + fy) * self.cell,
        ]
    }

    /// Calls `f` with the column and row of each cell at Chebyshev distance `k` from (ix, iy).
    #[inline]
    pub(super) fn for_ring(&self, ix: usize, iy: usize, k: usize, mut f: impl FnMut(usize, usize)) {
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
    pub(super) fn cell_dist2(&self, p: [f64; 2], ix: usize, iy: usize) -> f64 {
        let x0 = self.min[0] + ix as f64 * self.cell;
        let y0 = self.min[1] + iy as f64 * self.cell;
        let dx = (x0 - p[0]).max(p[0] - x0 - self.cell).max(0.0);
        let dy = (y0 - p[1]).max(p[1] - y0 - self.cell).max(0.0);
        dx * dx + dy * dy
    }

    /// For each cell, the number of king's moves to the nearest cell that lists an edge.
    pub(super) fn steps_to_boundary(&self) -> Vec<usize> {
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
