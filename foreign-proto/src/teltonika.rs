//! Teltonika's Codec 8 and Codec 8 Extended over TCP, the wire format alone (issue 19's first
//! adapter): the IMEI a tracker logs in with, the AVL data packets it then sends, and the
//! answer that tells it how many records were taken. No I/O and no clock, as `firmware-proto`
//! is for our own tag: the connection that reads and writes, and commits before it answers,
//! sits on top.
//!
//! Decoding is incremental: given the bytes received so far, a decoder answers with what they
//! hold and how many bytes it took, `Ok(None)` while more are needed, or why the stream is not
//! Teltonika's (then the connection is closed and nothing is acknowledged). Every length is
//! bounded before it is trusted, so a hostile length never makes us wait for or allocate more.
//! The reference is Teltonika's public protocol documentation ("Teltonika Data Sending
//! Protocols"); the tests use its published example packets byte for byte.

use bytes::Bytes;

/// The longest data field accepted: Teltonika's devices send at most 1 280 bytes a packet;
/// this leaves room for models with larger buffers and refuses absurd lengths at once.
pub const MAX_DATA_LENGTH: usize = 16 * 1024;

/// Why bytes are not a Teltonika login or AVL packet.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TeltonikaError {
    /// The login's length is not that of an IMEI (15 digits; up to 17 allowed).
    #[error("an IMEI of {0} bytes")]
    ImeiLength(usize),
    /// The login is not all ASCII digits.
    #[error("the IMEI is not digits")]
    ImeiNotDigits,
    /// An AVL packet starts with four zero bytes.
    #[error("no zero preamble")]
    Preamble,
    /// The data field is longer than [`MAX_DATA_LENGTH`] or too short to hold anything.
    #[error("a data field of {0} bytes")]
    DataLength(usize),
    /// A codec other than 8 (0x08) or 8 Extended (0x8E).
    #[error("codec {0:#04x} is not Codec 8 or 8 Extended")]
    Codec(u8),
    /// The CRC-16/IBM over the data field is not the one sent.
    #[error("CRC {computed:#06x} computed, {sent:#010x} sent")]
    Crc {
        /// Computed over the data field.
        computed: u16,
        /// The four CRC bytes as sent.
        sent: u32,
    },
    /// The record count before the records is not the one after them.
    #[error("{first} records announced, {second} counted at the end")]
    Counts {
        /// Number of Data 1.
        first: u8,
        /// Number of Data 2.
        second: u8,
    },
    /// The records do not fill the data field exactly (cut short, or bytes left over).
    #[error("the records do not fill the data field")]
    Records,
}

impl TeltonikaError {
    /// Every label, in the order of the variants: what metrics count refusals by.
    pub const LABELS: [&'static str; 8] = [
        "imei_length",
        "imei_not_digits",
        "preamble",
        "data_length",
        "codec",
        "crc",
        "counts",
        "records",
    ];

    /// The reason's name as metrics and logs label it.
    pub fn label(&self) -> &'static str {
        Self::LABELS[match self {
            TeltonikaError::ImeiLength(_) => 0,
            TeltonikaError::ImeiNotDigits => 1,
            TeltonikaError::Preamble => 2,
            TeltonikaError::DataLength(_) => 3,
            TeltonikaError::Codec(_) => 4,
            TeltonikaError::Crc { .. } => 5,
            TeltonikaError::Counts { .. } => 6,
            TeltonikaError::Records => 7,
        }]
    }
}

/// Which codec a packet was sent in.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Codec {
    /// Codec 8 (0x08): one-byte IO ids and counts.
    Eight,
    /// Codec 8 Extended (0x8E): two-byte IO ids and counts, and variable-length IO values.
    EightExtended,
}

/// The position part of a record as the tracker sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GpsElement {
    /// Longitude in 1e-7 degrees (west negative).
    pub longitude: i32,
    /// Latitude in 1e-7 degrees (south negative).
    pub latitude: i32,
    /// Metres above sea level.
    pub altitude: i16,
    /// Heading in degrees from north, clockwise.
    pub angle: u16,
    /// Satellites in use; 0 when the position is not valid.
    pub satellites: u8,
    /// Speed in km/h; 0 when the position is not valid.
    pub speed: u16,
}

