//! How many location observations the engine judges per second on one core, and how much memory
//! each client takes, with 100 000 clients each under a curfew, 5 zones and a victim-proximity
//! condition; compared in the same run with a naive tracker that tests every zone with `geo` on
//! every fix.
//!
//! A plain `harness = false` main (criterion's sampling does not suit a stateful stream of
//! millions of observations over 100 000 clients): the stream runs in repetitions, each timed
//! with `Instant`, and the median is reported. Rounds of observations are generated untimed and
//! handed to the engine (one `observe` call each), to a second engine with the same policies
//! (one `observe_batch` call per round), then to the baseline, so all judge exactly the same
//! fixes under the same machine noise.
//!
//! `BENCH_CLIENTS`, `BENCH_REPS` and `BENCH_ROUNDS` (rounds of 15 s per repetition) override the
//! defaults, for quick runs.
//!
//! The heap is in 2 MiB pages by default: the bench runs itself again with glibc's
//! `GLIBC_TUNABLES=glibc.malloc.hugetlb=1` (malloc asks for transparent huge pages), as a
//! deployment holding 100 000 clients would. With 4 KiB pages nearly every line an observation
//! reads is on a page the TLB does not hold. `BENCH_HUGEPAGES=0`, or `GLIBC_TUNABLES` set to
//! anything, runs as started.

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{NaiveTime, TimeZone as _, Utc};
use geo::{Contains, Distance, Haversine, LineString, Point, Polygon};
use rules::geometry::ZoneShape;
use rules::observation::{FixSource, Reading};
use rules::policy::{
    Address, AddressSlots, Confirmation, Curfew, CurfewGrace, DeviceKind, HealthPolicy,
    VictimProximity, WornDevice, Zone, ZoneKind,
};
use rules::schedule::{TimeZone, WEEKDAYS, WeeklySlot};
use rules::{Engine, MonitoringPolicy, Observation, Outcome, Span, Timestamp};

mod machine;
mod naive;

use machine::{env_or, huge_kib, median, rerun_with_huge_pages, rss_kib};
use naive::Naive;

const TAG_BASE: u64 = 1_000_000;
const HOME_UNIT_BASE: u64 = 2_000_000;
const VICTIM_BASE: u64 = 3_000_000;
/// Event time between one client's fixes.
const FIX_EVERY_MS: i64 = 15_000;
/// Each victim's device sends a fix every this many rounds (60 s).
const VICTIM_EVERY: usize = 4;
const M_PER_DEG_LAT: f64 = 111_320.0;

/// A small deterministic generator (xorshift64*), so every run judges the same stream.
struct Draw(u64);

impl Draw {
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    fn int(&mut self, lo: usize, hi_inclusive: usize) -> usize {
        lo + (self.next_u64() % (hi_inclusive - lo + 1) as u64) as usize
    }
}

/// A local east/north plane in metres around a client's home.
#[derive(Copy, Clone)]
struct Plane {
    lat: f64,
    lon: f64,
    m_per_deg_lon: f64,
}

impl Plane {
    fn new(lat: f64, lon: f64) -> Self {
        Plane {
            lat,
            lon,
            m_per_deg_lon: M_PER_DEG_LAT * lat.to_radians().cos(),
        }
    }
    /// [lon, lat] of the point `x` m east and `y` m north of the origin.
    fn geo(&self, x: f64, y: f64) -> [f64; 2] {
        [
            self.lon + x / self.m_per_deg_lon,
            self.lat + y / M_PER_DEG_LAT,
        ]
    }
}

/// A star-shaped (hence simple) ring of `n` points around (cx, cy), radius `r` ± `jitter`.
fn star_ring(
    plane: &Plane,
    draw: &mut Draw,
    cx: f64,
    cy: f64,
    r: f64,
    jitter: f64,
    n: usize,
) -> Vec<[f64; 2]> {
    let phase = draw.range(0.0, std::f64::consts::TAU);
    let mut ring: Vec<[f64; 2]> = (0..n)
        .map(|i| {
            let a = phase + std::f64::consts::TAU * (i as f64 + draw.range(-0.3, 0.3)) / n as f64;
            let radius = r * (1.0 + draw.range(-jitter, jitter));
            plane.geo(cx + radius * a.cos(), cy + radius * a.sin())
        })
        .collect();
    ring.push(ring[0]);
    ring
}

