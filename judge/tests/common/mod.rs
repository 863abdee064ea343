//! What the judge's tests share: a store with a probation client under an order with a curfew
//! and an exclusion zone and a tag fitted (made through `cases`, as the service does), fixes
//! written as the ingest writer writes them (the frame's bytes with its header's fields), the reference judgement of the same observations
//! by `rules::memory::MemoryJudge`, and waiting for a condition without sleeping a fixed time.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use cases::{Actor, Cases, NewInventoryDevice, NewOrder, OrderTerms};
use firmware_proto::DeviceKind;
use firmware_proto::{Flags, Message};
use ingest::store::{DeviceUpdate, ObservationRow, Telemetry, WriteBatch};
use judge::{EpisodeState, Judge, JudgeOptions, StoredEpisode};
use rules::memory::MemoryJudge;
use rules::{Episode, Span, Timestamp};
use store::ManualClock;
use store::Store;

pub const TAG: u64 = 1001;

pub fn at(text: &str) -> Timestamp {
    text.parse().expect("a time")
}

/// Where the client is.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum Place {
    Home,
    /// Inside the exclusion zone.
    OldTown,
    /// Away from both.
    Elsewhere,
}

impl Place {
    fn position(self) -> (f64, f64) {
        match self {
            Place::Home => (56.9496, 24.1052),
            Place::OldTown => (56.9600, 24.1300),
            Place::Elsewhere => (56.9800, 24.0500),
        }
    }
}

pub struct World {
    pub store: Store,
    /// Ingest's tables, where the tests write what the tag sent.
    pub telemetry: Telemetry,
    pub cases: Cases,
    pub client: i64,
    pub order: i64,
    pub officer: i64,
}

/// The order's terms: a curfew on Monday nights from `curfew_start` (local time, Europe/Riga)
/// to 06:00, and the old town as an exclusion zone.
pub fn terms(curfew_start: &str) -> OrderTerms {
    serde_json::from_value(serde_json::json!({
        "decision_date": "2026-10-20",
        "legal_basis": "conditional_early_release",
        "starts": "2026-11-01T00:00:00Z",
        "ends": "2027-05-01T00:00:00Z",
        "curfew": { "timetable": [{ "address": "home", "slots": [
            { "day": "mon", "start": curfew_start, "end": "06:00" }
        ] }] },
        "zones": [{ "id": "old-town", "kind": "exclusion",
                    "shape": { "type": "circle", "centre": [24.1300, 56.9600], "radius_m": 200.0 } }]
    }))
    .expect("order terms")
}

/// A unit, an officer, a client living at Brīvības iela 1, an order (curfew from 22:00) and a
/// GPS tag fitted; the tag is registered with ingest too.
pub async fn world(store: Store) -> World {
    // Ingest's tables first: the tag is registered with the frame path as it is added.
    let telemetry = Telemetry::open(store.clone()).await.expect("telemetry");
    let cases = Cases::open(store.clone()).await.expect("cases open");
    let sys = Actor::system("judge test");
    let (_, officer) =
        testkit::unit_with_officer(&cases, "Rīgas teritoriālā struktūrvienība").await;
    let client = testkit::client_at_home(&cases, &officer).await;
    let order = cases
        .create_order(
            &Actor::user(&officer, "judge test"),
            &NewOrder {
                client_id: client.id,
                court: "Rīgas pilsētas tiesa".into(),
                case_number: "K-7/2026".into(),
                terms: terms("22:00"),
            },
        )
        .await
        .expect("order");
    cases
        .add_inventory_device(
            &sys,
            &NewInventoryDevice {
                device_id: TAG,
                serial: "T-1001".into(),
                kind: DeviceKind::GpsTag,
                model: "X1".into(),
                firmware: Some("1.0".into()),
            },
            async |conn| {
                let tag = [(TAG, DeviceKind::GpsTag, None)];
                ingest::store::register_in(conn, &tag, 0).await.map(drop)
            },
        )
        .await
        .expect("inventory and registration");
    cases
        .fit_device(
            &Actor::user(&officer, "judge test"),
            order.id,
            TAG,
            None,
            at("2026-11-01T10:00:00Z"),
        )
        .await
        .expect("tag fitted");
    World {
        store,
        telemetry,
        cases,
        client: client.id,
        order: order.id,
        officer: officer.id,
    }
}

