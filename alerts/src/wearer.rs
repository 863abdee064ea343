//! Telling the wearer through their tag: an outbox sink that sends NOTIFY_WEARER by ingest's
//! downlink (the writer gives it the device's next downlink seq and its MAC). A tag that is out
//! of reach now is tried again, as any channel's transient failure.

use std::future::Future;
use std::pin::Pin;

use ingest::{Downlink, DownlinkCommand, DownlinkError, NotifyPattern};

use crate::channels::{FailureReason, Outgoing, SendError};
use crate::outbox::Sink;

/// Sends the wearer's notices to their tags.
#[derive(Clone)]
pub struct WearerSink(pub Downlink);

impl WearerSink {
    async fn notify(&self, out: &Outgoing) -> Result<(), SendError> {
        let device: u64 = out.address.parse().map_err(|_| {
            SendError::permanent(
                FailureReason::InvalidMessage,
                format!("not a device id: {:?}", out.address),
            )
        })?;
        let pattern = out
            .payload
            .get("pattern")
            .and_then(|p| p.as_u64())
            .and_then(|p| u8::try_from(p).ok())
            .and_then(NotifyPattern::from_u8)
            .ok_or_else(|| {
                SendError::permanent(FailureReason::InvalidMessage, "no valid pattern")
            })?;
        let message_id = out
            .payload
            .get("message")
            .and_then(|m| m.as_u64())
            .and_then(|m| u16::try_from(m).ok())
            .ok_or_else(|| {
                SendError::permanent(FailureReason::InvalidMessage, "no valid message id")
            })?;
        let command = DownlinkCommand::NotifyWearer {
            pattern,
            message_id,
        };
        match self.0.send(device, command).await {
            Ok(sent) => {
                tracing::info!(device_id = device, seq = sent.seq, via = %sent.via, "wearer notified");
                Ok(())
            }
            Err(e) => {
                // Every kind named, so that a new one is classified rather than let through.
                let (reason, permanent) = match &e {
                    DownlinkError::UnknownDevice(_) => (FailureReason::UnknownDevice, true),
                    DownlinkError::Encode { .. } => (FailureReason::InvalidMessage, true),
                    DownlinkError::NoRoute(_) => (FailureReason::DeviceNeverHeard, false),
                    DownlinkError::OtherProtocol { .. } => {
                        (FailureReason::DeviceTakesNoMessages, true)
                    }
                    DownlinkError::QueueFull { .. }
                    | DownlinkError::TransportClosed { .. }
                    | DownlinkError::Stopped => (FailureReason::DeviceLinkUnavailable, false),
                    DownlinkError::Store(_) => (FailureReason::Other, false),
                };
                Err(if permanent {
                    SendError::permanent(reason, e.to_string())
                } else {
                    SendError::transient(reason, e.to_string())
                })
            }
        }
    }
}

impl Sink for WearerSink {
    fn send<'a>(
        &'a self,
        out: &'a Outgoing,
    ) -> Pin<Box<dyn Future<Output = Result<(), SendError>> + Send + 'a>> {
        Box::pin(self.notify(out))
    }
}
