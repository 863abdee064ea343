//! Lists and care beyond one record, on SQLite and PostgreSQL: lists narrowed to one's care, a
//! supervisor's departments, a client not moved into another's caseload.

mod common;

use common::world;
use reqwest::Method;
use serde_json::json;
use store::testing::test_databases;

/// Lists show only what is in one's care, whatever filter is asked for; a supervisor's care
/// takes in their unit's departments. (Every route with every role, and a record in and out of
/// one's care: matrix.rs.)
#[tokio::test]
async fn lists_show_only_what_is_in_ones_care() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        // Lists show only what is in one's care.
        let (status, clients) = w
            .call(Some("officer.b"), Method::GET, "/api/v1/clients", None)
            .await;
        assert_eq!(status, 200);
        assert_eq!(clients, json!([]), "{name}");
        let (_, clients) = w
            .call(Some("officer.a"), Method::GET, "/api/v1/clients", None)
            .await;
        assert_eq!(clients.as_array().map(Vec::len), Some(1));
        let (_, orders) = w
            .call(Some("court.other"), Method::GET, "/api/v1/orders", None)
            .await;
        assert_eq!(orders, json!([]));
        let (_, orders) = w
            .call(Some("court.riga"), Method::GET, "/api/v1/orders", None)
            .await;
        assert_eq!(orders.as_array().map(Vec::len), Some(1));
        let (_, users) = w
            .call(
                Some("supervisor.liepaja"),
                Method::GET,
                "/api/v1/users",
                None,
            )
            .await;
        let names: Vec<&str> = users
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|u| u["username"].as_str())
            .collect();
        assert_eq!(names, vec!["supervisor.liepaja"], "{name}");
        // A supervisor sees the departments of their unit; a department has no departments.
        let riga = w.riga;
        let new_unit = json!({ "name": "Rīga, Centra nodaļa", "parent_id": riga });
        let (status, dept) = w
            .call(Some("admin"), Method::POST, "/api/v1/units", Some(new_unit))
            .await;
        assert_eq!(status, 201, "{dept}");
        let deeper = json!({ "name": "Too deep", "parent_id": dept["id"] });
        let (status, answer) = w
            .call(Some("admin"), Method::POST, "/api/v1/units", Some(deeper))
            .await;
        assert_eq!(status, 422, "{answer}");
        let officer_c = json!({ "username": "officer.c", "display_name": "C", "role": "officer",
                                "unit_id": dept["id"], "password": "correct horse battery" });
        let (_, officer_c) = w
            .call(
                Some("admin"),
                Method::POST,
                "/api/v1/users",
                Some(officer_c),
            )
            .await;
        let body = common::client_body(officer_c["id"].as_i64().expect("id"), "05059012345");
        let (status, client) = w
            .call(Some("admin"), Method::POST, "/api/v1/clients", Some(body))
            .await;
        assert_eq!(status, 201, "{client}");
        let path = format!("/api/v1/clients/{}", client["id"]);
        let (status, _) = w
            .call(Some("supervisor.riga"), Method::GET, &path, None)
            .await;
        assert_eq!(status, 200, "{name}: the department's client");
        let (status, _) = w
            .call(Some("supervisor.liepaja"), Method::GET, &path, None)
            .await;
        assert_eq!(status, 403);
        let (_, listed) = w
            .call(
                Some("supervisor.riga"),
                Method::GET,
                "/api/v1/clients",
                None,
            )
            .await;
        assert_eq!(listed.as_array().map(Vec::len), Some(2), "{listed}");
        let path = format!("/api/v1/clients?unit_id={}", dept["id"]);
        let (_, listed) = w
            .call(Some("supervisor.riga"), Method::GET, &path, None)
            .await;
        assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
        let (_, listed) = w
            .call(Some("supervisor.liepaja"), Method::GET, &path, None)
            .await;
        assert_eq!(listed, json!([]));

        // Officer B cannot move the client into their own caseload either.
        let body = json!({ "officer_id": w.users["officer.b"] });
        let path = format!("/api/v1/clients/{}", w.client);
        let (status, _) = w
            .call(Some("officer.b"), Method::PATCH, &path, Some(body))
            .await;
        assert_eq!(status, 403);
    }
}
