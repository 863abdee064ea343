//! Properties over generated shapes and fixes: classify agrees with the signed distance and
//! with `geo`, doubt never flips an answer, the fast distance and its bound; and compile times
//! of the largest and most crowded shapes.

use super::*;

/// A random zone: a circle, a star-shaped polygon, one with a hole, or two polygons.
#[derive(Debug, Clone)]
struct Case {
    centre: GeoPoint,
    radius: f64,
    kind: u8,
    radii: Vec<f64>,
    turn: f64,
}

impl Case {
    fn shape(&self) -> ZoneShape {
        let radii: Vec<f64> = self.radii.iter().map(|f| f * self.radius).collect();
        let outer = ring(self.centre, &radii, self.turn);
        let hole = ring(self.centre, &[0.15 * self.radius; 7], self.turn);
        let second = ring(
            offset(self.centre, self.turn, 3.0 * self.radius),
            &radii,
            0.0,
        );
        match self.kind {
            0 => circle(self.centre, self.radius),
            1 => polygon(vec![outer]),
            2 => polygon(vec![outer, hole]),
            _ => ZoneShape::MultiPolygon {
                coordinates: vec![vec![outer, hole], vec![second]],
            },
        }
    }
}

fn cases() -> impl Strategy<Value = Case> {
    let radius = prop_oneof![20.0..200.0f64, 200.0..5000.0f64, 5000.0..40_000.0f64];
    cases_of(0..4, radius)
}

fn cases_of(
    kinds: std::ops::Range<u8>,
    radius: impl Strategy<Value = f64>,
) -> impl Strategy<Value = Case> {
    (
        -75.0..75.0f64,
        // Polygons must not cross the 180° meridian.
        -175.0..175.0f64,
        radius,
        kinds,
        prop::collection::vec(0.45..1.0f64, 5..40),
        0.0..360.0f64,
    )
        .prop_map(|(lat, lon, radius, kind, radii, turn)| Case {
            centre: GeoPoint { lat, lon },
            radius,
            kind,
            radii,
            turn,
        })
}

/// Fixes around a case: anywhere within 4 radii, just around its points, and far away.
fn fixes(case: &Case, seeds: &[(f64, f64, f64)]) -> Vec<(GeoPoint, f64, f64)> {
    seeds
        .iter()
        .enumerate()
        .map(|(i, &(a, b, c))| {
            let p = match i % 4 {
                0 | 1 => offset(case.centre, a * 360.0, b * 4.0 * case.radius),
                2 => {
                    let k = (a * case.radii.len() as f64) as usize % case.radii.len();
                    let vertex = offset(
                        case.centre,
                        case.turn + 360.0 * k as f64 / case.radii.len() as f64,
                        case.radii[k] * case.radius,
                    );
                    offset(vertex, b * 360.0, c * 30.0)
                }
                _ => offset(case.centre, a * 360.0, 1000.0 * case.radius * b),
            };
            let accuracy = if i % 3 == 0 { 0.0 } else { c * 60.0 };
            (p, accuracy, (a * 7.0).fract() * 10.0)
        })
        .collect()
}

