//! The HTTP adapters over real TCP into the real writer, on SQLite and PostgreSQL: a phone's
//! OsmAnd position and a Traccar server's forwarded one are answered 200 only once committed
//! and stored once however often sent; a wrong or missing token, an unknown device, broken
//! input, a body too large and headers too slow are refused, counted and never stored.

use std::time::Duration;

use firmware_proto::Message;
use ingest::adapter::{Adapter, Intake, token_hash};
use ingest::http_adapter::{Handler, HttpListener, HttpOptions};
use ingest::osmand::OsmAnd;
use ingest::store::Telemetry;
use ingest::traccar::TraccarForwarding;
use store::testing::test_databases;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

mod support;
use support::{Adapted, Listening};

const PHONE: u64 = 8101;
const TOKEN: &str = "a3f1c9e07d5b4e2a8c6f0d1b9e7a5c3f";
const FORWARDED: u64 = 8102;
const TRACCAR_TOKEN: &str = "the agency's Traccar forwarding token";

async fn start<H: Handler>(
    db: &store::testing::TestDb,
    adapter: Adapter,
    handler: H,
    tune: impl FnOnce(&mut HttpOptions),
) -> Listening {
    let devices = [
        (
            PHONE,
            Adapter::OsmAnd.identity("phone-marta"),
            Some(token_hash(TOKEN)),
        ),
        (
            FORWARDED,
            Adapter::Traccar.identity("862462030123456"),
            None,
        ),
    ];
    let mut adapted = Adapted::start(db, &devices).await;
    let mut options = HttpOptions::new("127.0.0.1:0".parse().expect("addr"));
    tune(&mut options);
    let listener = HttpListener::bind(options).await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let intake = Intake::new(
        adapter,
        adapted.checked.clone(),
        adapted.store.clone(),
        adapted.metrics.clone(),
    );
    adapted.run(listener.run(handler, intake));
    Listening { adapted, addr }
}

/// Sends `head` (request line and headers, without the blank line) and `body`; the status and
/// the body of the answer, or None if the connection closed unanswered.
async fn http(addr: std::net::SocketAddr, head: &str, body: &[u8]) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "{head}\r\nHost: sargs\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.ok()?;
    stream.write_all(body).await.ok()?;
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut answer))
        .await
        .expect("answered or closed in time")
        .ok()?;
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string())?;
    Some((status, body))
}

async fn stored(store: &Telemetry, device: u64) -> Vec<ingest::store::StoredObservation> {
    store
        .observations_by_seq(device, 0, 1000)
        .await
        .expect("observations")
}

