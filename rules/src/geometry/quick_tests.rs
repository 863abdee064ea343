//! Tests of the quick boxes: along and around both, they answer as the plane would, and they
//! decide the usual zones.

use proptest::prelude::*;

use super::compile::{compile_circle, compile_polygons};
use super::compiled::CompiledShape;
use super::ellipsoid::wrap_degrees;
use super::quick::{QUICK_M, Quick};
use super::shape::GeoPoint;
use super::side::{Side, decide};

/// A zone around (lon, lat): a circle, or a polygon of 5-20 points `radius` metres out,
/// give or take 30 %.
fn quick_zone(lat: f64, lon: f64, radius: f64, jitter: &[f64]) -> CompiledShape {
    if jitter.len() < 5 {
        return compile_circle([lon, lat], radius).expect("a circle");
    }
    let (per_lat, per_lon) = (111_000.0, 111_000.0 * lat.to_radians().cos());
    let n = jitter.len() as f64;
    let mut ring: Vec<[f64; 2]> = jitter
        .iter()
        .enumerate()
        .map(|(i, j)| {
            let a = std::f64::consts::TAU * i as f64 / n;
            let r = radius * (1.0 + 0.3 * j);
            [lon + r * a.cos() / per_lon, lat + r * a.sin() / per_lat]
        })
        .collect();
    ring.push(ring[0]);
    compile_polygons(&[vec![ring]]).expect("a star-shaped polygon")
}

/// A position on the border of a quick box (`t` along it), moved by `nudge` degrees.
fn on_box(zone: &CompiledShape, b: [f32; 4], t: f64, nudge: [f64; 2]) -> GeoPoint {
    let b = b.map(f64::from);
    let (w, h) = (b[3] - b[2], b[1] - b[0]);
    let s = t * 2.0 * (w + h);
    let [dlat, dlon] = if s < w {
        [b[0], b[2] + s]
    } else if s < w + h {
        [b[0] + s - w, b[3]]
    } else if s < 2.0 * w + h {
        [b[1], b[3] - (s - w - h)]
    } else {
        [b[1] - (s - 2.0 * w - h), b[2]]
    };
    GeoPoint {
        lat: zone.frame.origin.lat + dlat + nudge[0],
        lon: wrap_degrees(zone.frame.origin.lon + dlon + nudge[1]),
    }
}

proptest! {
    /// Around and along both boxes, with every query radius they take and just beyond:
    /// the boxes answer as the plane would.
    #[test]
    fn quick_boxes_answer_as_the_plane(
        lat in -79.0..79.0f64,
        lon in -170.0..170.0f64,
        radius in prop_oneof![20.0..600.0f64, 600.0..5000.0f64, 5000.0..60_000.0f64],
        jitter in prop::collection::vec(-1.0..1.0f64, 0..20),
        points in prop::collection::vec((0.0..1.0f64, -1.0..1.0f64, -1.0..1.0f64, 0.0..600.0f64), 60),
    ) {
        let zone = quick_zone(lat, lon, radius, &jitter);
        let quick = zone.quick;
        for (i, &(t, nlat, nlon, r)) in points.iter().enumerate() {
            let b = if i % 2 == 0 { quick.outer } else { quick.inner };
            if b == Quick::EMPTY {
                continue;
            }
            let scale = [1e-3, 1e-5, 1e-7][i % 3];
            let p = on_box(&zone, b, t, [nlat * scale, nlon * scale]);
            let inner_m = f64::from(quick.inner_m);
            for r in [r, r * inner_m / QUICK_M, QUICK_M, QUICK_M * (1.0 + 1e-12), inner_m, inner_m * (1.0 + 1e-12)] {
                let d = zone.signed_distance_m(p);
                let rule = decide(d, r);
                prop_assert_eq!(zone.classify(p, r, 0.0), rule, "{:?} ±{}: {}", p, r, d);
            }
        }
    }
}

#[test]
fn quick_boxes_decide_the_usual_zones() {
    // A city to stay in, 8 km across, and a park 400 m across to keep out of.
    let city = quick_zone(56.95, 24.1, 4000.0, &[0.0; 24]);
    let park = quick_zone(56.95, 24.1, 200.0, &[0.0; 8]);
    // A curfew address: a fix 20 m good a few metres from its middle is inside.
    let home = quick_zone(56.95, 24.1, 50.0, &[]);
    assert_eq!(
        home.classify(
            GeoPoint {
                lat: 56.95002,
                lon: 24.1
            },
            20.0,
            0.0
        ),
        Side::Inside
    );
    assert_eq!(
        home.quick.side(
            GeoPoint {
                lat: 56.95002,
                lon: 24.1
            },
            20.0,
            0.0
        ),
        Some(Side::Inside)
    );
    assert!(
        Quick::holds(city.quick.inner, 0.01, 0.01),
        "{:?}",
        city.quick
    );
    assert!(
        !Quick::holds(park.quick.outer, 0.01, 0.01),
        "{:?}",
        park.quick
    );
    assert!(park.quick.inner_m < 100.0, "{:?}", park.quick);
}
