//! Odd fixes (far, broken, unknown accuracy, on the boundary) and pairs of shapes: overlap
//! and containment of circles and polygons.

use super::*;

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