#[tokio::test]
async fn a_phones_position_is_answered_once_committed_and_strangers_are_refused() {
    for db in test_databases().await {
        let name = db.name;
        let running = start(&db, Adapter::OsmAnd, OsmAnd, |o| {
            o.header_timeout = Duration::from_millis(300);
        })
        .await;
        let rejected = |reason| running.metrics.adapters.rejected(Adapter::OsmAnd, reason);
        let query = |token: &str| {
            format!(
                "GET /?id=phone-marta&timestamp=1800000000&lat=56.9501&lon=24.1101&accuracy=12&batt=64&speed=2{token} HTTP/1.1"
            )
        };
        let good = query(&format!("&token={TOKEN}"));
        assert_eq!(
            http(running.addr, &good, b"").await,
            Some((200, "OK\n".into())),
            "{name}"
        );
        let rows = stored(&running.store, PHONE).await;
        assert_eq!(
            rows.iter().map(|r| r.seq).collect::<Vec<_>>(),
            vec![1, 2],
            "{name}"
        );
        assert!(rows.iter().all(|r| r.via == "osmand"));
        let Message::Location(fix) = firmware_proto::decode(&rows[1].raw).expect("frame").message
        else {
            panic!("a location");
        };
        assert_eq!((fix.lat.degrees(), fix.accuracy_m), (56.9501, Some(12)));
        // Sent again (the phone did not hear the answer): answered, stored once.
        assert_eq!(http(running.addr, &good, b"").await.map(|a| a.0), Some(200));
        assert_eq!(stored(&running.store, PHONE).await.len(), 2, "{name}");
        // The record kept is the request as received, less the token.
        let (_, kept) = running
            .store
            .foreign_record(PHONE, 1_800_000_000_000)
            .await
            .expect("read")
            .expect("kept");
        assert!(
            !String::from_utf8_lossy(&kept).contains(TOKEN),
            "{name}: no secret in evidence"
        );
        // As a bearer token, in Traccar Client's JSON, a minute later.
        let json = br#"{"device_id":"phone-marta","location":{"timestamp":"2027-01-15T08:01:00.000Z","coords":{"latitude":56.9502,"longitude":24.1102,"accuracy":9,"speed":-1,"heading":-1},"is_moving":true,"battery":{"level":0.63,"is_charging":false}}}"#;
        let head = format!(
            "POST / HTTP/1.1\r\nContent-Type: application/json\r\nAuthorization: Bearer {TOKEN}"
        );
        assert_eq!(
            http(running.addr, &head, json).await.map(|a| a.0),
            Some(200),
            "{name}"
        );
        assert_eq!(stored(&running.store, PHONE).await.len(), 4, "{name}");

        // Refused, counted, nothing stored.
        let wrong = query("&token=not-the-token-at-all");
        assert_eq!(
            http(running.addr, &wrong, b"").await.map(|a| a.0),
            Some(401)
        );
        assert_eq!(rejected("token_wrong"), 1, "{name}");
        assert_eq!(
            http(running.addr, &query(""), b"").await.map(|a| a.0),
            Some(401)
        );
        assert_eq!(rejected("token_missing"), 1);
        let stranger =
            format!("GET /?id=someone&timestamp=1800000000&lat=1&lon=1&token={TOKEN} HTTP/1.1");
        assert_eq!(
            http(running.addr, &stranger, b"").await.map(|a| a.0),
            Some(401)
        );
        assert_eq!(rejected("unknown_device"), 1);
        let placeless = format!("GET /?id=phone-marta&timestamp=1800000000&token={TOKEN} HTTP/1.1");
        let (status, said) = http(running.addr, &placeless, b"").await.expect("answered");
        assert_eq!(
            (status, said.as_str()),
            (400, "not an OsmAnd position: no position\n")
        );
        assert_eq!(rejected("no_position"), 1);
        let huge = vec![b'a'; 70 * 1024];
        let post = "POST / HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded";
        assert_eq!(
            http(running.addr, post, &huge).await.map(|a| a.0),
            Some(413)
        );
        assert_eq!(rejected("body_too_large"), 1);
        // Headers that never end: closed when their time is up.
        let mut slow = TcpStream::connect(running.addr).await.expect("connect");
        slow.write_all(b"GET /?id=phone-marta HTTP/1.1\r\nHost: sa")
            .await
            .expect("send");
        let mut rest = Vec::new();
        let closed =
            tokio::time::timeout(Duration::from_secs(10), slow.read_to_end(&mut rest)).await;
        assert!(closed.is_ok(), "{name}: a slow request is closed");
        assert_eq!(stored(&running.store, PHONE).await.len(), 4, "{name}");
    }
}

