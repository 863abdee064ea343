//! CRC-16/CCITT-FALSE, the frame trailer: it catches line noise on serial links before anything
//! else looks at the bytes. Table-driven, eight bytes a step, because the engine checks every
//! frame it receives (and the judge every stored frame it reads again): it was most of the cost
//! of decoding a frame.

/// Polynomial x^16 + x^12 + x^5 + 1, not reflected.
const POLY: u16 = 0x1021;

/// `TABLES[k][b]`: what byte `b` adds to the CRC when `k` more bytes follow it in the same
/// eight-byte step (slicing-by-8: the eight look-ups of a step do not wait for each other, where
/// one table makes each byte wait for the one before). `TABLES[0]` is the classic table.
/// 8 × 256 × 2 bytes = 4 KiB, built at compile time.
const TABLES: [[u16; 256]; 8] = build_tables();

const fn build_tables() -> [[u16; 256]; 8] {
    let mut tables = [[0u16; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut crc = (i as u16) << 8;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ POLY
            } else {
                crc << 1
            };
            bit += 1;
        }
        tables[0][i] = crc;
        i += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut i = 0;
        while i < 256 {
            // One more zero byte shifted in after the entry of table k - 1.
            let prev = tables[k - 1][i];
            tables[k][i] = (prev << 8) ^ tables[0][(prev >> 8) as usize];
            i += 1;
        }
        k += 1;
    }
    tables
}

/// One byte shifted into `crc`.
fn step(crc: u16, b: u8) -> u16 {
    (crc << 8) ^ TABLES[0][usize::from((crc >> 8) as u8 ^ b)]
}

/// CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, not reflected, xorout 0) of `bytes`.
pub fn crc16(bytes: &[u8]) -> u16 {
    let mut chunks = bytes.chunks_exact(8);
    let mut crc: u16 = 0xFFFF;
    for c in &mut chunks {
        let [b0, b1, b2, b3, b4, b5, b6, b7] = [c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]];
        let [hi, lo] = crc.to_be_bytes();
        crc = TABLES[7][usize::from(hi ^ b0)]
            ^ TABLES[6][usize::from(lo ^ b1)]
            ^ TABLES[5][usize::from(b2)]
            ^ TABLES[4][usize::from(b3)]
            ^ TABLES[3][usize::from(b4)]
            ^ TABLES[2][usize::from(b5)]
            ^ TABLES[1][usize::from(b6)]
            ^ TABLES[0][usize::from(b7)];
    }
    chunks.remainder().iter().fold(crc, |crc, &b| step(crc, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bit-by-bit definition, to check the table against.
    fn crc16_bitwise(bytes: &[u8]) -> u16 {
        let mut crc: u16 = 0xFFFF;
        for &b in bytes {
            crc ^= u16::from(b) << 8;
            for _ in 0..8 {
                crc = if crc & 0x8000 != 0 {
                    (crc << 1) ^ POLY
                } else {
                    crc << 1
                };
            }
        }
        crc
    }

    #[test]
    fn catalogue_check_value() {
        // The check value of CRC-16/CCITT-FALSE in the CRC catalogue.
        assert_eq!(crc16(b"123456789"), 0x29B1);
    }

    #[test]
    fn empty_input_is_init() {
        assert_eq!(crc16(&[]), 0xFFFF);
    }

    #[test]
    fn table_matches_bitwise_definition() {
        let data: [u8; 512] = core::array::from_fn(|i| (i * 7 + 3) as u8);
        // Every length up to five eight-byte steps (each remainder after them), and long ones.
        for len in (0..=40).chain([255, 511, 512]) {
            assert_eq!(crc16(&data[..len]), crc16_bitwise(&data[..len]), "{len}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_match_the_bitwise_definition(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..1_100),
        ) {
            proptest::prop_assert_eq!(crc16(&bytes), crc16_bitwise(&bytes));
        }
    }
}
