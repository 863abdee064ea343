//! The serial codec against arbitrary input: it never fails or panics, never buffers without
//! bound, and always resynchronises at the next 0x00.
#![cfg(feature = "std")]

mod common;

use bytes::{Bytes, BytesMut};
use common::{arb_frame, arb_key, encode_vec};
use firmware_proto::{SerialChunk, SerialCodec, cobs, decode};
use proptest::prelude::*;
use tokio_util::codec::{Decoder, Encoder};

/// Feeds `wire` to a fresh codec in pieces of the given sizes (cycled), then signals EOF.
fn run(wire: &[u8], pieces: &[usize]) -> Vec<SerialChunk> {
    let mut codec = SerialCodec::new();
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    let mut rest = wire;
    let mut sizes = pieces.iter().copied().cycle();
    while !rest.is_empty() {
        let size = sizes.next().unwrap_or(rest.len()).clamp(1, rest.len());
        let (piece, tail) = rest.split_at(size);
        buf.extend_from_slice(piece);
        rest = tail;
        while let Some(chunk) = codec.decode(&mut buf).expect("decode never fails") {
            out.push(chunk);
        }
        // Never more than one maximal run plus one read buffered.
        assert!(
            buf.len() <= cobs::max_encoded_len(1060) + size,
            "buffered {}",
            buf.len()
        );
    }
    while let Some(chunk) = codec.decode_eof(&mut buf).expect("decode_eof never fails") {
        out.push(chunk);
    }
    assert!(buf.is_empty());
    out
}

fn serial(frame: &[u8]) -> Vec<u8> {
    let mut buf = BytesMut::new();
    SerialCodec::new()
        .encode(frame, &mut buf)
        .expect("encodable");
    buf.to_vec()
}

proptest! {
    #[test]
    fn codec_never_fails_on_arbitrary_bytes(
        wire in prop::collection::vec(any::<u8>(), 0..1200),
        pieces in prop::collection::vec(1..64usize, 1..8),
    ) {
        let chunks = run(&wire, &pieces);
        // Whatever came out accounts for no more bytes than went in.
        let total: usize = chunks.iter().map(|c| match c {
            SerialChunk::Frame(f) => f.len(),
            SerialChunk::Noise { bytes } => *bytes,
        }).sum();
        prop_assert!(total <= wire.len());
    }

    #[test]
    fn codec_resynchronises_after_any_noise(
        noise in prop::collection::vec(any::<u8>(), 0..3000),
        (header, message) in arb_frame(),
        key in arb_key(),
        keyed in any::<bool>(),
        pieces in prop::collection::vec(1..200usize, 1..8),
    ) {
        let key = keyed.then_some(key);
        let frame = encode_vec(&header, &message, key.as_ref());
        let mut wire = noise.clone();
        wire.push(0);
        wire.extend_from_slice(&serial(&frame));
        let chunks = run(&wire, &pieces);
        prop_assert_eq!(chunks.last(), Some(&SerialChunk::Frame(Bytes::from(frame.clone()))));
        let decoded = decode(&frame).expect("valid");
        prop_assert_eq!(decoded.message, message);
    }

    #[test]
    fn codec_round_trips_a_stream_of_frames(
        frames in prop::collection::vec(arb_frame(), 1..10),
        pieces in prop::collection::vec(1..100usize, 1..8),
    ) {
        let encoded: Vec<Vec<u8>> = frames.iter().map(|(h, m)| encode_vec(h, m, None)).collect();
        let wire: Vec<u8> = encoded.iter().flat_map(|f| serial(f)).collect();
        let chunks = run(&wire, &pieces);
        let expected: Vec<SerialChunk> =
            encoded.into_iter().map(|f| SerialChunk::Frame(Bytes::from(f))).collect();
        prop_assert_eq!(chunks, expected);
    }
}

#[test]
fn long_garbage_without_delimiter_is_bounded_and_reported() {
    let mut wire = vec![0x5Au8; 10_000];
    wire.push(0);
    let frame = encode_vec(
        &common::header_for(&firmware_proto::Message::Time, Default::default(), 7, 1, 0),
        &firmware_proto::Message::Time,
        None,
    );
    wire.extend_from_slice(&serial(&frame));
    let chunks = run(&wire, &[512]);
    let noise: usize = chunks
        .iter()
        .map(|c| match c {
            SerialChunk::Noise { bytes } => *bytes,
            SerialChunk::Frame(_) => 0,
        })
        .sum();
    assert_eq!(noise, 10_000);
    assert_eq!(chunks.last(), Some(&SerialChunk::Frame(Bytes::from(frame))));
}
