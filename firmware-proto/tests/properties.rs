//! Property tests: round trips for every message type, corruption is always caught, arbitrary
//! input never panics, decode accepts only canonical encodings, and COBS round-trips.

mod common;

use common::{arb_frame, arb_key, encode_vec, fix_crc};
use firmware_proto::{
    EncodeError, Flags, FrameError, FrameType, MAX_FRAME_LEN, cobs, decode, encode, verify_mac,
};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn encode_then_decode_is_identity_without_key((header, message) in arb_frame()) {
        let bytes = encode_vec(&header, &message, None);
        prop_assert_eq!(bytes.len(), 28 + header.frame_type.payload_len());
        let frame = decode(&bytes).expect("own encoding decodes");
        let mut expected = header;
        expected.flags.remove(Flags::MAC);
        prop_assert_eq!(frame.header, expected);
        prop_assert_eq!(frame.message, message);
        prop_assert_eq!(frame.mac, None);
        prop_assert_eq!(verify_mac(&bytes, &[0u8; 32]), Err(FrameError::MacMissing));
    }

    #[test]
    fn encode_then_decode_is_identity_with_key((header, message) in arb_frame(), key in arb_key(), other in arb_key()) {
        let bytes = encode_vec(&header, &message, Some(&key));
        prop_assert_eq!(bytes.len(), 36 + header.frame_type.payload_len());
        let frame = decode(&bytes).expect("own encoding decodes");
        let mut expected = header;
        expected.flags.insert(Flags::MAC);
        prop_assert_eq!(frame.header, expected);
        prop_assert_eq!(frame.message, message);
        prop_assert!(frame.mac.is_some());
        prop_assert_eq!(verify_mac(&bytes, &key), Ok(()));
        if other != key {
            prop_assert_eq!(verify_mac(&bytes, &other), Err(FrameError::MacMismatch));
        }
    }

    /// Every position of the frame, each with a random non-zero xor.
    #[test]
    fn any_single_corrupted_byte_is_rejected(
        (header, message) in arb_frame(),
        key in arb_key(),
        keyed in any::<bool>(),
        xors in prop::collection::vec(1..=255u8, 60),
    ) {
        let key = keyed.then_some(key);
        let good = encode_vec(&header, &message, key.as_ref());
        for (pos, xor) in xors.iter().enumerate().take(good.len()) {
            let mut bad = good.clone();
            bad[pos] ^= xor;
            let rejected = decode(&bad).is_err()
                || key.as_ref().is_some_and(|k| verify_mac(&bad, k).is_err());
            prop_assert!(rejected, "pos {} xor {:#x}", pos, xor);
        }
    }

    /// With the CRC repaired, a changed byte in a keyed frame is still caught, by decode's field
    /// checks or by the MAC.
    #[test]
    fn corruption_with_repaired_crc_is_caught_by_the_mac(
        (header, message) in arb_frame(),
        key in arb_key(),
        pos in any::<prop::sample::Index>(),
        xor in 1..=255u8,
    ) {
        let good = encode_vec(&header, &message, Some(&key));
        let mut bad = good.clone();
        let pos = pos.index(good.len() - 2); // not the CRC itself
        bad[pos] ^= xor;
        fix_crc(&mut bad);
        prop_assert!(decode(&bad).is_err() || verify_mac(&bad, &key).is_err());
    }

    /// Decode accepts only canonical encodings: any payload it accepts re-encodes to the same
    /// bytes, and any it refuses is refused for a field's range.
    #[test]
    fn decode_accepts_only_canonical_payloads(
        (header, message) in arb_frame(),
        payload in prop::collection::vec(any::<u8>(), 16),
    ) {
        let mut bytes = encode_vec(&header, &message, None);
        let n = header.frame_type.payload_len();
        bytes[26..26 + n].copy_from_slice(&payload[..n]);
        fix_crc(&mut bytes);
        match decode(&bytes) {
            Ok(frame) => prop_assert_eq!(encode_vec(&frame.header, &frame.message, None), bytes),
            Err(e) => prop_assert!(matches!(e, FrameError::FieldOutOfRange { .. }), "{:?}", e),
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..1200), key in arb_key()) {
        let _ = decode(&bytes);
        let _ = verify_mac(&bytes, &key);
        let mut out = [0u8; 1200];
        let _ = cobs::decode(&bytes, &mut out);
        let _ = cobs::decode(&bytes, &mut out[..bytes.len() / 2]);
    }

    /// Arbitrary bytes behind a plausible header, to get past the length checks more often.
    #[test]
    fn arbitrary_bodies_never_panic(
        type_byte in any::<u8>(),
        flags in 0..8u8,
        declared in 0..40u16,
        body in prop::collection::vec(any::<u8>(), 0..80),
        key in arb_key(),
    ) {
        let mut bytes = vec![1, type_byte, flags, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1];
        bytes.extend_from_slice(&[0; 8]);
        bytes.extend_from_slice(&declared.to_be_bytes());
        bytes.extend_from_slice(&body);
        if bytes.len() >= 28 {
            fix_crc(&mut bytes);
        }
        if let Ok(frame) = decode(&bytes) {
            prop_assert_eq!(FrameType::from_u8(type_byte), Some(frame.header.frame_type));
        }
        let _ = verify_mac(&bytes, &key);
    }

    #[test]
    fn cobs_round_trips_and_never_emits_zero(bytes in prop::collection::vec(any::<u8>(), 0..1200)) {
        let mut encoded = vec![0u8; cobs::max_encoded_len(bytes.len())];
        let n = cobs::encode(&bytes, &mut encoded).expect("max_encoded_len suffices");
        prop_assert!(n <= cobs::max_encoded_len(bytes.len()));
        prop_assert!(!encoded[..n].contains(&0));
        let mut decoded = vec![0u8; n];
        let m = cobs::decode(&encoded[..n], &mut decoded).expect("own encoding decodes");
        prop_assert_eq!(&decoded[..m], &bytes[..]);
    }

    #[test]
    fn cobs_zero_heavy_input_round_trips(bytes in prop::collection::vec(prop_oneof![Just(0u8), any::<u8>()], 0..600)) {
        let mut encoded = vec![0u8; cobs::max_encoded_len(bytes.len())];
        let n = cobs::encode(&bytes, &mut encoded).expect("max_encoded_len suffices");
        prop_assert!(!encoded[..n].contains(&0));
        let mut decoded = vec![0u8; n];
        let m = cobs::decode(&encoded[..n], &mut decoded).expect("own encoding decodes");
        prop_assert_eq!(&decoded[..m], &bytes[..]);
    }

    #[test]
    fn encode_into_any_short_buffer_fails_cleanly((header, message) in arb_frame(), keyed in any::<bool>(), cut in any::<prop::sample::Index>()) {
        let key = [9u8; 32];
        let key = keyed.then_some(&key);
        let full = encode_vec(&header, &message, key);
        let len = cut.index(full.len());
        let mut out = [0u8; MAX_FRAME_LEN];
        prop_assert_eq!(
            encode(&header, &message, key, &mut out[..len]),
            Err(EncodeError::BufferTooSmall { needed: full.len() })
        );
    }
}