/// One IO element's value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IoValue {
    /// A 1, 2, 4 or 8 byte value, big-endian, as unsigned.
    Fixed {
        /// Its size in bytes.
        size: u8,
        /// The value.
        value: u64,
    },
    /// A variable-length value (Codec 8 Extended's NX elements).
    Bytes(Vec<u8>),
}

/// One AVL record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AvlRecord {
    /// When the tracker took it: ms since the epoch, UTC.
    pub timestamp_ms: u64,
    /// 0 low, 1 high, 2 panic.
    pub priority: u8,
    /// Where.
    pub gps: GpsElement,
    /// The IO element whose change made the record (0 for a periodic one).
    pub event_io: u16,
    /// The IO elements, by id, in the order sent.
    pub io: Vec<(u16, IoValue)>,
    /// The record as sent, after its packet's codec id (so that it can be read again alone):
    /// what evidence keeps of it.
    pub raw: Bytes,
}

/// A whole AVL data packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AvlPacket {
    /// The codec it came in.
    pub codec: Codec,
    /// Its records, in the order sent.
    pub records: Vec<AvlRecord>,
}

/// The IMEI a tracker logs in with (two-byte length, then its digits), and the bytes taken.
pub fn decode_login(bytes: &[u8]) -> Result<Option<(String, usize)>, TeltonikaError> {
    let Some(head) = bytes.get(..2) else {
        return Ok(None);
    };
    let length = usize::from(u16::from_be_bytes([head[0], head[1]]));
    if !(15..=17).contains(&length) {
        return Err(TeltonikaError::ImeiLength(length));
    }
    let Some(digits) = bytes.get(2..2 + length) else {
        return Ok(None);
    };
    if !digits.iter().all(u8::is_ascii_digit) {
        return Err(TeltonikaError::ImeiNotDigits);
    }
    let imei = digits.iter().map(|&b| char::from(b)).collect();
    Ok(Some((imei, 2 + length)))
}

/// The answer to a login: 0x01 to go on, 0x00 for an IMEI not registered.
pub fn login_answer(accepted: bool) -> [u8; 1] {
    [u8::from(accepted)]
}

/// The answer to a packet once its records are committed: how many were taken.
pub fn records_answer(taken: usize) -> [u8; 4] {
    u32::try_from(taken).unwrap_or(u32::MAX).to_be_bytes()
}

/// An AVL data packet and the bytes it took, once all of it has arrived.
pub fn decode_packet(bytes: &[u8]) -> Result<Option<(AvlPacket, usize)>, TeltonikaError> {
    let Some(head) = bytes.get(..8) else {
        // A preamble that is already wrong need not wait for more.
        return match bytes.iter().position(|&b| b != 0) {
            Some(_) => Err(TeltonikaError::Preamble),
            None => Ok(None),
        };
    };
    if head[..4] != [0, 0, 0, 0] {
        return Err(TeltonikaError::Preamble);
    }
    let length = u32::from_be_bytes([head[4], head[5], head[6], head[7]]);
    let length = usize::try_from(length).unwrap_or(usize::MAX);
    // Codec id, two counts and at least one byte of records.
    if !(4..=MAX_DATA_LENGTH).contains(&length) {
        return Err(TeltonikaError::DataLength(length));
    }
    let total = 8 + length + 4;
    let Some(packet) = bytes.get(..total) else {
        return Ok(None);
    };
    let data = &packet[8..8 + length];
    let crc = &packet[8 + length..];
    let sent = u32::from_be_bytes([crc[0], crc[1], crc[2], crc[3]]);
    let computed = crc16_ibm(data);
    if sent != u32::from(computed) {
        return Err(TeltonikaError::Crc { computed, sent });
    }
    let codec = codec_of(data[0])?;
    let (first, second) = (data[1], data[length - 1]);
    if first != second {
        return Err(TeltonikaError::Counts { first, second });
    }
    let mut reader = Reader {
        bytes: &data[2..length - 1],
        at: 0,
    };
    let mut records = Vec::with_capacity(usize::from(first));
    for _ in 0..first {
        let start = reader.at;
        let mut record = record(&mut reader, codec).ok_or(TeltonikaError::Records)?;
        let mut raw = Vec::with_capacity(1 + reader.at - start);
        raw.push(data[0]);
        raw.extend_from_slice(&reader.bytes[start..reader.at]);
        record.raw = Bytes::from(raw);
        records.push(record);
    }
    if reader.at != reader.bytes.len() {
        return Err(TeltonikaError::Records);
    }
    Ok(Some((AvlPacket { codec, records }, total)))
}

