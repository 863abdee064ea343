//! Zone geometry through its public API: shapes as policies write them, the errors an admin sees,
//! accuracy against geographiclib, and the agreement of the fast paths with the exact ones.

use std::f64::consts::TAU;
use std::sync::LazyLock;

use geo::Contains;
use geographiclib_rs::{DirectGeodesic, Geodesic};
use proptest::prelude::*;
use rules::geometry::{
    CompiledShape, GeoPoint, PointRef, RingRef, ShapeError, Side, ZoneShape, distance_m,
    distance_m_fast, surely_beyond,
};

static WGS84: LazyLock<Geodesic> = LazyLock::new(Geodesic::wgs84);

const RIGA: GeoPoint = GeoPoint {
    lat: 56.9496,
    lon: 24.1052,
};
const FAR_NORTH: GeoPoint = GeoPoint {
    lat: 70.0,
    lon: 25.0,
};

/// The point `dist_m` from `p` along the geodesic leaving at `azimuth_deg`.
fn offset(p: GeoPoint, azimuth_deg: f64, dist_m: f64) -> GeoPoint {
    let (lat, lon) = WGS84.direct(p.lat, p.lon, azimuth_deg, dist_m);
    GeoPoint { lat, lon }
}

fn lon_lat(p: GeoPoint) -> [f64; 2] {
    [p.lon, p.lat]
}

/// A closed ring of points at the given distances from `centre`, evenly spaced in azimuth from
/// `turn_deg`.
fn ring(centre: GeoPoint, radii_m: &[f64], turn_deg: f64) -> Vec<[f64; 2]> {
    let n = radii_m.len() as f64;
    let mut points: Vec<[f64; 2]> = radii_m
        .iter()
        .enumerate()
        .map(|(i, &r)| lon_lat(offset(centre, turn_deg + 360.0 * i as f64 / n, r)))
        .collect();
    points.push(points[0]);
    points
}

/// A closed ring through the given `[lon, lat]` points.
fn closed(points: &[[f64; 2]]) -> Vec<[f64; 2]> {
    let mut ring = points.to_vec();
    ring.push(points[0]);
    ring
}

fn polygon(rings: Vec<Vec<[f64; 2]>>) -> ZoneShape {
    ZoneShape::Polygon { coordinates: rings }
}

fn circle(centre: GeoPoint, radius_m: f64) -> ZoneShape {
    ZoneShape::Circle {
        centre: lon_lat(centre),
        radius_m,
    }
}

fn compile(shape: &ZoneShape) -> CompiledShape {
    CompiledShape::compile(shape).unwrap_or_else(|e| panic!("{shape:?} should compile: {e}"))
}

fn refuse(shape: &ZoneShape) -> ShapeError {
    match CompiledShape::compile(shape) {
        Ok(_) => panic!("{shape:?} should be refused"),
        Err(e) => e,
    }
}

/// The rule `classify` must follow, from the signed distance.
fn by_distance(d: f64, r: f64) -> Side {
    if d <= -r {
        Side::Inside
    } else if d >= r {
        Side::Outside
    } else {
        Side::Uncertain
    }
}

/// A square of about `side_m` metres around `centre`, as `[lon, lat]` corners.
fn square(centre: GeoPoint, side_m: f64) -> Vec<[f64; 2]> {
    let half = side_m / 2.0 * std::f64::consts::SQRT_2;
    ring(centre, &[half; 4], 45.0)
}

// ---------------------------------------------------------------------------------------------
// Shapes as written

#[derive(serde::Deserialize)]
struct Zone {
    zone: ZoneShape,
}

