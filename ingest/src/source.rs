//! What every transport hands to the pipeline: the raw bytes of one frame and how they came.
//!
//! A frame carries its way back with it (`Via`), so the writer can send the device's ACK on the
//! same transport and, for serial, the same line.

use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::mpsc;

/// One frame's bytes as a transport received them; nothing is checked yet.
#[derive(Clone, Debug)]
pub struct Inbound {
    /// The frame's bytes, undecoded.
    pub bytes: Bytes,
    /// How it arrived.
    pub via: Via,
    /// When the engine received it, in ms since the epoch UTC.
    pub received_at_ms: i64,
}

/// How a frame arrived, and so how to answer its device.
#[derive(Clone, Debug)]
pub enum Via {
    /// From the broker; `topic_device` is the id in `em/v1/<id>/up`, or None if the topic was
    /// not of that form.
    Mqtt {
        /// The device id in the topic, or none if the topic was not of that form.
        topic_device: Option<u64>,
    },
    /// From a serial line; acknowledgements go back down the same line.
    Serial(Arc<SerialLine>),
    /// From a device of another protocol, through its adapter, which answers it itself: no
    /// frame of ours goes back this way.
    Adapter(crate::adapter::Adapter),
}

/// A serial line the engine reads: its name for logs and storage, and its downlink queue.
#[derive(Debug)]
pub struct SerialLine {
    /// The line's name as logs and stored observations show it: `serial:<path>`.
    pub label: Arc<str>,
    /// Frames queued to be written to devices on this line.
    pub downlink: mpsc::Sender<Bytes>,
}

/// The `via` label stored with an MQTT observation.
pub const MQTT_LABEL: &str = "mqtt";

static MQTT_VIA: std::sync::LazyLock<Arc<str>> = std::sync::LazyLock::new(|| Arc::from(MQTT_LABEL));

impl Via {
    /// The name stored with the frame's observation: `mqtt` or the serial line's.
    pub fn label(&self) -> Arc<str> {
        match self {
            Via::Mqtt { .. } => MQTT_VIA.clone(),
            Via::Serial(line) => line.label.clone(),
            Via::Adapter(adapter) => adapter.via(),
        }
    }
}

/// The MQTT uplink topic of a device (PROTOCOL.md, "Transports").
pub fn uplink_topic(device_id: u64) -> String {
    format!("em/v1/{device_id}/up")
}

/// The MQTT downlink topic of a device.
pub fn downlink_topic(device_id: u64) -> String {
    format!("em/v1/{device_id}/down")
}

/// The device id of an uplink topic, or None if the topic is not exactly `em/v1/<id>/up`
/// with a canonical decimal id (no sign, no leading zeros).
pub fn parse_uplink_topic(topic: &str) -> Option<u64> {
    let id = topic.strip_prefix("em/v1/")?.strip_suffix("/up")?;
    if id.is_empty() || id.starts_with('0') || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    id.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uplink_topics_parse_strictly() {
        assert_eq!(parse_uplink_topic("em/v1/1001/up"), Some(1001));
        assert_eq!(parse_uplink_topic(&uplink_topic(u64::MAX)), Some(u64::MAX));
        for bad in [
            "em/v1//up",
            "em/v1/0/up",
            "em/v1/01001/up",
            "em/v1/+1001/up",
            "em/v1/-1/up",
            "em/v1/1001/down",
            "em/v2/1001/up",
            "em/v1/1001/up/x",
            "em/v1/18446744073709551616/up",
            "em/v1/10 01/up",
        ] {
            assert_eq!(parse_uplink_topic(bad), None, "{bad}");
        }
    }
}
