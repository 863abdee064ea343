//! Consistent Overhead Byte Stuffing, the serial framing of PROTOCOL.md: each frame is
//! COBS-encoded (which removes every 0x00) and followed by one 0x00, so a reader that joins a
//! line mid-frame, or loses bytes to noise, resynchronises at the next 0x00.
//!
//! Encoded as in Cheshire and Baker's paper: a block of up to 254 non-zero bytes is preceded by
//! its length + 1, and every block but a full one (code 0xFF) and the last stands for a 0x00.

/// Largest block of non-zero bytes one code byte can announce.
const MAX_BLOCK: usize = 254;

/// Why COBS bytes could not be encoded or decoded.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum CobsError {
    /// The destination buffer cannot hold the result.
    #[error("COBS destination buffer too small")]
    BufferTooSmall,
    /// The encoded input contains a 0x00, which COBS never produces (the delimiter must be
    /// stripped before decoding).
    #[error("COBS input contains a zero byte")]
    ZeroByte,
    /// The encoded input is empty or ends inside a block.
    #[error("COBS input truncated")]
    Truncated,
}

/// The most bytes `n` input bytes can encode to (without the 0x00 delimiter).
pub const fn max_encoded_len(n: usize) -> usize {
    // Saturating so that absurd sizes give a useless bound rather than a panic.
    n.saturating_add(n / MAX_BLOCK).saturating_add(1)
}

/// Writes to a slice, failing instead of panicking when it is full.
struct Out<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl Out<'_> {
    fn push(&mut self, byte: u8) -> Result<(), CobsError> {
        let slot = self
            .buf
            .get_mut(self.pos)
            .ok_or(CobsError::BufferTooSmall)?;
        *slot = byte;
        self.pos += 1;
        Ok(())
    }

    fn extend(&mut self, bytes: &[u8]) -> Result<(), CobsError> {
        let end = self
            .pos
            .checked_add(bytes.len())
            .ok_or(CobsError::BufferTooSmall)?;
        let slot = self
            .buf
            .get_mut(self.pos..end)
            .ok_or(CobsError::BufferTooSmall)?;
        slot.copy_from_slice(bytes);
        self.pos = end;
        Ok(())
    }
}

/// COBS-encodes `src` into `dst` (no delimiter is written) and returns the encoded length.
/// The output never contains 0x00. `dst` of `max_encoded_len(src.len())` bytes always suffices.
pub fn encode(src: &[u8], dst: &mut [u8]) -> Result<usize, CobsError> {
    let mut out = Out { buf: dst, pos: 0 };
    let mut rest = src;
    loop {
        let window = rest.get(..MAX_BLOCK).unwrap_or(rest);
        match window.iter().position(|&b| b == 0) {
            // A block ended by a zero: the zero is implied by the code.
            Some(i) => {
                let (block, tail) = rest.split_at_checked(i).ok_or(CobsError::Truncated)?;
                out.push(block_code(i))?;
                out.extend(block)?;
                // Skip the zero itself; an input ending in zero still needs a final (empty) block.
                rest = tail.get(1..).unwrap_or(&[]);
            }
            // A full block: code 0xFF implies no zero.
            None if window.len() == MAX_BLOCK => {
                out.push(0xFF)?;
                out.extend(window)?;
                rest = rest.get(MAX_BLOCK..).unwrap_or(&[]);
                if rest.is_empty() {
                    return Ok(out.pos);
                }
            }
            // The last block.
            None => {
                out.push(block_code(window.len()))?;
                out.extend(window)?;
                return Ok(out.pos);
            }
        }
    }
}

/// The code byte for a block of `len` (≤ 254) data bytes.
fn block_code(len: usize) -> u8 {
    u8::try_from(len + 1).unwrap_or(0xFF)
}