/// A point `d` metres from the origin in a random direction.
fn away(draw: &mut Draw, lo: f64, hi: f64) -> (f64, f64) {
    let a = draw.range(0.0, std::f64::consts::TAU);
    let d = draw.range(lo, hi);
    (d * a.cos(), d * a.sin())
}

/// One generated client: its policy and what the walk needs.
struct Generated {
    policy: MonitoringPolicy,
    walker: Walker,
}

/// Where a client's tag and their victim's device are, in metres on the client's home plane.
struct Walker {
    plane: Plane,
    x: f64,
    y: f64,
    /// Goes home for the curfew (most do); the others keep wandering and breach it.
    homebody: bool,
    victim_x: f64,
    victim_y: f64,
    victim_home: (f64, f64),
    seq: u32,
    victim_seq: u32,
}

fn generate(c: u64, draw: &mut Draw) -> Generated {
    let lat = draw.range(56.8, 57.1);
    let lon = draw.range(23.9, 24.3);
    let plane = Plane::new(lat, lon);
    let tag = TAG_BASE + c;
    let home_unit = HOME_UNIT_BASE + c;
    let victim = VICTIM_BASE + c;

    // Inclusion: a few km across, 12-40 vertices, around a point near home.
    let (icx, icy) = away(draw, 0.0, 300.0);
    let (r, n) = (draw.range(2500.0, 4000.0), draw.int(12, 40));
    let inclusion = star_ring(&plane, draw, icx, icy, r, 0.15, n);
    // Three exclusion polygons, 6-20 vertices: one 1.2-2.5 km away (some clients wander into
    // it), two 3-6 km away.
    let mut zones = vec![Zone {
        id: "inclusion".into(),
        kind: ZoneKind::Inclusion,
        shape: ZoneShape::Polygon {
            coordinates: vec![inclusion],
        },
        valid_from: None,
        valid_until: None,
        schedule: Vec::new(),
        warning_buffer_m: None,
        confirm: Confirmation::default(),
    }];
    for (i, (lo, hi)) in [(1200.0, 2500.0), (3000.0, 6000.0), (3000.0, 6000.0)]
        .into_iter()
        .enumerate()
    {
        let (cx, cy) = away(draw, lo, hi);
        let r = draw.range(200.0, 500.0);
        let n = draw.int(6, 20);
        zones.push(Zone {
            id: format!("exclusion-{i}"),
            kind: ZoneKind::Exclusion,
            shape: ZoneShape::Polygon {
                coordinates: vec![star_ring(&plane, draw, cx, cy, r, 0.2, n)],
            },
            valid_from: None,
            valid_until: None,
            schedule: Vec::new(),
            warning_buffer_m: None,
            confirm: Confirmation::default(),
        });
    }
    let (cx, cy) = away(draw, 2000.0, 5000.0);
    zones.push(Zone {
        id: "exclusion-circle".into(),
        kind: ZoneKind::Exclusion,
        shape: ZoneShape::Circle {
            centre: plane.geo(cx, cy),
            radius_m: draw.range(150.0, 400.0),
        },
        valid_from: None,
        valid_until: None,
        schedule: Vec::new(),
        warning_buffer_m: None,
        confirm: Confirmation::default(),
    });

    let policy = MonitoringPolicy {
        client: c + 1,
        revision: 1,
        time_zone: TimeZone::default(),
        monitoring_from: None,
        monitoring_until: None,
        devices: vec![
            WornDevice {
                id: tag,
                kind: DeviceKind::Tag,
                comm_lost_after: None,
            },
            WornDevice {
                id: home_unit,
                kind: DeviceKind::HomeUnit,
                comm_lost_after: None,
            },
        ],
        addresses: vec![Address {
            id: "home".into(),
            zone: ZoneShape::Circle {
                centre: [lon, lat],
                radius_m: 50.0,
            },
            home_unit: Some(home_unit),
        }],
        curfew: Some(Curfew {
            timetable: vec![AddressSlots {
                address: "home".into(),
                slots: WEEKDAYS
                    .iter()
                    .map(|&day| WeeklySlot {
                        day,
                        start: NaiveTime::from_hms_opt(22, 0, 0).unwrap(),
                        end: NaiveTime::from_hms_opt(6, 0, 0).unwrap(),
                    })
                    .collect(),
            }],
            absences: Vec::new(),
            extra: Vec::new(),
            first_night: None,
            grace: CurfewGrace::default(),
        }),
        zones,
        proximity: vec![VictimProximity {
            id: "victim".into(),
            victim_device: victim,
            alarm_m: 500.0,
            release_m: 700.0,
            warning_m: Some(1500.0),
            max_fix_gap: Span::minutes(2),
            confirm: Confirmation::default(),
        }],
        health: HealthPolicy::default(),
    };
    let (x, y) = away(draw, 0.0, 1500.0);
    let victim_home = away(draw, 1000.0, 8000.0);
    Generated {
        policy,
        walker: Walker {
            plane,
            x,
            y,
            homebody: draw.unit() < 0.95,
            victim_x: victim_home.0,
            victim_y: victim_home.1,
            victim_home,
            seq: 0,
            victim_seq: 0,
        },
    }
}

