//! `sargs decode HEX`: one frame as JSON, for technicians and firmware developers.
//!
//! The same checks the engine applies; a frame the engine would refuse exits non-zero with the
//! reason. With `--key` the MAC is verified too.

use anyhow::{Context, bail};
use chrono::{DateTime, SecondsFormat, Utc};
use firmware_proto::{DeviceKey, Flags, Frame};
use serde_json::{Value, json};

/// Bytes from hex as people paste it: spaces, newlines and a leading 0x are ignored.
pub fn parse_hex(text: &str) -> anyhow::Result<Vec<u8>> {
    let cleaned: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let cleaned = cleaned
        .strip_prefix("0x")
        .or_else(|| cleaned.strip_prefix("0X"))
        .unwrap_or(&cleaned);
    if cleaned.is_empty() {
        bail!("no bytes given");
    }
    hex::decode(cleaned).context("not a hexadecimal byte string")
}

pub fn parse_key(text: &str) -> anyhow::Result<DeviceKey> {
    let bytes = parse_hex(text).context("invalid device key")?;
    DeviceKey::try_from(bytes.as_slice()).map_err(|_| {
        anyhow::anyhow!(
            "a device key is 32 bytes (64 hex digits), not {}",
            bytes.len()
        )
    })
}

/// RFC 3339 UTC with milliseconds, or the raw number if it is outside chrono's range.
pub fn rfc3339_ms(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms).map_or_else(
        || ms.to_string(),
        |t| t.to_rfc3339_opts(SecondsFormat::Millis, true),
    )
}

pub fn frame_json(frame: &Frame, raw: &[u8], mac_verified: Option<bool>) -> Value {
    let header = &frame.header;
    let time_ms = i64::try_from(header.time_ms).unwrap_or(i64::MAX);
    let fields: Value =
        serde_json::from_str(&ingest::fields_json(&frame.message)).unwrap_or(Value::Null);
    let crc = raw
        .len()
        .checked_sub(2)
        .and_then(|at| raw.get(at..))
        .map(|b| format!("0x{}", hex::encode(b)));
    json!({
        "version": firmware_proto::PROTOCOL_VERSION,
        "type": header.frame_type.name(),
        "type_code": header.frame_type as u8,
        "flags": {
            "ack_requested": header.flags.contains(Flags::ACK_REQUESTED),
            "stored": header.flags.contains(Flags::STORED),
            "mac": header.flags.contains(Flags::MAC),
        },
        "device_id": header.device_id,
        "seq": header.seq,
        "time": rfc3339_ms(time_ms),
        "time_ms": header.time_ms,
        "payload": fields,
        "mac": frame.mac.map(hex::encode),
        "mac_verified": mac_verified,
        "crc": crc,
        "length": raw.len(),
    })
}

/// Decode (and with a key, authenticate) a frame; the error names the reason.
pub fn decode(hex_text: &str, key: Option<&str>) -> anyhow::Result<Value> {
    let raw = parse_hex(hex_text)?;
    let frame = firmware_proto::decode(&raw)
        .map_err(|e| anyhow::anyhow!("invalid frame ({}): {e}", e.label()))?;
    let mac_verified = match key {
        None => None,
        Some(key) => {
            let key = parse_key(key)?;
            firmware_proto::verify_mac(&raw, &key)
                .map_err(|e| anyhow::anyhow!("frame not authentic ({}): {e}", e.label()))?;
            Some(true)
        }
    };
    Ok(frame_json(&frame, &raw, mac_verified))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEARTBEAT: &str =
        "0101000000000000000003e9000000010000019b76daa8000007570f6e0037b91f4524";
    const LOCATION: &str = "0102050000000000000003e9000000020000019b76dae298001021f1d1c00e5e2960000c0109008c010e272f141fceda4bd31390";
    const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn the_heartbeat_vector_as_json() {
        let v = decode(HEARTBEAT, None).unwrap();
        assert_eq!(v["type"], "heartbeat");
        assert_eq!(v["device_id"], 1001);
        assert_eq!(v["seq"], 1);
        assert_eq!(v["time"], "2026-01-01T00:00:00.000Z");
        assert_eq!(v["time_ms"], 1767225600000u64);
        assert_eq!(v["payload"]["battery_percent"], 87);
        assert_eq!(v["payload"]["battery_mv"], 3950);
        assert_eq!(v["payload"]["rssi_dbm"], -71);
        assert_eq!(v["mac"], Value::Null);
    }

    #[test]
    fn the_location_vector_verifies_with_its_key() {
        let v = decode(LOCATION, Some(KEY)).unwrap();
        assert_eq!(v["type"], "location");
        assert_eq!(v["flags"]["ack_requested"], true);
        assert_eq!(v["mac_verified"], true);
        assert_eq!(v["payload"]["lat"], 56.9496);
        assert_eq!(v["payload"]["lon"], 24.1052);
        let wrong = KEY.replace("1f", "20");
        let error = decode(LOCATION, Some(&wrong)).unwrap_err().to_string();
        assert!(error.contains("mac_mismatch"), "{error}");
    }

    #[test]
    fn bad_input_names_the_reason() {
        for (input, expect) in [
            ("", "no bytes"),
            ("zz", "not a hexadecimal"),
            ("abc", "not a hexadecimal"),
            ("0101", "too_short"),
            (&HEARTBEAT.replace("4524", "4525"), "crc"),
        ] {
            let error = format!("{:#}", decode(input, None).unwrap_err());
            assert!(error.contains(expect), "{input}: {error}");
        }
        let error = format!("{:#}", decode(HEARTBEAT, Some("0011")).unwrap_err());
        assert!(error.contains("32 bytes"), "{error}");
        assert_eq!(
            decode(&format!("0x{}\n", HEARTBEAT.to_uppercase()), None).unwrap()["seq"],
            1
        );
    }
}
