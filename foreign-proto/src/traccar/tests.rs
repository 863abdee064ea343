//! The decoders against bodies Traccar really wrote, as found published (each says where),
//! bodies made from Traccar's model where none was found, and broken, hostile and boundary
//! input; then properties over any input.

use super::*;
use proptest::prelude::*;
use serde_json::json;

/// A `forward.type=json` body of Traccar 4 (2018), as published in a comment of FHEM's
/// `98_livetracking.pm` (its author put `YYY` and `12.3456789` in place of the real values).
const FHEM_POSITION: &str = r#"{"position":{"id":14935,"attributes":{"batteryLevel":61,"distance":0.06,"totalDistance":4132002.73,"motion":false},"deviceId":1,"type":null,"protocol":"osmand","serverTime":"2018-10-31T22:14:10.290+0000","deviceTime":"2018-10-31T22:14:07.000+0000","fixTime":"2018-10-31T22:14:07.000+0000","outdated":false,"valid":true,"latitude":12.3456789,"longitude":12.3456789,"altitude":0,"speed":0,"course":0,"address":null,"accuracy":19.23500061035156,"network":null},"device":{"id":1,"attributes":{},"groupId":0,"name":"XXX","uniqueId":"YYY","status":"online","lastUpdate":"2018-10-31T22:14:10.290+0000","positionId":14935,"geofenceIds":[2],"phone":"","model":"","contact":"","category":"person","disabled":false}}"#;

/// The next one in the same comment (2019), which its author's redaction (`53.xxxxx`, a
/// quote lost after `SomeID`) left no longer JSON.
const FHEM_REDACTED: &str = r#"{"position":{"id":566,"attributes":{"batteryLevel":66,"distance":25.79,"totalDistance":20665.79,"motion":false},"deviceId":1,"type":null,"protocol":"osmand","serverTime":"2019-01-06T11:39:41.279+0000","deviceTime":"2019-01-06T11:39:41.000+0000","fixTime":"2019-01-06T11:39:41.000+0000","outdated":false,"valid":true,"latitude":53.xxxxx,"longitude":8.xxxxx,"altitude":0,"speed":0,"course":0,"address":null,"accuracy":24.04000091552734,"network":null},"device":{"id":1,"attributes":{},"groupId":0,"name":"SomeName","uniqueId":"SomeID,"status":"online","lastUpdate":"2019-01-06T11:39:41.279+0000","positionId":565,"geofenceIds":[],"phone":"","model":"","contact":"","category":null,"disabled":false}}"#;

/// An `event.forward.type=json` body of Traccar 4 (2018), from J.-P. Mens, "Position and
/// event forwarding from Traccar" (jpmens.net, 2018-09-14), which he shortened (no `valid`,
/// no speed); the device is cut off where the copy read ends, and is completed here with a
/// name and uniqueId.
const JPMENS_EVENT: &str = r#"{
	"geofence": {"id": 7, "name": "blub9", "description": "", "area": "CIRCLE (49.133867934876974 8.166520803303387, 33112.6)"},
	"position": {
		"id": 18336,
		"attributes": {"t": "i", "ignition": true, "distance": 449672.22},
		"deviceId": 7,
		"protocol": "owntracks",
		"deviceTime": "2018-09-14T15:34:17.000+0000",
		"fixTime": "2018-09-14T15:34:17.000+0000",
		"latitude": 49.0156556,
		"longitude": 8.3975169,
		"network": null
	},
	"event": {"id": 1216, "deviceId": 7, "type": "geofenceEnter", "serverTime": "2018-09-14T15:34:17.906+0000", "positionId": 18336},
	"device": {"id": 7, "attributes": {"aaa": "AAAA", "mm": "1"}, "name": "jp", "uniqueId": "jp-phone"}
}"#;