/// A fix as the ingest writer stores it: received 2 s after it was taken, or `held` (a STORED
/// frame sent late) 3 hours after.
pub fn fix(seq: u32, taken: Timestamp, place: Place, held: bool) -> ObservationRow {
    let (lat, lon) = place.position();
    let message = testkit::gnss_fix(lat, lon);
    let delay = if held {
        Span::hours(3)
    } else {
        Span::seconds(2)
    };
    let flags = if held {
        Flags::STORED | Flags::ACK_REQUESTED
    } else {
        Flags::ACK_REQUESTED
    };
    frame_row(seq, taken, taken.saturating_add(delay), flags, message)
}

/// The tag's frame `seq` of `message`, sent at `taken` and received at `received`, as the ingest
/// writer stores it: the frame's bytes and its header's fields.
pub fn frame_row(
    seq: u32,
    taken: Timestamp,
    received: Timestamp,
    flags: Flags,
    message: Message,
) -> ObservationRow {
    testkit::stored_row(TAG, seq, flags, taken.0, received.0, &message)
}

/// `row` with `bytes` written into its raw frame at `at` and the frame's CRC made right again:
/// a frame a device could have sent, but perhaps not one the protocol accepts.
pub fn patched(mut row: ObservationRow, at: usize, bytes: &[u8]) -> ObservationRow {
    let mut raw = row.raw.to_vec();
    raw[at..at + bytes.len()].copy_from_slice(bytes);
    let body = raw.len() - 2;
    let crc = firmware_proto::crc16(&raw[..body]);
    raw[body..].copy_from_slice(&crc.to_be_bytes());
    row.raw = Bytes::from(raw);
    row
}

/// A fix each minute from `from` for `minutes`, at `place`, seqs from `first_seq`.
pub fn walk(first_seq: u32, from: &str, minutes: u32, place: Place) -> Vec<ObservationRow> {
    let start = at(from);
    (0..minutes)
        .map(|i| {
            fix(
                first_seq + i,
                start.saturating_add(Span::minutes(i64::from(i))),
                place,
                false,
            )
        })
        .collect()
}

/// Monday 2 November 2026 (Riga is UTC+2): home until 19:00 local, in the old town for half an
/// hour, elsewhere, and home only at 23:00, an hour into the 22:00 curfew.
pub fn evening() -> Vec<ObservationRow> {
    let mut rows = walk(1, "2026-11-02T17:00:00Z", 60, Place::Home);
    rows.extend(walk(61, "2026-11-02T18:00:00Z", 30, Place::OldTown));
    rows.extend(walk(91, "2026-11-02T18:30:00Z", 150, Place::Elsewhere));
    rows.extend(walk(241, "2026-11-02T21:00:00Z", 31, Place::Home));
    rows
}

/// Commits rows in batches of ten, with the tag's last-seen time, as the writer does.
pub async fn write(telemetry: &Telemetry, rows: &[ObservationRow]) {
    for chunk in rows.chunks(10) {
        let last_seen = chunk.iter().map(|r| r.received_at_ms).max().unwrap_or(0);
        let batch = WriteBatch {
            observations: chunk.to_vec(),
            devices: vec![DeviceUpdate {
                id: TAG,
                acked_through: 0,
                down_seq: 0,
                last_seen_ms: last_seen,
                last_via: Arc::from("mqtt"),
                clock_offset_ms: None,
                clock_skewed: None,
            }],
            ..WriteBatch::default()
        };
        telemetry.write_batch(&batch).await.expect("committed");
    }
}

