//! The local plane: the tangent plane of the ellipsoid at a shape's centre, on which a shape is
//! compiled and fixes are measured in metres, and the way back from it to positions.

use super::ellipsoid::{WGS84_A, WGS84_E2, inv_sqrt_one_minus, wrap_degrees};
use super::shape::GeoPoint;

/// Positions farther than this from a shape's centre in latitude, or in longitude, are "far": the
/// plane is not used for them, as it folds over beyond 90° from its centre.
const NEAR_DLAT_DEG: f64 = 30.0;
const NEAR_DLON_DEG: f64 = 60.0;

/// The tangent plane at a shape's centre: east and north metres of the local east-north-up frame
/// (an orthographic projection of the ellipsoid, exact in 3-D and never stretching distances).
#[derive(Clone, Debug)]
pub(super) struct Frame {
    pub(super) origin: GeoPoint,
    sin0: f64,
    cos0: f64,
    /// The origin in earth-centred coordinates, turned so that its longitude is 0.
    x0: f64,
    z0: f64,
    /// sin0 x0 - cos0 z0: the origin's own north coordinate, taken away.
    north_bias: f64,
    /// 1 / (6 R²) with R the Gaussian radius of curvature at the origin.
    inv_6r2: f64,
}

pub(super) enum Place {
    Near([f64; 2]),
    Far,
    Invalid,
}

impl Frame {
    pub(super) fn new(origin: GeoPoint) -> Frame {
        let (sin0, cos0) = origin.lat.to_radians().sin_cos();
        let w2 = 1.0 - WGS84_E2 * sin0 * sin0;
        let prime_vertical = WGS84_A / w2.sqrt();
        let meridional = WGS84_A * (1.0 - WGS84_E2) / (w2 * w2.sqrt());
        let (x0, z0) = (
            prime_vertical * cos0,
            prime_vertical * (1.0 - WGS84_E2) * sin0,
        );
        Frame {
            origin,
            sin0,
            cos0,
            x0,
            z0,
            north_bias: sin0 * x0 - cos0 * z0,
            inv_6r2: 1.0 / (6.0 * meridional * prime_vertical),
        }
    }

    #[inline]
    pub(super) fn locate(&self, p: GeoPoint) -> Place {
        if !(p.lat.abs() <= 90.0 && p.lon.is_finite()) {
            return Place::Invalid;
        }
        let dlat = p.lat - self.origin.lat;
        let dlon = wrap_degrees(p.lon - self.origin.lon);
        if dlat.abs() > NEAR_DLAT_DEG || dlon.abs() > NEAR_DLON_DEG {
            return Place::Far;
        }
        Place::Near(self.to_plane(dlat.to_radians(), dlon.to_radians()))
    }

    /// East and north metres of the point `dlat`, `dlon` radians from the origin: the point's
    /// earth-centred coordinates (turned so that the origin's longitude is 0) on the origin's east
    /// and north axes.
    #[inline]
    fn to_plane(&self, dlat: f64, dlon: f64) -> [f64; 2] {
        let (su, cu) = sin_cos(dlat);
        let (sv, cv) = sin_cos(dlon);
        let sin_lat = self.sin0 * cu + self.cos0 * su;
        let cos_lat = self.cos0 * cu - self.sin0 * su;
        let prime_vertical = WGS84_A * inv_sqrt_one_minus(WGS84_E2 * sin_lat * sin_lat);
        let east = cos_lat * sv;
        // cos0 (z - z0) - sin0 (x - x0) with x = N cos(lat) cos(dlon), z = N (1 - e²) sin(lat).
        let north = self.cos0 * (1.0 - WGS84_E2) * sin_lat - self.sin0 * cos_lat * cv;
        [
            prime_vertical * east,
            prime_vertical * north + self.north_bias,
        ]
    }

    /// The position on the ellipsoid below (or above) a point of the plane.
    pub(super) fn to_geo(&self, [east, north]: [f64; 2]) -> GeoPoint {
        let q = 1.0 / (1.0 - WGS84_E2);
        let (xc, zc) = (self.x0 - north * self.sin0, self.z0 + north * self.cos0);
        // Solve for the height `h` above the plane at which the ellipsoid is met.
        let a2 = self.cos0 * self.cos0 + self.sin0 * self.sin0 * q;
        let b2 = xc * self.cos0 + zc * self.sin0 * q;
        let c2 = xc * xc + east * east + zc * zc * q - WGS84_A * WGS84_A;
        let h = -c2 / (b2 + (b2 * b2 - a2 * c2).max(0.0).sqrt());
        let (x, z) = (xc + h * self.cos0, zc + h * self.sin0);
        let lat = z.atan2((1.0 - WGS84_E2) * x.hypot(east)).to_degrees();
        let lon = wrap_degrees(self.origin.lon + east.atan2(x).to_degrees());
        GeoPoint { lat, lon }
    }

    /// The geodesic distance from the origin to a point of the plane: the orthographic plane
    /// shrinks it like R·sin(s/R), which this undoes to third order (0.03 m at 20 km unmended).
    #[inline]
    pub(super) fn radial_m(&self, [x, y]: [f64; 2]) -> f64 {
        let rho2 = x * x + y * y;
        rho2.sqrt() * (1.0 + rho2 * self.inv_6r2)
    }
}

/// sin and cos; for the small angles of the hot path, Taylor series to within 1e-16 (relative),
/// each evaluated as two halves in parallel.
#[inline]
pub(super) fn sin_cos(x: f64) -> (f64, f64) {
    if x.abs() > 0.05 {
        return x.sin_cos();
    }
    let x2 = x * x;
    let x4 = x2 * x2;
    let sin = x * ((1.0 - x2 * (1.0 / 6.0)) + x4 * ((1.0 / 120.0) - x2 * (1.0 / 5040.0)));
    let cos = (1.0 - x2 * 0.5) + x4 * ((1.0 / 24.0) - x2 * (1.0 / 720.0) + x4 * (1.0 / 40320.0));
    (sin, cos)
}
