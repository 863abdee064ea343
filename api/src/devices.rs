//! The device inventory, fitting and removal, a device's live health and its observations.

use axum::Extension;
use axum::extract::State;
use axum::response::{IntoResponse, Json};
use cases::{DeviceStatus, FieldError, InventoryChange, NewInventoryDevice, Role};
use firmware_proto::{FrameType, HeartbeatStatus};
use ingest::adapter::Adapter;
use ingest::store::{register_in, set_identity_in};
use rules::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::access;
use crate::error::{Body, PathParam, Query};
use crate::gate::{Answer, Caller};
use crate::people::{check_limit, created, default_limit};
use crate::{ApiError, ApiState};

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceQuery {
    /// The last device id of the previous page (0 for the first).
    #[serde(default)]
    after: u64,
    /// At most this many (1 to 500).
    #[serde(default = "default_limit")]
    #[schemars(range(min = 1, max = 500))]
    limit: i64,
    /// Only devices in this state.
    status: Option<DeviceStatus>,
    /// Only devices of this kind.
    kind: Option<firmware_proto::DeviceKind>,
    /// Only devices whose serial, model or firmware holds this text (any case), or whose id it is.
    q: Option<String>,
}

pub async fn list_devices(State(state): State<ApiState>, Query(q): Query<DeviceQuery>) -> Answer {
    check_limit(q.limit)?;
    let devices = state
        .cases
        .inventory(
            &cases::InventoryFilter {
                status: q.status,
                kind: q.kind,
                q: q.q,
            },
            q.after,
            q.limit,
        )
        .await?;
    Ok(Json(devices).into_response())
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UnknownQuery {
    /// The last device id of the previous page; none for the first.
    after: Option<u64>,
    /// At most this many (1 to 500).
    #[serde(default = "default_limit")]
    #[schemars(range(min = 1, max = 500))]
    limit: i64,
}

/// A device heard without being registered.
#[derive(Serialize, JsonSchema)]
pub struct UnknownDevice {
    device_id: u64,
    first_seen: Timestamp,
    last_seen: Timestamp,
    /// Frames heard from it (none stored).
    frames: i64,
    /// The transport it was last heard over (`mqtt`, `serial:/dev/ttyUSB0`).
    last_via: String,
}

/// A page of unknown devices, and how many were let go to keep the list bounded.
#[derive(Serialize, JsonSchema)]
pub struct UnknownDevices {
    devices: Vec<UnknownDevice>,
    /// The most recently heard this many are kept.
    kept_at_most: i64,
    /// How many devices were let go, and their frames.
    forgotten: ingest::store::ForgottenUnknown,
}

/// Devices that sent frames without being registered (not stored, not acknowledged): a tag not
/// yet added to the inventory, or a stranger on the broker. Only the most recently heard are
/// kept (`UNKNOWN_DEVICES_KEPT`), in device id order a page at a time, with how many were let
/// go and their frames.
pub async fn unknown_devices(
    State(state): State<ApiState>,
    Query(q): Query<UnknownQuery>,
) -> Answer {
    check_limit(q.limit)?;
    let devices = state
        .telemetry
        .unknown_devices(q.after, q.limit)
        .await?
        .into_iter()
        .map(|d| UnknownDevice {
            device_id: d.id,
            first_seen: Timestamp(d.first_seen_ms),
            last_seen: Timestamp(d.last_seen_ms),
            frames: d.frames,
            last_via: d.last_via,
        })
        .collect();
    let forgotten = state.telemetry.unknown_devices_forgotten().await?;
    Ok(Json(UnknownDevices {
        devices,
        kept_at_most: ingest::store::UNKNOWN_DEVICES_KEPT,
        forgotten,
    })
    .into_response())
}

/// A device for the inventory, and the key its frames are MACed with: it is registered with
/// ingest too, so that its frames are stored and acknowledged from now on.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDevice {
    device_id: u64,
    serial: String,
    kind: firmware_proto::DeviceKind,
    model: String,
    /// Absent or null where nobody can read it (a victim's own phone); never empty.
    #[serde(default)]
    firmware: Option<String>,
    /// 64 hex digits; a device with a key must MAC every frame.
    #[serde(default)]
    #[schemars(regex(pattern = "^[0-9a-fA-F]{64}$"))]
    key: Option<String>,
    /// A Teltonika tracker's IMEI (15 to 17 digits), which it logs in with; such a device has
    /// no key of ours.
    #[serde(default)]
    #[schemars(regex(pattern = "^[0-9]{15,17}$"))]
    imei: Option<String>,
}

