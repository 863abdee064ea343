//! Durable write rate of the observation store, without any transport in front of it:
//! batches of frames committed to SQLite (and PostgreSQL when SARGS_TEST_DATABASE_URL is set),
//! as the writer stage commits them. Prints rows per second per batch size.
//!
//! `cargo bench -p ingest --bench store_write`

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use firmware_proto::DeviceKind;
use ingest::store::{ObservationRow, Telemetry, WriteBatch};
use store::testing::test_databases;

const DEVICES: u64 = 1000;
const ROWS: usize = 200_000;

fn location_row(device_id: u64, seq: u32) -> ObservationRow {
    // A realistic LOCATION frame with MAC (60 bytes) and its decoded fields.
    ObservationRow {
        device_id,
        seq,
        frame_type: 2,
        flags: 5,
        device_time_ms: 1_767_225_600_000 + i64::from(seq) * 15_000,
        received_at_ms: 1_767_225_600_000 + i64::from(seq) * 15_000 + 40,
        via: Arc::from("mqtt"),
        clock_skewed: false,
        fields: r#"{"lat":56.9496,"lon":24.1052,"accuracy_m":12,"source":"gnss","satellites":9,"speed_cm_s":140,"heading_deg":270}"#.to_string(),
        raw: Bytes::from(vec![0x5a; 60]),
    }
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        for db in test_databases().await {
            let store = Telemetry::open_at(&db.location).await.expect("open");
            let devices: Vec<_> = (1..=DEVICES)
                .map(|id| (id, DeviceKind::GpsTag, None))
                .collect();
            store.register_devices(&devices, 0).await.expect("register");
            let mut seq = 0u32;
            for batch_size in [256usize, 1024, 4096] {
                let started = Instant::now();
                let mut written = 0;
                while written < ROWS {
                    seq += 1;
                    let batch = WriteBatch {
                        observations: (0..batch_size)
                            .map(|i| {
                                location_row(
                                    1 + i as u64 % DEVICES,
                                    seq * 8 + (i as u32 / DEVICES as u32),
                                )
                            })
                            .collect(),
                        ..WriteBatch::default()
                    };
                    written += store.write_batch(&batch).await.expect("write").inserted as usize;
                }
                let secs = started.elapsed().as_secs_f64();
                println!(
                    "{:<8} batch {:>5}: {:>9.0} rows/s durable ({} rows in {:.2} s)",
                    db.name,
                    batch_size,
                    written as f64 / secs,
                    written,
                    secs
                );
            }
            store.store().close().await;
        }
    });
}
