//! A flood of frames from random unregistered ids, on both backends: the unknown-device list
//! keeps the most recently heard `UNKNOWN_DEVICES_KEPT`, counts the ids (and frames) it let go,
//! and pages through the ones kept in device id order, ids above `i64::MAX` included.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use ingest::store::{Telemetry, UNKNOWN_DEVICES_KEPT, UnknownSighting, WriteBatch};
use store::testing::test_databases;

/// splitmix64: random-looking ids over the whole u64 range, the same on every run.
fn ids(count: usize) -> Vec<u64> {
    let mut state = 0x5eed_u64;
    let mut out = Vec::with_capacity(count);
    let mut seen = BTreeSet::new();
    while out.len() < count {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        if seen.insert(z) {
            out.push(z);
        }
    }
    out
}

/// Every kept unknown device, a page of `limit` at a time.
async fn walk(store: &Telemetry, limit: i64) -> Vec<u64> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = store.unknown_devices(after, limit).await.expect("a page");
        assert!(page.len() as i64 <= limit);
        out.extend(page.iter().map(|d| d.id));
        match page.last() {
            Some(last) if page.len() as i64 == limit => after = Some(last.id),
            _ => return out,
        }
    }
}

#[tokio::test]
async fn a_flood_of_unknown_ids_keeps_the_newest_counts_the_rest_and_pages() {
    let kept = usize::try_from(UNKNOWN_DEVICES_KEPT).expect("a small constant");
    let flood = ids(kept + 537);
    assert!(flood.iter().any(|&id| id > i64::MAX as u64));
    for db in test_databases().await {
        let name = db.name;
        let store = Telemetry::open_at(&db.location).await.expect("store");
        // Id i is heard at instant i, with 1 to 4 frames; every tenth is heard again at the
        // end, which makes it one of the newest.
        let mut heard: HashMap<u64, (i64, i64)> = HashMap::new();
        let mut sightings: Vec<UnknownSighting> = flood
            .iter()
            .enumerate()
            .map(|(i, &id)| UnknownSighting {
                id,
                at_ms: i as i64,
                frames: (i % 4) as i64 + 1,
                via: Arc::from("mqtt"),
            })
            .collect();
        let again: Vec<UnknownSighting> = sightings
            .iter()
            .step_by(10)
            .enumerate()
            .map(|(j, s)| UnknownSighting {
                at_ms: flood.len() as i64 + j as i64,
                frames: 1,
                ..s.clone()
            })
            .collect();
        sightings.extend(again);
        let mut forgotten_ids = 0;
        let mut forgotten_frames = 0;
        for batch in sightings.chunks(97) {
            for s in batch {
                let entry = heard.entry(s.id).or_insert((s.at_ms, 0));
                entry.0 = s.at_ms;
                entry.1 += s.frames;
            }
            store
                .write_batch(&WriteBatch {
                    unknown: batch.to_vec(),
                    ..WriteBatch::default()
                })
                .await
                .expect("committed");
            // What the model lets go after this batch: all but the newest `kept`.
            let mut by_recency: Vec<(i64, u64)> =
                heard.iter().map(|(&id, &(at, _))| (at, id)).collect();
            by_recency.sort_by_key(|&(at, _)| std::cmp::Reverse(at));
            for &(_, id) in by_recency.iter().skip(kept) {
                let (_, frames) = heard.remove(&id).expect("modelled");
                forgotten_ids += 1;
                forgotten_frames += frames;
            }
        }
        assert!(forgotten_ids > 500, "{name}: the flood outgrew the list");

        let forgotten = store.unknown_devices_forgotten().await.expect("count");
        assert_eq!(
            (forgotten.ids, forgotten.frames),
            (forgotten_ids, forgotten_frames),
            "{name}"
        );
        let expected: Vec<u64> = heard
            .keys()
            .copied()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        assert_eq!(expected.len(), kept, "{name}");
        for limit in [500, 7, 1] {
            assert_eq!(
                walk(&store, limit).await,
                expected,
                "{name}: pages of {limit}"
            );
        }
        let page = store.unknown_devices(None, 500).await.expect("a page");
        for d in &page {
            let (at, frames) = heard[&d.id];
            assert_eq!((d.last_seen_ms, d.frames), (at, frames), "{name}: {}", d.id);
        }
        store.store().close().await;
    }
}