#[tokio::test]
async fn a_traccar_servers_forwarded_position_is_taken_with_its_token() {
    for db in test_databases().await {
        let name = db.name;
        let running = start(
            &db,
            Adapter::Traccar,
            TraccarForwarding::new(TRACCAR_TOKEN),
            |_| {},
        )
        .await;
        let rejected = |reason| running.metrics.adapters.rejected(Adapter::Traccar, reason);
        let position = |fix: &str, lat: f64| {
            format!(
                r#"{{"position":{{"id":14935,"attributes":{{"batteryLevel":61,"motion":false,"sat":9}},"deviceId":1,"protocol":"teltonika","serverTime":"{fix}","deviceTime":"{fix}","fixTime":"{fix}","outdated":false,"valid":true,"latitude":{lat},"longitude":24.1,"altitude":0,"speed":0,"course":0,"accuracy":0}},"device":{{"id":1,"name":"FMB","uniqueId":"862462030123456","status":"online"}}}}"#
            )
        };
        let head = |path: &str| {
            format!(
                "POST {path} HTTP/1.1\r\nContent-Type: application/json\r\nAuthorization: Bearer {TRACCAR_TOKEN}"
            )
        };
        let first = position("2027-01-15T08:00:00.000+00:00", 56.95);
        assert_eq!(
            http(running.addr, &head("/positions"), first.as_bytes())
                .await
                .map(|a| a.0),
            Some(200),
            "{name}"
        );
        // Retried by Traccar, or backfilled later: one observation.
        assert_eq!(
            http(running.addr, &head("/positions"), first.as_bytes())
                .await
                .map(|a| a.0),
            Some(200)
        );
        let rows = stored(&running.store, FORWARDED).await;
        assert_eq!(
            rows.iter().map(|r| r.seq).collect::<Vec<_>>(),
            vec![1, 2],
            "{name}"
        );
        assert!(rows.iter().all(|r| r.via == "traccar"));
        // An event with its position: the position is taken.
        let event = format!(
            r#"{{"event":{{"id":7,"type":"alarm","eventTime":"2027-01-15T08:01:00.000+00:00","deviceId":1,"positionId":14936,"attributes":{{"alarm":"sos"}}}},"position":{},"device":{{"id":1,"name":"FMB","uniqueId":"862462030123456"}}}}"#,
            serde_json::from_str::<serde_json::Value>(&position(
                "2027-01-15T08:01:00.000+00:00",
                56.96
            ))
            .expect("json")["position"]
        );
        assert_eq!(
            http(running.addr, &head("/events"), event.as_bytes())
                .await
                .map(|a| a.0),
            Some(200),
            "{name}"
        );
        assert_eq!(stored(&running.store, FORWARDED).await.len(), 4, "{name}");

        // Refused, counted, nothing stored.
        let later = position("2027-01-15T08:02:00.000+00:00", 56.97);
        let no_token = "POST /positions HTTP/1.1\r\nContent-Type: application/json";
        assert_eq!(
            http(running.addr, no_token, later.as_bytes())
                .await
                .map(|a| a.0),
            Some(401)
        );
        assert_eq!(rejected("token_missing"), 1, "{name}");
        let wrong = "POST /positions?token=guessed HTTP/1.1";
        assert_eq!(
            http(running.addr, wrong, later.as_bytes())
                .await
                .map(|a| a.0),
            Some(401)
        );
        assert_eq!(rejected("token_wrong"), 1);
        let other = later.replace("862462030123456", "999");
        assert_eq!(
            http(running.addr, &head("/positions"), other.as_bytes())
                .await
                .map(|a| a.0),
            Some(404)
        );
        assert_eq!(rejected("unknown_device"), 1);
        assert_eq!(
            http(running.addr, &head("/elsewhere"), later.as_bytes())
                .await
                .map(|a| a.0),
            Some(404)
        );
        assert_eq!(rejected("path"), 1);
        assert_eq!(
            http(running.addr, &head("/positions"), b"{not json")
                .await
                .map(|a| a.0),
            Some(400)
        );
        assert_eq!(rejected("json"), 1);
        let get = format!("GET /positions HTTP/1.1\r\nAuthorization: Bearer {TRACCAR_TOKEN}");
        assert_eq!(http(running.addr, &get, b"").await.map(|a| a.0), Some(405));
        assert_eq!(stored(&running.store, FORWARDED).await.len(), 4, "{name}");
    }
}
