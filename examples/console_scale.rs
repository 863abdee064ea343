//! Fills a store with an agency's worth of records for the console's scale benchmark
//! (issue 17, scripts/bench-console-scale): units, officers with their caseloads, supervisors,
//! an operator; probation clients each with an order (a nightly curfew at home) and a fitted GPS
//! tag; fixes from every tag over the last days; alerts, nearly all resolved. Everything goes
//! through the owning crates' own calls: the case records through `Cases`, the fixes through
//! ingest's `Telemetry::write_batch`, the alerts through the alerts crate's seeding call.
//!
//! Usage: console_scale --data-dir DIR [--clients N] [--alerts N] [--observations N]
//! Build with `cargo build --release -p sargs --example console_scale`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use alerts::lifecycle::{AlertState, severity_of};
use alerts::testing::seed::{SeedAlert, seed_alerts};
use anyhow::Context;
use cases::{
    Actor, Cases, NewClient, NewInventoryDevice, NewOrder, NewUnit, NewUser, OrderTerms, Role,
};
use chrono::{TimeDelta, Utc};
use clap::Parser;
use firmware_proto::{DeviceKind, Flags};
use ingest::store::{DeviceUpdate, Telemetry, WriteBatch, register_in};
use rules::{BreachKind, Timestamp};
use serde_json::json;
use store::StoreLocation;

/// Every generated user's password.
const PASSWORD: &str = "scale bench password";
const COURT: &str = "Rīgas pilsētas tiesa";
const GIVEN: [&str; 10] = [
    "Jānis",
    "Andris",
    "Dmitrijs",
    "Pēteris",
    "Edgars",
    "Mārtiņš",
    "Aivars",
    "Sergejs",
    "Kārlis",
    "Juris",
];
const FAMILY: [&str; 10] = [
    "Bērziņš",
    "Kalniņš",
    "Ivanovs",
    "Ozols",
    "Liepa",
    "Krūmiņš",
    "Petrovs",
    "Zariņš",
    "Balodis",
    "Vītols",
];

#[derive(Parser, Debug)]
struct Args {
    /// The data directory to fill (an SQLite store; must be new)
    #[arg(long)]
    data_dir: PathBuf,
    /// Units, each with a supervisor
    #[arg(long, default_value_t = 10)]
    units: usize,
    /// Officers in each unit
    #[arg(long, default_value_t = 10)]
    officers_per_unit: usize,
    /// Probation clients, shared out among the officers
    #[arg(long, default_value_t = 10_000)]
    clients: usize,
    /// Alerts over the period
    #[arg(long, default_value_t = 100_000)]
    alerts: usize,
    /// Of them, not resolved yet
    #[arg(long, default_value_t = 300)]
    unresolved: usize,
    /// Fixes over the period, spread over the tags
    #[arg(long, default_value_t = 10_000_000)]
    observations: usize,
    /// The period, in days up to now
    #[arg(long, default_value_t = 30)]
    days: i64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let telemetry = Telemetry::open_at(&StoreLocation::DataDir(args.data_dir.clone()))
        .await
        .context("opening the store")?;
    let store = telemetry.store().clone();
    let cases = Cases::open(store.clone()).await?;
    judge::migrate(&store).await?;
    alerts::migrate(&store).await?;
    let now = Utc::now();
    let starts = now - TimeDelta::days(args.days + 1);
    let sys = Actor::system("console scale benchmark");
    let clock = Instant::now();

    let user = async |username: String, role: Role, unit: Option<i64>| {
        let new = NewUser {
            display_name: username.replace('.', " "),
            username,
            role,
            unit_id: unit,
            court: None,
            password: PASSWORD.into(),
        };
        cases.create_user(&sys, &new).await
    };
    user("admin".into(), Role::Admin, None).await?;
    user("operator".into(), Role::Operator, None).await?;
    let mut officers = Vec::new();
    for u in 0..args.units {
        let unit = cases
            .create_unit(
                &sys,
                &NewUnit {
                    name: format!("Struktūrvienība {}", u + 1),
                    parent_id: None,
                },
            )
            .await?;
        user(
            format!("supervisor.{}", u + 1),
            Role::Supervisor,
            Some(unit.id),
        )
        .await?;
        for o in 0..args.officers_per_unit {
            officers.push(
                user(
                    format!("officer.{}.{}", u + 1, o + 1),
                    Role::Officer,
                    Some(unit.id),
                )
                .await?,
            );
        }
    }
    eprintln!(
        "{} users in {:?}",
        officers.len() + args.units + 2,
        clock.elapsed()
    );