fn location(device: u64, seq: u32, t: i64, at: [f64; 2], accuracy_m: f64) -> Observation {
    Observation {
        device,
        seq,
        device_time: Timestamp(t),
        received: Timestamp(t + 1_000),
        stored: false,
        reading: Reading::Location {
            lat: at[1],
            lon: at[0],
            accuracy_m: Some(accuracy_m),
            source: FixSource::Gnss,
        },
    }
}

/// One round (15 s of event time): every client's tag moves and sends a fix, a quarter of the
/// victims' devices too, all in device-time order.
fn round(
    walkers: &mut [Walker],
    draw: &mut Draw,
    r: usize,
    start_ms: i64,
    out: &mut Vec<Observation>,
) {
    out.clear();
    let n = walkers.len() as i64;
    let t0 = start_ms + r as i64 * FIX_EVERY_MS;
    // From 21:56 local (round 24) the homebodies head home: at home by 22:00.
    let going_home = r >= 24;
    for (c, w) in walkers.iter_mut().enumerate() {
        let t = t0 + c as i64 * FIX_EVERY_MS / n;
        if w.homebody && going_home {
            w.x = w.x * 0.75 + draw.range(-3.0, 3.0);
            w.y = w.y * 0.75 + draw.range(-3.0, 3.0);
        } else {
            w.x += draw.range(-30.0, 30.0) - 0.002 * w.x;
            w.y += draw.range(-30.0, 30.0) - 0.002 * w.y;
        }
        w.seq += 1;
        out.push(location(
            TAG_BASE + c as u64,
            w.seq,
            t,
            w.plane.geo(w.x, w.y),
            draw.range(5.0, 30.0),
        ));
        if (c + r).is_multiple_of(VICTIM_EVERY) {
            w.victim_x += draw.range(-30.0, 30.0) - 0.01 * (w.victim_x - w.victim_home.0);
            w.victim_y += draw.range(-30.0, 30.0) - 0.01 * (w.victim_y - w.victim_home.1);
            w.victim_seq += 1;
            out.push(location(
                VICTIM_BASE + c as u64,
                w.victim_seq,
                t,
                w.plane.geo(w.victim_x, w.victim_y),
                draw.range(5.0, 30.0),
            ));
        }
    }
}

/// What the engine yielded, counted and cleared as it comes.
#[derive(Default, Debug, PartialEq)]
struct Tally {
    changes: u64,
    checkpoints: u64,
    late: u64,
}

impl Tally {
    fn take(&mut self, out: &mut Outcome) {
        self.changes += out.changes.len() as u64;
        self.checkpoints += out.checkpoints.len() as u64;
        self.late += out.late.len() as u64;
        out.changes.clear();
        out.checkpoints.clear();
        out.late.clear();
    }
}