/// A page of `/api/positions` of Traccar 3 (2016) for a minifinder tracker, as published in a
/// comment of a JavaScript client (`TraccarInterface.get_positions_in_timeframe`). Its
/// attributes are that protocol's (`battery` and `sat` as text), not the ones read here.
const PAGE_2016: &str = r#"[{"id":728,"attributes":{"flags":3014656,"battery":"97","sat":"4","ip":"80.187.81.18"},"deviceId":7,"type":null,"protocol":"minifinder","serverTime":"2016-09-14T14:00:59.284+0000","deviceTime":"2016-08-13T21:21:28.000+0000","fixTime":"2016-08-13T21:21:28.000+0000","outdated":false,"valid":false,"latitude":49.663185,"longitude":11.077122,"altitude":296.8,"speed":0.0,"course":80.0,"address":null},{"id":729,"attributes":{"flags":917505,"battery":"97","sat":"5","ip":"80.187.81.18"},"deviceId":7,"type":null,"protocol":"minifinder","serverTime":"2016-09-14T14:03:59.196+0000","deviceTime":"2016-09-14T14:19:50.000+0000","fixTime":"2016-09-14T14:19:50.000+0000","outdated":false,"valid":true,"latitude":49.663197,"longitude":11.07688,"altitude":277.5,"speed":0.0,"course":0.0,"address":"6 Meisenweg, Poxdorf, BY, DE"},{"id":730,"attributes":{"flags":917505,"battery":"97","sat":"4","ip":"80.187.81.18"},"deviceId":7,"type":null,"protocol":"minifinder","serverTime":"2016-09-14T14:05:30.036+0000","deviceTime":"2016-09-14T14:21:21.000+0000","fixTime":"2016-09-14T14:21:21.000+0000","outdated":false,"valid":true,"latitude":49.663109,"longitude":11.076804,"altitude":286.1,"speed":1.0,"course":14.0,"address":"8 Meisenweg, Poxdorf, BY, DE"},{"id":732,"attributes":{"flags":983041,"battery":"96","sat":"5","ip":"80.187.81.89"},"deviceId":7,"type":null,"protocol":"minifinder","serverTime":"2016-09-14T14:08:35.349+0000","deviceTime":"2016-09-14T14:24:19.000+0000","fixTime":"2016-09-14T14:24:19.000+0000","outdated":false,"valid":true,"latitude":49.66312,"longitude":11.076982,"altitude":282.4,"speed":1.0,"course":14.0,"address":"8 Meisenweg, Poxdorf, BY, DE"},{"id":731,"attributes":{"flags":983041,"battery":"96","sat":"5","ip":"80.187.81.89"},"deviceId":7,"type":null,"protocol":"minifinder","serverTime":"2016-09-14T14:08:33.390+0000","deviceTime":"2016-09-14T14:24:21.000+0000","fixTime":"2016-09-14T14:24:21.000+0000","outdated":false,"valid":true,"latitude":49.663097,"longitude":11.076987,"altitude":285.9,"speed":6.0,"course":198.0,"address":"8 Meisenweg, Poxdorf, BY, DE"},{"id":733,"attributes":{"flags":983041,"battery":"96","sat":"5","ip":"80.187.81.89"},"deviceId":7,"type":null,"protocol":"minifinder","serverTime":"2016-09-14T14:09:03.813+0000","deviceTime":"2016-09-14T14:24:42.000+0000","fixTime":"2016-09-14T14:24:42.000+0000","outdated":false,"valid":true,"latitude":49.663082,"longitude":11.07694,"altitude":281.1,"speed":1.0,"course":198.0,"address":"8 Meisenweg, Poxdorf, BY, DE"},{"id":734,"attributes":{"flags":983040,"battery":"96","sat":"5","ip":"80.187.81.89"},"deviceId":7,"type":null,"protocol":"minifinder","serverTime":"2016-09-14T14:09:33.582+0000","deviceTime":"2016-09-14T14:25:26.000+0000","fixTime":"2016-09-14T14:25:26.000+0000","outdated":false,"valid":false,"latitude":49.663082,"longitude":11.07694,"altitude":281.1,"speed":1.0,"course":198.0,"address":null},{"id":735,"attributes":{"flags":983040,"battery":"96","sat":"5","ip":"80.187.81.89"},"deviceId":7,"type":null,"protocol":"minifinder","serverTime":"2016-09-14T14:10:03.640+0000","deviceTime":"2016-09-14T14:25:56.000+0000","fixTime":"2016-09-14T14:25:56.000+0000","outdated":false,"valid":false,"latitude":49.663082,"longitude":11.07694,"altitude":281.1,"speed":1.0,"course":198.0,"address":null},{"id":736,"attributes":{"flags":983040,"battery":"96","sat":"5","ip":"80.187.81.89"},"deviceId":7,"type":null,"protocol":"minifinder","serverTime":"2016-09-14T14:10:33.487+0000","deviceTime":"2016-09-14T14:26:26.000+0000","fixTime":"2016-09-14T14:26:26.000+0000","outdated":false,"valid":false,"latitude":49.663082,"longitude":11.07694,"altitude":281.1,"speed":1.0,"course":198.0,"address":null}]"#;