proptest! {
    #[test]
    fn classify_agrees_with_signed_distance(case in cases(), seeds in prop::collection::vec((0.0..1.0f64, 0.0..1.0f64, 0.0..1.0f64), 120)) {
        let zone = compile(&case.shape());
        for (p, accuracy, margin) in fixes(&case, &seeds) {
            let d = zone.signed_distance_m(p);
            prop_assert_eq!(zone.classify(p, accuracy, margin), by_distance(d, accuracy + margin), "{:?} ±{} +{}: {}", p, accuracy, margin, d);
            // Right at the edge of the rule: the circle just touches the boundary.
            for r in [d.abs(), d.abs() * (1.0 + 1e-12), d.abs() * (1.0 - 1e-12)] {
                prop_assert_eq!(zone.classify(p, r, 0.0), by_distance(d, r), "{:?} ±{}: {}", p, r, d);
            }
        }
    }

    #[test]
    fn more_doubt_never_flips_an_answer(case in cases(), seeds in prop::collection::vec((0.0..1.0f64, 0.0..1.0f64, 0.0..1.0f64), 60), grow in 0.0..500.0f64) {
        let zone = compile(&case.shape());
        for (p, accuracy, margin) in fixes(&case, &seeds) {
            let (sure, doubtful) = (zone.classify(p, accuracy, margin), zone.classify(p, accuracy + grow, margin));
            prop_assert!(doubtful == sure || doubtful == Side::Uncertain, "{:?}: {:?} then {:?}", p, sure, doubtful);
        }
    }

    #[test]
    fn inside_and_outside_agree_with_geo(case in cases_of(1..4, 20.0..5000.0f64), seeds in prop::collection::vec((0.0..1.0f64, 0.0..1.0f64, 0.0..1.0f64), 60)) {
        let shape = case.shape();
        let zone = compile(&shape);
        let polygons = match &shape {
            ZoneShape::Polygon { coordinates } => vec![coordinates.clone()],
            ZoneShape::MultiPolygon { coordinates } => coordinates.clone(),
            ZoneShape::Circle { .. } => unreachable!(),
        };
        let to_geo = |ring: &Vec<[f64; 2]>| geo::LineString::from(ring.iter().map(|&[x, y]| (x, y)).collect::<Vec<_>>());
        let multi = geo::MultiPolygon::new(polygons.iter().map(|rings| {
            geo::Polygon::new(to_geo(&rings[0]), rings[1..].iter().map(to_geo).collect())
        }).collect());
        for (p, _, _) in fixes(&case, &seeds) {
            let side = zone.classify(p, 2.0, 0.0);
            if side != Side::Uncertain {
                prop_assert_eq!(side == Side::Inside, multi.contains(&geo::Point::new(p.lon, p.lat)), "{:?}", p);
            }
        }
    }

    #[test]
    fn overlap_and_containment_agree_with_sampled_points(
        first in cases(),
        second in cases(),
        apart in 0.0..2.5f64,
        azimuth in 0.0..360.0f64,
        scale in 0.05..1.5f64,
        seeds in prop::collection::vec((0.0..1.0f64, 0.0..1.0f64, 0.0..1.0f64), 100),
    ) {
        // The second zone near the first: `apart` radii away, `scale` times its size.
        let second = Case {
            centre: offset(first.centre, azimuth, apart * first.radius),
            radius: (scale * first.radius).max(20.0),
            ..second
        };
        let (a, b) = (compile(&first.shape()), compile(&second.shape()));
        let (overlap, contained) = (a.overlaps(&b), a.contains(&b));
        prop_assert_eq!(overlap, b.overlaps(&a));
        prop_assert!(!contained || overlap);
        if contained {
            prop_assert_eq!(a.classify(b.interior_point(), 0.0, 0.0), Side::Inside);
        }
        for (p, _, _) in fixes(&first, &seeds).into_iter().chain(fixes(&second, &seeds)) {
            let (da, db) = (a.signed_distance_m(p), b.signed_distance_m(p));
            prop_assert!(overlap || da > -0.02 || db > -0.02, "{:?} is in both: {} {}", p, da, db);
            prop_assert!(!contained || db > -0.02 || da < 0.02, "{:?} is in the second only: {} {}", p, da, db);
        }
    }

    #[test]
    fn a_zone_holds_its_interior_point_and_itself(case in cases()) {
        let zone = compile(&case.shape());
        prop_assert_eq!(zone.classify(zone.interior_point(), 0.0, 0.0), Side::Inside);
        prop_assert!(zone.overlaps(&zone) && zone.contains(&zone));
    }

    #[test]
    fn fast_distance_is_within_a_tenth_of_a_percent(lat in -80.0..80.0f64, lon in -180.0..180.0f64, azimuth in 0.0..360.0f64, d in 0.0..50_000.0f64) {
        let a = GeoPoint { lat, lon };
        let b = offset(a, azimuth, d);
        let (fast, exact) = (distance_m_fast(a, b), distance_m(a, b));
        prop_assert!((fast - exact).abs() <= 0.001 * exact + 0.5, "{:?} {:?}: {} vs {}", a, b, fast, exact);
    }

    /// The bound victim proximity skips the distance by never skips a pair within reach:
    /// whenever it says beyond, the fast distance (what would be computed instead) is beyond
    /// too, anywhere, and it never says so of the distance itself. Up to 60° of latitude it is
    /// within 2 % of the distance, so it skips most far pairs.
    #[test]
    fn the_distance_bound_never_skips_a_pair_within_reach(lat in -90.0..90.0f64, lon in -180.0..180.0f64, azimuth in 0.0..360.0f64, d in 0.0..50_000.0f64, metres in 0.0..60_000.0f64, slack in -50.0..50.0f64) {
        let a = GeoPoint { lat, lon };
        let b = offset(a, azimuth, d);
        let fast = distance_m_fast(a, b);
        prop_assert!(!surely_beyond(a, b, fast), "{:?} {:?}: beyond its own {}", a, b, fast);
        if lat.abs() < 60.0 && fast > 1.0 {
            prop_assert!(surely_beyond(a, b, fast * 0.98), "{:?} {:?}: {}", a, b, fast);
        }
        for limit in [metres, (fast + slack).max(0.0)] {
            if surely_beyond(a, b, limit) {
                let fast = distance_m_fast(a, b);
                prop_assert!(fast > limit, "{:?} {:?}: {} <= {}", a, b, fast, limit);
            }
        }
    }
}