#[test]
fn shapes_read_from_toml_and_json() {
    let read = |text: &str| toml::from_str::<Zone>(text).map(|z| z.zone);
    assert_eq!(
        read(r#"zone = { type = "circle", centre = [24.1052, 56.9496], radius_m = 150.0 }"#),
        Ok(ZoneShape::Circle {
            centre: [24.1052, 56.9496],
            radius_m: 150.0
        })
    );
    let square = vec![vec![[24.1, 56.9], [24.2, 56.9], [24.2, 57.0], [24.1, 56.9]]];
    assert_eq!(
        read(
            r#"zone = { type = "polygon", coordinates = [[[24.1, 56.9], [24.2, 56.9], [24.2, 57.0], [24.1, 56.9]]] }"#
        ),
        Ok(ZoneShape::Polygon {
            coordinates: square.clone()
        })
    );
    let multi = r#"{"type": "multi_polygon", "coordinates": [[[[24.1, 56.9], [24.2, 56.9], [24.2, 57.0], [24.1, 56.9]]]]}"#;
    let shape: ZoneShape = serde_json::from_str(multi).expect("multipolygon");
    assert_eq!(
        shape,
        ZoneShape::MultiPolygon {
            coordinates: vec![square]
        }
    );
    let again: ZoneShape =
        serde_json::from_str(&serde_json::to_string(&shape).expect("writes")).expect("reads");
    assert_eq!(again, shape);
    let stray =
        read(r#"zone = { type = "circle", centre = [24.1, 56.9], radius_m = 1.0, radius = 2.0 }"#);
    assert!(stray.is_err_and(|e| e.to_string().contains("unknown field")));
}

// ---------------------------------------------------------------------------------------------
// Refusals

#[test]
fn circles_need_a_sane_centre_and_radius() {
    for radius_m in [-5.0, 0.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            refuse(&circle(RIGA, radius_m)),
            ShapeError::BadRadius { .. }
        ));
    }
    let err = refuse(&circle(RIGA, 300_000.0));
    assert!(matches!(err, ShapeError::TooLarge { .. }), "{err}");
    assert!(err.to_string().contains("600 km"), "{err}");
    let bad_centre = |centre: [f64; 2]| {
        refuse(&ZoneShape::Circle {
            centre,
            radius_m: 10.0,
        })
    };
    assert_eq!(
        bad_centre([24.1, f64::NAN]),
        ShapeError::NonFinite {
            at: PointRef::CircleCentre
        }
    );
    assert!(matches!(
        bad_centre([24.1, 91.0]),
        ShapeError::LatitudeOutOfRange { lat: 91.0, .. }
    ));
    assert!(matches!(
        bad_centre([181.0, 56.0]),
        ShapeError::LongitudeOutOfRange { lon: 181.0, .. }
    ));
    assert!(matches!(
        bad_centre([24.0, -85.0]),
        ShapeError::TooNearPole { .. }
    ));
    compile(&circle(RIGA, 249_000.0));
}

#[test]
fn coordinates_must_be_real_positions() {
    let mut ring = square(RIGA, 100.0);
    ring[2][0] = f64::NAN;
    let err = refuse(&polygon(vec![ring]));
    let at = PointRef::Vertex {
        ring: RingRef {
            polygon: 0,
            ring: 0,
        },
        point: 2,
    };
    assert_eq!(err, ShapeError::NonFinite { at });
    assert_eq!(
        err.to_string(),
        "point 2 of ring 0 (outer boundary) of polygon 0: a coordinate is not a finite number"
    );
    let mut ring = square(RIGA, 100.0);
    ring[1] = [24.1, 91.0];
    let err = refuse(&polygon(vec![ring]));
    assert!(matches!(
        err,
        ShapeError::LatitudeOutOfRange { lat: 91.0, .. }
    ));
    assert!(err.to_string().contains("[longitude, latitude]"), "{err}");
}

