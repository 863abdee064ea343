//! Decode and encode throughput, the engine's per-frame CPU cost on the ingest path.
//!
//! Run: `cargo bench -p firmware-proto --bench decode`.

use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use firmware_proto::{
    Coord, DeviceKey, Flags, FrameType, Header, Location, LocationSource, MAX_FRAME_LEN, Message,
    decode, encode, verify_mac,
};

fn key() -> DeviceKey {
    core::array::from_fn(|i| i as u8)
}

fn location() -> (Header, Message) {
    let header = Header {
        frame_type: FrameType::Location,
        flags: Flags::ACK_REQUESTED,
        device_id: 1001,
        seq: 2,
        time_ms: 1_767_225_615_000,
    };
    let message = Message::Location(Location {
        lat: Coord(569_496_000),
        lon: Coord(241_052_000),
        accuracy_m: Some(12),
        source: LocationSource::Gnss,
        satellites: 9,
        speed_cm_s: 140,
        heading_deg: Some(270),
    });
    (header, message)
}

fn bench(c: &mut Criterion) {
    let (header, message) = location();
    let key = key();
    let mut plain = [0u8; MAX_FRAME_LEN];
    let plain_len = encode(&header, &message, None, &mut plain).expect("encode");
    let plain = &plain[..plain_len];
    let mut signed = [0u8; MAX_FRAME_LEN];
    let signed_len = encode(&header, &message, Some(&key), &mut signed).expect("encode");
    let signed = &signed[..signed_len];

    let mut group = c.benchmark_group("location");
    group.throughput(Throughput::Elements(1));
    group.bench_function("decode", |b| {
        b.iter(|| decode(black_box(plain)).expect("valid"))
    });
    group.bench_function("decode+verify_mac", |b| {
        b.iter(|| {
            let frame = decode(black_box(signed)).expect("valid");
            verify_mac(black_box(signed), &key).expect("mac");
            frame
        })
    });
    group.bench_function("encode+mac", |b| {
        let mut out = [0u8; MAX_FRAME_LEN];
        b.iter(|| {
            encode(
                black_box(&header),
                black_box(&message),
                Some(&key),
                &mut out,
            )
            .expect("encode")
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