/// A position as Traccar 6 writes one (Jackson 2.11 and later: `+00:00`), made from
/// `org.traccar.model.Position` for want of a published one.
fn position_json() -> serde_json::Value {
    json!({
        "id": 41, "attributes": {"batteryLevel": 64.0, "charge": true, "motion": true, "sat": 9, "alarm": "tampering", "distance": 12.5},
        "deviceId": 3, "protocol": "teltonika",
        "serverTime": "2025-06-15T13:45:13.101+00:00", "deviceTime": "2025-06-15T13:45:12.000+00:00",
        "fixTime": "2025-06-15T13:45:12.000+00:00", "valid": true,
        "latitude": 56.9496, "longitude": 24.1052, "altitude": 11.0, "speed": 10.0, "course": 181.0,
        "address": null, "accuracy": 0.0, "network": null, "geofenceIds": null
    })
}

fn device_json() -> serde_json::Value {
    json!({"id": 3, "attributes": {}, "groupId": 0, "calendarId": 0, "name": "Tracker 7", "uniqueId": "356307042441013",
           "status": "online", "lastUpdate": "2025-06-15T13:45:13.101+00:00", "positionId": 41, "phone": null,
           "model": null, "contact": null, "category": null, "disabled": false, "expirationTime": null})
}

fn body(value: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(value).expect("JSON")
}