pub async fn create_device(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Body(new): Body<NewDevice>,
) -> Answer {
    let key = match &new.key {
        None => None,
        Some(text) => {
            let bytes = hex::decode(text)
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok());
            Some(bytes.ok_or_else(|| ApiError::invalid("key", "must be 64 hex digits"))?)
        }
    };
    let identity = match &new.imei {
        None => None,
        Some(imei) => {
            if key.is_some() {
                return Err(ApiError::Invalid(vec![FieldError::coded(
                    "key",
                    "tracker_has_no_key",
                    "a tracker known by its IMEI has no key of ours",
                )]));
            }
            let identity = Adapter::Teltonika.identity_of(imei).ok_or_else(|| {
                ApiError::Invalid(vec![FieldError::coded(
                    "imei",
                    "imei_format",
                    "must be 15 to 17 digits",
                )])
            })?;
            if state
                .telemetry
                .device_by_identity(&identity)
                .await?
                .is_some()
            {
                return Err(ApiError::Conflict(vec![FieldError::coded(
                    "imei",
                    "imei_taken",
                    "another device is registered with this IMEI",
                )]));
            }
            Some(identity)
        }
    };
    // Into the inventory and registered with the frame path in one transaction. A device
    // registered before (by an older `sargs devices add`) keeps its registration and key.
    let registration = [(new.device_id, new.kind, key)];
    let now = state.store.now().0;
    let device = state
        .cases
        .add_inventory_device(
            &caller.actor,
            &NewInventoryDevice {
                device_id: new.device_id,
                serial: new.serial,
                kind: new.kind,
                model: new.model,
                firmware: new.firmware,
            },
            async |conn| {
                register_in(conn, &registration, now).await?;
                if let Some(identity) = &identity {
                    set_identity_in(conn, new.device_id, identity, None).await?;
                }
                Ok(())
            },
        )
        .await?;
    created(device)
}

/// A device's last heartbeat.
#[derive(Serialize, JsonSchema)]
pub struct LastHeartbeat {
    device_time: Timestamp,
    /// Battery, signal and status bits as the device sent them (docs/PROTOCOL.md).
    fields: Option<Value>,
}

/// What the ingest path last saw of a device.
#[derive(Serialize, JsonSchema)]
pub struct DeviceHealth {
    /// Registered with ingest: its frames are stored and acknowledged.
    registered: bool,
    last_seen: Option<Timestamp>,
    /// The transport it was last heard over.
    last_via: Option<String>,
    /// How far its clock is from sargs's, in milliseconds (device minus sargs).
    clock_offset_ms: Option<i64>,
    clock_skewed: bool,
    last_heartbeat: Option<LastHeartbeat>,
}

/// A device in the inventory and its live health (none until it is registered with ingest).
#[derive(Serialize, JsonSchema)]
pub struct DeviceWithHealth {
    device: cases::InventoryDevice,
    health: Option<DeviceHealth>,
}

/// The inventory record with what the ingest path last saw of the device: when, over what,
/// its clock's offset, and its last heartbeat (battery, signal, status bits; for a technician
/// without the bits about the wearer).
pub async fn get_device(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<u64>,
) -> Answer {
    let device = state.cases.inventory_device(id).await?;
    let seen = state.telemetry.device(id).await?;
    let heartbeat = state
        .telemetry
        .latest_fields(id, FrameType::Heartbeat.to_u8())
        .await?
        .map(|(at, fields)| {
            let fields = serde_json::from_str::<Value>(&fields).unwrap_or(Value::Null);
            let fields = if caller.actor.is(Role::Technician) {
                health_only(Some(FrameType::Heartbeat), fields)
            } else {
                Some(fields)
            };
            LastHeartbeat {
                device_time: Timestamp(at),
                fields,
            }
        });
    let health = seen.map(|s| DeviceHealth {
        registered: true,
        last_seen: s.last_seen_ms.map(Timestamp),
        last_via: s.last_via,
        clock_offset_ms: s.clock_offset_ms,
        clock_skewed: s.clock_skewed,
        last_heartbeat: heartbeat,
    });
    Ok(Json(DeviceWithHealth { device, health }).into_response())
}