#[test]
fn rings_must_be_closed_and_have_three_corners() {
    let mut open = square(RIGA, 100.0);
    open.pop();
    let err = refuse(&polygon(vec![open]));
    assert_eq!(
        err,
        ShapeError::RingNotClosed {
            ring: RingRef {
                polygon: 0,
                ring: 0
            }
        }
    );
    let a = lon_lat(RIGA);
    let b = lon_lat(offset(RIGA, 90.0, 100.0));
    let err = refuse(&polygon(vec![vec![a, b, a]]));
    assert!(
        matches!(err, ShapeError::TooFewPoints { distinct: 2, .. }),
        "{err}"
    );
    // Repeating a point does not make it a corner.
    let err = refuse(&polygon(vec![vec![a, b, b, b, a]]));
    assert!(
        matches!(err, ShapeError::TooFewPoints { distinct: 2, .. }),
        "{err}"
    );
    let err = refuse(&polygon(vec![vec![]]));
    assert!(
        matches!(err, ShapeError::TooFewPoints { distinct: 0, .. }),
        "{err}"
    );
}

#[test]
fn repeated_points_in_a_row_are_merged() {
    let mut ring = square(RIGA, 100.0);
    ring.insert(2, ring[1]);
    ring.insert(2, ring[1]);
    let zone = compile(&polygon(vec![ring]));
    assert_eq!(zone.classify(RIGA, 10.0, 0.0), Side::Inside);
}

#[test]
fn boundaries_must_not_meet_themselves() {
    let c = |e: f64, n: f64| lon_lat(offset(offset(RIGA, 90.0, e), 0.0, n));
    // A bow-tie: the 1st and 3rd edges cross.
    let bow_tie = closed(&[c(0.0, 0.0), c(100.0, 100.0), c(100.0, 0.0), c(0.0, 100.0)]);
    let err = refuse(&polygon(vec![bow_tie]));
    assert!(matches!(err, ShapeError::SelfIntersection { .. }), "{err}");
    assert!(err.to_string().contains("the edge from point"), "{err}");
    // A figure of eight touching itself at one point.
    let eight = closed(&[
        c(0.0, 0.0),
        c(50.0, 50.0),
        c(100.0, 0.0),
        c(100.0, 100.0),
        c(50.0, 50.0),
        c(0.0, 100.0),
    ]);
    assert!(matches!(
        refuse(&polygon(vec![eight])),
        ShapeError::SelfIntersection { .. }
    ));
    // A spike that folds back along itself.
    let spike = closed(&[c(0.0, 0.0), c(100.0, 0.0), c(100.0, 100.0), c(100.0, 50.0)]);
    assert!(matches!(
        refuse(&polygon(vec![spike])),
        ShapeError::SelfIntersection { .. }
    ));
}

#[test]
fn rings_must_enclose_area() {
    let c = |e: f64, n: f64| lon_lat(offset(offset(RIGA, 90.0, e), 0.0, n));
    let sliver = closed(&[c(0.0, 0.0), c(1.0, 0.0), c(0.0, 0.5)]);
    assert_eq!(
        refuse(&polygon(vec![sliver])),
        ShapeError::ZeroArea {
            ring: RingRef {
                polygon: 0,
                ring: 0
            }
        }
    );
}

#[test]
fn holes_must_sit_inside_their_polygon_without_nesting() {
    let outer = ring(RIGA, &[1000.0; 12], 0.0);
    let away = offset(RIGA, 90.0, 5000.0);
    let err = refuse(&polygon(vec![outer.clone(), ring(away, &[100.0; 6], 0.0)]));
    let hole = RingRef {
        polygon: 0,
        ring: 1,
    };
    assert_eq!(err, ShapeError::HoleOutsideShell { hole });
    assert_eq!(
        err.to_string(),
        "ring 1 (a hole) of polygon 0 is not inside the outer boundary of its polygon"
    );
    let nested = polygon(vec![
        outer.clone(),
        ring(RIGA, &[500.0; 8], 0.0),
        ring(RIGA, &[200.0; 8], 0.0),
    ]);
    assert!(matches!(
        refuse(&nested),
        ShapeError::RingsOverlap {
            ring: RingRef { ring: 2, .. },
            container: RingRef { ring: 1, .. }
        }
    ));
    let crossing = polygon(vec![
        outer,
        ring(offset(RIGA, 0.0, 950.0), &[100.0; 8], 0.0),
    ]);
    assert!(matches!(
        refuse(&crossing),
        ShapeError::SelfIntersection { .. }
    ));
}

