//! Whole frames: decode (every structural and range check, in the order that gives each fault
//! its own error), MAC verification, and encode. Decoding borrows nothing and encoding writes
//! into a caller's buffer, so neither allocates.

use crate::error::{EncodeError, FrameError};
use crate::header::{Flags, FrameType, Header};
use crate::message::Message;
use crate::{
    CRC_LEN, DeviceKey, HEADER_LEN, MAC_LEN, MAX_FRAME_LEN, MAX_PAYLOAD_LEN, MIN_FRAME_LEN,
    PROTOCOL_VERSION, crc16, mac,
};

/// A structurally valid, CRC-checked frame. The MAC (if any) is NOT verified by decode (it needs
/// the device key): call [`verify_mac`] on the same bytes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Frame {
    /// Everything but the payload.
    pub header: Header,
    /// The payload.
    pub message: Message,
    /// The MAC as received, if flag MAC is set.
    pub mac: Option<[u8; MAC_LEN]>,
}

/// Where the parts of a frame lie, from its length fields alone.
struct Layout {
    payload_len: usize,
    has_mac: bool,
}

impl Layout {
    /// Bytes covered by the MAC: header and payload.
    fn signed_len(&self) -> usize {
        HEADER_LEN + self.payload_len
    }
}

/// The length checks shared by [`decode`] and [`verify_mac`]: overall size, declared payload
/// length, and agreement between the two.
fn layout(bytes: &[u8]) -> Result<Layout, FrameError> {
    let len = bytes.len();
    if len < MIN_FRAME_LEN {
        return Err(FrameError::TooShort { len });
    }
    if len > MAX_FRAME_LEN {
        return Err(FrameError::TooLong { len });
    }
    let header: &[u8; HEADER_LEN] = bytes.first_chunk().ok_or(FrameError::TooShort { len })?;
    let payload_len = usize::from(u16::from_be_bytes([header[24], header[25]]));
    if payload_len > MAX_PAYLOAD_LEN {
        return Err(FrameError::PayloadTooLong { len: payload_len });
    }
    let has_mac = header[2] & Flags::MAC.bits() != 0;
    let declared = HEADER_LEN + payload_len + if has_mac { MAC_LEN } else { 0 } + CRC_LEN;
    if declared != len {
        return Err(FrameError::LengthMismatch {
            declared,
            actual: len,
        });
    }
    Ok(Layout {
        payload_len,
        has_mac,
    })
}

/// Decodes and validates one frame: lengths, CRC, version, reserved byte, flags, type, device id,
/// seq, payload size, then the payload's fields. Unknown EVENT codes are accepted.
pub fn decode(bytes: &[u8]) -> Result<Frame, FrameError> {
    let layout = layout(bytes)?;
    let len = bytes.len();

    let (body, trailer) = bytes
        .split_last_chunk::<CRC_LEN>()
        .ok_or(FrameError::TooShort { len })?;
    let expected = u16::from_be_bytes(*trailer);
    let actual = crc16(body);
    if expected != actual {
        return Err(FrameError::Crc { expected, actual });
    }

    let h: &[u8; HEADER_LEN] = bytes.first_chunk().ok_or(FrameError::TooShort { len })?;
    if h[0] != PROTOCOL_VERSION {
        return Err(FrameError::Version(h[0]));
    }
    if h[3] != 0 {
        return Err(FrameError::Reserved(h[3]));
    }
    let flags = Flags::from_bits(h[2]).ok_or(FrameError::UnknownFlags(h[2]))?;
    let frame_type = FrameType::from_u8(h[1]).ok_or(FrameError::UnknownType(h[1]))?;
    let device_id = u64::from_be_bytes([h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11]]);
    if device_id == 0 {
        return Err(FrameError::DeviceIdZero);
    }
    let seq = u32::from_be_bytes([h[12], h[13], h[14], h[15]]);
    if seq == 0 {
        return Err(FrameError::SeqZero);
    }
    let time_ms = u64::from_be_bytes([h[16], h[17], h[18], h[19], h[20], h[21], h[22], h[23]]);

    let expected_len = frame_type.payload_len();
    if layout.payload_len != expected_len {
        return Err(FrameError::PayloadSize {
            frame_type,
            expected: expected_len,
            actual: layout.payload_len,
        });
    }
    let payload = bytes
        .get(HEADER_LEN..layout.signed_len())
        .ok_or(FrameError::TooShort { len })?;
    let message = Message::decode_payload(frame_type, payload)?;

    let mac = if layout.has_mac {
        let start = layout.signed_len();
        let tag = bytes
            .get(start..start + MAC_LEN)
            .and_then(|t| <[u8; MAC_LEN]>::try_from(t).ok())
            .ok_or(FrameError::TooShort { len })?;
        Some(tag)
    } else {
        None
    };

    Ok(Frame {
        header: Header {
            frame_type,
            flags,
            device_id,
            seq,
            time_ms,
        },
        message,
        mac,
    })
}