pub async fn update_device(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<u64>,
    Body(change): Body<InventoryChange>,
) -> Answer {
    let device = state
        .cases
        .update_inventory_device(&caller.actor, id, &change)
        .await?;
    Ok(Json(device).into_response())
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fitting {
    /// The order it is fitted under.
    order_id: i64,
    /// For a home unit: the client's address it stands at.
    #[serde(default)]
    address: Option<String>,
    /// When it was fitted (default: now).
    #[serde(default)]
    at: Option<Timestamp>,
}

pub async fn fit(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<u64>,
    Body(f): Body<Fitting>,
) -> Answer {
    let fitted = state
        .cases
        .fit_device(
            &caller.actor,
            f.order_id,
            id,
            f.address.as_deref(),
            f.at.unwrap_or_else(|| state.store.now()),
        )
        .await
        .map_err(|e| match e {
            cases::CasesError::NotFound { what: "order", .. } => {
                ApiError::invalid("order_id", "no such order")
            }
            other => other.into(),
        })?;
    created(fitted)
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Removal {
    /// When it was removed (default: now).
    #[serde(default)]
    at: Option<Timestamp>,
    /// What the device is now: in_stock (default), faulty or lost.
    #[serde(default)]
    status: Option<DeviceStatus>,
}

pub async fn remove(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<u64>,
    Body(r): Body<Removal>,
) -> Answer {
    state
        .cases
        .remove_device(
            &caller.actor,
            id,
            r.at.unwrap_or_else(|| state.store.now()),
            r.status.unwrap_or(DeviceStatus::InStock),
        )
        .await?;
    Ok(Json(state.cases.inventory_device(id).await?).into_response())
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeRange {
    /// From this instant, inclusive (device time).
    from: Timestamp,
    /// Until this instant, exclusive.
    to: Timestamp,
    /// At most this many (1 to 5000).
    #[serde(default = "default_observations")]
    #[schemars(range(min = 1, max = 5000))]
    limit: u32,
    /// The page after one whose last row was at device time `from` with this seq: rows at
    /// exactly `from` with this seq or a lower one are left out. Rows are in (device time,
    /// seq) order, so this pages through any number of rows sent at one instant.
    after_seq: Option<u32>,
}

/// One observation as a device sent it.
#[derive(Serialize, JsonSchema)]
pub struct Observation {
    device_id: u64,
    seq: u32,
    /// The frame's type (location, heartbeat, event, ...; unknown for a type this version does not know).
    #[serde(rename = "type")]
    kind: &'static str,
    device_time: Timestamp,
    received_at: Timestamp,
    via: String,
    clock_skewed: bool,
    /// The frame's fields as decoded (docs/PROTOCOL.md).
    fields: Value,
}

fn default_observations() -> u32 {
    1000
}

/// Observations in device time. The centre sees all; an officer or supervisor what the device
/// sent while fitted under an order in their care (`access::device_track`); a technician only
/// its health ([`health_only`]).
pub async fn observations(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<u64>,
    Query(range): Query<TimeRange>,
) -> Answer {
    if range.to <= range.from {
        return Err(ApiError::invalid("to", "must be after from"));
    }
    if !(1..=5000).contains(&range.limit) {
        return Err(ApiError::invalid("limit", "must be 1 to 5000"));
    }
    let technician = caller.actor.is(Role::Technician);
    let track = if technician {
        access::Track::Always
    } else {
        access::device_track(&state, &caller.actor, id).await?
    };
    // Every clipped span starts at or after `from`, so the cursor may go to each.
    let after = range.after_seq.map(|seq| (range.from.0, seq));
    let mut rows = Vec::new();
    for (from, to) in track.clip(range.from.0, range.to.0) {
        let Some(room) = range
            .limit
            .checked_sub(rows.len() as u32)
            .filter(|r| *r > 0)
        else {
            break;
        };
        rows.extend(
            state
                .telemetry
                .observations_page(id, from, to, after, room)
                .await?,
        );
    }
    if !technician {
        let detail = format!("{} to {}", range.from, range.to);
        state
            .cases
            .record_read(&caller.actor, &format!("device/{id}/observations"), &detail)
            .await?;
    }
    let rows: Vec<Observation> = rows
        .into_iter()
        .filter_map(|o| {
            let kind = FrameType::from_u8(o.frame_type);
            let fields = serde_json::from_str(&o.fields).unwrap_or(Value::Null);
            let fields = if technician {
                health_only(kind, fields)?
            } else {
                fields
            };
            Some(Observation {
                device_id: o.device_id,
                seq: o.seq,
                kind: kind.map_or("unknown", FrameType::name),
                device_time: Timestamp(o.device_time_ms),
                received_at: Timestamp(o.received_at_ms),
                via: o.via.to_string(),
                clock_skewed: o.clock_skewed,
                fields,
            })
        })
        .collect();
    Ok(Json(rows).into_response())
}

/// What a technician may see of a frame: the device's health (battery, signal, temperature,
/// firmware, tamper and fault events), never where the wearer is or what they do. LOCATION,
/// PRESENCE (in range of the home unit: at home or not) and ALCOHOL (readings) are left out
/// whole, since even when they came says something; in a HEARTBEAT the bits that the tag hears
/// its home unit and that the wearer is moving are cleared.
fn health_only(kind: Option<FrameType>, mut fields: Value) -> Option<Value> {
    match kind? {
        FrameType::Heartbeat => {
            if let Some(status) = fields.get_mut("status") {
                let bits = status.as_u64().unwrap_or(0);
                *status = json!(bits & !u64::from(WEARER_BITS));
            }
            Some(fields)
        }
        FrameType::Event | FrameType::Hello => Some(fields),
        _ => None,
    }
}

/// HEARTBEAT status bits about the wearer rather than the device.
const WEARER_BITS: u16 = HeartbeatStatus::RF_HOME_PRESENT | HeartbeatStatus::MOTION;
