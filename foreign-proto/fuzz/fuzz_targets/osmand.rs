//! Arbitrary bytes into the OsmAnd decoder, as every part of an HTTP request: the first byte
//! picks the method, content type and whether an Authorization header comes; the rest is cut
//! at zero bytes into the query, the body and that header. Nothing may panic; a position taken
//! is in range and reads again, the same, from its record, which holds no token.
#![no_main]

use foreign_proto::MAX_NAME_CHARS;
use foreign_proto::osmand::{OsmAndRequest, decode, decode_record};
use libfuzzer_sys::fuzz_target;

const METHODS: [&str; 3] = ["GET", "POST", "PUT"];
const CONTENT_TYPES: [Option<&str>; 4] = [
    None,
    Some("application/json"),
    Some("application/x-www-form-urlencoded; charset=UTF-8"),
    Some("text/plain"),
];

fuzz_target!(|data: &[u8]| {
    let _ = decode_record(data);
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    let mut parts = rest.splitn(3, |&b| b == 0);
    let query = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let body = parts.next().unwrap_or_default();
    let authorization = parts.next().map(String::from_utf8_lossy);
    let request = OsmAndRequest {
        method: METHODS[usize::from(choice % 3)],
        query: &query,
        content_type: CONTENT_TYPES[usize::from(choice / 3 % 4)],
        body,
        authorization: authorization.as_deref().filter(|_| choice & 0x80 != 0),
    };
    if let Ok(position) = decode(&request) {
        assert!(!position.device.is_empty() && position.device.chars().count() <= MAX_NAME_CHARS);
        assert!(position.report.time_ms >= 0);
        if let Some(fix) = position.report.fix {
            assert!(fix.lat.abs() <= 90.0 && fix.lon.abs() <= 180.0);
        }
        let again = decode_record(&position.report.record).expect("a record reads again");
        assert_eq!(
            (again.device, again.report),
            (position.device, position.report)
        );
        assert_eq!(again.token, None);
    }
});
