//! Arbitrary bytes into everything that parses untrusted input: frame decode, MAC verification,
//! COBS decode and the serial codec. Nothing may panic; whatever decodes must re-encode to the
//! same bytes.
#![no_main]

use bytes::BytesMut;
use firmware_proto::{DeviceKey, MAX_FRAME_LEN, SerialCodec, cobs, decode, encode, verify_mac};
use libfuzzer_sys::fuzz_target;
use tokio_util::codec::Decoder;

const KEY: DeviceKey = [0x42; 32];

fuzz_target!(|data: &[u8]| {
    if let Ok(frame) = decode(data) {
        // Decode accepts only canonical frames: re-encoding gives the same bytes (MAC aside).
        if frame.mac.is_none() {
            let mut out = [0u8; MAX_FRAME_LEN];
            let len = encode(&frame.header, &frame.message, None, &mut out)
                .expect("a decoded frame re-encodes");
            assert_eq!(&out[..len], data);
        }
    }
    let _ = verify_mac(data, &KEY);

    let mut out = [0u8; 2048];
    let _ = cobs::decode(data, &mut out);
    let _ = cobs::decode(data, &mut out[..data.len() / 2]);

    let mut codec = SerialCodec::new();
    let mut buf = BytesMut::from(data);
    while let Ok(Some(_)) = codec.decode(&mut buf) {}
    while let Ok(Some(_)) = codec.decode_eof(&mut buf) {}
    assert!(buf.is_empty());
});