#[test]
fn the_largest_polygon_compiles() {
    let radii: Vec<f64> = (0..99_999)
        .map(|i| 20_000.0 + 3_000.0 * (i as f64 * TAU / 99_999.0 * 40.0).sin())
        .collect();
    let zone = compile(&polygon(vec![ring(RIGA, &radii, 0.0)]));
    assert_eq!(zone.classify(RIGA, 10.0, 0.0), Side::Inside);
    assert_eq!(
        zone.classify(offset(RIGA, 10.0, 24_000.0), 10.0, 0.0),
        Side::Outside
    );
}

/// `[lon, lat]` of the point `east`, `north` metres from Riga (near enough for test shapes).
fn near_riga(east: f64, north: f64) -> [f64; 2] {
    [
        RIGA.lon + east / (111_412.0 * RIGA.lat.to_radians().cos()),
        RIGA.lat + north / 111_360.0,
    ]
}

#[test]
fn crowded_shapes_compile_in_good_time() {
    // A comb of 5000 fingers 10 cm wide and 1 km long: 10 000 long edges 10 cm apart.
    let mut comb = vec![near_riga(0.0, -10.0)];
    for i in 0..5000 {
        let x = 0.2 * i as f64;
        comb.extend([
            near_riga(x, 0.0),
            near_riga(x, 1000.0),
            near_riga(x + 0.1, 1000.0),
            near_riga(x + 0.1, 0.0),
        ]);
    }
    comb.push(near_riga(1000.0, -10.0));
    let zone = compile(&polygon(vec![closed(&comb)]));
    let finger = GeoPoint {
        lat: near_riga(0.05, 500.0)[1],
        lon: near_riga(0.05, 500.0)[0],
    };
    assert_eq!(zone.classify(finger, 0.0, 0.0), Side::Inside);
    assert!(zone.signed_distance_m(finger) > -0.06);
    // A star of 10 000 spikes.
    let radii: Vec<f64> = (0..20_000)
        .map(|i| if i % 2 == 0 { 10_000.0 } else { 3_000.0 })
        .collect();
    let star = compile(&polygon(vec![ring(RIGA, &radii, 0.0)]));
    assert_eq!(star.classify(RIGA, 10.0, 0.0), Side::Inside);
}