/// Decodes COBS bytes `src` (without the 0x00 delimiter) into `dst` and returns the decoded
/// length. A `dst` as long as `src` always suffices.
pub fn decode(src: &[u8], dst: &mut [u8]) -> Result<usize, CobsError> {
    if src.contains(&0) {
        return Err(CobsError::ZeroByte);
    }
    if src.is_empty() {
        return Err(CobsError::Truncated);
    }
    let mut out = Out { buf: dst, pos: 0 };
    let mut rest = src;
    while let Some((&code, tail)) = rest.split_first() {
        let len = usize::from(code)
            .checked_sub(1)
            .ok_or(CobsError::ZeroByte)?;
        let (block, tail) = tail.split_at_checked(len).ok_or(CobsError::Truncated)?;
        out.extend(block)?;
        rest = tail;
        // Every block but a full one stands for a zero, except at the very end.
        if code != 0xFF && !rest.is_empty() {
            out.push(0)?;
        }
    }
    Ok(out.pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(src: &[u8]) -> ([u8; 1200], usize) {
        let mut buf = [0u8; 1200];
        let n = encode(src, &mut buf).unwrap();
        (buf, n)
    }

    #[test]
    fn wikipedia_examples() {
        let cases: &[(&[u8], &[u8])] = &[
            (&[0x00], &[0x01, 0x01]),
            (&[0x00, 0x00], &[0x01, 0x01, 0x01]),
            (&[0x00, 0x11, 0x00], &[0x01, 0x02, 0x11, 0x01]),
            (&[0x11, 0x22, 0x00, 0x33], &[0x03, 0x11, 0x22, 0x02, 0x33]),
            (&[0x11, 0x22, 0x33, 0x44], &[0x05, 0x11, 0x22, 0x33, 0x44]),
            (&[0x11, 0x00, 0x00, 0x00], &[0x02, 0x11, 0x01, 0x01, 0x01]),
            (&[], &[0x01]),
        ];
        for (raw, encoded) in cases {
            let (buf, n) = enc(raw);
            assert_eq!(&buf[..n], *encoded, "encode {raw:02x?}");
            let mut back = [0u8; 16];
            let m = decode(encoded, &mut back).unwrap();
            assert_eq!(&back[..m], *raw, "decode {encoded:02x?}");
        }
    }

    #[test]
    fn full_blocks() {
        // 254 non-zero bytes: one full block and nothing else.
        let raw: [u8; 254] = core::array::from_fn(|i| i as u8 + 1);
        let (buf, n) = enc(&raw);
        assert_eq!(n, 255);
        assert_eq!(buf[0], 0xFF);
        assert_eq!(&buf[1..255], &raw[..]);
        // 255 non-zero bytes: a full block, then a block of one.
        let raw: [u8; 255] = core::array::from_fn(|i| (i % 255) as u8 + 1);
        let (buf, n) = enc(&raw);
        assert_eq!(n, 257);
        assert_eq!(buf[255], 0x02);
        let mut back = [0u8; 300];
        assert_eq!(decode(&buf[..n], &mut back), Ok(255));
        assert_eq!(&back[..255], &raw[..]);
        // 254 non-zero bytes then a zero: a full block, the zero, and the empty last block.
        let mut raw = [1u8; 255];
        raw[254] = 0;
        let (buf, n) = enc(&raw);
        assert_eq!(n, 257);
        assert_eq!(&buf[255..257], &[1, 1]);
        assert_eq!(decode(&buf[..n], &mut back), Ok(255));
        assert_eq!(&back[..255], &raw[..]);
    }

    #[test]
    fn max_encoded_len_is_enough_and_tight_for_non_zero_input() {
        for len in [0usize, 1, 253, 254, 255, 508, 1060] {
            let raw = [0x55u8; 1060];
            let (_, n) = enc(&raw[..len]);
            assert!(n <= max_encoded_len(len), "len {len}: {n}");
        }
        assert_eq!(max_encoded_len(1060), 1065);
    }

    #[test]
    fn decode_errors() {
        let mut dst = [0u8; 8];
        assert_eq!(decode(&[], &mut dst), Err(CobsError::Truncated));
        assert_eq!(decode(&[0x03, 0x11], &mut dst), Err(CobsError::Truncated));
        assert_eq!(decode(&[0x02, 0x00], &mut dst), Err(CobsError::ZeroByte));
        assert_eq!(
            decode(&[0x05, 1, 2, 3, 4], &mut [0u8; 3]),
            Err(CobsError::BufferTooSmall)
        );
        assert_eq!(
            encode(&[1, 2, 3], &mut [0u8; 3]),
            Err(CobsError::BufferTooSmall)
        );
    }
}
