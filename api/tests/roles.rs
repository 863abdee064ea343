//! Every route with every role, on SQLite and PostgreSQL: a role the table allows gets past the
//! gate and the row checks for the records in its care; any other role gets 403; nobody signed
//! in gets 401. Then the same routes as users in whose care the records are not: 403.

mod common;

use cases::Role;
use common::{World, world};
use ingest::store::testing::test_databases;
use reqwest::Method;
use serde_json::json;

/// Each role's user whose care the world's client is in, and for row checks a stranger.
pub const OWN: [(Role, &str); 6] = [
    (Role::Admin, "admin"),
    (Role::Operator, "operator"),
    (Role::Officer, "officer.a"),
    (Role::Supervisor, "supervisor.riga"),
    (Role::Technician, "technician"),
    (Role::Court, "court.riga"),
];
pub const STRANGERS: [(Role, &str); 3] = [
    (Role::Officer, "officer.b"),
    (Role::Supervisor, "supervisor.liepaja"),
    (Role::Court, "court.other"),
];

/// The route's path with the world's records in it, and the query it needs.
fn concrete(w: &World, path: &str) -> String {
    let id = if path.starts_with("/api/v1/users/") {
        w.users["officer.a"].to_string()
    } else if path.starts_with("/api/v1/clients/") {
        w.client.to_string()
    } else if path.starts_with("/api/v1/victims/") {
        w.victim.to_string()
    } else if path.starts_with("/api/v1/orders/") {
        w.order.to_string()
    } else if path.starts_with("/api/v1/absences/") {
        w.absence.to_string()
    } else if path.starts_with("/api/v1/devices/") {
        w.device.to_string()
    } else {
        // A token that does not exist: the route is reached, the row is not.
        "999999".to_string()
    };
    let path = path.replace("{id}", &id);
    let query = match path.as_str() {
        "/api/v1/notes" => format!("?client_id={}", w.client),
        "/api/v1/absences" => format!("?order_id={}", w.order),
        p if p.ends_with("/report") => "?from=2026-11-01&to=2026-11-30&format=json".to_string(),
        p if p.ends_with("/observations") || p.ends_with("/episodes") => {
            "?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z".to_string()
        }
        _ => String::new(),
    };
    format!("{path}{query}")
}

fn body_for(method: &Method) -> Option<serde_json::Value> {
    // An empty object: the gate and the row checks come before the body is read, so an allowed
    // caller gets a 4xx naming the missing fields and a refused one a 403.
    matches!(*method, Method::POST | Method::PATCH).then(|| json!({}))
}

#[tokio::test]
async fn every_route_with_every_role() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let mut checked = 0;
        for (endpoint, _) in api::routes::endpoints() {
            let path = concrete(&w, endpoint.path);
            let method = endpoint.method.clone();
            // Signing out would end the token the walk goes on with; it has its own test.
            if path == "/api/v1/session" && method == Method::DELETE {
                continue;
            }
            let (status, answer) = w.call(None, method.clone(), &path, body_for(&method)).await;
            if endpoint.access == api::routes::Access::Public {
                assert_ne!(status, 404, "{name} {method} {path}: {answer}");
                continue;
            }
            assert_eq!(status, 401, "{name} {method} {path} unsigned: {answer}");
            for (role, user) in OWN {
                let (status, answer) = w
                    .call(Some(user), method.clone(), &path, body_for(&method))
                    .await;
                let context = format!("{name} {method} {path} as {user}: {status} {answer}");
                assert!(status < 500, "{context}");
                assert_ne!(status, 401, "{context}");
                if endpoint.access.allows(role) {
                    assert_ne!(status, 403, "{context}");
                    if !path.contains("999999") {
                        assert_ne!(status, 404, "{context}");
                    }
                } else {
                    assert_eq!(status, 403, "{context}");
                    assert_eq!(answer["error"], "forbidden", "{context}");
                }
                checked += 1;
            }
        }
        assert!(checked >= 6 * 38, "{checked} calls");
    }
}

/// The routes that concern one client's records, as users in whose care the client is not.
#[tokio::test]
async fn rows_outside_ones_care_are_refused() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        for (endpoint, _) in api::routes::endpoints() {
            let path = concrete(&w, endpoint.path);
            let method = endpoint.method.clone();
            // Alerts have a test of their own (tests/alerts.rs), with an alert to refuse.
            let about_the_client = ["/clients/", "/orders/", "/victims/", "/notes", "/absences"]
                .iter()
                .any(|p| path.contains(p))
                && !path.contains("/alerts/")
                || path.contains("/observations");
            if !about_the_client {
                continue;
            }
            for (role, user) in STRANGERS {
                if !endpoint.access.allows(role) {
                    continue;
                }
                let (status, answer) = w
                    .call(Some(user), method.clone(), &path, body_for(&method))
                    .await;
                // A body is read before the row check only where the row is named in it.
                let named_in_body = matches!(method, Method::POST) && !endpoint.path.contains('{');
                if named_in_body {
                    continue;
                }
                assert_eq!(status, 403, "{name} {method} {path} as {user}: {answer}");
            }
        }

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
        let (_, units) = w
            .call(Some("admin"), Method::GET, "/api/v1/units", None)
            .await;
        let riga = units
            .as_array()
            .into_iter()
            .flatten()
            .find(|u| u["name"] == "Rīga")
            .and_then(|u| u["id"].as_i64())
            .expect("Rīga");
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
