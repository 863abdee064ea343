//! A month under one order, for the summary's tests: the case records, the judge running on
//! a manual clock, and tags that send fixes as committed observations.
#![allow(dead_code)] // each test file uses part of this

use std::sync::Arc;
use std::time::Duration;

use cases::{Actor, Cases, NewInventoryDevice, NewOrder, OrderTerms};
use firmware_proto::DeviceKind;
use firmware_proto::Flags;
use ingest::store::{DeviceUpdate, ObservationRow, Telemetry, WriteBatch, register_in};
use judge::{Judge, JudgeOptions};
use rules::{Span, Timestamp};
use store::ManualClock;
use store::{Store, StoreLocation};

pub const TAG_A: u64 = 2001;
pub const TAG_B: u64 = 2002;

pub fn at(text: &str) -> Timestamp {
    text.parse().expect("a time")
}

#[derive(Copy, Clone)]
pub enum Place {
    Home,
    OldTown,
    Elsewhere,
}

/// A curfew every night from `start` (local time) to 06:00 at home, the old town excluded.
pub fn terms(start: &str) -> OrderTerms {
    let slots: Vec<_> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .map(|day| serde_json::json!({ "day": day, "start": start, "end": "06:00" }))
        .collect();
    serde_json::from_value(serde_json::json!({
        "decision_date": "2026-10-20",
        "legal_basis": "conditional_early_release",
        "starts": "2026-11-01T00:00:00Z",
        "ends": "2027-05-01T00:00:00Z",
        "time_zone": "Europe/Riga",
        "curfew": { "timetable": [{ "address": "home", "slots": slots }] },
        "zones": [{ "id": "old-town", "kind": "exclusion",
                    "shape": { "type": "circle", "centre": [24.1300, 56.9600], "radius_m": 200.0 } }]
    }))
    .expect("order terms")
}

/// The month's world: the case records on the judge's clock, and the devices' next seqs.
pub struct Month {
    pub telemetry: Telemetry,
    pub cases: Cases,
    pub clock: ManualClock,
    pub judge: Judge,
    pub officer: Actor,
    pub client: i64,
    pub order: i64,
    pub seqs: [u32; 2],
}

impl Month {
    /// The month in the database at `location`, every record stamped by the judge's clock.
    pub async fn new(location: &StoreLocation) -> Month {
        let clock = ManualClock::new(at("2026-10-31T12:00:00Z"));
        let store = Store::open_with_clock(location, Arc::new(clock.clone()))
            .await
            .expect("store");
        let telemetry = Telemetry::open(store.clone()).await.expect("telemetry");
        let cases = Cases::open(store.clone()).await.expect("cases");
        let sys = Actor::system("month test");
        let (_, user) =
            testkit::unit_with_officer(&cases, "Rīgas teritoriālā struktūrvienība").await;
        let client = testkit::client_at_home(&cases, &user).await;
        let officer = Actor::user(&user, "month test");
        let order = cases
            .create_order(
                &officer,
                &NewOrder {
                    client_id: client.id,
                    court: "Rīgas pilsētas tiesa".into(),
                    case_number: "K-9/2026".into(),
                    terms: terms("22:00"),
                },
            )
            .await
            .expect("order");
        for (device, serial) in [(TAG_A, "T-2001"), (TAG_B, "T-2002")] {
            cases
                .add_inventory_device(
                    &sys,
                    &NewInventoryDevice {
                        device_id: device,
                        serial: serial.into(),
                        kind: DeviceKind::GpsTag,
                        model: "X1".into(),
                        firmware: Some("1.0".into()),
                    },
                    async |conn| {
                        let tag = [(device, DeviceKind::GpsTag, None)];
                        register_in(conn, &tag, 0).await.map(drop)
                    },
                )
                .await
                .expect("inventory and registration");
        }
        // The summary reads the alerts too (none here).
        alerts::migrate(&store).await.expect("alerts tables");
        let judge = Judge::start(
            store.clone(),
            JudgeOptions {
                clock: Arc::new(clock.clone()),
                tick_every: Duration::from_millis(50),
                batch: 256,
                follower: None,
                cases: Some(cases.clone()),
                telemetry: Some(telemetry.clone()),
            },
        )
        .await
        .expect("the judge starts");
        Month {
            telemetry,
            cases,
            clock,
            judge,
            officer,
            client: client.id,
            order: order.id,
            seqs: [1, 1],
        }
    }

    /// The clock moves to `t`; what is committed so far is judged.
    /// The month's summary in English of `from` to `to` (local dates, inclusive), made at
    /// `as_of`.
    pub async fn summary(&self, from: &str, to: &str, as_of: Timestamp) -> report::Report {
        let params = report::Params {
            order_id: self.order,
            from: from.parse().expect("a date"),
            to: to.parse().expect("a date"),
            lang: report::Lang::En,
            as_of: Some(as_of),
        };
        report::build(&self.telemetry, &self.cases, &params)
            .await
            .expect("the summary")
    }

    pub async fn now(&self, t: &str) {
        self.judge.catch_up().await.expect("judged");
        self.clock.set(at(t));
    }

    /// `device` sends a fix a minute from `from` for `minutes`, at `place`, committed.
    pub async fn walk(&mut self, device: u64, from: &str, minutes: i64, place: Place) {
        let seq = &mut self.seqs[usize::from(device == TAG_B)];
        let rows: Vec<ObservationRow> = (0..minutes)
            .map(|i| {
                *seq += 1;
                fix(
                    device,
                    *seq,
                    at(from).saturating_add(Span::minutes(i)),
                    place,
                )
            })
            .collect();
        self.commit(device, &rows).await;
    }

    /// `rows` of `device` committed, as the ingest writer commits them.
    pub async fn commit(&self, device: u64, rows: &[ObservationRow]) {
        for chunk in rows.chunks(20) {
            let batch = WriteBatch {
                observations: chunk.to_vec(),
                devices: vec![DeviceUpdate {
                    id: device,
                    acked_through: 0,
                    down_seq: 0,
                    last_seen_ms: chunk.iter().map(|r| r.received_at_ms).max().unwrap_or(0),
                    last_via: Arc::from("mqtt"),
                    clock_offset_ms: None,
                    clock_skewed: None,
                }],
                ..WriteBatch::default()
            };
            self.telemetry.write_batch(&batch).await.expect("committed");
        }
    }

    /// Every observation the order's devices sent, as the rules engine reads them.
    pub async fn observations(&self, device: u64) -> Vec<rules::Observation> {
        let rows = self
            .telemetry
            .observations_page(device, i64::MIN, i64::MAX, None, 100_000)
            .await
            .expect("observations");
        rows.iter()
            .filter_map(|r| judge::observation::observation_of(r).ok().flatten())
            .collect()
    }
}

/// A fix as the ingest writer stores it, received 2 s after it was taken.
pub fn fix(device: u64, seq: u32, taken: Timestamp, place: Place) -> ObservationRow {
    let (lat, lon) = match place {
        Place::Home => (56.9496, 24.1052),
        Place::OldTown => (56.9600, 24.1300),
        Place::Elsewhere => (56.9800, 24.0500),
    };
    let message = testkit::gnss_fix(lat, lon);
    let received = taken.saturating_add(Span::seconds(2));
    testkit::stored_row(
        device,
        seq,
        Flags::ACK_REQUESTED,
        taken.0,
        received.0,
        &message,
    )
}
