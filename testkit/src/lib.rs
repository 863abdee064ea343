//! What the tests of several crates share, so that none keeps its own copy: the people a test
//! needs on record (a unit, its officer, a probation client at home), and frames as ingest's
//! writer stores them. Only ever a dev-dependency: it panics on failure, as tests do.
#![warn(missing_docs)]

use std::sync::Arc;

use bytes::Bytes;
use cases::{Actor, Cases, Client, NewClient, NewUnit, NewUser, Role, Unit, User};
use firmware_proto::{Coord, Flags, Header, Location, LocationSource, Message};
use ingest::store::ObservationRow;

/// The officers' password in tests: long enough for the password rules.
pub const PASSWORD: &str = "correct horse battery";

/// Where the probation client of [`client_at_home`] lives: Brīvības iela 1, Rīga (lat, lon).
pub const HOME: (f64, f64) = (56.9496, 24.1052);

/// A unit called `unit` and its officer ilze.ozola (password [`PASSWORD`]), made by the system.
pub async fn unit_with_officer(cases: &Cases, unit: &str) -> (Unit, User) {
    let sys = Actor::system("test");
    let unit = cases
        .create_unit(
            &sys,
            &NewUnit {
                name: unit.into(),
                parent_id: None,
            },
        )
        .await
        .expect("unit");
    let officer = cases
        .create_user(
            &sys,
            &NewUser {
                username: "ilze.ozola".into(),
                display_name: "Ilze Ozola".into(),
                role: Role::Officer,
                unit_id: Some(unit.id),
                court: None,
                password: PASSWORD.into(),
            },
        )
        .await
        .expect("officer");
    (unit, officer)
}

/// Jānis Bērziņš, in `officer`'s care, whose home is a 50 m circle around [`HOME`].
pub async fn client_at_home(cases: &Cases, officer: &User) -> Client {
    let new: NewClient = serde_json::from_value(serde_json::json!({
        "personal_code": "01019012345",
        "given_name": "Jānis",
        "family_name": "Bērziņš",
        "birth_date": "1990-01-01",
        "language": "lv",
        "officer_id": officer.id,
        "addresses": [{ "id": "home", "street": "Brīvības iela 1, Rīga",
                        "zone": { "type": "circle", "centre": [HOME.1, HOME.0], "radius_m": 50.0 } }]
    }))
    .expect("a client request");
    cases
        .create_client(&Actor::system("test"), &new)
        .await
        .expect("client")
}

/// A GNSS fix at (`lat`, `lon`) as a tag sends it: ±10 m, nine satellites, standing still.
pub fn gnss_fix(lat: f64, lon: f64) -> Message {
    Message::Location(Location {
        lat: Coord::from_degrees(lat),
        lon: Coord::from_degrees(lon),
        accuracy_m: Some(10),
        source: LocationSource::Gnss,
        satellites: 9,
        speed_cm_s: 0,
        heading_deg: None,
    })
}

/// Frame `seq` of `device` carrying `message` with `flags`, sent at `taken_ms` and received at
/// `received_ms` over MQTT, as ingest's writer stores it: the frame's bytes (no MAC) and its
/// header's fields.
pub fn stored_row(
    device: u64,
    seq: u32,
    flags: Flags,
    taken_ms: i64,
    received_ms: i64,
    message: &Message,
) -> ObservationRow {
    let header = Header {
        frame_type: message.frame_type(),
        flags,
        device_id: device,
        seq,
        time_ms: u64::try_from(taken_ms).expect("a time after 1970"),
    };
    let raw = firmware_proto::encode_to_vec(&header, message, None).expect("encodes");
    ObservationRow {
        device_id: device,
        seq,
        frame_type: header.frame_type.to_u8(),
        flags: flags.bits(),
        device_time_ms: taken_ms,
        received_at_ms: received_ms,
        via: Arc::from("mqtt"),
        clock_skewed: false,
        fields: ingest::fields_json(message),
        raw: Bytes::from(raw),
    }
}
