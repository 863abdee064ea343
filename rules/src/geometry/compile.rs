//! Compiling a shape as written: checking its positions, reading its rings, choosing its plane,
//! moving the rings onto it (merging repeated points) and building the polygon set, whose
//! topology [`super::check`] then checks.

use super::check::Checker;
use super::compiled::{CompiledShape, Kind};
use super::ellipsoid::distance_m;
use super::planar::dist2;
use super::plane::{Frame, Place};
use super::polygons::Polygons;
use super::quick::Quick;
use super::shape::{
    GeoPoint, MAX_LATITUDE, MAX_SPAN_M, MAX_VERTICES, MIN_GAP_M, PointRef, RingRef, ShapeError,
    ZoneShape,
};

impl CompiledShape {
    /// Checks a shape and prepares it for [`classify`](Self::classify).
    pub fn compile(shape: &ZoneShape) -> Result<CompiledShape, ShapeError> {
        match shape {
            ZoneShape::Circle { centre, radius_m } => compile_circle(*centre, *radius_m),
            ZoneShape::Polygon { coordinates } => {
                compile_polygons(std::slice::from_ref(coordinates))
            }
            ZoneShape::MultiPolygon { coordinates } if coordinates.is_empty() => {
                Err(ShapeError::EmptyMultiPolygon)
            }
            ZoneShape::MultiPolygon { coordinates } => compile_polygons(coordinates),
        }
    }
}

pub(super) fn compile_circle(centre: [f64; 2], radius_m: f64) -> Result<CompiledShape, ShapeError> {
    let centre = check_position(centre, PointRef::CircleCentre)?;
    if !(radius_m.is_finite() && radius_m > 0.0) {
        return Err(ShapeError::BadRadius { radius_m });
    }
    if 2.0 * radius_m > MAX_SPAN_M {
        return Err(ShapeError::TooLarge {
            span_km: 2.0 * radius_m / 1000.0,
        });
    }
    let frame = Frame::new(centre);
    Ok(CompiledShape {
        quick: Quick::new(&frame, radius_m, [0.0, 0.0], radius_m),
        frame,
        reach_m: radius_m,
        interior: centre,
        kind: Kind::Circle { radius_m },
    })
}

fn check_position([lon, lat]: [f64; 2], at: PointRef) -> Result<GeoPoint, ShapeError> {
    if !(lon.is_finite() && lat.is_finite()) {
        return Err(ShapeError::NonFinite { at });
    }
    if lat.abs() > 90.0 {
        return Err(ShapeError::LatitudeOutOfRange { at, lat });
    }
    if lon.abs() > 180.0 {
        return Err(ShapeError::LongitudeOutOfRange { at, lon });
    }
    if lat.abs() > MAX_LATITUDE {
        return Err(ShapeError::TooNearPole { at, lat });
    }
    Ok(GeoPoint { lat, lon })
}

/// A ring as written, checked point by point, without its closing point.
struct RawRing {
    id: RingRef,
    points: Vec<GeoPoint>,
}

/// A ring on the plane: its points, with their indices as written (for error messages).
struct PlaneRing {
    id: RingRef,
    points: Vec<[f64; 2]>,
    written: Vec<usize>,
}