#[test]
fn polygons_of_a_multipolygon_must_not_overlap() {
    let big = vec![ring(RIGA, &[1000.0; 12], 0.0)];
    let small = vec![ring(RIGA, &[100.0; 6], 0.0)];
    let inside = ZoneShape::MultiPolygon {
        coordinates: vec![big.clone(), small.clone()],
    };
    assert!(matches!(
        refuse(&inside),
        ShapeError::RingsOverlap {
            ring: RingRef {
                polygon: 1,
                ring: 0
            },
            container: RingRef {
                polygon: 0,
                ring: 0
            }
        }
    ));
    let crossing = ZoneShape::MultiPolygon {
        coordinates: vec![
            big.clone(),
            vec![ring(offset(RIGA, 0.0, 1000.0), &[300.0; 6], 0.0)],
        ],
    };
    assert!(matches!(
        refuse(&crossing),
        ShapeError::SelfIntersection { .. }
    ));
    // An island in a lake is fine.
    let with_lake = vec![big[0].clone(), ring(RIGA, &[500.0; 8], 0.0)];
    let island = ZoneShape::MultiPolygon {
        coordinates: vec![with_lake, small],
    };
    let zone = compile(&island);
    assert_eq!(zone.classify(RIGA, 10.0, 0.0), Side::Inside);
    assert_eq!(
        zone.classify(offset(RIGA, 0.0, 300.0), 10.0, 0.0),
        Side::Outside
    );
    assert_eq!(
        zone.classify(offset(RIGA, 0.0, 800.0), 10.0, 0.0),
        Side::Inside
    );
}

#[test]
fn empty_shapes_are_refused() {
    assert_eq!(
        refuse(&polygon(vec![])),
        ShapeError::EmptyPolygon { polygon: 0 }
    );
    assert_eq!(
        refuse(&ZoneShape::MultiPolygon {
            coordinates: vec![]
        }),
        ShapeError::EmptyMultiPolygon
    );
    let one = vec![square(RIGA, 100.0)];
    assert_eq!(
        refuse(&ZoneShape::MultiPolygon {
            coordinates: vec![one, vec![]]
        }),
        ShapeError::EmptyPolygon { polygon: 1 }
    );
}

#[test]
fn shapes_must_be_of_a_size_the_plane_handles() {
    let wide = polygon(vec![square(RIGA, 400_000.0)]);
    let err = refuse(&wide);
    assert!(
        matches!(err, ShapeError::TooLarge { span_km } if (560.0..580.0).contains(&span_km)),
        "{err}"
    );
    assert!(err.to_string().contains("local plane"), "{err}");
    let across = polygon(vec![closed(&[
        [179.9, 10.0],
        [-179.9, 10.0],
        [-179.9, 10.1],
    ])]);
    assert_eq!(refuse(&across), ShapeError::CrossesAntimeridian);
    let polar = polygon(vec![square(
        GeoPoint {
            lat: 80.0,
            lon: 0.0,
        },
        1000.0,
    )]);
    assert!(matches!(refuse(&polar), ShapeError::TooNearPole { .. }));
    let many = polygon(vec![ring(RIGA, &vec![1000.0; 100_000], 0.0)]);
    assert_eq!(
        refuse(&many),
        ShapeError::TooManyVertices { count: 100_001 }
    );
}