#[test]
fn a_forwarded_position_of_traccar_4_reads() {
    let position = decode_position(FHEM_POSITION.as_bytes()).expect("read");
    assert_eq!(
        position.key,
        PositionKey {
            unique_id: "YYY".into(),
            fix_time_ms: 1_541_024_047_000,
            lat: Coord(123_456_789),
            lon: Coord(123_456_789),
        }
    );
    let fix = position.report.fix.expect("valid");
    assert_eq!(fix.accuracy_m, Some(19.23500061035156));
    assert_eq!(
        (fix.speed_kmh, fix.heading_deg, fix.satellites),
        (Some(0.0), Some(0.0), 0)
    );
    assert_eq!(
        position.report.time_ms, 1_541_024_047_000,
        "fixTime, not serverTime"
    );
    assert_eq!(
        (
            position.report.battery_percent,
            position.report.moving,
            position.report.external_power
        ),
        (Some(61), Some(false), None)
    );
    // The record is the position as Traccar wrote it, without the device.
    let record = std::str::from_utf8(&position.report.record).expect("text");
    assert!(record.starts_with(r#"{"id":14935,"#) && record.ends_with(r#""network":null}"#));
    assert!(matches!(
        decode_position(FHEM_REDACTED.as_bytes()),
        Err(TraccarError::Json { line: 1, .. })
    ));
}

#[test]
fn a_forwarded_position_of_traccar_6_reads_with_its_units() {
    let sent = json!({"position": position_json(), "device": device_json()});
    let position = decode_position(&body(&sent)).expect("read");
    assert_eq!(position.key.unique_id, "356307042441013");
    assert_eq!(position.key.fix_time_ms, 1_749_995_112_000);
    let fix = position.report.fix.expect("valid");
    assert!(
        fix.speed_kmh.is_some_and(|s| (s - 18.52).abs() < 1e-9),
        "10 knots"
    );
    assert_eq!(fix.accuracy_m, None, "0 is Traccar's 'not said'");
    assert_eq!((fix.satellites, fix.heading_deg), (9, Some(181.0)));
    assert_eq!(position.report.external_power, Some(true));
    assert_eq!(position.alarm.as_deref(), Some("tampering"));
    // Written down as sargs frames like any other report.
    assert_eq!(crate::transcribe(&position.report).map(|m| m.len()), Ok(2));
}

#[test]
fn forwarded_events_read_with_their_position_if_any() {
    let event = decode_event(JPMENS_EVENT.as_bytes()).expect("read");
    assert_eq!(event.unique_id, "jp-phone");
    assert_eq!(event.kind, "geofenceEnter");
    assert_eq!(event.time_ms, 1_536_939_257_906, "Traccar 4's serverTime");
    let position = event.position.expect("with a position");
    assert_eq!(position.key.fix_time_ms, 1_536_939_257_000);
    assert_eq!(
        (position.key.lat, position.key.lon),
        (Coord(490_156_556), Coord(83_975_169))
    );
    assert_eq!(
        position.report.fix, None,
        "no `valid`: not said to be a fix"
    );
    let alarm = json!({
        "event": {"id": 9, "attributes": {"alarm": "removing"}, "deviceId": 3, "type": "alarm",
                  "eventTime": "2025-06-15T13:45:12.000+00:00", "positionId": 41, "geofenceId": 0, "maintenanceId": 0},
        "position": position_json(), "device": device_json()
    });
    let alarm = decode_event(&body(&alarm)).expect("read");
    assert_eq!(
        (alarm.kind.as_str(), alarm.alarm.as_deref()),
        ("alarm", Some("removing"))
    );
    assert_eq!(alarm.time_ms, 1_749_995_112_000);
    let offline = json!({
        "event": {"id": 10, "attributes": {}, "deviceId": 3, "type": "deviceOffline",
                  "eventTime": "2025-06-15T14:00:00.000+00:00", "positionId": 0},
        "device": device_json()
    });
    let offline = decode_event(&body(&offline)).expect("read");
    assert_eq!(
        (offline.kind.as_str(), offline.position, offline.alarm),
        ("deviceOffline", None, None)
    );
}

#[test]
fn a_page_reads_position_by_position() {
    let page = decode_page(PAGE_2016.as_bytes(), "minifinder-7", 7).expect("read");
    assert!(page.refused.is_empty(), "{:?}", page.refused);
    assert_eq!(page.positions.len(), 9);
    let valid: Vec<bool> = page
        .positions
        .iter()
        .map(|p| p.report.fix.is_some())
        .collect();
    assert_eq!(
        valid,
        [false, true, true, true, true, true, false, false, false]
    );
    let second = &page.positions[1];
    assert_eq!(second.key.unique_id, "minifinder-7");
    assert_eq!(second.key.fix_time_ms, 1_473_862_790_000);
    let fix = second.report.fix.expect("valid");
    assert_eq!(
        (fix.lat, fix.lon, fix.accuracy_m, fix.satellites),
        (49.663197, 11.07688, None, 0)
    );
    assert_eq!(
        second.report.battery_percent, None,
        "its battery is another attribute"
    );
    // The last three are one place at three times: three positions, three keys.
    let keys: std::collections::HashSet<&PositionKey> =
        page.positions.iter().map(|p| &p.key).collect();
    assert_eq!(keys.len(), 9);
    // A position of another device is refused alone; the rest of the page still reads.
    let mut mixed: Vec<serde_json::Value> = serde_json::from_str(PAGE_2016).expect("JSON");
    mixed[3]["deviceId"] = json!(8);
    mixed[5]["latitude"] = json!(95.0);
    let page = decode_page(&body(&json!(mixed)), "minifinder-7", 7).expect("read");
    assert_eq!(page.positions.len(), 7);
    assert_eq!(
        page.refused,
        vec![
            (
                3,
                TraccarError::OtherDevice {
                    said: 8,
                    expected: 7
                }
            ),
            (5, TraccarError::Position)
        ]
    );
}

#[test]
fn the_backfill_asks_for_a_period_as_traccar_reads_it() {
    assert_eq!(
        page_query(7, 1_473_862_790_000, 1_473_866_390_000).as_deref(),
        Ok("deviceId=7&from=2016-09-14T14:19:50.000Z&to=2016-09-14T15:19:50.000Z")
    );
    assert_eq!(page_query(7, 10, 9), Err(TraccarError::Time));
    assert_eq!(page_query(7, -1, 9), Err(TraccarError::Time));
}

#[test]
fn what_is_missing_or_broken_is_refused_with_its_reason() {
    let with = |change: Change| {
        let mut sent = json!({"position": position_json(), "device": device_json()});
        change(&mut sent);
        decode_position(&body(&sent))
    };
    type Change = fn(&mut serde_json::Value);
    let cases: [(Change, TraccarError); 12] = [
        (|v| v["device"] = json!(null), TraccarError::NoUniqueId),
        (
            |v| v["device"]["uniqueId"] = json!(null),
            TraccarError::NoUniqueId,
        ),
        (
            |v| v["device"]["uniqueId"] = json!(" 35630"),
            TraccarError::UniqueId,
        ),
        (
            |v| v["device"]["uniqueId"] = json!("9".repeat(65)),
            TraccarError::UniqueId,
        ),
        (|v| v["position"] = json!(null), TraccarError::NoPosition),
        (
            |v| v["position"]["deviceId"] = json!(4),
            TraccarError::OtherDevice {
                said: 4,
                expected: 3,
            },
        ),
        (
            |v| v["position"]["fixTime"] = json!(null),
            TraccarError::NoFixTime,
        ),
        (
            |v| v["position"]["fixTime"] = json!("2025-06-15T13:45:12"),
            TraccarError::Time,
        ),
        (
            |v| v["position"]["fixTime"] = json!("1969-12-31T23:59:59.000+00:00"),
            TraccarError::Time,
        ),
        (
            |v| v["position"]["latitude"] = json!(null),
            TraccarError::Position,
        ),
        (
            |v| v["position"]["longitude"] = json!(-180.5),
            TraccarError::Position,
        ),
        (
            |v| v["position"]["latitude"] = json!("56.9"),
            TraccarError::Json { line: 1, column: 0 },
        ),
    ];
    for (index, (change, error)) in cases.into_iter().enumerate() {
        let got = with(change);
        match error {
            // Where serde stops depends on the field order; the kind is what matters.
            TraccarError::Json { .. } => assert!(
                matches!(got, Err(TraccarError::Json { .. })),
                "{index}: {got:?}"
            ),
            error => assert_eq!(got, Err(error), "{index}"),
        }
    }
    // Attributes come from any of Traccar's protocols: one that does not read is unknown.
    let odd = with(|v| {
        v["position"]["attributes"] =
            json!({"batteryLevel": "full", "charge": 1, "motion": "yes", "sat": -3, "alarm": ""});
    })
    .expect("read");
    assert_eq!(
        (
            odd.report.battery_percent,
            odd.report.external_power,
            odd.report.moving,
            odd.alarm
        ),
        (None, None, None, None)
    );
    assert_eq!(odd.report.fix.map(|f| f.satellites), Some(0));
    let valid_false = with(|v| v["position"]["valid"] = json!(false)).expect("read");
    assert_eq!(valid_false.report.fix, None);
    assert_eq!(
        valid_false.report.battery_percent,
        Some(64),
        "the battery still counts"
    );
    let event = |change: fn(&mut serde_json::Value)| {
        let mut sent = json!({"event": {"type": "alarm", "eventTime": "2025-06-15T13:45:12.000+00:00", "deviceId": 3}, "device": device_json()});
        change(&mut sent);
        decode_event(&body(&sent))
    };
    assert!(event(|_| {}).is_ok());
    assert_eq!(
        event(|v| v["event"] = json!(null)),
        Err(TraccarError::NoEvent)
    );
    assert_eq!(
        event(|v| v["event"]["type"] = json!("")),
        Err(TraccarError::EventType)
    );
    assert_eq!(
        event(|v| v["event"]["type"] = json!(null)),
        Err(TraccarError::EventType)
    );
    assert_eq!(
        event(|v| v["event"]["eventTime"] = json!(null)),
        Err(TraccarError::NoEventTime)
    );
    assert_eq!(
        event(|v| v["event"]["eventTime"] = json!("soon")),
        Err(TraccarError::Time)
    );
    assert_eq!(
        event(|v| v["event"]["deviceId"] = json!(5)),
        Err(TraccarError::OtherDevice {
            said: 5,
            expected: 3
        })
    );
}

#[test]
fn bodies_are_bounded_before_they_are_read() {
    let big = vec![b' '; MAX_BODY + 1];
    assert_eq!(
        decode_position(&big),
        Err(TraccarError::TooLarge(MAX_BODY + 1))
    );
    assert_eq!(
        decode_event(&big),
        Err(TraccarError::TooLarge(MAX_BODY + 1))
    );
    let page = vec![b' '; MAX_PAGE + 1];
    assert_eq!(
        decode_page(&page, "7", 7),
        Err(TraccarError::TooLarge(MAX_PAGE + 1))
    );
    // Up to the bound is read: a page padded to exactly MAX_PAGE.
    let mut padded = PAGE_2016.as_bytes().to_vec();
    padded.resize(MAX_PAGE, b' ');
    assert_eq!(
        decode_page(&padded, "7", 7).map(|p| p.positions.len()),
        Ok(9)
    );
    assert_eq!(
        decode_position(b"{\"device\":\"\xFF\"}"),
        Err(TraccarError::Utf8)
    );
    assert_eq!(decode_page(b"[]", "", 7), Err(TraccarError::UniqueId));
    assert!(matches!(
        decode_page(b"{}", "7", 7),
        Err(TraccarError::Json { .. })
    ));
    // Nesting as deep as the bound allows is skipped without recursion, and refused alone.
    let deep = format!("[{}{}]", "[".repeat(400_000), "]".repeat(400_000));
    let page = decode_page(deep.as_bytes(), "7", 7).expect("an array");
    assert!(matches!(
        page.refused.as_slice(),
        [(0, TraccarError::Json { .. })]
    ));
    let twice = json!({"position": position_json(), "device": device_json()}).to_string();
    let twice = twice.replacen(
        "{\"device\"",
        "{\"device\":{\"uniqueId\":\"other\"},\"device\"",
        1,
    );
    assert!(
        matches!(
            decode_position(twice.as_bytes()),
            Err(TraccarError::Json { .. })
        ),
        "{twice}"
    );
}

proptest! {
    #[test]
    fn any_bytes_are_an_answer_never_a_panic(input in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = decode_position(&input);
        let _ = decode_event(&input);
        let _ = decode_page(&input, "7", 7);
    }

    #[test]
    fn any_json_is_an_answer_never_a_panic(
        latitude in prop::option::of(any::<f64>()), speed in any::<f64>(),
        fix_time in ".{0,40}", valid in any::<bool>(), battery in any::<f64>(), sat in any::<i64>(),
    ) {
        let mut position = position_json();
        position["latitude"] = json!(latitude);
        position["speed"] = json!(speed);
        position["fixTime"] = json!(fix_time);
        position["valid"] = json!(valid);
        position["attributes"] = json!({"batteryLevel": battery, "sat": sat});
        let sent = body(&json!({"position": position.clone(), "device": device_json()}));
        if let Ok(read) = decode_position(&sent) {
            prop_assert!(read.report.battery_percent.is_none_or(|p| p <= 100));
            prop_assert!(read.key.lat.0.abs() <= 900_000_000);
        }
        let _ = decode_page(&body(&json!([position])), "7", 3);
    }

    #[test]
    fn a_position_sent_reads_back(
        lat in -90.0f64..=90.0, lon in -180.0f64..=180.0,
        fix_time_ms in 0i64..4_102_444_800_000,
        knots in 0.0f64..300.0, course in 0.0f64..360.0, accuracy in 0.1f64..5_000.0,
        battery in 0.0f64..=100.0, sat in 0u64..40, charge in any::<bool>(), motion in any::<bool>(),
    ) {
        let mut position = position_json();
        position["latitude"] = json!(lat);
        position["longitude"] = json!(lon);
        position["fixTime"] = json!(crate::fields::rfc3339(fix_time_ms).expect("in range"));
        position["speed"] = json!(knots);
        position["course"] = json!(course);
        position["accuracy"] = json!(accuracy);
        position["attributes"] = json!({"batteryLevel": battery, "sat": sat, "charge": charge, "motion": motion});
        let read = decode_position(&body(&json!({"position": position, "device": device_json()}))).expect("read");
        prop_assert_eq!(read.key.fix_time_ms, fix_time_ms);
        // serde_json reads a float back to within a unit in the last place.
        let near = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1.0);
        let fix = read.report.fix.expect("valid");
        prop_assert!(near(fix.lat, lat) && near(fix.lon, lon), "{} {}", fix.lat, fix.lon);
        prop_assert_eq!((read.key.lat, read.key.lon), (Coord::from_degrees(fix.lat), Coord::from_degrees(fix.lon)));
        prop_assert!((read.key.lat.0 - Coord::from_degrees(lat).0).abs() <= 1);
        prop_assert!(fix.accuracy_m.is_some_and(|a| near(a, accuracy)));
        prop_assert!(fix.heading_deg.is_some_and(|h| near(h, course)));
        prop_assert!(fix.speed_kmh.is_some_and(|s| (s - knots * 1.852).abs() < 1e-9));
        prop_assert_eq!(u64::from(fix.satellites), sat);
        prop_assert_eq!(read.report.battery_percent, Some(battery.round() as u8));
        prop_assert_eq!((read.report.external_power, read.report.moving), (Some(charge), Some(motion)));
        // Forwarded again, or backfilled, it is the same position.
        let again = decode_page(&body(&json!([serde_json::from_slice::<serde_json::Value>(&read.report.record).expect("JSON")])), "356307042441013", 3).expect("read");
        prop_assert_eq!(&again.positions[0].key, &read.key);
    }
}