    let slots: Vec<_> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .map(|day| json!({ "day": day, "start": "22:00", "end": "06:00" }))
        .collect();
    // (client, order, tag, home)
    let mut fitted = Vec::with_capacity(args.clients);
    for i in 0..args.clients {
        // Officer after officer, so that each caseload spreads over the ids.
        let officer = &officers[i % officers.len()];
        let home = (
            56.85 + (i % 100) as f64 * 0.002,
            23.95 + (i / 100 % 100) as f64 * 0.004,
        );
        let new: NewClient = serde_json::from_value(json!({
            "personal_code": format!("0101{:02}-{:05}", 60 + i / 100_000, i % 100_000),
            "given_name": GIVEN[i % 10], "family_name": FAMILY[i / 10 % 10],
            "birth_date": "1980-01-01", "language": "lv", "officer_id": officer.id,
            "addresses": [{ "id": "home", "street": format!("Brīvības iela {}, Rīga", i + 1),
                "zone": { "type": "circle", "centre": [home.1, home.0], "radius_m": 50.0 } }]
        }))?;
        let client = cases.create_client(&sys, &new).await?;
        let terms: OrderTerms = serde_json::from_value(json!({
            "decision_date": starts.date_naive().to_string(),
            "legal_basis": "conditional_early_release",
            "starts": starts.to_rfc3339(),
            "ends": (starts + TimeDelta::days(365)).to_rfc3339(),
            "curfew": { "timetable": [{ "address": "home", "slots": slots }] },
            // A fix every ~40 minutes (10 million over 10 000 tags and 30 days) is not a
            // silence; the fixes end when the generation starts, and 6 h leaves the benchmark
            // hours to run before every tag would count as silent (scripts/bench-console-scale).
            "health": { "comm_lost_tag": "6h" },
        }))?;
        let order = cases
            .create_order(
                &Actor::user(officer, "console scale benchmark"),
                &NewOrder {
                    client_id: client.id,
                    court: COURT.into(),
                    case_number: format!("K-{i}/2026"),
                    terms,
                },
            )
            .await?;
        let tag = 100_000 + i as u64;
        cases
            .add_inventory_device(
                &sys,
                &NewInventoryDevice {
                    device_id: tag,
                    serial: format!("T-{tag}"),
                    kind: DeviceKind::GpsTag,
                    model: "X1".into(),
                    firmware: Some("1.4.2".into()),
                },
                async |conn| {
                    let one = [(tag, DeviceKind::GpsTag, None)];
                    register_in(conn, &one, Timestamp::from_utc(starts).0)
                        .await
                        .map(drop)
                },
            )
            .await?;
        cases
            .fit_device(&sys, order.id, tag, None, Timestamp::from_utc(starts))
            .await?;
        fitted.push((client.id, order.id, tag, home));
        if (i + 1) % 1000 == 0 {
            eprintln!("{} clients in {:?}", i + 1, clock.elapsed());
        }
    }

    // The alerts, oldest first, the last ones the unresolved.
    let config = alerts::AlertsConfig::default();
    let kinds = BreachKind::ALL;
    let span_ms = args.days * 86_400_000;
    let now_ms = Timestamp::from_utc(now).0;
    let mut batch = Vec::new();
    for i in 0..args.alerts {
        let (client, order, _, _) = fitted[(i * 7919) % fitted.len()];
        let kind = kinds[i % kinds.len()];
        let left = args.alerts - i;
        let state = match left {
            l if l <= args.unresolved / 3 => AlertState::Acknowledged,
            l if l <= args.unresolved => AlertState::Open,
            _ => AlertState::Resolved,
        };
        batch.push(SeedAlert {
            client_id: client,
            order_id: order,
            kind,
            severity: severity_of(kind, &config),
            state,
            raised: Timestamp(now_ms - span_ms + span_ms * i as i64 / args.alerts as i64),
        });
        if batch.len() == 5000 || i + 1 == args.alerts {
            seed_alerts(&store, &batch).await?;
            batch.clear();
        }
    }
    eprintln!("{} alerts in {:?}", args.alerts, clock.elapsed());

    // The fixes: every tag in turn, at even steps over the period, each at home give or take.
    let per_tag = args.observations / fitted.len().max(1);
    let step_ms = span_ms / per_tag.max(1) as i64;
    let via: Arc<str> = Arc::from("mqtt");
    let mut written = 0u64;
    for k in 0..per_tag {
        let at = now_ms - span_ms + step_ms * k as i64;
        let mut batch = WriteBatch::default();
        for (i, &(_, _, tag, home)) in fitted.iter().enumerate() {
            let taken = at + (i as i64 * 997) % step_ms.max(1);
            let jitter = ((k * 31 + i) % 7) as f64 * 0.00003;
            let fix = testkit::gnss_fix(home.0 + jitter, home.1 - jitter);
            let seq = k as u32 + 1;
            batch.observations.push(testkit::stored_row(
                tag,
                seq,
                Flags::empty(),
                taken,
                taken + 800,
                &fix,
            ));
            batch.devices.push(DeviceUpdate {
                id: tag,
                acked_through: seq,
                down_seq: 0,
                last_seen_ms: taken + 800,
                last_via: via.clone(),
                clock_offset_ms: Some(0),
                clock_skewed: Some(false),
            });
        }
        written += telemetry.write_batch(&batch).await?.inserted;
        if (k + 1) % 50 == 0 {
            eprintln!("{written} observations in {:?}", clock.elapsed());
        }
    }
    eprintln!("{written} observations in {:?}", clock.elapsed());
    println!(
        "generated {} clients, {} alerts, {written} observations",
        fitted.len(),
        args.alerts
    );
    Ok(())
}
