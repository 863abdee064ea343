//! The serial line codec for `tokio_util`: COBS-encoded frames, each followed by one 0x00.
//!
//! A serial line carries noise, half frames after a reconnect, and frames of several devices, so
//! the reader must never give up or buffer without bound: undecodable runs come out as
//! [`SerialChunk::Noise`] (never as `Err`, which would end a `FramedRead` stream), and a run that
//! grows past the longest possible encoded frame is dropped until the next 0x00.

use std::io;

use bytes::{BufMut, Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::{MAX_FRAME_LEN, cobs};

/// The longest run between delimiters that can hold a frame.
const MAX_RUN: usize = cobs::max_encoded_len(MAX_FRAME_LEN);

/// What the serial reader found between two 0x00 delimiters.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum SerialChunk {
    /// COBS-decoded frame bytes, not yet validated (pass them to [`crate::decode`]).
    Frame(Bytes),
    /// Bytes thrown away: a run that is not valid COBS, or an over-long run with no 0x00 that was
    /// discarded so the reader resynchronises at the next 0x00.
    Noise {
        /// How many bytes (delimiters not counted).
        bytes: usize,
    },
}

/// Decodes a serial byte stream into [`SerialChunk`]s and encodes frames for it.
#[derive(Clone, Debug, Default)]
pub struct SerialCodec {
    /// Dropping an over-long run until the next 0x00.
    discarding: bool,
    /// Bytes at the front of the buffer already known to hold no 0x00.
    scanned: usize,
}

impl SerialCodec {
    /// A codec at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Decoder for SerialCodec {
    type Item = SerialChunk;
    type Error = io::Error;

    fn decode(&mut self, src: &mut BytesMut) -> io::Result<Option<SerialChunk>> {
        loop {
            let start = self.scanned.min(src.len());
            let delimiter = src
                .get(start..)
                .and_then(|rest| rest.iter().position(|&b| b == 0))
                .map(|i| start + i);
            let Some(end) = delimiter else {
                let len = src.len();
                if self.discarding || len > MAX_RUN {
                    // Too long to be a frame: drop it now rather than buffer without bound.
                    src.clear();
                    self.scanned = 0;
                    self.discarding = true;
                    return Ok((len > 0).then_some(SerialChunk::Noise { bytes: len }));
                }
                self.scanned = len;
                return Ok(None);
            };
            self.scanned = 0;
            let mut run = src.split_to(end + 1);
            run.truncate(end);
            if self.discarding {
                // The tail of a run already reported; this 0x00 is where we resynchronise.
                self.discarding = false;
                if end > 0 {
                    return Ok(Some(SerialChunk::Noise { bytes: end }));
                }
                continue;
            }
            if run.is_empty() {
                continue; // 0x00 0x00: nothing between the delimiters
            }
            if run.len() > MAX_RUN {
                return Ok(Some(SerialChunk::Noise { bytes: run.len() }));
            }
            let mut frame = vec![0u8; run.len()];
            return Ok(Some(match cobs::decode(&run, &mut frame) {
                Ok(len) => {
                    frame.truncate(len);
                    SerialChunk::Frame(Bytes::from(frame))
                }
                Err(_) => SerialChunk::Noise { bytes: run.len() },
            }));
        }
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> io::Result<Option<SerialChunk>> {
        if let Some(chunk) = self.decode(src)? {
            return Ok(Some(chunk));
        }
        // A run cut off by the end of the stream has no delimiter: it is noise, not an error.
        let len = src.len();
        src.clear();
        self.scanned = 0;
        self.discarding = false;
        Ok((len > 0).then_some(SerialChunk::Noise { bytes: len }))
    }
}

impl Encoder<&[u8]> for SerialCodec {
    type Error = io::Error;

    /// Writes COBS(frame) and one 0x00. Frames longer than [`MAX_FRAME_LEN`] are refused with
    /// `InvalidInput`, since every reader would discard them.
    fn encode(&mut self, frame: &[u8], dst: &mut BytesMut) -> io::Result<()> {
        if frame.len() > MAX_FRAME_LEN {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("frame of {} bytes exceeds {MAX_FRAME_LEN}", frame.len()),
            ));
        }
        let start = dst.len();
        dst.resize(start + cobs::max_encoded_len(frame.len()), 0);
        let encoded = dst
            .get_mut(start..)
            .ok_or_else(|| io::Error::other("buffer resize failed"))
            .and_then(|buf| cobs::encode(frame, buf).map_err(io::Error::other))?;
        dst.truncate(start + encoded);
        dst.put_u8(0);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(codec: &mut SerialCodec, buf: &mut BytesMut) -> Vec<SerialChunk> {
        let mut out = Vec::new();
        while let Some(chunk) = codec.decode(buf).unwrap() {
            out.push(chunk);
        }
        out
    }

