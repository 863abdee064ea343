//! A technician's tools beyond the inventory: a device's health over a period (for plots),
//! commands to a device (new reporting intervals, the time), and the firmware across the fleet.
//! None of it says where a wearer is: the history is read from heartbeats alone.

use std::time::Duration;

use axum::extract::State;
use axum::response::{IntoResponse, Json};
use cases::FieldError;
use ingest::health_history::{HistoryError, MAX_SLICES};
use ingest::store::{HealthHistoryError, HistoryRequest};
use rules::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{Body, PathParam, Query};
use crate::gate::Answer;
use crate::{ApiError, ApiState};

/// The longest period a health history covers: a quarter of a year of heartbeats.
const LONGEST_PERIOD_MS: i64 = 92 * 24 * 3_600_000;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthQuery {
    /// From this instant, inclusive (device time).
    from: Timestamp,
    /// Until this instant, exclusive; at most 92 days after `from`.
    to: Timestamp,
    /// Into how many equal slices to cut the period (1 to 1 000; default 200).
    #[serde(default = "default_slices")]
    #[schemars(range(min = 1, max = 1000))]
    slices: u32,
    /// A span without a heartbeat longer than this many seconds is a silence (default 900).
    #[serde(default = "default_silence")]
    #[schemars(range(min = 1))]
    silence_s: u32,
}

fn default_slices() -> u32 {
    200
}

fn default_silence() -> u32 {
    900
}

/// A slice of the period and the device's health in it.
#[derive(Serialize, JsonSchema)]
pub struct HealthSlice {
    /// Its start; it ends where the next begins.
    start: Timestamp,
    heartbeats: u32,
    /// The lowest battery charge reported, in percent.
    battery_percent_min: Option<u8>,
    /// The lowest battery voltage reported, in millivolts.
    battery_mv_min: Option<u16>,
    /// The mean signal strength reported, in dBm.
    rssi_dbm_mean: Option<f64>,
    /// The weakest signal reported, in dBm.
    rssi_dbm_min: Option<i8>,
    /// The highest temperature reported, in °C.
    temperature_c_max: Option<i8>,
    /// The device's clock minus sargs's, in milliseconds, from the live heartbeat that waited
    /// least on its way.
    clock_offset_ms: Option<i64>,
    /// Frames found lost (a hole in its sequence given up on) in it.
    lost_frames: u64,
}

/// A span with no heartbeat for longer than asked.
#[derive(Serialize, JsonSchema)]
pub struct Silence {
    from: Timestamp,
    to: Timestamp,
}

/// A device's health over a period, from its heartbeats.
#[derive(Serialize, JsonSchema)]
pub struct HealthHistory {
    device_id: u64,
    from: Timestamp,
    to: Timestamp,
    /// Each slice's length in milliseconds (the last may be shorter).
    slice_ms: i64,
    slices: Vec<HealthSlice>,
    silences: Vec<Silence>,
}

/// The device's health over a period, in slices, for plots.
pub async fn health(
    State(state): State<ApiState>,
    PathParam(id): PathParam<u64>,
    Query(q): Query<HealthQuery>,
) -> Answer {
    check_period(q.from, q.to)?;
    state.cases.inventory_device(id).await?;
    let asked = HistoryRequest {
        from_ms: q.from.0,
        to_ms: q.to.0,
        slices: q.slices,
        silence_ms: i64::from(q.silence_s).saturating_mul(1000),
        now_ms: state.store.now().0,
    };
    let history = state
        .telemetry
        .health_history(id, asked)
        .await
        .map_err(|e| match e {
            HealthHistoryError::Store(e) => e.into(),
            HealthHistoryError::Request(HistoryError::Slices) => {
                ApiError::invalid("slices", format!("must be 1 to {MAX_SLICES}"))
            }
            HealthHistoryError::Request(HistoryError::Silence) => {
                ApiError::invalid("silence_s", "must be at least 1")
            }
            HealthHistoryError::Request(HistoryError::EmptyPeriod) => {
                coded("to", "until_before_from", "must be after from")
            }
        })?;
    Ok(Json(HealthHistory {
        device_id: id,
        from: Timestamp(history.from_ms),
        to: Timestamp(history.to_ms),
        slice_ms: history.slice_ms,
        slices: history
            .slices
            .into_iter()
            .map(|s| HealthSlice {
                start: Timestamp(s.start_ms),
                heartbeats: s.heartbeats,
                battery_percent_min: s.battery_percent_min,
                battery_mv_min: s.battery_mv_min,
                rssi_dbm_mean: s.rssi_dbm_mean,
                rssi_dbm_min: s.rssi_dbm_min,
                temperature_c_max: s.temperature_c_max,
                clock_offset_ms: s.clock_offset_ms,
                lost_frames: s.lost_frames,
            })
            .collect(),
        silences: history
            .silences
            .into_iter()
            .map(|s| Silence {
                from: Timestamp(s.from_ms),
                to: Timestamp(s.to_ms),
            })
            .collect(),
    })
    .into_response())
}

