//! Shapes as policies write them (TOML and JSON), and the errors an administrator sees for
//! the ones that cannot be zones; concave polygons with holes and a Riga-sized multipolygon.

use super::*;

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
