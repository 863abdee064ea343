//! Distances on the WGS84 ellipsoid: the exact geodesic, a fast approximation for nearby points
//! and a cheap "surely farther than" test, with the short series that keep libm off the hot path
//! (shared with [`super::plane`]).

use std::sync::LazyLock;

use geographiclib_rs::{Geodesic, InverseGeodesic};

use super::shape::GeoPoint;

pub(super) const WGS84_A: f64 = 6_378_137.0;
const WGS84_F: f64 = 1.0 / 298.257_223_563;
pub(super) const WGS84_E2: f64 = WGS84_F * (2.0 - WGS84_F);

static WGS84: LazyLock<Geodesic> = LazyLock::new(Geodesic::wgs84);

/// Distance in metres between two positions on the WGS84 ellipsoid (geodesic, Karney's method).
pub fn distance_m(a: GeoPoint, b: GeoPoint) -> f64 {
    WGS84.inverse(a.lat, a.lon, b.lat, b.lon)
}

/// Whether `distance_m_fast(a, b) > metres` is certain from a lower bound of it with no root and
/// no call into libm. Its north-south leg is the latitude difference times the meridional
/// radius, nowhere less than a(1 − e²) (110 574 m a degree); its east-west leg the longitude
/// difference times the prime vertical radius, nowhere less than a (111 319 m a degree), times
/// the cosine of the mean latitude, which is at least that of the larger latitude, which is at
/// least 1 − x²/2 + x⁴/24 − x⁶/720 (for every x). The bound takes 110 500 and 111 200 m a degree
/// and a cosine 1e-12 less, so rounding cannot carry it past the true legs.
#[inline]
pub fn surely_beyond(a: GeoPoint, b: GeoPoint, metres: f64) -> bool {
    // Below 0 (or NaN), squaring would turn the comparison round: claim nothing.
    if metres.is_nan() || metres < 0.0 {
        return false;
    }
    let north = (a.lat - b.lat).abs() * 110_500.0;
    let x = a.lat.abs().max(b.lat.abs()).to_radians();
    let x2 = x * x;
    let cos = (1.0 - x2 * (0.5 - x2 * (1.0 / 24.0 - x2 / 720.0)) - 1e-12).max(0.0);
    let east = wrap_degrees(b.lon - a.lon).abs() * 111_200.0 * cos;
    north * north + east * east > metres * metres
}

/// A fast approximation of [`distance_m`] for nearby points (within ~50 km, latitudes within
/// ±80°): the plane tangent at the mean latitude, scaled by the ellipsoid's meridional and
/// prime-vertical radii of curvature there. Within 0.1 % + 0.5 m of the geodesic up to 50 km.
pub fn distance_m_fast(a: GeoPoint, b: GeoPoint) -> f64 {
    let mean = ((a.lat + b.lat) * 0.5).to_radians();
    let cos = cos_latitude(mean);
    // 1/w with w² = 1 - e² sin²: the prime vertical is a/w, the meridional a(1 - e²)/w³.
    let inv_w = inv_sqrt_one_minus(WGS84_E2 * (1.0 - cos * cos));
    let prime_vertical = WGS84_A * inv_w;
    let meridional = WGS84_A * (1.0 - WGS84_E2) * inv_w * inv_w * inv_w;
    let x = wrap_degrees(b.lon - a.lon).to_radians() * prime_vertical * cos;
    let y = (b.lat - a.lat).to_radians() * meridional;
    (x * x + y * y).sqrt()
}

/// cos of a latitude in radians: a Taylor polynomial within 4e-15 on ±π/2 (no call into libm on
/// the hot path); beyond, libm's.
#[inline]
pub(super) fn cos_latitude(x: f64) -> f64 {
    if x.abs() > std::f64::consts::FRAC_PI_2 {
        return x.cos();
    }
    // cos x = Σ (-1)^k x^2k / (2k)!, k = 0..=9, in Horner form.
    const C: [f64; 10] = [
        1.0,
        -1.0 / 2.0,
        1.0 / 24.0,
        -1.0 / 720.0,
        1.0 / 40_320.0,
        -1.0 / 3_628_800.0,
        1.0 / 479_001_600.0,
        -1.0 / 87_178_291_200.0,
        1.0 / 20_922_789_888_000.0,
        -1.0 / 6_402_373_705_728_000.0,
    ];
    let x2 = x * x;
    C.iter().rev().fold(0.0, |acc, &c| acc * x2 + c)
}

/// 1/√(1 - x) for 0 <= x <= e² (the ellipsoid's radii of curvature): the binomial series to
/// x⁶, within 2e-16 relative, with no root and no division.
#[inline]
pub(super) fn inv_sqrt_one_minus(x: f64) -> f64 {
    const C: [f64; 7] = [
        1.0,
        1.0 / 2.0,
        3.0 / 8.0,
        5.0 / 16.0,
        35.0 / 128.0,
        63.0 / 256.0,
        231.0 / 1024.0,
    ];
    C.iter().rev().fold(0.0, |acc, &c| acc * x + c)
}

/// A longitude difference brought into -180..=180.
pub(super) fn wrap_degrees(d: f64) -> f64 {
    if d.abs() <= 180.0 {
        d
    } else {
        d - 360.0 * (d / 360.0).round()
    }
}