/// Verifies the MAC of raw frame bytes that [`decode`] accepted: `Err(MacMissing)` if flag MAC
/// is absent, `Err(MacMismatch)` if it is wrong. The comparison is constant-time.
///
/// Only the length fields are re-checked here (a malformed frame gives the same length error as
/// `decode`); the CRC and the fields are `decode`'s job.
pub fn verify_mac(frame_bytes: &[u8], key: &DeviceKey) -> Result<(), FrameError> {
    let layout = layout(frame_bytes)?;
    if !layout.has_mac {
        return Err(FrameError::MacMissing);
    }
    let signed_len = layout.signed_len();
    let signed = frame_bytes
        .get(..signed_len)
        .ok_or(FrameError::MacMismatch)?;
    let tag = frame_bytes
        .get(signed_len..signed_len + MAC_LEN)
        .ok_or(FrameError::MacMismatch)?;
    if mac::verify(key, signed, tag) {
        Ok(())
    } else {
        Err(FrameError::MacMismatch)
    }
}

/// Writes into a slice, failing instead of panicking when it is full.
struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl Writer<'_> {
    fn put(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        // `encode` sizes the buffer to the frame first, so this is a guard, not a path.
        let needed = self.buf.len();
        let dst = self
            .pos
            .checked_add(bytes.len())
            .and_then(|end| self.buf.get_mut(self.pos..end))
            .ok_or(EncodeError::BufferTooSmall { needed })?;
        dst.copy_from_slice(bytes);
        self.pos += bytes.len();
        Ok(())
    }

    fn written(&self) -> &[u8] {
        self.buf.get(..self.pos).unwrap_or(&[])
    }
}

/// Encodes a frame into `out` and returns its length. With `Some(key)` flag MAC is set and the
/// MAC appended; with `None` flag MAC is cleared. Refuses anything [`decode`] would reject:
/// `header.frame_type` must equal `message.frame_type()`, device id and seq must be non-zero,
/// and the message's fields must be in range.
pub fn encode(
    header: &Header,
    message: &Message,
    key: Option<&DeviceKey>,
    out: &mut [u8],
) -> Result<usize, EncodeError> {
    if header.frame_type != message.frame_type() {
        return Err(EncodeError::TypeMismatch);
    }
    if header.device_id == 0 {
        return Err(EncodeError::DeviceIdZero);
    }
    if header.seq == 0 {
        return Err(EncodeError::SeqZero);
    }
    let mut flags = Flags::from_bits(header.flags.bits()).ok_or(EncodeError::UnknownFlags)?;
    message.check()?;

    let (payload, payload_len) = message.encode_payload();
    let payload = payload.get(..payload_len).unwrap_or(&[]);
    let frame_len = encoded_len(message.frame_type(), key.is_some());
    let out = out
        .get_mut(..frame_len)
        .ok_or(EncodeError::BufferTooSmall { needed: frame_len })?;
    if key.is_some() {
        flags.insert(Flags::MAC);
    } else {
        flags.remove(Flags::MAC);
    }

    let mut w = Writer { buf: out, pos: 0 };
    // payload_len ≤ 16, so the cast cannot truncate.
    let declared = (payload_len as u16).to_be_bytes();
    w.put(&[PROTOCOL_VERSION, header.frame_type.to_u8(), flags.bits(), 0])?;
    w.put(&header.device_id.to_be_bytes())?;
    w.put(&header.seq.to_be_bytes())?;
    w.put(&header.time_ms.to_be_bytes())?;
    w.put(&declared)?;
    w.put(payload)?;
    if let Some(key) = key {
        let tag = mac::compute(key, w.written());
        w.put(&tag)?;
    }
    let crc = crc16(w.written());
    w.put(&crc.to_be_bytes())?;
    Ok(w.pos)
}

/// The length of a frame of `frame_type`, with or without a MAC.
pub(crate) fn encoded_len(frame_type: FrameType, with_mac: bool) -> usize {
    HEADER_LEN + frame_type.payload_len() + if with_mac { MAC_LEN } else { 0 } + CRC_LEN
}

/// [`encode`] into a new `Vec`.
#[cfg(feature = "std")]
pub fn encode_to_vec(
    header: &Header,
    message: &Message,
    key: Option<&DeviceKey>,
) -> Result<Vec<u8>, EncodeError> {
    let mut buf = vec![0u8; encoded_len(message.frame_type(), key.is_some())];
    let len = encode(header, message, key, &mut buf)?;
    buf.truncate(len);
    Ok(buf)
}
