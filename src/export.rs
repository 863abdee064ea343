//! `sargs export`: the full stored history of a device, in device-time order, as CSV or JSON.
//!
//! Read page by page so that a year of fixes does not have to fit in memory, and written as it
//! is read.

use std::io::Write;

use anyhow::{Context, bail};
use chrono::DateTime;
use ingest::store::{StoredObservation, Telemetry};
use serde_json::json;

use crate::decode::rfc3339_ms;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    Json,
}

/// A time bound as RFC 3339 (`2026-01-01T00:00:00Z`) or milliseconds since the epoch.
pub fn parse_time(text: &str) -> anyhow::Result<i64> {
    if let Ok(ms) = text.parse::<i64>() {
        return Ok(ms);
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp_millis())
        .with_context(|| {
            format!(
                "invalid time {text:?}: expected RFC 3339 (2026-01-01T00:00:00Z) or milliseconds"
            )
        })
}

const CSV_HEADER: &str = "device_id,seq,type,flags,device_time,device_time_ms,received_at,received_at_ms,via,clock_skewed,fields,raw";

/// One CSV field, quoted when it must be.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn type_name(code: u8) -> &'static str {
    firmware_proto::FrameType::from_u8(code).map_or("unknown", |t| t.name())
}

fn csv_row(o: &StoredObservation) -> String {
    [
        o.device_id.to_string(),
        o.seq.to_string(),
        type_name(o.frame_type).to_string(),
        o.flags.to_string(),
        rfc3339_ms(o.device_time_ms),
        o.device_time_ms.to_string(),
        rfc3339_ms(o.received_at_ms),
        o.received_at_ms.to_string(),
        csv_field(&o.via),
        o.clock_skewed.to_string(),
        csv_field(&o.fields),
        hex::encode(&o.raw),
    ]
    .join(",")
}

fn json_row(o: &StoredObservation) -> serde_json::Value {
    json!({
        "device_id": o.device_id,
        "seq": o.seq,
        "type": type_name(o.frame_type),
        "flags": o.flags,
        "device_time": rfc3339_ms(o.device_time_ms),
        "device_time_ms": o.device_time_ms,
        "received_at": rfc3339_ms(o.received_at_ms),
        "received_at_ms": o.received_at_ms,
        "via": o.via,
        "clock_skewed": o.clock_skewed,
        "fields": serde_json::from_str::<serde_json::Value>(&o.fields).unwrap_or(serde_json::Value::Null),
        "raw": hex::encode(&o.raw),
    })
}

pub async fn export(
    store: &Telemetry,
    device_id: u64,
    from_ms: i64,
    to_ms: i64,
    format: Format,
    out: &mut impl Write,
) -> anyhow::Result<u64> {
    if to_ms <= from_ms {
        bail!("--to must be after --from");
    }
    const PAGE: u32 = 5_000;
    let mut after = None;
    let mut rows = 0u64;
    match format {
        Format::Csv => writeln!(out, "{CSV_HEADER}")?,
        Format::Json => write!(out, "[")?,
    }
    loop {
        let page = store
            .observations_page(device_id, from_ms, to_ms, after, PAGE)
            .await?;
        for o in &page {
            match format {
                Format::Csv => writeln!(out, "{}", csv_row(o))?,
                Format::Json => {
                    let sep = if rows == 0 { "\n" } else { ",\n" };
                    write!(out, "{sep}{}", json_row(o))?;
                }
            }
            rows += 1;
        }
        match page.last() {
            Some(last) if page.len() == PAGE as usize => {
                after = Some((last.device_time_ms, last.seq));
            }
            _ => break,
        }
    }
    if format == Format::Json {
        writeln!(out, "\n]")?;
    }
    out.flush()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_both_ways() {
        assert_eq!(parse_time("1767225600000").unwrap(), 1_767_225_600_000);
        assert_eq!(
            parse_time("2026-01-01T00:00:00Z").unwrap(),
            1_767_225_600_000
        );
        assert_eq!(
            parse_time("2026-01-01T02:00:00+02:00").unwrap(),
            1_767_225_600_000
        );
        assert!(parse_time("yesterday").is_err());
        assert!(parse_time("2026-13-01T00:00:00Z").is_err());
    }

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(csv_field("mqtt"), "mqtt");
        assert_eq!(
            csv_field("{\"a\":1,\"b\":2}"),
            "\"{\"\"a\"\":1,\"\"b\"\":2}\""
        );
        assert_eq!(csv_field("serial:/dev/a,b"), "\"serial:/dev/a,b\"");
    }
}