    #[test]
    fn empty_runs_are_skipped() {
        let mut codec = SerialCodec::new();
        let mut buf = BytesMut::from(&[0u8, 0, 0, 0x03, 0x11, 0x22, 0x00, 0x00][..]);
        assert_eq!(
            chunks(&mut codec, &mut buf),
            vec![SerialChunk::Frame(Bytes::from_static(&[0x11, 0x22]))]
        );
        assert!(buf.is_empty());
    }

    #[test]
    fn partial_run_waits_for_more() {
        let mut codec = SerialCodec::new();
        let mut buf = BytesMut::from(&[0x03u8, 0x11][..]);
        assert_eq!(codec.decode(&mut buf).unwrap(), None);
        buf.extend_from_slice(&[0x22, 0x00]);
        assert_eq!(
            codec.decode(&mut buf).unwrap(),
            Some(SerialChunk::Frame(Bytes::from_static(&[0x11, 0x22])))
        );
    }

    #[test]
    fn invalid_cobs_is_noise() {
        let mut codec = SerialCodec::new();
        let mut buf = BytesMut::from(&[0x05u8, 0x11, 0x00][..]);
        assert_eq!(
            chunks(&mut codec, &mut buf),
            vec![SerialChunk::Noise { bytes: 2 }]
        );
    }

    #[test]
    fn over_long_run_is_discarded_until_next_delimiter() {
        let mut codec = SerialCodec::new();
        let mut buf = BytesMut::from(&vec![0x01u8; MAX_RUN][..]);
        assert_eq!(
            codec.decode(&mut buf).unwrap(),
            None,
            "still a possible frame"
        );
        buf.extend_from_slice(&[0x01]);
        assert_eq!(
            codec.decode(&mut buf).unwrap(),
            Some(SerialChunk::Noise { bytes: MAX_RUN + 1 })
        );
        assert!(buf.is_empty());
        // More of the same run, then the delimiter, then a good frame.
        buf.extend_from_slice(&[0x01; 10]);
        assert_eq!(
            codec.decode(&mut buf).unwrap(),
            Some(SerialChunk::Noise { bytes: 10 })
        );
        buf.extend_from_slice(&[0x01, 0x01, 0x00, 0x02, 0x42, 0x00]);
        assert_eq!(
            chunks(&mut codec, &mut buf),
            vec![
                SerialChunk::Noise { bytes: 2 },
                SerialChunk::Frame(Bytes::from_static(&[0x42]))
            ]
        );
    }

    #[test]
    fn eof_with_partial_run_is_noise_not_error() {
        let mut codec = SerialCodec::new();
        let mut buf = BytesMut::from(&[0x02u8, 0x42, 0x00, 0x03, 0x11][..]);
        assert_eq!(
            codec.decode_eof(&mut buf).unwrap(),
            Some(SerialChunk::Frame(Bytes::from_static(&[0x42])))
        );
        assert_eq!(
            codec.decode_eof(&mut buf).unwrap(),
            Some(SerialChunk::Noise { bytes: 2 })
        );
        assert_eq!(codec.decode_eof(&mut buf).unwrap(), None);
    }

    #[test]
    fn encoder_appends_delimiter_and_refuses_oversized() {
        let mut codec = SerialCodec::new();
        let mut buf = BytesMut::new();
        codec.encode(&[0x11u8, 0x00, 0x22][..], &mut buf).unwrap();
        assert_eq!(&buf[..], &[0x02, 0x11, 0x02, 0x22, 0x00]);
        assert_eq!(
            codec
                .encode(&[1u8; MAX_FRAME_LEN + 1][..], &mut buf)
                .unwrap_err()
                .kind(),
            io::ErrorKind::InvalidInput
        );
        assert_eq!(buf.len(), 5);
    }
}
