//! Tests of polygon sets on the plane: the grid's answers against brute force, on random stars
//! and on combs whose points lie on the lines of many edges.

use proptest::prelude::*;

use super::check::Checker;
use super::polygons::{Polygons, signed};
use super::shape::RingRef;

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

#[test]
fn cells_far_from_the_boundary_answer_at_once() {
    let set = test_set(&[1000.0; 40], false, false);
    let centre = set.grid.cell_of([0.0, 0.0]);
    let cell = set.grid.cells[centre.1 * set.grid.nx + centre.0];
    assert!(cell.inside && cell.clear > 500.0, "{cell:?}");
    let corner = set.grid.cells[0];
    assert!(!corner.inside, "{corner:?}");
}