#[test]
fn a_concave_polygon_with_a_hole_works() {
    // A "C" around Riga's centre, with a hole in its back.
    let radii: Vec<f64> = (0..24)
        .map(|i| if (9..15).contains(&i) { 300.0 } else { 1000.0 })
        .collect();
    let outer = ring(RIGA, &radii, 0.0);
    let hole = ring(offset(RIGA, 0.0, 650.0), &[80.0; 10], 0.0);
    let zone = compile(&polygon(vec![outer, hole]));
    assert_eq!(
        zone.classify(offset(RIGA, 0.0, 650.0), 5.0, 0.0),
        Side::Outside
    );
    assert_eq!(
        zone.classify(offset(RIGA, 180.0, 700.0), 5.0, 0.0),
        Side::Outside
    );
    assert_eq!(
        zone.classify(offset(RIGA, 0.0, 400.0), 5.0, 0.0),
        Side::Inside
    );
    assert_eq!(
        zone.classify(offset(RIGA, 90.0, 650.0), 5.0, 0.0),
        Side::Inside
    );
    assert_eq!(
        zone.classify(offset(RIGA, 0.0, 650.0), 100.0, 0.0),
        Side::Uncertain
    );
    assert_eq!(zone.classify(zone.interior_point(), 0.0, 0.0), Side::Inside);
}

/// Riga-sized: the city, a hole for the river, and an island; a few thousand points.
fn riga_multipolygon() -> ZoneShape {
    let city: Vec<f64> = (0..2000)
        .map(|i| 12_000.0 + 2_500.0 * (i as f64 * TAU / 2000.0 * 7.0).sin())
        .collect();
    let river = ring(offset(RIGA, 200.0, 2000.0), &[1500.0; 300], 0.0);
    let island = ring(offset(RIGA, 200.0, 2000.0), &[600.0; 200], 0.0);
    let airport = ring(offset(RIGA, 240.0, 25_000.0), &[2000.0; 500], 0.0);
    ZoneShape::MultiPolygon {
        coordinates: vec![
            vec![ring(RIGA, &city, 0.0), river],
            vec![island],
            vec![airport],
        ],
    }
}

#[test]
fn a_riga_sized_multipolygon_works() {
    let zone = compile(&riga_multipolygon());
    let river = offset(RIGA, 200.0, 2000.0);
    assert_eq!(zone.classify(river, 10.0, 0.0), Side::Inside, "island");
    assert_eq!(
        zone.classify(offset(river, 0.0, 1000.0), 10.0, 0.0),
        Side::Outside,
        "river"
    );
    assert_eq!(
        zone.classify(offset(river, 0.0, 2000.0), 10.0, 0.0),
        Side::Inside,
        "city"
    );
    assert_eq!(
        zone.classify(offset(RIGA, 240.0, 25_000.0), 10.0, 0.0),
        Side::Inside,
        "airport"
    );
    assert_eq!(
        zone.classify(offset(RIGA, 60.0, 30_000.0), 10.0, 0.0),
        Side::Outside
    );
    assert_eq!(zone.classify(zone.interior_point(), 0.0, 0.0), Side::Inside);
    let bytes = zone.heap_bytes();
    assert!((10_000..1_000_000).contains(&bytes), "{bytes} bytes");
}

// ---------------------------------------------------------------------------------------------
// Accuracy against geographiclib

#[test]
fn circle_boundaries_are_right_within_half_a_metre() {
    for centre in [
        RIGA,
        FAR_NORTH,
        GeoPoint {
            lat: 0.5,
            lon: -60.0,
        },
        GeoPoint {
            lat: -79.0,
            lon: 170.0,
        },
    ] {
        for radius in [20.0, 150.0, 1000.0, 5000.0, 20_000.0] {
            let zone = compile(&circle(centre, radius));
            for k in 0..24 {
                let azimuth = 15.0 * k as f64 + 7.0;
                for (by, side) in [(-0.5, Side::Inside), (0.5, Side::Outside)] {
                    let p = offset(centre, azimuth, radius + by);
                    assert_eq!(
                        zone.classify(p, 0.0, 0.0),
                        side,
                        "{centre:?} r {radius} az {azimuth} by {by}"
                    );
                    let d = zone.signed_distance_m(p);
                    assert!(
                        (d - by).abs() < 0.05,
                        "{centre:?} r {radius} az {azimuth}: {d} for {by}"
                    );
                }
            }
        }
    }
}

