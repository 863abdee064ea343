//! Commands from the rest of sargs to a device (NOTIFY_WEARER, LOCATE_NOW, CONFIG, TIME), sent
//! through ingest.
//!
//! Only the writer stage may number a device's downlink frames: it already owns each device's
//! downlink seq (ACKs use the same counter, PROTOCOL.md: "seq counts the engine's frames to that
//! device", never reused) and knows the way back to the device (`Via`) and its key. So a command
//! is not sent here: [`Downlink::send`] hands it to the writer over a channel and waits for the
//! writer's answer. The writer takes commands between batches, persists the new seq before the
//! frame leaves, and queues it on the transport the device was last heard on.

pub use firmware_proto::NotifyPattern;
use firmware_proto::{Config, NotifyWearer};
use tokio::sync::{mpsc, oneshot};

use store::StoreError;

/// Commands that may wait for the writer; beyond this `send` waits for room.
pub const COMMAND_QUEUE: usize = 256;

/// What to ask of a device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DownlinkCommand {
    /// NOTIFY_WEARER (0x83): vibrate or beep, and point the wearer at message `message_id`.
    NotifyWearer {
        /// How the device vibrates or beeps.
        pattern: NotifyPattern,
        /// Which of the device's stored messages to point the wearer at.
        message_id: u16,
    },
    /// LOCATE_NOW (0x84): send a LOCATION now.
    LocateNow,
    /// CONFIG (0x82): new reporting intervals, under a new configuration revision (which the
    /// device echoes in its next HELLO).
    Config(Config),
    /// TIME (0x85): set the device's clock to the frame's time.
    SetTime,
}

impl DownlinkCommand {
    /// The protocol message this command is sent as.
    pub fn message(self) -> firmware_proto::Message {
        match self {
            DownlinkCommand::NotifyWearer {
                pattern,
                message_id,
            } => firmware_proto::Message::NotifyWearer(NotifyWearer {
                pattern,
                message_id,
            }),
            DownlinkCommand::LocateNow => firmware_proto::Message::LocateNow,
            DownlinkCommand::Config(config) => firmware_proto::Message::Config(config),
            DownlinkCommand::SetTime => firmware_proto::Message::Time,
        }
    }

    /// A short name for logs.
    pub fn name(self) -> &'static str {
        self.message().frame_type().name()
    }
}

/// A command handed to the device's transport.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DownlinkSent {
    /// The downlink seq the frame carries (persisted before it was sent).
    pub seq: u32,
    /// How it left: `"mqtt"`, or the serial line's name (`serial:<path>`).
    pub via: String,
}

/// Why a command was not sent.
#[derive(Debug, thiserror::Error)]
pub enum DownlinkError {
    /// The device is not registered.
    #[error("device {0} is not registered")]
    UnknownDevice(u64),
    /// The device has never been heard, so no transport is known to reach it.
    #[error("device {0} has never been heard, so there is no way to reach it")]
    NoRoute(u64),
    /// The transport's queue is full.
    /// The seq was used (and stays used); the frame never left.
    #[error("the downlink queue of {via} is full; command to device {device_id} not sent")]
    QueueFull {
        /// The device the command was for.
        device_id: u64,
        /// The transport (`mqtt` or the serial line's name).
        via: String,
    },
    /// The transport is closed.
    /// The seq was used (and stays used); the frame never left.
    #[error("{via} is closed; command to device {device_id} not sent")]
    TransportClosed {
        /// The device the command was for.
        device_id: u64,
        /// The transport (`mqtt` or the serial line's name).
        via: String,
    },
    /// The device speaks another protocol (a tracker, a phone): it takes no commands of ours.
    #[error("device {device_id} is heard through {via}, which takes no commands of ours")]
    OtherProtocol {
        /// The device the command was for.
        device_id: u64,
        /// Its adapter (`teltonika`, ...).
        via: String,
    },
    /// The command could not be encoded as a frame.
    #[error("cannot encode the command to device {device_id}: {error}")]
    Encode {
        /// The device the command was for.
        device_id: u64,
        /// Why it could not be encoded.
        error: firmware_proto::EncodeError,
    },
    /// Storing the device's downlink seq failed.
    #[error("storage failed: {0}")]
    Store(#[from] StoreError),
    /// Ingest is no longer running, so nothing can be sent.
    #[error("ingest has stopped")]
    Stopped,
}

/// One command on its way to the writer, with where to answer.
#[derive(Debug)]
pub struct CommandRequest {
    /// The device to send the command to.
    pub device_id: u64,
    /// What to ask of it.
    pub command: DownlinkCommand,
    /// Where the writer answers with what was sent, or why not.
    pub reply: oneshot::Sender<Result<DownlinkSent, DownlinkError>>,
}

/// The writer's end of the command channel.
pub type CommandReceiver = mpsc::Receiver<CommandRequest>;

/// A handle for sending commands to devices; cheap to clone. Get one from
/// [`crate::Ingest::downlink`].
#[derive(Clone, Debug)]
pub struct Downlink {
    tx: mpsc::Sender<CommandRequest>,
}

impl Downlink {
    /// A handle and the receiver to give the writer (`Writer::run_with_commands`).
    pub fn channel(capacity: usize) -> (Downlink, CommandReceiver) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        (Downlink { tx }, rx)
    }

    /// Send `command` to `device_id` on the transport it was last heard on. Returns once the
    /// frame is queued on that transport (not when the device has it: the protocol has no
    /// acknowledgement of downlinks). Waits while the writer is busy committing; wrap in a
    /// timeout if that matters to the caller. A caller that gives up before the writer takes
    /// the command costs no seq.
    pub async fn send(
        &self,
        device_id: u64,
        command: DownlinkCommand,
    ) -> Result<DownlinkSent, DownlinkError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(CommandRequest {
                device_id,
                command,
                reply,
            })
            .await
            .map_err(|_| DownlinkError::Stopped)?;
        answer.await.map_err(|_| DownlinkError::Stopped)?
    }
}