/// A record alone, as [`AvlRecord::raw`] keeps it (its codec id, then the record): how stored
/// evidence is read again.
pub fn decode_record(raw: &[u8]) -> Result<AvlRecord, TeltonikaError> {
    let (&codec, rest) = raw.split_first().ok_or(TeltonikaError::Records)?;
    let codec = codec_of(codec)?;
    let mut reader = Reader { bytes: rest, at: 0 };
    let mut record = record(&mut reader, codec).ok_or(TeltonikaError::Records)?;
    if reader.at != rest.len() {
        return Err(TeltonikaError::Records);
    }
    record.raw = Bytes::copy_from_slice(raw);
    Ok(record)
}

fn codec_of(id: u8) -> Result<Codec, TeltonikaError> {
    match id {
        0x08 => Ok(Codec::Eight),
        0x8E => Ok(Codec::EightExtended),
        other => Err(TeltonikaError::Codec(other)),
    }
}

/// CRC-16/IBM (ARC): polynomial 0xA001 reflected, initial 0, as Teltonika computes it over
/// the data field.
pub fn crc16_ibm(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &byte in data {
        crc ^= u16::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xA001
            } else {
                crc >> 1
            };
        }
    }
    crc
}

/// Big-endian reads over a record's bytes; `None` when they run out.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let out = self.bytes.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(out)
    }

    fn uint(&mut self, n: usize) -> Option<u64> {
        Some(
            self.take(n)?
                .iter()
                .fold(0u64, |v, &b| (v << 8) | u64::from(b)),
        )
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }

    /// An IO id or count: one byte in Codec 8, two in 8 Extended.
    fn id(&mut self, codec: Codec) -> Option<u16> {
        match codec {
            Codec::Eight => self.u8().map(u16::from),
            Codec::EightExtended => self.u16(),
        }
    }
}

fn record(r: &mut Reader<'_>, codec: Codec) -> Option<AvlRecord> {
    let timestamp_ms = r.uint(8)?;
    let priority = r.u8()?;
    let longitude = i32::from_be_bytes(r.take(4)?.try_into().ok()?);
    let latitude = i32::from_be_bytes(r.take(4)?.try_into().ok()?);
    let altitude = i16::from_be_bytes(r.take(2)?.try_into().ok()?);
    let angle = r.u16()?;
    let satellites = r.u8()?;
    let speed = r.u16()?;
    let event_io = r.id(codec)?;
    let total = r.id(codec)?;
    let mut io = Vec::new();
    for size in [1u8, 2, 4, 8] {
        for _ in 0..r.id(codec)? {
            let id = r.id(codec)?;
            let value = r.uint(usize::from(size))?;
            io.push((id, IoValue::Fixed { size, value }));
        }
    }
    if codec == Codec::EightExtended {
        for _ in 0..r.u16()? {
            let id = r.u16()?;
            let length = usize::from(r.u16()?);
            io.push((id, IoValue::Bytes(r.take(length)?.to_vec())));
        }
    }
    // The total is what the groups hold, or the record is not as it says.
    (io.len() == usize::from(total)).then_some(AvlRecord {
        timestamp_ms,
        priority,
        gps: GpsElement {
            longitude,
            latitude,
            altitude,
            angle,
            satellites,
            speed,
        },
        event_io,
        io,
        raw: Bytes::new(),
    })
}

mod encode;
pub mod io;

pub use encode::{encode_login, encode_packet};

#[cfg(test)]
mod tests;
