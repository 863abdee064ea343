//! Accuracy against geographiclib: circle boundaries, large circles, polygon distances, and
//! the far side of the 180th meridian.

use super::*;

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