/// The judge's clock, set before the observations so that ticks decide nothing the
/// reference judgement (which is not ticked) would not.
pub fn clock() -> ManualClock {
    ManualClock::new(at("2026-11-02T16:00:00Z"))
}

pub async fn start(store: &Store, clock: &ManualClock) -> Judge {
    start_followed(store, clock, None).await
}

/// As [`start`], with a follower of the episode log taking the changes in each step.
pub async fn start_followed(
    store: &Store,
    clock: &ManualClock,
    follower: Option<Arc<dyn judge::EpisodeFollower>>,
) -> Judge {
    Judge::start(
        store.clone(),
        JudgeOptions {
            clock: Arc::new(clock.clone()),
            tick_every: Duration::from_millis(50),
            // Small, so that a stream spans many steps.
            batch: 16,
            follower,
            cases: None,
            telemetry: None,
        },
    )
    .await
    .expect("the judge starts")
}

/// Every episode of the client, whatever its state.
pub async fn stored(world: &World) -> Vec<StoredEpisode> {
    judge::records::episodes(&world.store, world.client, i64::MIN, i64::MAX)
        .await
        .expect("episodes read")
}

/// The episodes standing (open or closed), without their ids, in a stable order.
pub fn standing(episodes: &[StoredEpisode]) -> Vec<Episode> {
    let mut out: Vec<Episode> = episodes
        .iter()
        .filter(|e| matches!(e.state, EpisodeState::Open | EpisodeState::Closed))
        .map(|e| without_id(e.episode()))
        .collect();
    sort(&mut out);
    out
}

fn without_id(mut e: Episode) -> Episode {
    e.id = rules::EpisodeId(0);
    e
}

fn sort(episodes: &mut [Episode]) {
    episodes.sort_by(|a, b| {
        (a.start, &a.condition, a.kind, a.end).cmp(&(b.start, &b.condition, b.kind, b.end))
    });
}

/// What judging `rows` in commit order, all under the order's current policy, gives.
pub async fn reference(world: &World, rows: &[ObservationRow]) -> Vec<Episode> {
    let policy = world
        .cases
        .policy(world.order)
        .await
        .expect("policy")
        .expect("a tag is fitted");
    let mut memory = MemoryJudge::new();
    memory
        .add_client(Arc::new(policy.compile().expect("compiles")))
        .expect("added");
    for row in rows {
        if let Ok(Some(obs)) = judge::observation::observation_of(&stored_form(row)) {
            memory.observe(obs);
        }
    }
    let mut out: Vec<Episode> = memory
        .episodes(world.client as u64)
        .into_iter()
        .map(without_id)
        .collect();
    sort(&mut out);
    out
}

/// `row` as the store reads it back.
pub fn stored_form(row: &ObservationRow) -> ingest::store::StoredObservation {
    ingest::store::StoredObservation {
        device_id: row.device_id,
        seq: row.seq,
        frame_type: row.frame_type,
        flags: row.flags,
        device_time_ms: row.device_time_ms,
        received_at_ms: row.received_at_ms,
        via: row.via.to_string(),
        clock_skewed: row.clock_skewed,
        fields: row.fields.clone(),
        raw: row.raw.to_vec(),
    }
}

/// Ids are unique per client and never reused: every stored id distinct (the key says so) and
/// no two standing episodes the same breach.
pub fn assert_told_once(episodes: &[StoredEpisode]) {
    let mut ids: Vec<u64> = episodes.iter().map(|e| e.episode_id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), episodes.len(), "{episodes:#?}");
    let standing = standing(episodes);
    for pair in standing.windows(2) {
        assert!(
            !(pair[0].condition == pair[1].condition
                && pair[0].kind == pair[1].kind
                && pair[0].start == pair[1].start),
            "raised twice: {pair:#?}"
        );
    }
}

/// Waits (checking every 20 ms) until `check` holds, failing after a generous deadline.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
