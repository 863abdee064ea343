//! `sargs devices`: register devices and see which ones the engine knows and which it does not.

use anyhow::bail;
use cases::{Actor, NewInventoryDevice};
use clap::Subcommand;
use firmware_proto::DeviceKind;
use ingest::store::{Telemetry, UNKNOWN_DEVICES_KEPT, register_in};

use crate::decode::{parse_key, rfc3339_ms};
use sim::SimDevice;

#[derive(Subcommand, Debug)]
pub enum DevicesCommand {
    /// Add a device to the inventory and register it, so that its frames are stored and
    /// acknowledged: one step, as through the API
    Add {
        /// The device id (decimal, as in the frames; never 0)
        #[arg(long)]
        id: u64,
        /// gps-tag, rf-tag, home-unit, gps-tracker (an off-the-shelf tracker) or phone (a victim's)
        #[arg(long)]
        kind: DeviceKind,
        /// The device's 32-byte MAC key in hex; a device with a key must MAC every frame
        #[arg(long, value_name = "HEX")]
        key: Option<String>,
        /// The serial number on the device's case (default: its id)
        #[arg(long)]
        serial: Option<String>,
        /// The model, as the console shows it
        #[arg(long, default_value = "not recorded")]
        model: String,
        /// The firmware version, where it can be read
        #[arg(long)]
        firmware: Option<String>,
    },
    /// List registered devices
    List {
        #[arg(long)]
        json: bool,
    },
    /// One device as JSON: its registration, health, security events and sequence gaps
    Show {
        #[arg(long)]
        id: u64,
    },
    /// List devices that sent frames but are not registered: the most recently heard are kept,
    /// listed in device id order a page at a time, with how many were let go
    Unknown {
        #[arg(long)]
        json: bool,
        /// The last device id of the previous page
        #[arg(long)]
        after: Option<u64>,
        /// At most this many (1 to 500)
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(i64).range(1..=500))]
        limit: i64,
    },
}

pub async fn run(store: &Telemetry, command: DevicesCommand) -> anyhow::Result<()> {
    match command {
        DevicesCommand::Add {
            id,
            kind,
            key,
            serial,
            model,
            firmware,
        } => {
            if id == 0 {
                bail!("device id 0 is invalid (PROTOCOL.md: never 0)");
            }
            let key = key.as_deref().map(parse_key).transpose()?;
            if store.device(id).await?.is_some() {
                bail!("device {id} is already registered");
            }
            let cases = cases::Cases::open(store.store().clone()).await?;
            let new = NewInventoryDevice {
                device_id: id,
                serial: serial.unwrap_or_else(|| id.to_string()),
                kind,
                model,
                firmware,
            };
            let registration = [(id, kind, key)];
            cases
                .add_inventory_device(&Actor::system("sargs devices add"), &new, async |conn| {
                    register_in(conn, &registration, store.store().now().0)
                        .await
                        .map(drop)
                })
                .await?;
            println!(
                "registered device {id} ({kind}, {}); in the inventory as serial {:?}",
                if key.is_some() { "with key" } else { "no key" },
                new.serial
            );
        }
        DevicesCommand::List { json } => {
            let devices = store.devices().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&devices)?);
            } else {
                println!(
                    "{:<20} {:<10} {:<4} {:<10} {:<26} via",
                    "id", "kind", "key", "acked", "last seen"
                );
                for d in devices {
                    println!(
                        "{:<20} {:<10} {:<4} {:<10} {:<26} {}",
                        d.id,
                        d.kind,
                        if d.has_key { "yes" } else { "no" },
                        d.acked_through,
                        d.last_seen_ms.map_or("never".to_string(), rfc3339_ms),
                        d.last_via.unwrap_or_default()
                    );
                }
            }
        }
        DevicesCommand::Show { id } => {
            let Some(device) = store.device(id).await? else {
                bail!("device {id} is not registered");
            };
            let shown = serde_json::json!({
                "device": device,
                "stored_observations": store.observation_count(Some(id)).await?,
                "security_events": store.security_events(id).await?,
                "seq_gaps": store.seq_gaps(id).await?,
            });
            println!("{}", serde_json::to_string_pretty(&shown)?);
        }
        DevicesCommand::Unknown { json, after, limit } => {
            let unknown = store.unknown_devices(after, limit).await?;
            let forgotten = store.unknown_devices_forgotten().await?;
            let next = (unknown.len() as i64 == limit)
                .then(|| unknown.last().map(|d| d.id))
                .flatten();
            if json {
                let page = serde_json::json!({
                    "devices": unknown,
                    "kept_at_most": UNKNOWN_DEVICES_KEPT,
                    "forgotten": forgotten,
                });
                println!("{}", serde_json::to_string_pretty(&page)?);
            } else {
                println!(
                    "{:<20} {:<10} {:<26} {:<26} via",
                    "id", "frames", "first seen", "last seen"
                );
                for d in unknown {
                    println!(
                        "{:<20} {:<10} {:<26} {:<26} {}",
                        d.id,
                        d.frames,
                        rfc3339_ms(d.first_seen_ms),
                        rfc3339_ms(d.last_seen_ms),
                        d.last_via
                    );
                }
                if let Some(last) = next {
                    println!("more: --after {last}");
                }
                if forgotten.ids > 0 {
                    println!(
                        "{} more unknown devices ({} frames) were let go to keep the \
                         {UNKNOWN_DEVICES_KEPT} heard most recently",
                        forgotten.ids, forgotten.frames
                    );
                }
            }
        }
    }
    Ok(())
}

/// Register a simulated fleet; devices already registered are left as they are.
pub async fn register_fleet(store: &Telemetry, fleet: &[SimDevice]) -> anyhow::Result<u64> {
    let devices: Vec<_> = fleet.iter().map(|d| (d.id, d.kind, d.key)).collect();
    Ok(store
        .register_devices(&devices, store.store().now().0)
        .await?)
}
