//! What a Teltonika record says, as a [`ForeignReport`]: the GPS element, and the IO elements
//! that matter to electronic monitoring, by their ids in Teltonika's AVL ID list (the same on
//! the FMB, FMC and FMM families and the personal trackers).
//!
//! Only what the record says is taken. A record without a fix repeats the last position with 0
//! satellites (the documentation's rule): that is no position. Accuracy comes from the
//! device's own HDOP when it sends it; without it the fix's accuracy is unknown, which the
//! rules treat as a kilometre, so a tracker should be configured to send HDOP (docs/ingest.md).

use firmware_proto::LocationSource;

use super::{AvlRecord, IoValue};
use crate::{ForeignFix, ForeignReport};

/// Digital input 1: where a tracker with a strap sensor wires it (per device configuration).
pub const IO_DIGITAL_INPUT_1: u16 = 1;
/// External (supply) voltage, mV.
pub const IO_EXTERNAL_VOLTAGE: u16 = 66;
/// Internal battery voltage, mV.
pub const IO_BATTERY_VOLTAGE: u16 = 67;
/// GNSS status: 0 off, 1 on with a fix, 2 on without a fix, 3 asleep.
pub const IO_GNSS_STATUS: u16 = 69;
/// Battery level, %.
pub const IO_BATTERY_LEVEL: u16 = 113;
/// Charger connected (personal trackers): 0 or 1.
pub const IO_CHARGER: u16 = 116;
/// GNSS HDOP × 10.
pub const IO_GNSS_HDOP: u16 = 182;
/// Movement: 0 or 1.
pub const IO_MOVEMENT: u16 = 240;

/// The 95 % horizontal error of a fix per unit of HDOP: twice a user range error of 5 m, the
/// usual figure for a single-frequency receiver in the open.
pub const METRES_PER_HDOP: f64 = 10.0;

/// Supply voltage from which a tracker counts as on external power.
const EXTERNAL_POWER_MV: u64 = 5_000;

/// The report a record makes.
pub fn report(record: &AvlRecord) -> ForeignReport {
    let io = |id: u16| {
        record.io.iter().find_map(|(at, value)| match value {
            IoValue::Fixed { value, .. } if *at == id => Some(*value),
            _ => None,
        })
    };
    let gps = &record.gps;
    let gnss_has_fix = io(IO_GNSS_STATUS).is_none_or(|status| status == 1);
    let fix = (gps.satellites > 0 && gnss_has_fix).then(|| ForeignFix {
        lat: f64::from(gps.latitude) / 1e7,
        lon: f64::from(gps.longitude) / 1e7,
        accuracy_m: io(IO_GNSS_HDOP)
            .filter(|&hdop| hdop > 0)
            .map(|hdop| hdop as f64 / 10.0 * METRES_PER_HDOP),
        source: LocationSource::Gnss,
        satellites: gps.satellites,
        speed_kmh: Some(f64::from(gps.speed)),
        heading_deg: Some(f64::from(gps.angle)),
    });
    let charger = io(IO_CHARGER).map(|v| v == 1);
    let supply = io(IO_EXTERNAL_VOLTAGE).map(|mv| mv >= EXTERNAL_POWER_MV);
    ForeignReport {
        time_ms: i64::try_from(record.timestamp_ms).unwrap_or(i64::MAX),
        fix,
        battery_percent: io(IO_BATTERY_LEVEL).map(|p| p.min(100) as u8),
        battery_mv: io(IO_BATTERY_VOLTAGE).map(|mv| mv.min(u64::from(u16::MAX)) as u16),
        external_power: charger.or(supply),
        moving: io(IO_MOVEMENT).map(|m| m == 1),
        record: record.raw.clone(),
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::teltonika::tests::{CODEC8_FIRST, bytes};
    use crate::teltonika::{GpsElement, decode_packet};

    fn fixed(size: u8, value: u64) -> IoValue {
        IoValue::Fixed { size, value }
    }

    fn riga(io: Vec<(u16, IoValue)>) -> AvlRecord {
        AvlRecord {
            timestamp_ms: 1_800_000_000_000,
            priority: 0,
            gps: GpsElement {
                longitude: 241_150_000,
                latitude: 569_470_000,
                altitude: 12,
                angle: 90,
                satellites: 9,
                speed: 5,
            },
            event_io: 0,
            io,
            raw: Bytes::from_static(&[0x08, 1, 2, 3]),
        }
    }

    #[test]
    fn a_personal_trackers_record_reads_whole() {
        let record = riga(vec![
            (IO_GNSS_STATUS, fixed(1, 1)),
            (IO_GNSS_HDOP, fixed(2, 8)),
            (IO_BATTERY_LEVEL, fixed(1, 76)),
            (IO_BATTERY_VOLTAGE, fixed(2, 3_980)),
            (IO_CHARGER, fixed(1, 0)),
            (IO_MOVEMENT, fixed(1, 1)),
        ]);
        let report = report(&record);
        let fix = report.fix.expect("a fix");
        assert_eq!((fix.lat, fix.lon), (56.947, 24.115));
        assert_eq!(fix.accuracy_m, Some(8.0), "HDOP 0.8");
        assert_eq!(
            (fix.satellites, fix.speed_kmh, fix.heading_deg),
            (9, Some(5.0), Some(90.0))
        );
        assert_eq!(report.battery_percent, Some(76));
        assert_eq!(report.battery_mv, Some(3_980));
        assert_eq!(report.external_power, Some(false));
        assert_eq!(report.moving, Some(true));
        assert_eq!(report.time_ms, 1_800_000_000_000);
        assert_eq!(report.record, record.raw);
    }

    #[test]
    fn no_fix_is_no_position_and_unsaid_is_unknown() {
        let mut record = riga(vec![]);
        record.gps.satellites = 0;
        let bare = report(&record);
        assert_eq!(bare.fix, None, "the last position repeated, 0 satellites");
        assert_eq!(
            (
                bare.battery_percent,
                bare.battery_mv,
                bare.external_power,
                bare.moving
            ),
            (None, None, None, None)
        );
        let searching = riga(vec![(IO_GNSS_STATUS, fixed(1, 2))]);
        assert_eq!(report(&searching).fix, None, "GNSS on without a fix");
        let vague = report(&riga(vec![]));
        assert_eq!(
            vague.fix.map(|f| f.accuracy_m),
            Some(None),
            "no HDOP: unknown"
        );
        let vehicle = riga(vec![(IO_EXTERNAL_VOLTAGE, fixed(2, 12_600))]);
        assert_eq!(report(&vehicle).external_power, Some(true));
    }

    #[test]
    fn the_documented_examples_make_reports() {
        // The documentation's first Codec 8 example: no fix, IO 0x15 (GSM signal), 0x01, 0x42
        // (external voltage 24 079 mV), 0xF1, 0x4E.
        let bytes = bytes(CODEC8_FIRST);
        let (avl, _) = decode_packet(&bytes).expect("valid").expect("whole");
        let report = report(&avl.records[0]);
        assert_eq!(report.fix, None);
        assert_eq!(report.external_power, Some(true));
        assert_eq!(report.time_ms, 1_560_161_086_000);
    }
}
