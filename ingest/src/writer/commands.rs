//! Commands to devices, served by the writer between batches: each is numbered from the
//! device's own downlink counter (the one its ACKs use), the number persisted before the frame
//! leaves, and the frame queued on the way the device was last heard on.

use std::sync::atomic::Ordering::Relaxed;

use bytes::Bytes;
use firmware_proto::{Flags, Header};
use tokio::sync::mpsc::error::TrySendError;

use super::{DeviceState, MqttDownlink, Writer};
use crate::adapter::Adapter;
use crate::downlink::{CommandRequest, DownlinkCommand, DownlinkError, DownlinkSent};
use crate::source::{MQTT_LABEL, Via};

impl<D: MqttDownlink> Writer<D> {
    /// Serve one command and answer its sender.
    pub(super) async fn serve(&mut self, request: CommandRequest) {
        let CommandRequest {
            device_id,
            command,
            reply,
        } = request;
        if reply.is_closed() {
            // The caller gave up: spend no seq on it.
            return;
        }
        let outcome = self.send_command(device_id, command).await;
        match &outcome {
            Ok(sent) => {
                self.metrics.commands_sent.fetch_add(1, Relaxed);
                tracing::info!(
                    device_id,
                    command = command.name(),
                    seq = sent.seq,
                    via = %sent.via,
                    "command sent to device"
                );
            }
            Err(error) => {
                self.metrics.command_failures.fetch_add(1, Relaxed);
                tracing::warn!(device_id, command = command.name(), %error, "command not sent");
            }
        }
        let _ = reply.send(outcome);
    }

    /// Number, persist, encode and queue one command.
    pub async fn send_command(
        &mut self,
        device_id: u64,
        command: DownlinkCommand,
    ) -> Result<DownlinkSent, DownlinkError> {
        let record = self
            .store
            .device(device_id)
            .await?
            .ok_or(DownlinkError::UnknownDevice(device_id))?;
        if !self.devices.contains_key(&device_id) {
            let loaded = self.store.device_windows(Some(&[device_id])).await?;
            self.devices.extend(
                loaded
                    .into_iter()
                    .map(|(id, stored)| (id, DeviceState::from(stored))),
            );
        }
        let state = self
            .devices
            .get(&device_id)
            .ok_or(DownlinkError::UnknownDevice(device_id))?;
        let route = match &state.route {
            Some(via) => via.clone(),
            None => self
                .stored_route(device_id, record.last_via.as_deref())
                .ok_or(DownlinkError::NoRoute(device_id))?,
        };
        // Before a seq is used: a device of another protocol takes no frame of ours.
        if let Via::Adapter(adapter) = route {
            return Err(other_protocol(device_id, adapter));
        }
        let seq = state.link.next_command_seq();
        let message = command.message();
        let header = Header {
            frame_type: message.frame_type(),
            flags: Flags::empty(),
            device_id,
            seq,
            time_ms: u64::try_from(self.store.store().now().0).unwrap_or_default(),
        };
        let frame = firmware_proto::encode_to_vec(&header, &message, record.key.as_ref())
            .map_err(|error| DownlinkError::Encode { device_id, error })?;
        // Persist the seq before the frame leaves: never reused, even across a crash.
        if !self.store.set_down_seq(device_id, seq).await? {
            return Err(DownlinkError::UnknownDevice(device_id));
        }
        if let Some(state) = self.devices.get_mut(&device_id) {
            state.link.command_sent(seq);
        }
        let via = route.label().to_string();
        let frame = Bytes::from(frame);
        match &route {
            Via::Mqtt { .. } => {
                if !self.downlink.try_send(device_id, frame) {
                    return Err(DownlinkError::QueueFull { device_id, via });
                }
            }
            Via::Adapter(adapter) => return Err(other_protocol(device_id, *adapter)),
            Via::Serial(line) => match line.downlink.try_send(frame) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => {
                    return Err(DownlinkError::QueueFull { device_id, via });
                }
                Err(TrySendError::Closed(_)) => {
                    return Err(DownlinkError::TransportClosed { device_id, via });
                }
            },
        }
        Ok(DownlinkSent { seq, via })
    }

    /// The way to a device not heard since this process started, from the stored `last_via`:
    /// MQTT, or a serial line this process has open under the same name.
    fn stored_route(&self, device_id: u64, last_via: Option<&str>) -> Option<Via> {
        match last_via? {
            MQTT_LABEL => Some(Via::Mqtt {
                topic_device: Some(device_id),
            }),
            label if let Some(adapter) = Adapter::of_label(label) => Some(Via::Adapter(adapter)),
            label => self
                .serial_lines
                .iter()
                .find(|line| &*line.label == label)
                .map(|line| Via::Serial(line.clone())),
        }
    }
}

fn other_protocol(device_id: u64, adapter: Adapter) -> DownlinkError {
    DownlinkError::OtherProtocol {
        device_id,
        via: adapter.label().to_string(),
    }
}
