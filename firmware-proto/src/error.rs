//! Why a frame was rejected, or could not be built. The engine counts and logs every rejected
//! frame by reason, so each way a frame can be wrong is its own variant with a stable label.

use crate::header::FrameType;

/// Every way a received frame can be wrong; one variant each, with a stable metrics label
/// ([`FrameError::label`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum FrameError {
    /// Fewer bytes than the smallest frame (28).
    #[error("frame too short: {len} bytes, at least 28 needed")]
    TooShort {
        /// Bytes received.
        len: usize,
    },
    /// More bytes than the largest frame (1060).
    #[error("frame too long: {len} bytes, at most 1060 allowed")]
    TooLong {
        /// Bytes received.
        len: usize,
    },
    /// The frame's length differs from what its header declares.
    #[error("frame length mismatch: header declares {declared} bytes, got {actual}")]
    LengthMismatch {
        /// 26 + payload length + MAC (if flagged) + 2.
        declared: usize,
        /// Bytes received.
        actual: usize,
    },
    /// The declared payload length exceeds 1024.
    #[error("declared payload length {len} exceeds 1024")]
    PayloadTooLong {
        /// The declared payload length.
        len: usize,
    },
    /// The CRC trailer does not match the bytes before it.
    #[error("CRC mismatch: frame carries {expected:#06x}, bytes give {actual:#06x}")]
    Crc {
        /// The CRC carried in the frame.
        expected: u16,
        /// The CRC computed over the frame's bytes.
        actual: u16,
    },
    /// A protocol version other than 1.
    #[error("unsupported protocol version {0}")]
    Version(u8),
    /// A frame type this protocol does not define.
    #[error("unknown frame type {0:#04x}")]
    UnknownType(u8),
    /// Flag bits this protocol does not define.
    #[error("unknown flag bits in {0:#04x}")]
    UnknownFlags(u8),
    /// A non-zero reserved byte.
    #[error("reserved byte is {0:#04x}, must be 0")]
    Reserved(u8),
    /// The payload length differs from the type's fixed size.
    #[error("{} payload must be {expected} bytes, got {actual}", frame_type.name())]
    PayloadSize {
        /// The frame's type.
        frame_type: FrameType,
        /// The type's fixed payload size.
        expected: usize,
        /// The payload length in the frame.
        actual: usize,
    },
    /// Device id 0, which no device has.
    #[error("device id is 0")]
    DeviceIdZero,
    /// Sequence number 0, which is never sent.
    #[error("seq is 0")]
    SeqZero,
    /// A payload field outside its allowed range.
    #[error("field {field} out of range: {value}")]
    FieldOutOfRange {
        /// The field, as named in the message struct.
        field: &'static str,
        /// The raw field value (signed fields as their two's-complement bits).
        value: u32,
    },
    /// A MAC was required but flag MAC is absent.
    #[error("frame carries no MAC")]
    MacMissing,
    /// The MAC does not match the device key.
    #[error("MAC mismatch")]
    MacMismatch,
}

impl FrameError {
    /// Every label [`FrameError::label`] can return, in declaration order, e.g. to register
    /// metrics counters up front.
    pub const LABELS: &'static [&'static str] = &[
        "too_short",
        "too_long",
        "length_mismatch",
        "payload_too_long",
        "crc",
        "version",
        "unknown_type",
        "unknown_flags",
        "reserved",
        "payload_size",
        "device_id_zero",
        "seq_zero",
        "field_out_of_range",
        "mac_missing",
        "mac_mismatch",
    ];

    /// A stable snake_case name for metrics and logs.
    pub fn label(&self) -> &'static str {
        match self {
            FrameError::TooShort { .. } => "too_short",
            FrameError::TooLong { .. } => "too_long",
            FrameError::LengthMismatch { .. } => "length_mismatch",
            FrameError::PayloadTooLong { .. } => "payload_too_long",
            FrameError::Crc { .. } => "crc",
            FrameError::Version(_) => "version",
            FrameError::UnknownType(_) => "unknown_type",
            FrameError::UnknownFlags(_) => "unknown_flags",
            FrameError::Reserved(_) => "reserved",
            FrameError::PayloadSize { .. } => "payload_size",
            FrameError::DeviceIdZero => "device_id_zero",
            FrameError::SeqZero => "seq_zero",
            FrameError::FieldOutOfRange { .. } => "field_out_of_range",
            FrameError::MacMissing => "mac_missing",
            FrameError::MacMismatch => "mac_mismatch",
        }
    }
}

/// Why [`crate::encode`] refused to build a frame.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum EncodeError {
    /// The output buffer is shorter than the frame.
    #[error("output buffer too small: {needed} bytes needed")]
    BufferTooSmall {
        /// The frame's length.
        needed: usize,
    },
    /// `header.frame_type` is not the message's type.
    #[error("header frame type does not match the message")]
    TypeMismatch,
    /// Device id 0, which decode would reject.
    #[error("device id is 0")]
    DeviceIdZero,
    /// Sequence number 0, which decode would reject.
    #[error("seq is 0")]
    SeqZero,
    /// Flag bits this protocol does not define.
    #[error("unknown flag bits")]
    UnknownFlags,
    /// A message field outside its allowed range, which decode would reject.
    #[error("field {field} out of range: {value}")]
    FieldOutOfRange {
        /// The field, as named in the message struct.
        field: &'static str,
        /// The raw field value (signed fields as their two's-complement bits).
        value: u32,
    },
}
