//! Scripted devices: a plain TOML file saying what each device reports and when, for the demo
//! and for end-to-end tests that need one particular breach (a curfew left, a zone entered)
//! rather than a random fleet's.
//!
//! ```toml
//! start = "2026-11-16T19:50:00Z"      # the instant offsets count from (or --script-start)
//! [[devices]]
//! id = 1001
//! kind = "gps-tag"
//! reports = [
//!   { at = "0m", until = "40m", every = "1m", fix = { lat = 56.9496, lon = 24.1052, accuracy_m = 8 } },
//!   { at = "70m", event = "strap_opened" },
//! ]
//! ```
//! A device may say `first_seq = 500` to go on after frames it sent before (the engine takes a
//! seq it has stored as a duplicate). A report is one of `fix`, `presence` (`{ tag = 1001, in_range = true }`), `heartbeat`
//! (`{ battery_percent = 80 }`) or `event` (a code name); with `until` and `every` it repeats.
//! Offsets are written like `90s`, `15m`, `2h`, `1h30m`, `2s250ms`. Times in the past are sent at once, as
//! a tag sends what it buffered; times ahead are sent when they come.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use firmware_proto::DeviceKind;
use firmware_proto::{
    Coord, Event, EventCode, Heartbeat, HeartbeatStatus, Location, LocationSource, Message,
    Presence,
};
use serde::Deserialize;

use super::fleet::{Member, SimDevice, device_key};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    #[serde(default)]
    pub start: Option<DateTime<Utc>>,
    pub devices: Vec<ScriptedDevice>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptedDevice {
    pub id: u64,
    pub kind: DeviceKind,
    /// The seq of its first frame: a device that has sent before goes on after its last.
    #[serde(default = "first_seq")]
    pub first_seq: u32,
    #[serde(default)]
    pub reports: Vec<Report>,
}

