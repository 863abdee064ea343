use firmware_proto::{Heartbeat, HeartbeatStatus};
use proptest::prelude::*;

use super::*;

const MIN: i64 = 60_000;

fn beat(device_ms: i64, battery: u8, rssi: i8) -> HeartbeatSample {
    HeartbeatSample {
        device_ms,
        received_ms: device_ms - 2_000,
        live: true,
        heartbeat: Heartbeat {
            battery_percent: battery,
            battery_mv: 3_000 + u16::from(battery) * 10,
            status: HeartbeatStatus(0),
            rssi_dbm: rssi,
            temperature_c: 20,
        },
    }
}

#[test]
fn each_slice_has_the_lowest_battery_the_mean_signal_and_the_least_delayed_offset() {
    let mut late = beat(5 * MIN, 50, -90);
    // Waited 40 s in the device's buffer: its offset would say the clock is 38 s behind.
    late.received_ms = late.device_ms + 40_000;
    late.live = false;
    let beats = [
        beat(MIN, 80, -70),
        beat(2 * MIN, 78, -80),
        late,
        beat(11 * MIN, 60, -60),
    ];
    let h = HealthHistory::build(0, 20 * MIN, 2, 15 * MIN, 20 * MIN, &beats, &[]).unwrap();
    assert_eq!(h.slice_ms, 10 * MIN);
    assert_eq!(h.slices.len(), 2);
    let first = &h.slices[0];
    assert_eq!(first.heartbeats, 3);
    assert_eq!(first.battery_percent_min, Some(50));
    assert_eq!(first.rssi_dbm_mean, Some(-80.0));
    assert_eq!(first.rssi_dbm_min, Some(-90));
    // The buffered heartbeat is left out of the clock: the live ones say +2 s.
    assert_eq!(first.clock_offset_ms, Some(2_000));
    assert_eq!(h.slices[1].start_ms, 10 * MIN);
    assert_eq!(h.slices[1].battery_percent_min, Some(60));
}

#[test]
fn silences_count_from_the_start_and_up_to_what_is_known_not_into_the_future() {
    let beats = [
        beat(20 * MIN, 80, -70),
        beat(25 * MIN, 80, -70),
        beat(60 * MIN, 80, -70),
    ];
    // The period runs to 120 min but it is 70 min now.
    let h = HealthHistory::build(0, 120 * MIN, 12, 15 * MIN, 70 * MIN, &beats, &[]).unwrap();
    assert_eq!(
        h.silences,
        vec![
            Silence {
                from_ms: 0,
                to_ms: 20 * MIN
            },
            Silence {
                from_ms: 25 * MIN,
                to_ms: 60 * MIN
            },
        ]
    );
    // No heartbeat at all: silent throughout what is known.
    let none = HealthHistory::build(0, 120 * MIN, 12, 15 * MIN, 70 * MIN, &[], &[]).unwrap();
    assert_eq!(
        none.silences,
        vec![Silence {
            from_ms: 0,
            to_ms: 70 * MIN
        }]
    );
    assert!(none.slices.iter().all(|s| s.battery_percent_min.is_none()));
}

#[test]
fn lost_frames_fall_in_the_slice_they_were_found_in() {
    let lost = [
        LostFrames {
            detected_ms: 3 * MIN,
            frames: 4,
        },
        LostFrames {
            detected_ms: 4 * MIN,
            frames: 1,
        },
        LostFrames {
            detected_ms: 30 * MIN,
            frames: 9,
        },
    ];
    let h = HealthHistory::build(0, 20 * MIN, 4, 15 * MIN, 20 * MIN, &[], &lost).unwrap();
    let lost: Vec<u64> = h.slices.iter().map(|s| s.lost_frames).collect();
    assert_eq!(lost, vec![5, 0, 0, 0]);
}

#[test]
fn a_period_that_does_not_divide_evenly_ends_with_a_shorter_slice() {
    let h = HealthHistory::build(0, 10, 3, 1000, 10, &[], &[]).unwrap();
    assert_eq!(h.slice_ms, 4);
    let starts: Vec<i64> = h.slices.iter().map(|s| s.start_ms).collect();
    assert_eq!(starts, vec![0, 4, 8]);
    // More slices than milliseconds: one per millisecond.
    let h = HealthHistory::build(0, 3, 10, 1000, 3, &[], &[]).unwrap();
    assert_eq!((h.slice_ms, h.slices.len()), (1, 3));
}

#[test]
fn bad_requests_are_refused() {
    assert_eq!(
        HealthHistory::build(5, 5, 10, 1000, 5, &[], &[]),
        Err(HistoryError::EmptyPeriod)
    );
    assert_eq!(
        HealthHistory::build(0, 5, 0, 1000, 5, &[], &[]),
        Err(HistoryError::Slices)
    );
    assert_eq!(
        HealthHistory::build(0, 5, MAX_SLICES + 1, 1000, 5, &[], &[]),
        Err(HistoryError::Slices)
    );
    assert_eq!(
        HealthHistory::build(0, 5, 1, 999, 5, &[], &[]),
        Err(HistoryError::Silence)
    );
    // The extremes of time do not overflow.
    let h = HealthHistory::build(
        i64::MIN,
        i64::MAX,
        MAX_SLICES,
        1000,
        i64::MAX,
        &[beat(0, 1, 1)],
        &[],
    );
    let h = h.unwrap();
    assert_eq!(h.slices.iter().map(|s| s.heartbeats).sum::<u32>(), 1);
}

proptest! {
    /// Every heartbeat in the period is counted once, in the slice whose span holds it; the
    /// slices tile the period; every silence is longer than asked and holds no heartbeat.
    #[test]
    fn slices_tile_the_period_and_count_each_heartbeat_once(
        from in -1_000_000i64..1_000_000,
        len in 1i64..10_000_000,
        slices in 1u32..200,
        silence in 1_000i64..2_000_000,
        mut times in proptest::collection::vec(-2_000_000i64..12_000_000, 0..60),
    ) {
        times.sort_unstable();
        let to = from + len;
        let beats: Vec<_> = times.iter().map(|&t| beat(t, 50, -70)).collect();
        let h = HealthHistory::build(from, to, slices, silence, to, &beats, &[]).unwrap();
        prop_assert_eq!(h.slices[0].start_ms, from);
        prop_assert!(h.slices.len() <= slices as usize);
        for pair in h.slices.windows(2) {
            prop_assert_eq!(pair[1].start_ms - pair[0].start_ms, h.slice_ms);
        }
        prop_assert!(h.slices.last().unwrap().start_ms < to);
        prop_assert!(h.slices.last().unwrap().start_ms + h.slice_ms >= to);
        let inside = times.iter().filter(|t| (from..to).contains(*t)).count();
        prop_assert_eq!(h.slices.iter().map(|s| s.heartbeats as usize).sum::<usize>(), inside);
        for (i, s) in h.slices.iter().enumerate() {
            let end = h.slices.get(i + 1).map_or(to, |n| n.start_ms);
            let here = times.iter().filter(|t| (s.start_ms..end).contains(*t)).count();
            prop_assert_eq!(s.heartbeats as usize, here);
        }
        for gap in &h.silences {
            prop_assert!(gap.to_ms - gap.from_ms > silence);
            prop_assert!(!times.iter().any(|t| gap.from_ms < *t && *t < gap.to_ms));
        }
    }
}