pub(super) fn compile_polygons(
    polygons: &[Vec<Vec<[f64; 2]>>],
) -> Result<CompiledShape, ShapeError> {
    let count = polygons.iter().flatten().map(Vec::len).sum();
    if count > MAX_VERTICES {
        return Err(ShapeError::TooManyVertices { count });
    }
    let raw = read_rings(polygons)?;
    let frame = frame_for(&raw)?;
    let rings = raw
        .iter()
        .map(|ring| to_plane_ring(&frame, ring))
        .collect::<Result<Vec<_>, _>>()?;
    let reach = rings
        .iter()
        .flat_map(|r| &r.points)
        .map(|&[x, y]| x.hypot(y))
        .fold(0.0, f64::max);
    if 2.0 * reach > MAX_SPAN_M {
        return Err(ShapeError::TooLarge {
            span_km: 2.0 * reach / 1000.0,
        });
    }
    let plane: Vec<_> = rings.iter().map(|r| (r.id, r.points.as_slice())).collect();
    let set = Polygons::new(&plane);
    let written: Vec<usize> = rings
        .iter()
        .flat_map(|r| r.written.iter().copied())
        .collect();
    Checker::new(&set, written).check()?;
    let interior = set.interior_xy();
    // The plane never stretches distances; allow for its slight shrinkage.
    let reach_m = reach * 1.001 + 1.0;
    Ok(CompiledShape {
        quick: Quick::new(&frame, reach_m, interior, -set.signed_distance(interior)),
        interior: frame.to_geo(interior),
        reach_m,
        frame,
        kind: Kind::Polygons(Box::new(set)),
    })
}

fn read_rings(polygons: &[Vec<Vec<[f64; 2]>>]) -> Result<Vec<RawRing>, ShapeError> {
    let mut rings = Vec::new();
    for (polygon, rings_written) in polygons.iter().enumerate() {
        if rings_written.is_empty() {
            return Err(ShapeError::EmptyPolygon { polygon });
        }
        for (ring, written) in rings_written.iter().enumerate() {
            let id = RingRef { polygon, ring };
            let points = written
                .iter()
                .enumerate()
                .map(|(point, &c)| check_position(c, PointRef::Vertex { ring: id, point }))
                .collect::<Result<Vec<_>, _>>()?;
            let (Some(first), Some(last)) = (written.first(), written.last()) else {
                return Err(ShapeError::TooFewPoints {
                    ring: id,
                    distinct: 0,
                });
            };
            if first != last {
                return Err(ShapeError::RingNotClosed { ring: id });
            }
            rings.push(RawRing {
                id,
                points: points[..points.len() - 1].to_vec(),
            });
        }
    }
    Ok(rings)
}

/// The plane for a set of rings: tangent at the middle of their latitudes and longitudes.
fn frame_for(rings: &[RawRing]) -> Result<Frame, ShapeError> {
    let points = || rings.iter().flat_map(|r| &r.points);
    let (lat_lo, lat_hi) = points().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
        (lo.min(p.lat), hi.max(p.lat))
    });
    let (lon_lo, lon_hi) = points().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
        (lo.min(p.lon), hi.max(p.lon))
    });
    if lon_hi - lon_lo > 180.0 {
        return Err(ShapeError::CrossesAntimeridian);
    }
    Ok(Frame::new(GeoPoint {
        lat: (lat_lo + lat_hi) * 0.5,
        lon: (lon_lo + lon_hi) * 0.5,
    }))
}

/// A ring on the plane, with points closer than [`MIN_GAP_M`] to the previous one merged.
fn to_plane_ring(frame: &Frame, ring: &RawRing) -> Result<PlaneRing, ShapeError> {
    let mut out = PlaneRing {
        id: ring.id,
        points: Vec::with_capacity(ring.points.len()),
        written: Vec::with_capacity(ring.points.len()),
    };
    for (i, &p) in ring.points.iter().enumerate() {
        let Place::Near(xy) = frame.locate(p) else {
            return Err(ShapeError::TooLarge {
                span_km: 2.0 * distance_m(frame.origin, p) / 1000.0,
            });
        };
        if out
            .points
            .last()
            .is_none_or(|&last| dist2(last, xy) >= MIN_GAP_M * MIN_GAP_M)
        {
            out.points.push(xy);
            out.written.push(i);
        }
    }
    while out.points.len() > 1
        && dist2(out.points[0], out.points[out.points.len() - 1]) < MIN_GAP_M * MIN_GAP_M
    {
        out.points.pop();
        out.written.pop();
    }
    if out.points.len() < 3 {
        return Err(ShapeError::TooFewPoints {
            ring: ring.id,
            distinct: out.points.len(),
        });
    }
    Ok(out)
}
