//! `sargs traccar backfill`: fills a period from a Traccar server's REST API, for positions its
//! forwarding missed (Traccar forwards at most a few times and nothing after its restart:
//! docs/ingest.md).
//!
//! It asks Traccar for the device's positions a window at a time (`GET /api/positions`, a
//! Traccar user's credentials), halving a window whose page is more than sargs takes, and posts
//! each position to sargs' own Traccar forwarding endpoint, as Traccar would have: the same
//! token, the same checks, the same commit before the answer. A position sargs has already is
//! answered as taken and stored once, so a period can be filled again safely.

use std::time::Duration;

use anyhow::{Context, bail};
use foreign_proto::traccar::{self, TraccarError};

use crate::decode::rfc3339_ms;
use crate::export::parse_time;

/// The longest window asked for at once; one whose page is too large is halved.
const WINDOW_MS: i64 = 6 * 3_600_000;
/// The shortest: a device sending more than a page a minute is not a tracker.
const MIN_WINDOW_MS: i64 = 60_000;

#[derive(clap::Args, Debug)]
pub struct BackfillArgs {
    /// Traccar's web address (http://traccar.example:8082)
    #[arg(long, value_name = "URL")]
    traccar_url: String,
    /// A Traccar user who may read the device
    #[arg(long, env = "SARGS_TRACCAR_USER")]
    traccar_user: String,
    /// That user's password
    #[arg(long, env = "SARGS_TRACCAR_PASSWORD", hide_env_values = true)]
    traccar_password: String,
    /// The device's uniqueId in Traccar (as registered in sargs with --traccar-id)
    #[arg(long)]
    unique_id: String,
    /// From this time (RFC 3339 or ms since the epoch), inclusive
    #[arg(long)]
    from: String,
    /// Until this time, exclusive
    #[arg(long)]
    to: String,
    /// Where sargs takes Traccar's forwarding (its --traccar-listen, as http://HOST:PORT)
    #[arg(long, value_name = "URL")]
    sargs_url: String,
    /// The token sargs was given for Traccar (its --traccar-token)
    #[arg(long, env = "SARGS_TRACCAR_TOKEN", hide_env_values = true)]
    traccar_token: String,
}

/// What a backfill did.
#[derive(Debug, Default, serde::Serialize)]
pub struct Filled {
    /// Positions Traccar gave for the period.
    pub positions: u64,
    /// Positions sargs took (new, or stored already).
    pub taken: u64,
    /// Positions Traccar gave that sargs cannot take, with why.
    pub refused: Vec<String>,
}

pub async fn backfill(args: &BackfillArgs) -> anyhow::Result<Filled> {
    let (from, to) = (parse_time(&args.from)?, parse_time(&args.to)?);
    if to <= from {
        bail!("--to must be after --from");
    }
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()?;
    let device_id = traccar_device(&http, args).await?;
    let mut filled = Filled::default();
    let mut start = from;
    let mut window = WINDOW_MS;
    while start < to {
        let end = (start + window).min(to);
        let body = http
            .get(format!(
                "{}/api/positions?{}",
                args.traccar_url.trim_end_matches('/'),
                traccar::page_query(device_id, start, end)?
            ))
            .basic_auth(&args.traccar_user, Some(&args.traccar_password))
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .context("asking Traccar for positions")?
            .error_for_status()
            .context("Traccar refused the positions' request")?
            .bytes()
            .await?;
        let page = match traccar::decode_page(&body, &args.unique_id, device_id) {
            Err(TraccarError::TooLarge(_)) if window > MIN_WINDOW_MS => {
                window /= 2;
                continue;
            }
            page => page.with_context(|| {
                format!(
                    "Traccar's positions from {} to {}",
                    rfc3339_ms(start),
                    rfc3339_ms(end)
                )
            })?,
        };
        for (index, error) in page.refused {
            filled
                .refused
                .push(format!("{}: position {index}: {error}", rfc3339_ms(start)));
        }
        for position in page.positions {
            filled.positions += 1;
            let body = format!(
                "{{\"position\":{},\"device\":{{\"id\":{device_id},\"uniqueId\":{}}}}}",
                String::from_utf8_lossy(&position.report.record),
                serde_json::to_string(&args.unique_id)?
            );
            let answer = http
                .post(format!(
                    "{}/positions",
                    args.sargs_url.trim_end_matches('/')
                ))
                .bearer_auth(&args.traccar_token)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body)
                .send()
                .await
                .context("posting a position to sargs")?;
            let status = answer.status();
            if status.is_success() {
                filled.taken += 1;
            } else {
                let said = answer.text().await.unwrap_or_default();
                bail!("sargs refused a position ({status}): {}", said.trim());
            }
        }
        start = end;
        window = WINDOW_MS;
    }
    Ok(filled)
}

/// Traccar's own id of the device with this uniqueId.
async fn traccar_device(http: &reqwest::Client, args: &BackfillArgs) -> anyhow::Result<i64> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Device {
        id: i64,
        unique_id: String,
    }
    let devices: Vec<Device> = http
        .get(format!(
            "{}/api/devices",
            args.traccar_url.trim_end_matches('/')
        ))
        .query(&[("uniqueId", &args.unique_id)])
        .basic_auth(&args.traccar_user, Some(&args.traccar_password))
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .context("asking Traccar for the device")?
        .error_for_status()
        .context("Traccar refused the device's request")?
        .json()
        .await
        .context("Traccar's device list")?;
    match devices.iter().find(|d| d.unique_id == args.unique_id) {
        Some(device) => Ok(device.id),
        None => bail!(
            "Traccar has no device {:?} this user may read",
            args.unique_id
        ),
    }
}