#[test]
fn large_circles_stay_within_a_few_metres() {
    for centre in [RIGA, FAR_NORTH] {
        let radius = 240_000.0;
        let zone = compile(&circle(centre, radius));
        for k in 0..12 {
            let p = offset(centre, 30.0 * k as f64, radius + 100.0);
            let d = zone.signed_distance_m(p);
            assert!((d - 100.0).abs() < 2.0, "{centre:?} az {}: {d}", 30 * k);
        }
    }
}

/// The geodesic distance from `p` to the geodesic from `a` to `b`, by golden-section search.
fn distance_to_geodesic(p: GeoPoint, a: GeoPoint, b: GeoPoint) -> f64 {
    let line = WGS84.inverse_line(a, b);
    let at = |t: f64| distance_m(p, line(t));
    let (mut lo, mut hi) = (0.0, 1.0);
    let g = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..80 {
        let (x1, x2) = (hi - g * (hi - lo), lo + g * (hi - lo));
        if at(x1) < at(x2) {
            hi = x2;
        } else {
            lo = x1;
        }
    }
    at(lo).min(at(0.0)).min(at(1.0))
}

trait Lines {
    fn inverse_line(&self, a: GeoPoint, b: GeoPoint) -> impl Fn(f64) -> GeoPoint;
}

impl Lines for Geodesic {
    fn inverse_line(&self, a: GeoPoint, b: GeoPoint) -> impl Fn(f64) -> GeoPoint {
        use geographiclib_rs::InverseGeodesic;
        let (s12, azi1, _azi2, _a12): (f64, f64, f64, f64) =
            self.inverse(a.lat, a.lon, b.lat, b.lon);
        move |t| offset(a, azi1, t * s12)
    }
}

#[test]
fn polygon_distances_match_geodesics_within_a_fifth_of_a_percent() {
    for centre in [RIGA, FAR_NORTH] {
        // A hexagon 50 km across, its corners joined by 25 km edges.
        let corners: Vec<GeoPoint> = (0..6)
            .map(|i| offset(centre, 60.0 * i as f64 + 10.0, 25_000.0))
            .collect();
        let edges: Vec<(GeoPoint, GeoPoint)> =
            (0..6).map(|i| (corners[i], corners[(i + 1) % 6])).collect();
        let written: Vec<[f64; 2]> = corners.iter().map(|&p| lon_lat(p)).collect();
        let zone = compile(&polygon(vec![closed(&written)]));
        let truth = |p: GeoPoint, sign: f64| {
            let d = edges
                .iter()
                .map(|&(a, b)| distance_to_geodesic(p, a, b))
                .fold(f64::INFINITY, f64::min);
            d.copysign(sign)
        };
        for (i, &(a, b)) in edges.iter().enumerate() {
            let outward = 60.0 * i as f64 + 40.0;
            for t in [0.2, 0.5, 0.7] {
                let on_edge = WGS84.inverse_line(a, b)(t);
                for d in [-5000.0, -300.0, -20.0, -1.0, 1.0, 20.0, 300.0, 5000.0] {
                    let p = offset(on_edge, outward, d);
                    let (got, want) = (zone.signed_distance_m(p), truth(p, d));
                    // Edges are straight on the plane; over 25 km that is a few cm off the geodesic.
                    assert!(
                        (got - want).abs() <= 0.002 * want.abs() + 0.1,
                        "{centre:?} edge {i} t {t} at {d}: {got} vs {want}"
                    );
                }
            }
            // Beyond a corner its nearest point is the corner.
            for d in [1.0, 50.0, 2000.0] {
                let p = offset(a, 60.0 * i as f64 + 10.0, d);
                let got = zone.signed_distance_m(p);
                assert!(
                    (got - d).abs() <= 0.002 * d + 0.05,
                    "{centre:?} corner {i} at {d}: {got}"
                );
            }
        }
    }
}

