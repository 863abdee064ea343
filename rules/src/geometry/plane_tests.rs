//! Tests of the local plane and the short series behind it, against std's functions.

use proptest::prelude::*;

use super::ellipsoid::{WGS84_E2, cos_latitude, inv_sqrt_one_minus, wrap_degrees};
use super::plane::{Frame, Place, sin_cos};
use super::shape::GeoPoint;

proptest! {
    #[test]
    fn plane_round_trips(lat in -80.0..80.0f64, lon in -180.0..180.0f64,
                         dlat in -2.0..2.0f64, dlon in -4.0..4.0f64) {
        let frame = Frame::new(GeoPoint { lat, lon });
        let p = GeoPoint { lat: lat + dlat, lon: wrap_degrees(lon + dlon) };
        let Place::Near(xy) = frame.locate(p) else { panic!("{p:?} is near") };
        let back = frame.to_geo(xy);
        prop_assert!((back.lat - p.lat).abs() < 1e-10 && wrap_degrees(back.lon - p.lon).abs() < 1e-10,
            "{p:?} came back as {back:?}");
    }

    #[test]
    fn radius_series_matches_std(x in 0.0..=WGS84_E2) {
        let exact = 1.0 / (1.0 - x).sqrt();
        prop_assert!((inv_sqrt_one_minus(x) - exact).abs() <= 4e-16 * exact);
    }

    #[test]
    fn latitude_cosine_matches_std(x in -std::f64::consts::FRAC_PI_2..=std::f64::consts::FRAC_PI_2) {
        prop_assert!((cos_latitude(x) - x.cos()).abs() <= 5e-15);
    }

    #[test]
    fn short_series_matches_std(x in -0.05..0.05f64) {
        let ((s, c), (ss, sc)) = (sin_cos(x), x.sin_cos());
        prop_assert!((s - ss).abs() <= 2e-16 && (c - sc).abs() <= 2e-16);
    }
}
