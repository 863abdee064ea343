//! The register of issued summaries, on SQLite and PostgreSQL: what is recorded reads back as
//! it was, an order's list is newest first and its own only, and the bytes come back whole.

use chrono::NaiveDate;
use report::issued::{self, NewIssued};
use report::{Lang, Params};
use rules::Timestamp;
use store::Store;
use store::testing::test_databases;

fn params(order_id: i64, lang: Lang, as_of: Option<Timestamp>) -> Params {
    Params {
        order_id,
        from: NaiveDate::from_ymd_opt(2026, 11, 1).expect("a day"),
        to: NaiveDate::from_ymd_opt(2026, 11, 30).expect("a day"),
        lang,
        as_of,
    }
}

#[tokio::test]
async fn recorded_summaries_read_back_newest_first_with_their_bytes() {
    for db in test_databases().await {
        let name = db.name;
        let store = Store::open(&db.location).await.expect("store");
        issued::migrate(&store).await.expect("migrated");
        // Twice is harmless: a restart migrates again.
        issued::migrate(&store).await.expect("migrated again");
        // Bytes of every value, a NUL among them, as a PDF holds.
        let first_pdf: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
        let second_pdf = b"%PDF-1.7\0second".to_vec();
        let first_params = params(7, Lang::Lv, Some(Timestamp(1_764_000_000_000)));
        let first = issued::record(
            &store,
            &NewIssued {
                params: &first_params,
                digest: "ab12",
                signer_fingerprint: "AA:BB",
                issued_by: Some(3),
                pdf: &first_pdf,
            },
        )
        .await
        .expect("recorded");
        let second_params = params(7, Lang::En, None);
        let second = issued::record(
            &store,
            &NewIssued {
                params: &second_params,
                digest: "cd34",
                signer_fingerprint: "CC:DD",
                issued_by: None,
                pdf: &second_pdf,
            },
        )
        .await
        .expect("recorded");
        let other_params = params(8, Lang::Lv, None);
        issued::record(
            &store,
            &NewIssued {
                params: &other_params,
                digest: "ef56",
                signer_fingerprint: "AA:BB",
                issued_by: Some(3),
                pdf: b"other",
            },
        )
        .await
        .expect("recorded");

        assert_eq!(first.size_bytes, 70_000, "{name}");
        assert_eq!(first.params(), first_params, "{name}");
        let listed = issued::of_order(&store, 7).await.expect("listed");
        assert_eq!(listed, vec![second.clone(), first.clone()], "{name}");
        let (again, bytes) = issued::with_pdf(&store, first.id)
            .await
            .expect("read")
            .expect("there");
        assert_eq!(again, first, "{name}");
        assert_eq!(bytes, first_pdf, "{name}: the same bytes");
        let (_, bytes) = issued::with_pdf(&store, second.id)
            .await
            .expect("read")
            .expect("there");
        assert_eq!(bytes, second_pdf, "{name}");
        assert!(
            issued::with_pdf(&store, 999_999)
                .await
                .expect("read")
                .is_none(),
            "{name}: no such summary"
        );
        assert!(
            issued::of_order(&store, 9)
                .await
                .expect("listed")
                .is_empty(),
            "{name}"
        );
    }
}