#[test]
fn the_plane_handles_the_far_side_of_the_180th_meridian() {
    let centre = GeoPoint {
        lat: -17.0,
        lon: 179.99,
    };
    let zone = compile(&circle(centre, 5000.0));
    for azimuth in [45.0, 90.0, 135.0] {
        for (d, side) in [(4990.0, Side::Inside), (5010.0, Side::Outside)] {
            let p = offset(centre, azimuth, d);
            assert!(p.lon < 0.0, "{p:?} is across the meridian");
            assert_eq!(zone.classify(p, 5.0, 0.0), side, "{p:?}");
        }
    }
    let west = polygon(vec![closed(&[
        [179.9, -17.1],
        [180.0, -17.1],
        [180.0, -17.0],
        [179.9, -17.0],
    ])]);
    let zone = compile(&west);
    let east = GeoPoint {
        lat: -17.05,
        lon: -179.99,
    };
    let d = zone.signed_distance_m(east);
    let truth = distance_m(
        east,
        GeoPoint {
            lat: -17.05,
            lon: 180.0,
        },
    );
    assert!((d - truth).abs() < 0.01, "{d} vs {truth}");
}

// ---------------------------------------------------------------------------------------------
// Odd fixes

#[test]
fn far_and_broken_fixes() {
    let zone = compile(&polygon(vec![square(RIGA, 1000.0)]));
    let sydney = GeoPoint {
        lat: -33.87,
        lon: 151.21,
    };
    assert_eq!(zone.classify(sydney, 50.0, 10.0), Side::Outside);
    let d = zone.signed_distance_m(sydney);
    let truth = distance_m(RIGA, sydney);
    assert!(d > 0.99 * truth && d < truth, "{d} vs {truth}");
    assert_eq!(zone.classify(sydney, 2.0 * truth, 0.0), Side::Uncertain);
    let nowhere = [
        GeoPoint {
            lat: f64::NAN,
            lon: 24.0,
        },
        GeoPoint {
            lat: 57.0,
            lon: f64::INFINITY,
        },
        GeoPoint {
            lat: 95.0,
            lon: 24.0,
        },
    ];
    for p in nowhere {
        assert_eq!(zone.classify(p, 5.0, 0.0), Side::Uncertain, "{p:?}");
        assert!(zone.signed_distance_m(p).is_nan(), "{p:?}");
    }
}

#[test]
fn accuracy_nan_is_unknown_and_negative_is_zero() {
    let zone = compile(&circle(RIGA, 100.0));
    assert_eq!(zone.classify(RIGA, f64::NAN, 0.0), Side::Uncertain);
    assert_eq!(zone.classify(RIGA, 5.0, f64::NAN), Side::Uncertain);
    assert_eq!(zone.classify(RIGA, f64::INFINITY, 0.0), Side::Uncertain);
    let edge = offset(RIGA, 0.0, 99.0);
    assert_eq!(zone.classify(edge, -50.0, -1.0), Side::Inside);
    assert_eq!(zone.classify(edge, 0.5, 0.4), Side::Inside);
    assert_eq!(zone.classify(edge, 0.5, 0.6), Side::Uncertain);
}

#[test]
fn a_fix_on_the_boundary_with_no_radius_is_inside() {
    let zone = compile(&polygon(vec![square(RIGA, 1000.0)]));
    let corner = square(RIGA, 1000.0)[0];
    let p = GeoPoint {
        lat: corner[1],
        lon: corner[0],
    };
    assert!(zone.signed_distance_m(p).abs() < 1e-6);
    assert_eq!(
        zone.classify(p, 0.0, 0.0),
        by_distance(zone.signed_distance_m(p), 0.0)
    );
}

// ---------------------------------------------------------------------------------------------
// Pairs of shapes

