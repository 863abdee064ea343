//! `sargs devices`: register devices and see which ones the engine knows and which it does not.

use anyhow::bail;
use cases::{Actor, NewInventoryDevice};
use clap::Subcommand;
use firmware_proto::DeviceKind;
use ingest::adapter::{Adapter, new_device_token, token_hash};
use ingest::store::{Telemetry, UNKNOWN_DEVICES_KEPT, register_in, set_identity_in};

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
        #[command(flatten)]
        identity: IdentityArgs,
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
            identity,
        } => {
            if id == 0 {
                bail!("device id 0 is invalid (PROTOCOL.md: never 0)");
            }
            if identity.any() && key.is_some() {
                bail!("a device of another protocol has no key of ours: leave --key out");
            }
            let (identity, token) = identity.resolve()?;
            let hash = token.as_deref().map(token_hash);
            if let Some(identity) = &identity
                && let Some(other) = store.device_by_identity(identity).await?
            {
                bail!("{identity} is already device {}", other.device_id);
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
                    register_in(conn, &registration, store.store().now().0).await?;
                    if let Some(identity) = &identity {
                        set_identity_in(conn, id, identity, hash.as_deref()).await?;
                    }
                    Ok(())
                })
                .await?;
            println!(
                "registered device {id} ({kind}, {}); in the inventory as serial {:?}",
                match (&identity, key) {
                    (Some(identity), _) => identity.as_str(),
                    (None, Some(_)) => "with key",
                    (None, None) => "no key",
                },
                new.serial
            );
            if let Some(token) = token {
                println!(
                    "its token, shown only now: {token}\n\
                     server URL on the device: http://HOST:PORT/?token={token} \
                     (HOST:PORT where sargs takes OsmAnd positions, --osmand-listen)"
                );
            }
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
pub async fn register_fleet(
    store: &Telemetry,
    fleet: &[SimDevice],
    args: &sim::SimulateArgs,
) -> anyhow::Result<u64> {
    let foreign = args.foreign().map(|(transport, _)| transport);
    // A tracker or phone has no key of ours: it is known by its identity there.
    let devices: Vec<_> = fleet
        .iter()
        .map(|d| match foreign {
            Some(sim::Foreign::Teltonika) => (d.id, DeviceKind::GpsTracker, None),
            Some(sim::Foreign::OsmAnd) => (d.id, DeviceKind::Phone, None),
            None => (d.id, d.kind, d.key),
        })
        .collect();
    let mut tx = store.store().begin_write().await?;
    let added = register_in(&mut tx, &devices, store.store().now().0).await?;
    for device in fleet {
        match foreign {
            Some(sim::Foreign::Teltonika) => {
                let identity = teltonika_identity(&sim::teltonika_imei(device.id))?;
                set_identity_in(&mut tx, device.id, &identity, None).await?;
            }
            Some(sim::Foreign::OsmAnd) => {
                let identity = Adapter::OsmAnd.identity(&device.id.to_string());
                let hash = token_hash(&sim::osmand_token(args.seed, device.id));
                set_identity_in(&mut tx, device.id, &identity, Some(&hash)).await?;
            }
            None => {}
        }
    }
    tx.commit().await?;
    Ok(added)
}

/// How a device of another protocol is known there: at most one of these.
#[derive(clap::Args, Debug)]
pub struct IdentityArgs {
    /// A Teltonika tracker's IMEI (15 to 17 digits), which it logs in with
    #[arg(long, conflicts_with_all = ["osmand_id", "traccar_id"])]
    imei: Option<String>,
    /// A phone's or tracker's OsmAnd id (the "device identifier" in Traccar Client); it is
    /// given a token (printed once) to put in its server URL (`?token=...`)
    #[arg(long, conflicts_with = "traccar_id")]
    osmand_id: Option<String>,
    /// The uniqueId of a device whose positions a Traccar server forwards
    #[arg(long)]
    traccar_id: Option<String>,
    /// The OsmAnd device's token, when the agency gives it one of its own (32 to 128
    /// printable characters) instead of a new one
    #[arg(long, requires = "osmand_id")]
    token: Option<String>,
}

impl IdentityArgs {
    fn any(&self) -> bool {
        self.imei.is_some() || self.osmand_id.is_some() || self.traccar_id.is_some()
    }

    /// The registry identity, and the new token of a device whose protocol has no secret.
    fn resolve(&self) -> anyhow::Result<(Option<String>, Option<String>)> {
        let invalid = |flag: &str, id: &str| {
            anyhow::anyhow!(
                "--{flag} must be 1 to 64 characters without control characters or blanks \
                 around them, not {id:?}"
            )
        };
        Ok(match (&self.imei, &self.osmand_id, &self.traccar_id) {
            (Some(imei), _, _) => (Some(teltonika_identity(imei)?), None),
            (None, Some(id), _) => {
                let identity = Adapter::OsmAnd
                    .identity_of(id)
                    .ok_or_else(|| invalid("osmand-id", id))?;
                let token = match &self.token {
                    Some(token)
                        if (32..=128).contains(&token.len())
                            && token.bytes().all(|b| b.is_ascii_graphic()) =>
                    {
                        token.clone()
                    }
                    Some(_) => bail!("--token must be 32 to 128 printable characters"),
                    None => new_device_token()?,
                };
                (Some(identity), Some(token))
            }
            (None, None, Some(id)) => {
                let identity = Adapter::Traccar
                    .identity_of(id)
                    .ok_or_else(|| invalid("traccar-id", id))?;
                (Some(identity), None)
            }
            (None, None, None) => (None, None),
        })
    }
}

/// The registry identity of a Teltonika tracker, from an IMEI as a technician types it.
fn teltonika_identity(imei: &str) -> anyhow::Result<String> {
    match Adapter::Teltonika.identity_of(imei) {
        Some(identity) => Ok(identity),
        None => bail!("--imei must be the tracker's IMEI, 15 to 17 digits, not {imei:?}"),
    }
}
