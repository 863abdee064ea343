//! CRC-16/CCITT-FALSE, the frame trailer: it catches line noise on serial links before anything
//! else looks at the bytes. Table-driven because the engine checks every frame it receives.

/// Polynomial x^16 + x^12 + x^5 + 1, not reflected.
const POLY: u16 = 0x1021;

/// One entry per value of the byte shifted in, built at compile time.
const TABLE: [u16; 256] = build_table();

const fn build_table() -> [u16; 256] {
    let mut table = [0u16; 256];
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
        table[i] = crc;
        i += 1;
    }
    table
}

/// CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, not reflected, xorout 0) of `bytes`.
pub fn crc16(bytes: &[u8]) -> u16 {
    bytes.iter().fold(0xFFFF, |crc, &b| {
        let index = usize::from((crc >> 8) as u8 ^ b);
        (crc << 8) ^ TABLE[index]
    })
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
        for len in [0, 1, 2, 31, 255, 512] {
            assert_eq!(crc16(&data[..len]), crc16_bitwise(&data[..len]));
        }
    }
}