#[test]
fn circles_overlap_and_contain_as_discs_do() {
    let big = compile(&circle(RIGA, 1000.0));
    let inner = compile(&circle(offset(RIGA, 30.0, 500.0), 400.0));
    let poking = compile(&circle(offset(RIGA, 30.0, 900.0), 200.0));
    let touching = compile(&circle(offset(RIGA, 30.0, 1200.0), 199.0));
    let away = compile(&circle(offset(RIGA, 30.0, 5000.0), 200.0));
    assert!(big.contains(&inner) && big.overlaps(&inner) && inner.overlaps(&big));
    assert!(!inner.contains(&big));
    assert!(big.overlaps(&poking) && !big.contains(&poking));
    assert!(!big.overlaps(&touching) && !touching.overlaps(&big));
    assert!(!big.overlaps(&away) && !big.contains(&away));
    assert!(big.contains(&big) && big.overlaps(&big));
}

#[test]
fn circles_and_polygons() {
    let block = compile(&polygon(vec![
        square(RIGA, 2000.0),
        square(offset(RIGA, 90.0, 500.0), 300.0),
    ]));
    let home = compile(&circle(offset(RIGA, 270.0, 400.0), 50.0));
    let in_courtyard = compile(&circle(offset(RIGA, 90.0, 500.0), 100.0));
    let across_edge = compile(&circle(offset(RIGA, 0.0, 1000.0), 50.0));
    let around = compile(&circle(RIGA, 2000.0));
    assert!(block.contains(&home) && block.overlaps(&home) && home.overlaps(&block));
    assert!(!block.overlaps(&in_courtyard) && !block.contains(&in_courtyard));
    assert!(block.overlaps(&across_edge) && !block.contains(&across_edge));
    assert!(around.contains(&block) && !block.contains(&around) && around.overlaps(&block));
    assert!(!home.contains(&block) && home.overlaps(&block));
}

#[test]
fn polygons_and_polygons() {
    let c = |e: f64, n: f64| lon_lat(offset(offset(RIGA, 90.0, e), 0.0, n));
    let rect =
        |x0: f64, y0: f64, x1: f64, y1: f64| closed(&[c(x0, y0), c(x1, y0), c(x1, y1), c(x0, y1)]);
    let a = compile(&polygon(vec![rect(0.0, 0.0, 1000.0, 1000.0)]));
    let neighbour = compile(&polygon(vec![rect(1000.0, 0.0, 2000.0, 1000.0)]));
    let crossing = compile(&polygon(vec![rect(500.0, 200.0, 1500.0, 800.0)]));
    let inner = compile(&polygon(vec![rect(100.0, 100.0, 900.0, 900.0)]));
    let sharing_edge_inside = compile(&polygon(vec![rect(0.0, 0.0, 500.0, 1000.0)]));
    let with_hole = compile(&polygon(vec![
        rect(-500.0, -500.0, 1500.0, 1500.0),
        rect(-100.0, -100.0, 1100.0, 1100.0),
    ]));
    let same = compile(&polygon(vec![rect(0.0, 0.0, 1000.0, 1000.0)]));
    let far = compile(&polygon(vec![rect(100_000.0, 0.0, 101_000.0, 1000.0)]));
    assert!(
        !a.overlaps(&neighbour) && !neighbour.overlaps(&a),
        "edge to edge"
    );
    assert!(a.overlaps(&crossing) && crossing.overlaps(&a) && !a.contains(&crossing));
    assert!(a.contains(&inner) && a.overlaps(&inner) && !inner.contains(&a));
    assert!(a.contains(&sharing_edge_inside) && !sharing_edge_inside.contains(&a));
    assert!(
        !with_hole.overlaps(&a) && !a.overlaps(&with_hole),
        "in the hole"
    );
    assert!(!with_hole.contains(&a));
    assert!(a.overlaps(&same) && a.contains(&same) && same.contains(&a));
    assert!(!a.overlaps(&far) && !a.contains(&far));
}

// ---------------------------------------------------------------------------------------------
// Properties

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