fn first_seq() -> u32 {
    1
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    pub at: String,
    #[serde(default)]
    pub until: Option<String>,
    #[serde(default)]
    pub every: Option<String>,
    #[serde(default)]
    pub fix: Option<Fix>,
    #[serde(default)]
    pub presence: Option<PresenceReport>,
    #[serde(default)]
    pub heartbeat: Option<HeartbeatReport>,
    #[serde(default)]
    pub event: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fix {
    pub lat: f64,
    pub lon: f64,
    #[serde(default = "default_accuracy")]
    pub accuracy_m: u16,
}

fn default_accuracy() -> u16 {
    10
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PresenceReport {
    pub tag: u64,
    pub in_range: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeartbeatReport {
    pub battery_percent: u8,
}

/// The most reports one line of a script may expand to: a typo in `every` must not eat memory.
const MAX_REPEATS: u64 = 100_000;

/// `90s`, `15m`, `2h`, `1h30m`, `2s250ms` in milliseconds.
pub fn offset_ms(text: &str) -> anyhow::Result<u64> {
    let mut total: u64 = 0;
    let mut number = String::new();
    let mut any = false;
    let mut chars = text.trim().chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit: u64 = match c {
            's' => 1_000,
            'm' if chars.next_if_eq(&'s').is_some() => 1,
            'm' => 60_000,
            'h' => 3_600_000,
            'd' => 86_400_000,
            _ => bail!("{text:?}: write an offset as 90s, 15m, 2h or 1h30m"),
        };
        let n: u64 = number
            .parse()
            .with_context(|| format!("{text:?}: a number must come before {c:?}"))?;
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .with_context(|| format!("{text:?} is too long"))?;
        number.clear();
        any = true;
    }
    if !number.is_empty() || !any {
        bail!("{text:?}: write an offset as 90s, 15m, 2h or 1h30m");
    }
    Ok(total)
}

fn event_code(name: &str) -> anyhow::Result<EventCode> {
    let code = match name {
        "strap_opened" => EventCode::StrapOpened,
        "strap_closed" => EventCode::StrapClosed,
        "case_opened" => EventCode::CaseOpened,
        "case_closed" => EventCode::CaseClosed,
        "skin_contact_lost" => EventCode::SkinContactLost,
        "skin_contact_restored" => EventCode::SkinContactRestored,
        "jamming_suspected" => EventCode::JammingSuspected,
        "shielding_suspected" => EventCode::ShieldingSuspected,
        "mains_power_lost" => EventCode::MainsPowerLost,
        "mains_power_restored" => EventCode::MainsPowerRestored,
        other => bail!("unknown event {other:?}"),
    };
    Ok(code)
}

impl Report {
    fn message(&self) -> anyhow::Result<Message> {
        let given = [
            self.fix.is_some(),
            self.presence.is_some(),
            self.heartbeat.is_some(),
            self.event.is_some(),
        ];
        if given.iter().filter(|g| **g).count() != 1 {
            bail!("a report is exactly one of fix, presence, heartbeat or event");
        }
        if let Some(fix) = &self.fix {
            if !(-90.0..=90.0).contains(&fix.lat) || !(-180.0..=180.0).contains(&fix.lon) {
                bail!("a fix at {}, {} is not on the Earth", fix.lat, fix.lon);
            }
            return Ok(Message::Location(Location {
                lat: Coord::from_degrees(fix.lat),
                lon: Coord::from_degrees(fix.lon),
                accuracy_m: Some(fix.accuracy_m),
                source: LocationSource::Gnss,
                satellites: 9,
                speed_cm_s: 0,
                heading_deg: None,
            }));
        }
        if let Some(p) = &self.presence {
            return Ok(Message::Presence(Presence {
                tag_id: p.tag,
                in_range: p.in_range,
                rssi_dbm: if p.in_range { -50 } else { -100 },
            }));
        }
        if let Some(h) = &self.heartbeat {
            if h.battery_percent > 100 {
                bail!("battery_percent is at most 100");
            }
            return Ok(Message::Heartbeat(Heartbeat {
                battery_percent: h.battery_percent,
                battery_mv: 3_300 + u16::from(h.battery_percent) * 9,
                status: HeartbeatStatus(
                    HeartbeatStatus::STRAP_CLOSED
                        | HeartbeatStatus::CASE_CLOSED
                        | HeartbeatStatus::SKIN_CONTACT
                        | HeartbeatStatus::GNSS_FIX,
                ),
                rssi_dbm: -70,
                temperature_c: 31,
            }));
        }
        let name = self.event.as_deref().unwrap_or_default();
        Ok(Message::Event(Event {
            code: event_code(name)?,
            value: 0,
        }))
    }

    /// Every (device time, message) the report stands for.
    fn expand(&self, start_ms: u64) -> anyhow::Result<Vec<(u64, Message)>> {
        let message = self.message()?;
        let at = start_ms.saturating_add(offset_ms(&self.at)?);
        let (until, every) = match (&self.until, &self.every) {
            (None, None) => return Ok(vec![(at, message)]),
            (Some(until), Some(every)) => (
                start_ms.saturating_add(offset_ms(until)?),
                offset_ms(every)?,
            ),
            _ => bail!("until and every come together"),
        };
        if every == 0 || until < at {
            bail!("every must be more than 0s and until not before at");
        }
        if (until - at) / every >= MAX_REPEATS {
            bail!("a report repeats at most {MAX_REPEATS} times");
        }
        Ok((0..=(until - at) / every)
            .map(|i| (at + i * every, message))
            .collect())
    }
}

impl Script {
    pub fn load(path: &Path) -> anyhow::Result<Script> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read script {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("invalid script {}", path.display()))
    }

    /// The scripted devices as members of the run, their reports in time order, offsets counted
    /// from `start` (else the script's own, else `now_ms`).
    pub fn members(
        &self,
        start: Option<DateTime<Utc>>,
        now_ms: u64,
        seed: u64,
        keys: bool,
    ) -> anyhow::Result<Vec<Member>> {
        let start_ms = match start.or(self.start) {
            Some(t) => {
                u64::try_from(t.timestamp_millis()).context("the script starts before 1970")?
            }
            None => now_ms,
        };
        let mut seen = std::collections::HashSet::new();
        self.devices
            .iter()
            .map(|d| {
                if d.id == 0 || !seen.insert(d.id) {
                    bail!("device {} is 0 or listed twice", d.id);
                }
                if d.first_seq == 0 {
                    bail!("device {}: seq 0 is never sent (PROTOCOL.md)", d.id);
                }
                let mut reports = Vec::new();
                for (i, r) in d.reports.iter().enumerate() {
                    reports.extend(
                        r.expand(start_ms)
                            .with_context(|| format!("device {}, report {}", d.id, i + 1))?,
                    );
                }
                reports.sort_by_key(|(t, _)| *t);
                Ok(Member {
                    device: SimDevice {
                        id: d.id,
                        kind: d.kind,
                        key: keys.then(|| device_key(seed, d.id)),
                    },
                    paired_tag: None,
                    script: Some(Arc::from(reports)),
                    first_seq: d.first_seq,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets() {
        assert_eq!(offset_ms("90s").unwrap(), 90_000);
        assert_eq!(offset_ms("1h30m").unwrap(), 5_400_000);
        assert_eq!(offset_ms("2d").unwrap(), 172_800_000);
        assert_eq!(offset_ms("250ms").unwrap(), 250);
        assert_eq!(offset_ms("1m2s250ms").unwrap(), 62_250);
        for bad in [
            "",
            "5",
            "m",
            "ms",
            "1x",
            "-5m",
            "5msx",
            "99999999999999999999h",
        ] {
            assert!(offset_ms(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn scripts_expand_in_time_order_and_refuse_nonsense() {
        let script: Script = toml::from_str(
            r#"
            start = "2026-11-16T19:50:00Z"
            [[devices]]
            id = 7
            kind = "gps-tag"
            reports = [
              { at = "10m", event = "strap_opened" },
              { at = "0m", until = "4m", every = "2m", fix = { lat = 56.9, lon = 24.1 } },
            ]
            "#,
        )
        .unwrap();
        let members = script.members(None, 0, 1, true).unwrap();
        let times: Vec<u64> = members[0]
            .script
            .as_ref()
            .unwrap()
            .iter()
            .map(|(t, _)| *t)
            .collect();
        let start = 1_794_858_600_000; // 2026-11-16T19:50:00Z
        assert_eq!(
            times,
            vec![start, start + 120_000, start + 240_000, start + 600_000]
        );
        assert_eq!(members[0].device.key, Some(device_key(1, 7)));

        for bad in [
            r#"{ at = "0m" }"#,
            r#"{ at = "0m", event = "x" }"#,
            r#"{ at = "0m", event = "strap_opened", fix = { lat = 1.0, lon = 1.0 } }"#,
            r#"{ at = "0m", until = "1m", fix = { lat = 1.0, lon = 1.0 } }"#,
            r#"{ at = "0m", until = "1000d", every = "1s", fix = { lat = 1.0, lon = 1.0 } }"#,
            r#"{ at = "0m", fix = { lat = 91.0, lon = 1.0 } }"#,
        ] {
            let text = format!("[[devices]]\nid = 7\nkind = \"gps-tag\"\nreports = [{bad}]\n");
            let script: Script = toml::from_str(&text).unwrap();
            assert!(script.members(None, 0, 1, true).is_err(), "{bad}");
        }
    }
}
