//! Arbitrary bytes into Traccar's decoders: a forwarded position, a forwarded event and a page
//! of the REST API. Nothing may panic; a position taken is in range, and the same position
//! backfilled (its record in a page) reads as the one forwarded, key and report alike.
#![no_main]

use foreign_proto::traccar::{TraccarPosition, decode_event, decode_page, decode_position};
use libfuzzer_sys::fuzz_target;

/// The record's `deviceId`, read as the decoder reads it: a number JSON allows but f64 does not
/// hold (`1e999`) may sit in an attribute not read, so the record is not read as a `Value`.
#[derive(serde::Deserialize)]
struct DeviceId {
    #[serde(rename = "deviceId")]
    device_id: Option<i64>,
}

fn check(position: &TraccarPosition) {
    if let Some(fix) = position.report.fix {
        assert!(fix.lat.abs() <= 90.0 && fix.lon.abs() <= 180.0);
    }
    assert!(position.report.battery_percent.is_none_or(|p| p <= 100));
    let record: DeviceId =
        serde_json::from_slice(&position.report.record).expect("a record is a position");
    let device_id = record.device_id.unwrap_or(0);
    let mut page = b"[".to_vec();
    page.extend_from_slice(&position.report.record);
    page.push(b']');
    let page = decode_page(&page, &position.key.unique_id, device_id).expect("a page");
    assert_eq!(page.positions.as_slice(), std::slice::from_ref(position));
}

fuzz_target!(|data: &[u8]| {
    if let Ok(position) = decode_position(data) {
        check(&position);
    }
    if let Ok(event) = decode_event(data) {
        assert!(!event.kind.is_empty() && event.time_ms >= 0);
        if let Some(position) = &event.position {
            check(position);
        }
    }
    if let Ok(page) = decode_page(data, "fuzz", 1) {
        page.positions.iter().for_each(check);
    }
});
