//! The decoder against what phones really send: every request of Traccar's own decoder test
//! (`src/test/java/org/traccar/protocol/OsmAndProtocolDecoderTest.java`, traccar/traccar), the
//! requests Traccar Client's own tests expect on Android and iOS, and its JSON; then broken,
//! hostile and boundary requests, and properties over any input.

use super::*;
use proptest::prelude::*;

fn get(query: &str) -> OsmAndRequest<'_> {
    OsmAndRequest {
        method: "GET",
        query,
        content_type: None,
        body: b"",
        authorization: None,
    }
}

fn post_json(body: &str) -> OsmAndRequest<'_> {
    OsmAndRequest {
        method: "POST",
        query: "",
        content_type: Some("application/json"),
        body: body.as_bytes(),
        authorization: None,
    }
}

fn fix(position: &OsmAndPosition) -> ForeignFix {
    position.report.fix.expect("a position")
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

/// Traccar's decoder test, `testDecodeQuery`, in its order: what Traccar decodes with a
/// position of its own making (its clock, the last location) is refused here.
#[test]
fn traccars_query_requests_read_or_are_refused_for_what_they_lack() {
    // Cells and Wi-Fi only: Traccar looks up the last location; there is none here.
    assert_eq!(
        decode(&get(
            "id=123456&timestamp=1377177267&cell=257,02,16,2224&cell=257,02,16,2223,-90&wifi=00-14-22-01-23-45,-80&wifi=00-1C-B3-09-85-15,-70"
        )),
        Err(OsmAndError::NoPosition)
    );
    assert_eq!(
        decode(&get("timestamp=1377177267&lat=60.0&lon=30.0")),
        Err(OsmAndError::NoId)
    );
    let iso = decode(&get("id=902064&lat=42.06288&lon=-88.23412&timestamp=2016-01-27T18%3A55%3A47Z&hdop=6.0&altitude=224.0&speed=0.0")).expect("read");
    assert_eq!(iso.device, "902064");
    assert_eq!(iso.report.time_ms, 1_453_920_947_000);
    assert_eq!((fix(&iso).lat, fix(&iso).lon), (42.06288, -88.23412));
    assert_eq!(fix(&iso).speed_kmh, Some(0.0));
    let ms = decode(&get(
        "id=902064&lat=42.06288&lon=-88.23412&timestamp=1442068686579&hdop=6.0&altitude=224.0&speed=0.0",
    ))
    .expect("read");
    assert_eq!(ms.report.time_ms, 1_442_068_686_579);
    let plain = decode(&get("lat=49.60688&lon=6.15788&timestamp=2014-06-04+09%3A10%3A11&altitude=384.7&speed=0.0&id=353861053849681")).expect("read");
    assert_eq!(plain.device, "353861053849681");
    assert_eq!(plain.report.time_ms, 1_401_873_011_000, "read as UTC");
    let seconds = decode(&get(
        "id=123456&timestamp=1377177267&lat=60.0&lon=30.0&speed=0.0&bearing=0.0&altitude=0&hdop=0.0",
    ))
    .expect("read");
    assert_eq!(seconds.report.time_ms, 1_377_177_267_000);
    assert_eq!(fix(&seconds).heading_deg, Some(0.0));
    let bare = decode(&get("id=123456&timestamp=1377177267&lat=60.0&lon=30.0")).expect("read");
    assert_eq!(
        (
            bare.report.battery_percent,
            bare.report.moving,
            fix(&bare).speed_kmh
        ),
        (None, None, None),
        "what is not said is not made up"
    );
    // No timestamp: Traccar stamps them with its clock; a time made up is evidence of nothing.
    for untimed in [
        "lat=60.0&lon=30.0&speed=0.0&heading=0.0&vacc=0&hacc=0&altitude=0&deviceid=123456",
        "id=861001000719969&lat=41.666667&lon=-0.883333&altitude=350.059479&speed=0.000000&batt=87",
    ] {
        assert_eq!(decode(&get(untimed)), Err(OsmAndError::NoTime), "{untimed}");
    }
    let location = decode(&get("id=123456&timestamp=1377177267&location=60.0,30.0")).expect("read");
    assert_eq!((fix(&location).lat, fix(&location).lon), (60.0, 30.0));
    let tracker = decode(&get("id=123456789012345&timestamp=1504763810&lat=40.7232948571&lon=-74.0061408571&bearing=7.19889788244&speed=40&ignition=true&rpm=933&fuel=24")).expect("read");
    assert!(close(fix(&tracker).speed_kmh, 74.08), "40 knots");
    assert_eq!(fix(&tracker).heading_deg, Some(7.19889788244));
    assert_eq!(
        &tracker.report.record[..],
        b"id=123456789012345&timestamp=1504763810&lat=40.7232948571&lon=-74.0061408571&bearing=7.19889788244&speed=40&ignition=true&rpm=933&fuel=24",
        "kept as received, parameters not read included"
    );
}

/// Traccar's decoder test, `testDecodeJson`: Traccar Client's JSON (2025).
#[test]
fn traccars_json_requests_read_as_traccar_client_meant_them() {
    let phone = decode(&post_json(r#"{"location":{"timestamp":"2025-06-15T13:45:12.862Z","coords":{"latitude":37.4219983,"longitude":-122.084,"accuracy":5,"speed":0,"heading":-1,"altitude":5},"is_moving":false,"odometer":0,"event":"motionchange","battery":{"level":1,"is_charging":false},"activity":{"type":"still"},"extras":{},"_":"&id=48241179&lat=37.4219983&lon=-122.084&timestamp=2025-06-15T13:45:12.862Z&"},"device_id":"48241179"}"#)).expect("read");
    assert_eq!(phone.device, "48241179");
    assert_eq!(phone.report.time_ms, 1_749_995_112_862);
    assert_eq!(
        fix(&phone),
        ForeignFix {
            lat: 37.4219983,
            lon: -122.084,
            accuracy_m: Some(5.0),
            source: LocationSource::Gnss,
            satellites: 0,
            speed_kmh: Some(0.0),
            heading_deg: None,
        }
    );
    assert_eq!(
        (
            phone.report.battery_percent,
            phone.report.external_power,
            phone.report.moving
        ),
        (Some(100), Some(false), Some(false))
    );
    // An iOS simulator: a mock location, no battery.
    let simulator = decode(&post_json(r#"{"location":{"extras":{},"mock":true,"coords":{"speed_accuracy":-1,"speed":-1,"longitude":-122.406417,"ellipsoidal_altitude":0,"floor":null,"heading_accuracy":-1,"latitude":37.785834000000001,"accuracy":5,"altitude_accuracy":-1,"altitude":0,"heading":-1},"is_moving":false,"age":188,"odometer":0,"uuid":"2FB04C65-99CF-42AB-8DD3-EBCB4B108BF8","event":"motionchange","battery":{"level":-1,"is_charging":false},"activity":{"type":"unknown","confidence":100},"timestamp":"2025-05-09T04:11:30.579Z"},"device_id":"658765"}"#)).expect("read");
    assert!(simulator.mocked);
    assert_eq!(
        simulator.report.fix, None,
        "a simulated place is no position"
    );
    assert_eq!(simulator.report.battery_percent, None);
    assert_eq!(simulator.report.time_ms, 1_746_763_890_579);
    let moving = decode(&post_json(r#"{"location":{"event":"motionchange","is_moving":false,"uuid":"0e9a2473-a9a7-4c00-997b-fb97d2154e75","timestamp":"2021-07-21T08:06:34.444Z","odometer":0,"coords":{"latitude":-6.1148096,"longitude":106.6837015,"accuracy":3.8,"speed":18.67,"speed_accuracy":0.26,"heading":63,"heading_accuracy":0.28,"altitude":35.7,"altitude_accuracy":3.8},"activity":{"type":"still","confidence":100},"battery":{"is_charging":false,"level":0.79},"extras":{}},"device_id":"8737767034"}"#)).expect("read");
    assert!(close(fix(&moving).speed_kmh, 67.212), "18.67 m/s");
    assert_eq!(fix(&moving).heading_deg, Some(63.0));
    assert_eq!(moving.report.battery_percent, Some(79));
}

/// What Traccar Client's own tests expect it to send, with the server URL's query kept
/// (Android, traccar-client-android `ProtocolFormatterTest.kt`) and dropped (iOS,
/// traccar-client-ios `ProtocolFormatterTests.swift`, which sets the whole query).
#[test]
fn traccar_clients_requests_read() {
    let android = decode(&OsmAndRequest {
        method: "POST",
        ..get("token=Zm9vYmFy&id=123456789012345&timestamp=619315200&lat=0.0&lon=0.0&speed=0.0&bearing=0.0&altitude=0.0&accuracy=0.0&batt=0.0")
    })
    .expect("read");
    assert_eq!(android.token.as_deref(), Some("Zm9vYmFy"));
    assert_eq!(android.report.time_ms, 619_315_200_000);
    assert_eq!(android.report.battery_percent, Some(0));
    assert!(!android.report.record.windows(5).any(|w| w == b"token"));
    let ios = decode(&get("id=123456789012345&timestamp=0&lat=0.000000&lon=0.000000&speed=0&bearing=0&altitude=0&accuracy=0&batt=0")).expect("read");
    assert_eq!((ios.report.time_ms, ios.token), (0, None));
    // The current client (traccar-client-sdk, HttpUploader.kt) posts a form to the server
    // URL, whose query it keeps; this request is made as its code makes one.
    let sdk = decode(&OsmAndRequest {
        method: "POST",
        query: "token=Zm9vYmFy",
        content_type: Some("application/x-www-form-urlencoded; charset=UTF-8"),
        body: b"id=48241179&lat=56.9496&lon=24.1052&timestamp=1749995112&accuracy=12.5&altitude=11.0&speed=2.7&bearing=181.0&batt=64&charge=true&alarm=sos",
        authorization: None,
    })
    .expect("read");
    assert_eq!(sdk.token.as_deref(), Some("Zm9vYmFy"));
    assert_eq!(sdk.alarm.as_deref(), Some("sos"));
    assert_eq!(
        (sdk.report.battery_percent, sdk.report.external_power),
        (Some(64), Some(true))
    );
    assert!(close(fix(&sdk).speed_kmh, 5.0004));
    assert_eq!(
        &sdk.report.record[..],
        &b"\napplication/x-www-form-urlencoded; charset=UTF-8\nid=48241179&lat=56.9496&lon=24.1052&timestamp=1749995112&accuracy=12.5&altitude=11.0&speed=2.7&bearing=181.0&batt=64&charge=true&alarm=sos"[..]
    );
    assert_eq!(
        decode_record(&sdk.report.record).map(|p| p.report),
        Ok(sdk.report)
    );
}

#[test]
fn a_token_comes_in_the_query_or_as_a_bearer_and_must_agree() {
    let with = |query, authorization| {
        decode(&OsmAndRequest {
            authorization,
            ..get(query)
        })
    };
    let query = "id=7&timestamp=1377177267&lat=1&lon=2";
    let bearer = with(query, Some("Bearer abc.DEF-1")).expect("read");
    assert_eq!(bearer.token.as_deref(), Some("abc.DEF-1"));
    let both = "token=abc.DEF-1&id=7&timestamp=1377177267&lat=1&lon=2";
    assert!(with(both, Some("bearer abc.DEF-1")).is_ok());
    assert_eq!(
        with(both, Some("Bearer other")),
        Err(OsmAndError::Conflict("token"))
    );
    for header in ["Basic dXNlcjpwYXNz", "Bearer", "abc"] {
        assert_eq!(
            with(query, Some(header)),
            Err(OsmAndError::Authorization),
            "{header}"
        );
    }
    let long = format!("Bearer {}", "t".repeat(MAX_TOKEN_CHARS + 1));
    assert_eq!(with(query, Some(&long)), Err(OsmAndError::Token));
    assert_eq!(
        with("token=&id=7&timestamp=1377177267&lat=1&lon=2", None),
        Err(OsmAndError::Token)
    );
    assert_eq!(
        with("token=a%20b&id=7&timestamp=1377177267&lat=1&lon=2", None),
        Err(OsmAndError::Token)
    );
}

#[test]
fn a_fix_said_invalid_is_no_position_but_its_battery_counts() {
    for query in [
        "id=7&timestamp=1377177267&valid=false&batt=40",
        "id=7&timestamp=1377177267&valid=0&lat=0&lon=0&batt=40",
        "id=7&timestamp=1377177267&mock=true&lat=1&lon=2&batt=40",
    ] {
        let position = decode(&get(query)).expect(query);
        assert_eq!(position.report.fix, None, "{query}");
        assert_eq!(position.report.battery_percent, Some(40), "{query}");
    }
    assert_eq!(
        decode(&get("id=7&timestamp=1377177267&valid=false&lat=91&lon=0")),
        Err(OsmAndError::Position),
        "an impossible place is refused however it is flagged"
    );
    assert!(
        decode(&get("id=7&timestamp=1377177267&valid=TRUE&lat=1&lon=2"))
            .is_ok_and(|p| p.report.fix.is_some())
    );
}

#[test]
fn what_is_missing_or_broken_is_refused_with_its_reason() {
    let cases: &[(&str, OsmAndError)] = &[
        ("id=7&timestamp=1377177267&lat=1", OsmAndError::NoPosition),
        (
            "id=7&timestamp=1377177267&lat=90.5&lon=0",
            OsmAndError::Position,
        ),
        (
            "id=7&timestamp=1377177267&lat=0&lon=-180.01",
            OsmAndError::Position,
        ),
        (
            "id=7&timestamp=1377177267&lat=nan&lon=0",
            OsmAndError::Value("lat"),
        ),
        (
            "id=7&timestamp=1377177267&lat=1e999&lon=0",
            OsmAndError::Value("lat"),
        ),
        (
            "id=7&timestamp=1377177267&location=1",
            OsmAndError::Value("location"),
        ),
        (
            "id=7&timestamp=1377177267&location=1,2&lat=1.5",
            OsmAndError::Conflict("location"),
        ),
        (
            "id=7&timestamp=1377177267&lat=1&lon=2&speed=fast",
            OsmAndError::Value("speed"),
        ),
        (
            "id=7&timestamp=1377177267&lat=1&lon=2&altitude=high",
            OsmAndError::Value("altitude"),
        ),
        (
            "id=7&timestamp=1377177267&lat=1&lon=2&hdop=",
            OsmAndError::Value("hdop"),
        ),
        (
            "id=7&timestamp=1377177267&lat=1&lon=2&batt=101",
            OsmAndError::Value("batt"),
        ),
        (
            "id=7&timestamp=1377177267&lat=1&lon=2&charge=2",
            OsmAndError::Value("charge"),
        ),
        (
            "id=7&timestamp=1377177267&lat=1&lon=2&alarm=",
            OsmAndError::Value("alarm"),
        ),
        ("id=7&timestamp=yesterday&lat=1&lon=2", OsmAndError::Time),
        ("id=7&timestamp=-1&lat=1&lon=2", OsmAndError::Time),
        ("id=7&timestamp=1377177267.5&lat=1&lon=2", OsmAndError::Time),
        (
            "id=7&timestamp=2016-01-27T18:55:47&lat=1&lon=2",
            OsmAndError::Time,
        ),
        (
            "id=7&timestamp=99999999999999999&lat=1&lon=2",
            OsmAndError::Time,
        ),
        ("id=&timestamp=1377177267&lat=1&lon=2", OsmAndError::Id),
        (
            "id=7&id=8&timestamp=1377177267&lat=1&lon=2",
            OsmAndError::Conflict("id"),
        ),
        (
            "id=7&deviceid=8&timestamp=1377177267&lat=1&lon=2",
            OsmAndError::Conflict("id"),
        ),
        (
            "id=7&timestamp=1377177267&timestamp=1377177268&lat=1&lon=2",
            OsmAndError::Conflict("timestamp"),
        ),
        (
            "id=7&timestamp=1377177267&lat=1&lon=2&x=%ZZ",
            OsmAndError::Encoding,
        ),
        ("id=%FF&timestamp=1377177267&lat=1&lon=2", OsmAndError::Utf8),
    ];
    for (query, error) in cases {
        assert_eq!(decode(&get(query)).as_ref().err(), Some(error), "{query}");
    }
    let long_id = format!("id={}&timestamp=1377177267&lat=1&lon=2", "1".repeat(65));
    assert_eq!(decode(&get(&long_id)), Err(OsmAndError::Id));
    let longest = format!("id={}&timestamp=1377177267&lat=1&lon=2", "1".repeat(64));
    assert!(decode(&get(&longest)).is_ok());
    // The same parameter again with the same value is no conflict, in the query or the body.
    let twice = OsmAndRequest {
        method: "POST",
        body: b"id=7&lat=1",
        ..get("id=7&timestamp=1377177267&lat=1&lon=2")
    };
    assert!(decode(&twice).is_ok());
    let differ = OsmAndRequest {
        body: b"lat=1.1",
        ..twice
    };
    assert_eq!(decode(&differ), Err(OsmAndError::Conflict("lat")));
}

#[test]
fn requests_are_bounded_before_they_are_read() {
    let ok = "id=7&timestamp=1377177267&lat=1&lon=2";
    assert_eq!(
        decode(&OsmAndRequest {
            method: "PUT",
            ..get(ok)
        }),
        Err(OsmAndError::Method)
    );
    let long = format!("{ok}&pad={}", "x".repeat(MAX_QUERY));
    assert_eq!(
        decode(&get(&long)),
        Err(OsmAndError::QueryTooLong(long.len()))
    );
    let big = vec![b'{'; MAX_BODY + 1];
    assert_eq!(
        decode(&OsmAndRequest {
            body: &big,
            ..post_json("")
        }),
        Err(OsmAndError::BodyTooLarge(MAX_BODY + 1))
    );
    assert_eq!(
        decode(&OsmAndRequest {
            body: b"id=\xFF",
            ..post_json("")
        }),
        Err(OsmAndError::Utf8)
    );
    let xml = OsmAndRequest {
        method: "POST",
        content_type: Some("text/xml"),
        body: b"<position/>",
        ..get(ok)
    };
    assert_eq!(decode(&xml), Err(OsmAndError::ContentType));
    let many = format!("{ok}{}", "&x=1".repeat(MAX_PARAMETERS));
    assert_eq!(decode(&get(&many)), Err(OsmAndError::TooManyParameters));
    // Four in the query, the rest in the body: up to the limit together, not past it.
    let form = "&x=1".repeat(MAX_PARAMETERS - 4);
    let split = OsmAndRequest {
        method: "POST",
        body: form.as_bytes(),
        ..get(ok)
    };
    assert!(decode(&split).is_ok());
    let form = format!("{form}&x=1");
    let over = OsmAndRequest {
        body: form.as_bytes(),
        ..split
    };
    assert_eq!(
        decode(&over),
        Err(OsmAndError::TooManyParameters),
        "query and body together"
    );
}

#[test]
fn json_that_is_not_traccar_clients_is_refused() {
    let refused: &[(&str, OsmAndError)] = &[
        ("", OsmAndError::Json { line: 1, column: 0 }),
        ("[]", OsmAndError::Json { line: 1, column: 2 }),
        (r#"{"device_id":"1"}"#, OsmAndError::NoTime),
        (
            r#"{"location":{"timestamp":"2025-06-15T13:45:12Z"}}"#,
            OsmAndError::NoId,
        ),
        (
            r#"{"location":{"timestamp":"2025-06-15T13:45:12Z"},"device_id":"1"}"#,
            OsmAndError::NoPosition,
        ),
        (
            r#"{"location":{"timestamp":"2025-06-15 13:45:12","coords":{"latitude":1,"longitude":2}},"device_id":"1"}"#,
            OsmAndError::Time,
        ),
        (
            r#"{"location":{"timestamp":"2025-06-15T13:45:12Z","coords":{"latitude":1,"longitude":2},"battery":{"level":1.5}},"device_id":"1"}"#,
            OsmAndError::Value("battery.level"),
        ),
        (
            r#"{"location":{"timestamp":"2025-06-15T13:45:12Z","coords":{"latitude":-91,"longitude":2}},"device_id":"1"}"#,
            OsmAndError::Position,
        ),
    ];
    for (body, error) in refused {
        assert_eq!(
            decode(&post_json(body)).as_ref().err(),
            Some(error),
            "{body}"
        );
    }
    let twice = r#"{"device_id":"1","device_id":"2","location":{}}"#;
    assert!(matches!(
        decode(&post_json(twice)),
        Err(OsmAndError::Json { .. })
    ));
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(matches!(
        decode(&post_json(&deep)),
        Err(OsmAndError::Json { .. })
    ));
    // The query beside JSON may hold the token, and an id only if it is the same.
    let body = r#"{"location":{"timestamp":"2025-06-15T13:45:12Z","coords":{"latitude":1,"longitude":2}},"device_id":"1"}"#;
    let beside = |query| {
        decode(&OsmAndRequest {
            query,
            ..post_json(body)
        })
    };
    assert_eq!(
        beside("token=t&id=1").map(|p| p.token),
        Ok(Some("t".into()))
    );
    assert_eq!(beside("id=2"), Err(OsmAndError::Conflict("id")));
}

proptest! {
    #[test]
    fn any_request_is_an_answer_never_a_panic(
        method in prop::sample::select(vec!["GET", "POST", "PUT"]),
        query in ".{0,300}",
        content_type in prop::option::of(prop::sample::select(vec!["application/json", "application/x-www-form-urlencoded", "text/plain", ""])),
        body in prop::collection::vec(any::<u8>(), 0..300),
        authorization in prop::option::of(".{0,40}"),
    ) {
        let request = OsmAndRequest { method, query: &query, content_type, body: &body, authorization: authorization.as_deref() };
        if let Ok(position) = decode(&request) {
            // Whatever reads is within what the report may hold, and reads again from its record.
            prop_assert!(position.report.time_ms >= 0);
            prop_assert_eq!(decode_record(&position.report.record).map(|p| p.report), Ok(position.report));
        }
        let _ = decode_record(&body);
    }

    #[test]
    fn any_parameters_are_an_answer_never_a_panic(
        pairs in prop::collection::vec((
            prop::sample::select(vec!["id", "deviceid", "timestamp", "lat", "lon", "location", "speed", "bearing", "heading", "accuracy", "batt", "charge", "valid", "mock", "motion", "token", "alarm"]),
            "[-+0-9.,:TZ% a-z]{0,24}",
        ), 0..20),
    ) {
        let query: Vec<String> = pairs.iter().map(|(n, v)| format!("{n}={v}")).collect();
        let _ = decode(&get(&query.join("&")));
    }

    #[test]
    fn a_position_sent_reads_back(
        lat in -90.0f64..=90.0, lon in -180.0f64..=180.0,
        seconds in 0i64..2_000_000_000,
        speed in 0.0f64..100.0, bearing in 0.0f64..360.0, accuracy in 0.0f64..5_000.0,
        batt in 0u8..=100, charging in any::<bool>(), moving in any::<bool>(),
        json in any::<bool>(),
    ) {
        let position = if json {
            let body = format!(
                r#"{{"location":{{"timestamp":"{}","coords":{{"latitude":{lat},"longitude":{lon},"accuracy":{accuracy},"speed":{},"heading":{bearing}}},"is_moving":{moving},"battery":{{"level":{},"is_charging":{charging}}}}},"device_id":"phone-1"}}"#,
                crate::fields::rfc3339(seconds * 1000).expect("in range"),
                speed,
                f64::from(batt) / 100.0,
            );
            decode(&post_json(&body))
        } else {
            decode(&get(&format!(
                "id=phone-1&timestamp={seconds}&lat={lat}&lon={lon}&speed={speed}&bearing={bearing}&accuracy={accuracy}&batt={batt}&charge={charging}&motion={moving}"
            )))
        }.expect("a position");
        prop_assert_eq!(&position.device, "phone-1");
        prop_assert_eq!(position.report.time_ms, seconds * 1000);
        let fix = position.report.fix.expect("a fix");
        prop_assert!((fix.lat - lat).abs() < 1e-12 && (fix.lon - lon).abs() < 1e-12);
        prop_assert!(close(fix.accuracy_m, accuracy) && close(fix.heading_deg, bearing));
        // m/s in Traccar Client's JSON, knots in a query.
        let expected_kmh = if json { speed * 3.6 } else { speed * 1.852 };
        prop_assert!(fix.speed_kmh.is_some_and(|s| (s - expected_kmh).abs() < 1e-6));
        prop_assert_eq!(position.report.battery_percent, Some(batt));
        prop_assert_eq!((position.report.external_power, position.report.moving), (Some(charging), Some(moving)));
    }
}
