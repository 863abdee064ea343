//! Arbitrary bytes into everything that parses untrusted input: frame decode, MAC verification,
//! COBS decode and the serial codec. Nothing may panic; whatever decodes must re-encode to the
//! same bytes.
#![no_main]

use bytes::BytesMut;
use firmware_proto::{
    DeviceKey, MAX_FRAME_LEN, SerialCodec, cobs, crc16, decode, encode, verify_mac,
};
use libfuzzer_sys::fuzz_target;
use tokio_util::codec::Decoder;

const KEY: DeviceKey = [0x42; 32];

/// Decode must not panic, and whatever it accepts must be canonical.
fn check_decode(data: &[u8]) {
    if let Ok(frame) = decode(data) {
        // Decode accepts only canonical frames: re-encoding gives the same bytes (MAC aside).
        if frame.mac.is_none() {
            let mut out = [0u8; MAX_FRAME_LEN];
            let len = encode(&frame.header, &frame.message, None, &mut out)
                .expect("a decoded frame re-encodes");
            assert_eq!(&out[..len], data);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    check_decode(data);
    // Random bytes almost never carry a right CRC; repair it so the fuzzer also reaches the
    // header and payload checks behind it.
    if let Some((body, _)) = data.split_last_chunk::<2>() {
        let mut fixed = data.to_vec();
        let n = fixed.len();
        fixed[n - 2..].copy_from_slice(&crc16(body).to_be_bytes());
        check_decode(&fixed);
    }
    let _ = verify_mac(data, &KEY);

    let mut out = [0u8; 2048];
    let _ = cobs::decode(data, &mut out);
    let _ = cobs::decode(data, &mut out[..(data.len() / 2).min(2048)]);

    let mut codec = SerialCodec::new();
    let mut buf = BytesMut::from(data);
    while let Ok(Some(_)) = codec.decode(&mut buf) {}
    while let Ok(Some(_)) = codec.decode_eof(&mut buf) {}
    assert!(buf.is_empty());
});