/// A period asked of a plot: it ends after it starts, and spans at most [`LONGEST_PERIOD_MS`].
pub(crate) fn check_period(from: Timestamp, to: Timestamp) -> Result<(), ApiError> {
    if to <= from {
        return Err(coded("to", "until_before_from", "must be after from"));
    }
    if to.0.saturating_sub(from.0) > LONGEST_PERIOD_MS {
        return Err(coded(
            "to",
            "period_too_long",
            "the period is at most 92 days",
        ));
    }
    Ok(())
}

fn coded(field: &str, code: &'static str, reason: &str) -> ApiError {
    ApiError::Invalid(vec![FieldError::coded(field, code, reason)])
}

/// A command to a device.
#[derive(Deserialize, JsonSchema)]
#[serde(tag = "command", rename_all = "snake_case", deny_unknown_fields)]
pub enum DeviceCommand {
    /// New reporting intervals (CONFIG), each 10 to 65 535 seconds.
    Config {
        /// Seconds between heartbeats.
        heartbeat_interval_s: u16,
        /// Seconds between positions while the wearer moves.
        location_interval_moving_s: u16,
        /// Seconds between positions while the wearer is still.
        location_interval_still_s: u16,
    },
    /// Set the device's clock to sargs's (TIME). (Braces, so that a field sent with it is
    /// refused rather than ignored.)
    Time {},
}

/// The shortest reporting interval a command may set: more often drains a tag's battery in
/// days, and floods the centre.
const SHORTEST_INTERVAL_S: u16 = 10;

/// What was sent.
#[derive(Serialize, JsonSchema)]
pub struct CommandSent {
    device_id: u64,
    /// `config` or `time`.
    command: &'static str,
    /// The downlink sequence number the frame carries.
    seq: u32,
    /// How it left: `mqtt`, or a serial line's name.
    via: String,
    /// For CONFIG: the configuration revision sent, which the device reports in its next HELLO.
    config_revision: Option<u32>,
}

/// Sends CONFIG or TIME to a device over the transport it was last heard on.
pub async fn command(
    State(state): State<ApiState>,
    PathParam(id): PathParam<u64>,
    Body(body): Body<DeviceCommand>,
) -> Answer {
    let (command, name, revision) = match body {
        DeviceCommand::Config {
            heartbeat_interval_s,
            location_interval_moving_s,
            location_interval_still_s,
        } => {
            let mut errors = Vec::new();
            for (field, value) in [
                ("heartbeat_interval_s", heartbeat_interval_s),
                ("location_interval_moving_s", location_interval_moving_s),
                ("location_interval_still_s", location_interval_still_s),
            ] {
                if value < SHORTEST_INTERVAL_S {
                    errors.push(FieldError::coded(
                        field,
                        "interval_too_short",
                        format!("must be at least {SHORTEST_INTERVAL_S} seconds"),
                    ));
                }
            }
            if !errors.is_empty() {
                return Err(ApiError::Invalid(errors));
            }
            // A revision the device has not had: the time in seconds, which only grows (until
            // 2106, when a u32 of seconds runs out).
            let revision = u32::try_from(state.store.now().0 / 1000).unwrap_or(u32::MAX);
            let config = firmware_proto::Config {
                heartbeat_interval_s,
                location_interval_moving_s,
                location_interval_still_s,
                config_revision: revision,
            };
            (
                ingest::DownlinkCommand::Config(config),
                "config",
                Some(revision),
            )
        }
        DeviceCommand::Time {} => (ingest::DownlinkCommand::SetTime, "time", None),
    };
    state.cases.inventory_device(id).await?;
    let downlink = state.downlink.as_ref().ok_or_else(|| {
        tracing::error!("no downlink to devices");
        ApiError::Internal
    })?;
    let sent = tokio::time::timeout(Duration::from_secs(10), downlink.send(id, command))
        .await
        .map_err(|_| {
            ApiError::Conflict(vec![FieldError::coded(
                "device",
                "device_unreachable",
                "the command could not be queued in time",
            )])
        })?
        .map_err(|e| match e {
            ingest::DownlinkError::Store(store) => store.into(),
            e => {
                let code = match &e {
                    ingest::DownlinkError::UnknownDevice(_) => "device_not_registered",
                    ingest::DownlinkError::NoRoute(_) => "device_never_heard",
                    ingest::DownlinkError::OtherProtocol { .. } => "device_takes_no_commands",
                    _ => "device_unreachable",
                };
                ApiError::Conflict(vec![FieldError::coded("device", code, e.to_string())])
            }
        })?;
    tracing::info!(device_id = id, command = name, seq = sent.seq, via = %sent.via, "command sent by a technician");
    Ok(Json(CommandSent {
        device_id: id,
        command: name,
        seq: sent.seq,
        via: sent.via,
        config_revision: revision,
    })
    .into_response())
}

/// Every firmware version in the inventory, the most widespread first.
pub async fn firmware(State(state): State<ApiState>) -> Answer {
    let found = state.cases.firmware_across_fleet().await?;
    Ok(Json(found).into_response())
}
