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

mod accuracy;
mod pairs;
mod properties;
mod shapes;

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