fn main() {
    rerun_with_huge_pages();
    let clients = env_or("BENCH_CLIENTS", 100_000);
    let reps = env_or("BENCH_REPS", 7);
    let rounds_per_rep = env_or("BENCH_ROUNDS", 12);
    let warmup_rounds = 8;
    // Monday 2026-11-23, 21:50 in Riga (UTC+2): the curfew window opens 10 minutes in.
    let start_ms = Utc
        .with_ymd_and_hms(2026, 11, 23, 19, 50, 0)
        .unwrap()
        .timestamp_millis();

    let rss_start = rss_kib();
    let mut draw = Draw(0x9e37_79b9_7f4a_7c15);
    let t = Instant::now();
    let mut engine = Engine::new();
    let mut walkers = Vec::with_capacity(clients);
    for c in 0..clients as u64 {
        let g = generate(c, &mut draw);
        walkers.push(g.walker);
        let compiled = g.policy.compile().expect("bench policies compile");
        engine
            .add_client(Arc::new(compiled))
            .expect("distinct clients and devices");
    }
    let build_s = t.elapsed().as_secs_f64();
    let rss_after_engine = rss_kib();
    // A second engine, fed the same observations in batches, with the same policies compiled
    // again into memory of its own (shared policies would be warm from the first engine).
    let mut again = Draw(0x9e37_79b9_7f4a_7c15);
    let mut batched = Engine::new();
    for c in 0..clients as u64 {
        let compiled = generate(c, &mut again).policy.compile().expect("compiles");
        batched
            .add_client(Arc::new(compiled))
            .expect("distinct clients and devices");
    }
    let sources: Vec<&MonitoringPolicy> = engine.clients().map(|m| &m.policy().source).collect();
    let mut naive = Naive::new(&sources);
    drop(sources);
    let state_at_start: usize = engine.clients().map(|m| m.approx_bytes()).sum();
    let policy_bytes: usize = engine.clients().map(|m| m.policy().approx_bytes()).sum();

    println!(
        "rules engine bench: {clients} clients, each with a curfew (22:00-06:00 daily), 5 zones, victim proximity"
    );
    println!("  generated, compiled and added in {build_s:.1} s");

    let mut batch = Vec::with_capacity(clients + clients / VICTIM_EVERY + 1);
    let mut out = Outcome::default();
    let mut one_by_one = Tally::default();
    let mut run_engine =
        |engine: &mut Engine, batch: &[Observation], out: &mut Outcome| -> Duration {
            let t = Instant::now();
            for obs in batch {
                engine.observe(obs, out);
                one_by_one.take(out);
            }
            t.elapsed()
        };
    let mut in_batches = Tally::default();
    let mut run_batched =
        |engine: &mut Engine, batch: &[Observation], out: &mut Outcome| -> Duration {
            let t = Instant::now();
            engine.observe_batch(batch, out);
            in_batches.take(out);
            t.elapsed()
        };
    let run_naive = |naive: &mut Naive, batch: &[Observation]| -> Duration {
        let t = Instant::now();
        for obs in batch {
            naive.observe(black_box(obs));
        }
        t.elapsed()
    };

    let mut r = 0;
    for _ in 0..warmup_rounds {
        round(&mut walkers, &mut draw, r, start_ms, &mut batch);
        run_engine(&mut engine, &batch, &mut out);
        run_batched(&mut batched, &batch, &mut out);
        run_naive(&mut naive, &batch);
        r += 1;
    }

    let mut engine_rates = Vec::new();
    let mut batched_rates = Vec::new();
    let mut naive_rates = Vec::new();
    let mut ratios = Vec::new();
    let mut batched_ratios = Vec::new();
    let mut total_obs = 0usize;
    println!(
        "  rep  observations  engine obs/s  batched obs/s  baseline obs/s  ratio  batched ratio"
    );
    for rep in 0..reps {
        let (mut obs, mut te, mut tb, mut tn) =
            (0usize, Duration::ZERO, Duration::ZERO, Duration::ZERO);
        for _ in 0..rounds_per_rep {
            round(&mut walkers, &mut draw, r, start_ms, &mut batch);
            te += run_engine(&mut engine, &batch, &mut out);
            tb += run_batched(&mut batched, &batch, &mut out);
            tn += run_naive(&mut naive, &batch);
            obs += batch.len();
            r += 1;
        }
        total_obs += obs;
        let e = obs as f64 / te.as_secs_f64();
        let b = obs as f64 / tb.as_secs_f64();
        let n = obs as f64 / tn.as_secs_f64();
        println!(
            "  {rep:>3}  {obs:>12}  {e:>12.0}  {b:>13.0}  {n:>14.0}  {:>5.2}  {:>13.2}",
            e / n,
            b / n
        );
        engine_rates.push(e);
        batched_rates.push(b);
        naive_rates.push(n);
        ratios.push(e / n);
        batched_ratios.push(b / n);
    }

    let state_at_end: usize = engine.clients().map(|m| m.approx_bytes()).sum();
    let rss_end = rss_kib();
    let kib = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (Some(a), Some(b)) => format!("{:.0}", (b as f64 - a as f64) * 1024.0 / clients as f64),
        _ => "n/a".into(),
    };
    let local_end = Utc
        .timestamp_millis_opt(start_ms + r as i64 * FIX_EVERY_MS)
        .unwrap()
        + chrono::Duration::hours(2);
    println!(
        "  event time 21:50 to {} local; {} observations judged in the timed reps ({} warm-up rounds before)",
        local_end.format("%H:%M"),
        total_obs,
        warmup_rounds
    );
    println!(
        "  outcome: {} episode changes, {} checkpoints, {} late (observe_batch the same); baseline: {} violation changes",
        one_by_one.changes, one_by_one.checkpoints, one_by_one.late, naive.changes
    );
    assert_eq!(one_by_one, in_batches, "a batch judges as one by one");
    println!(
        "RESULT engine median obs/s per core: {:.0}",
        median(&mut engine_rates)
    );
    println!(
        "RESULT engine, observe_batch, median obs/s per core: {:.0}",
        median(&mut batched_rates)
    );
    println!(
        "RESULT baseline median obs/s per core: {:.0}",
        median(&mut naive_rates)
    );
    println!(
        "RESULT ratio engine/baseline (median of per-rep ratios): {:.2}, observe_batch/baseline {:.2}",
        median(&mut ratios),
        median(&mut batched_ratios)
    );
    println!(
        "RESULT state bytes/client (ClientMonitor::approx_bytes): {:.0} after adding, {:.0} after the stream",
        state_at_start as f64 / clients as f64,
        state_at_end as f64 / clients as f64
    );
    println!(
        "RESULT policy bytes/client (CompiledPolicy::approx_bytes): {:.0}",
        policy_bytes as f64 / clients as f64
    );
    println!(
        "RESULT RSS bytes/client: engine built {} (monitors + compiled policies incl. each policy's source + ~100 B of bench walker), after the stream {} (incl. the second engine for observe_batch, the baseline and a {}-observation batch)",
        kib(rss_start, rss_after_engine),
        kib(rss_start, rss_end),
        batch.capacity()
    );
    println!(
        "  VmRSS KiB: start {:?}, engine built {:?}, end {:?}; in huge pages at the end {:?} (GLIBC_TUNABLES={:?})",
        rss_start,
        rss_after_engine,
        rss_end,
        huge_kib(),
        std::env::var("GLIBC_TUNABLES").unwrap_or_default()
    );
    println!(
        "  sizes: ClientMonitor {} B inline, Checkpoint {} B (a ClientState inline + 24 B), Observation {} B, Episode {} B",
        std::mem::size_of::<rules::ClientMonitor>(),
        std::mem::size_of::<rules::Checkpoint>(),
        std::mem::size_of::<Observation>(),
        std::mem::size_of::<rules::Episode>()
    );
    black_box(&engine);
    black_box(&batched);
}
