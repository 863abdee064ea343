//! How fast zones judge fixes: `classify` for a circle, a 12-point and a 500-point polygon, with
//! fixes well inside, well outside and near the boundary; one whole fix's worth of geometry; and
//! the slower calls beside them.

use std::f64::consts::TAU;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use geographiclib_rs::{DirectGeodesic, Geodesic};
use rules::geometry::{CompiledShape, GeoPoint, Side, ZoneShape, distance_m, distance_m_fast};

const RIGA: GeoPoint = GeoPoint {
    lat: 56.9496,
    lon: 24.1052,
};
/// Fixes per set; the benchmarks cycle through them so that branches are not all predictable.
const FIXES: usize = 1024;

fn offset(p: GeoPoint, azimuth_deg: f64, dist_m: f64) -> GeoPoint {
    let (lat, lon) = Geodesic::wgs84().direct(p.lat, p.lon, azimuth_deg, dist_m);
    GeoPoint { lat, lon }
}

/// The points of a ring around `centre` whose i-th point of `n` is `radius(i)` metres away.
fn ring(centre: GeoPoint, n: usize, radius: impl Fn(usize) -> f64) -> Vec<GeoPoint> {
    (0..n)
        .map(|i| offset(centre, 360.0 * i as f64 / n as f64, radius(i)))
        .collect()
}

fn polygon(points: &[GeoPoint]) -> ZoneShape {
    let mut ring: Vec<[f64; 2]> = points.iter().map(|p| [p.lon, p.lat]).collect();
    ring.push(ring[0]);
    ZoneShape::Polygon {
        coordinates: vec![ring],
    }
}

fn compile(shape: &ZoneShape) -> CompiledShape {
    CompiledShape::compile(shape).expect("bench shapes are valid")
}

/// A small deterministic generator, so that every run measures the same fixes.
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Fixes around a zone with the given boundary points (closely spaced along the boundary):
/// well inside (within half the boundary's nearest distance from the centre), well outside (1 to
/// 5 km beyond its farthest) and near it (within 20 m of a point on it).
fn fixes(centre: GeoPoint, boundary: &[GeoPoint]) -> [(&'static str, Vec<GeoPoint>); 3] {
    let distances = boundary.iter().map(|&p| distance_m(centre, p));
    let (near, far) = distances.fold((f64::INFINITY, 0.0f64), |(lo, hi), d| {
        (lo.min(d), hi.max(d))
    });
    let mut draw = Draw(0x9e37_79b9_7f4a_7c15);
    let mut set = |fix: &mut dyn FnMut(&mut Draw) -> GeoPoint| {
        (0..FIXES).map(|_| fix(&mut draw)).collect::<Vec<_>>()
    };
    let inside = set(&mut |d| offset(centre, d.next() * 360.0, d.next() * 0.5 * near));
    let outside = set(&mut |d| offset(centre, d.next() * 360.0, far + 1000.0 + 4000.0 * d.next()));
    let near_edge = set(&mut |d| {
        let i = (d.next() * boundary.len() as f64) as usize % boundary.len();
        let (a, b) = (boundary[i], boundary[(i + 1) % boundary.len()]);
        let t = d.next();
        let on_edge = GeoPoint {
            lat: a.lat + t * (b.lat - a.lat),
            lon: a.lon + t * (b.lon - a.lon),
        };
        offset(on_edge, d.next() * 360.0, d.next() * 20.0)
    });
    [
        ("inside", inside),
        ("outside", outside),
        ("near_edge", near_edge),
    ]
}

fn classify(c: &mut Criterion) {
    let circle = compile(&ZoneShape::Circle {
        centre: [RIGA.lon, RIGA.lat],
        radius_m: 150.0,
    });
    // A 12-point star (alternately 500 m and 350 m from its centre) and a 500-point wavy ring
    // about 2 km from it.
    let star = |i: usize| if i.is_multiple_of(2) { 500.0 } else { 350.0 };
    let wavy = |i: usize| 2000.0 + 150.0 * (i as f64 * TAU / 500.0 * 9.0).sin();
    let (star_ring, wavy_ring) = (ring(RIGA, 12, star), ring(RIGA, 500, wavy));
    let (poly12, poly500) = (compile(&polygon(&star_ring)), compile(&polygon(&wavy_ring)));
    let cases = [
        (
            "circle_150m",
            &circle,
            fixes(RIGA, &ring(RIGA, 3600, |_| 150.0)),
        ),
        ("polygon_12", &poly12, fixes(RIGA, &star_ring)),
        ("polygon_500", &poly500, fixes(RIGA, &wavy_ring)),
    ];
    let mut group = c.benchmark_group("classify");
    for (name, zone, sets) in &cases {
        for (kind, points) in sets {
            let mut i = 0;
            group.bench_function(format!("{name}/{kind}"), |b| {
                b.iter(|| {
                    i = (i + 1) % FIXES;
                    zone.classify(black_box(points[i]), black_box(10.0), black_box(5.0))
                })
            });
        }
    }
    group.finish();

    // One fix's geometry: a curfew address, five zones and a victim-proximity check, for fixes
    // wandering within 2.5 km of the address.
    let zones: Vec<CompiledShape> = (0..5)
        .map(|k| {
            compile(&polygon(&ring(
                offset(RIGA, 72.0 * k as f64, 3000.0),
                12,
                star,
            )))
        })
        .collect();
    let victim = offset(RIGA, 200.0, 4000.0);
    let [(_, wander), _, _] = fixes(RIGA, &ring(RIGA, 36, |_| 5000.0));
    let mut i = 0;
    c.bench_function("fix/address+5zones+proximity", |b| {
        b.iter(|| {
            i = (i + 1) % FIXES;
            let p = black_box(wander[i]);
            let home = circle.classify(p, 10.0, 5.0);
            let inside = zones
                .iter()
                .filter(|z| z.classify(p, 10.0, 5.0) == Side::Inside)
                .count();
            (home, inside, distance_m_fast(p, victim) < 500.0)
        })
    });

    c.bench_function("distance_m_fast", |b| {
        b.iter(|| {
            i = (i + 1) % FIXES;
            distance_m_fast(black_box(wander[i]), victim)
        })
    });
    c.bench_function("distance_m", |b| {
        b.iter(|| {
            i = (i + 1) % FIXES;
            distance_m(black_box(wander[i]), victim)
        })
    });
    c.bench_function("signed_distance_m/polygon_500", |b| {
        b.iter(|| {
            i = (i + 1) % FIXES;
            poly500.signed_distance_m(black_box(wander[i]))
        })
    });
    let shape = polygon(&wavy_ring);
    c.bench_function("compile/polygon_500", |b| {
        b.iter(|| CompiledShape::compile(black_box(&shape)))
    });
}

criterion_group!(benches, classify);
criterion_main!(benches);
