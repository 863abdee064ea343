//! Every route × every role × (a row in the caller's care, a row outside it), on SQLite and
//! PostgreSQL, against one expected-access table, [`EXPECTED`]. The routes come from the route
//! table (`api::routes::endpoints`): a route added without its row here fails, as does a row
//! for a route that is gone, a role gate that disagrees, or an answer that does. docs/api.md's
//! access table is this table, rendered ([`rendered`]); a difference fails too, printing the
//! table to paste (or `SARGS_BLESS=1` writes it).

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use cases::Role;
use common::*;
use firmware_proto::{Event, EventCode, Message};
use reqwest::Method;
use serde_json::{Value, json};
use store::testing::test_databases;

/// The roles, in the table's column order.
const ROLES: [(Role, &str, &str); 6] = [
    (Role::Admin, "admin", "admin"),
    (Role::Operator, "operator", "operator"),
    (Role::Officer, "officer", "officer.a"),
    (Role::Supervisor, "supervisor", "supervisor.riga"),
    (Role::Technician, "technician", "technician"),
    (Role::Court, "court", "court.riga"),
];

/// May use the route, on any row (or the route has no row: lists are narrowed to one's care).
const Y: &str = "yes";
/// May use the route on rows in their care; another's row is a 403.
const C: &str = "care";
/// May use the route; sees the device's health only (a technician's observations).
const H: &str = "health";
/// May not use the route: 403.
const N: &str = "";

/// Who may do what: method, path, and per role (admin, operator, officer, supervisor,
/// technician, court) one of the above.
#[rustfmt::skip]
const EXPECTED: &[(&str, &str, [&str; 6])] = &[
    ("POST", "/api/v1/session", [Y, Y, Y, Y, Y, Y]),
    ("GET", "/api/v1/session", [Y, Y, Y, Y, Y, Y]),
    ("GET", "/api/v1/session/routes", [Y, Y, Y, Y, Y, Y]),
    ("DELETE", "/api/v1/session", [Y, Y, Y, Y, Y, Y]),
    ("GET", "/api/v1/service", [Y, Y, Y, Y, Y, Y]),
    ("GET", "/api/v1/enumerations", [Y, Y, Y, Y, Y, Y]),
    ("GET", "/api/v1/tokens", [Y, Y, Y, Y, Y, Y]),
    ("POST", "/api/v1/tokens", [Y, Y, Y, Y, Y, Y]),
    ("DELETE", "/api/v1/tokens/{id}", [Y, Y, Y, Y, Y, Y]),
    ("GET", "/api/v1/units", [Y, Y, Y, Y, Y, Y]),
    ("POST", "/api/v1/units", [Y, N, N, N, N, N]),
    ("PATCH", "/api/v1/units/{id}", [Y, N, N, N, N, N]),
    ("GET", "/api/v1/units/{id}/alerting", [Y, N, N, N, N, N]),
    ("PUT", "/api/v1/units/{id}/alerting", [Y, N, N, N, N, N]),
    ("GET", "/api/v1/users", [Y, Y, N, Y, N, N]),
    ("POST", "/api/v1/users", [Y, N, N, N, N, N]),
    ("GET", "/api/v1/users/{id}", [Y, Y, N, C, N, N]),
    ("PATCH", "/api/v1/users/{id}", [Y, N, N, N, N, N]),
    ("GET", "/api/v1/clients", [Y, Y, Y, Y, N, N]),
    ("GET", "/api/v1/caseload", [Y, Y, Y, Y, N, N]),
    ("POST", "/api/v1/clients", [Y, N, C, C, N, N]),
    ("GET", "/api/v1/clients/{id}", [Y, Y, C, C, N, C]),
    ("PATCH", "/api/v1/clients/{id}", [Y, N, C, C, N, N]),
    ("GET", "/api/v1/clients/{id}/episodes", [Y, Y, C, C, N, C]),
    ("GET", "/api/v1/clients/{id}/state", [Y, Y, C, C, N, N]),
    ("GET", "/api/v1/fleet", [Y, Y, Y, Y, N, N]),
    ("GET", "/api/v1/victims", [Y, Y, N, N, N, N]),
    ("POST", "/api/v1/victims", [Y, N, C, C, N, N]),
    ("PATCH", "/api/v1/victims/{id}", [Y, N, C, C, N, N]),
    ("GET", "/api/v1/victims/{id}", [Y, Y, C, C, N, N]),
    ("GET", "/api/v1/orders", [Y, Y, Y, Y, N, Y]),
    ("POST", "/api/v1/orders", [Y, N, C, C, N, N]),
    ("GET", "/api/v1/orders/to-fit", [Y, N, N, N, Y, N]),
    ("GET", "/api/v1/orders/{id}", [Y, Y, C, C, N, C]),
    ("GET", "/api/v1/orders/{id}/revisions", [Y, Y, C, C, N, C]),
    ("POST", "/api/v1/orders/{id}/revisions", [Y, N, C, C, N, N]),
    ("POST", "/api/v1/orders/{id}/status", [Y, N, C, C, N, N]),
    ("GET", "/api/v1/orders/{id}/timetable", [Y, Y, C, C, N, C]),
    ("GET", "/api/v1/orders/{id}/zones", [Y, Y, C, C, N, C]),
    ("GET", "/api/v1/orders/{id}/monitoring", [Y, Y, C, C, N, C]),
    ("GET", "/api/v1/orders/{id}/report", [Y, Y, C, C, N, C]),
    ("GET", "/api/v1/orders/{id}/summaries", [Y, Y, C, C, N, C]),
    ("GET", "/api/v1/summaries/{id}/pdf", [Y, Y, C, C, N, C]),
    ("POST", "/api/v1/summaries/{id}/check", [Y, Y, C, C, N, C]),
    ("GET", "/api/v1/report-signing", [Y, Y, Y, Y, Y, Y]),
    ("GET", "/api/v1/orders/{id}/devices", [Y, Y, C, C, N, N]),
    ("GET", "/api/v1/absences", [Y, Y, C, C, N, N]),
    ("POST", "/api/v1/absences", [Y, N, C, C, N, N]),
    ("POST", "/api/v1/absences/{id}/cancellation", [Y, N, C, C, N, N]),
    ("GET", "/api/v1/notes", [Y, Y, C, C, N, N]),
    ("POST", "/api/v1/notes", [Y, Y, C, C, N, N]),
    ("GET", "/api/v1/devices", [Y, Y, N, N, Y, N]),
    ("GET", "/api/v1/devices/unknown", [Y, Y, N, N, Y, N]),
    ("POST", "/api/v1/devices", [Y, N, N, N, Y, N]),
    ("GET", "/api/v1/devices/firmware", [Y, Y, N, N, Y, N]),
    ("GET", "/api/v1/devices/{id}", [Y, Y, N, N, Y, N]),
    ("PATCH", "/api/v1/devices/{id}", [Y, N, N, N, Y, N]),
    ("POST", "/api/v1/devices/{id}/fitting", [Y, N, N, N, Y, N]),
    ("POST", "/api/v1/devices/{id}/removal", [Y, N, N, N, Y, N]),
    ("GET", "/api/v1/devices/{id}/health", [Y, Y, N, N, Y, N]),
    ("POST", "/api/v1/devices/{id}/commands", [Y, N, N, N, Y, N]),
    ("GET", "/api/v1/devices/{id}/observations", [Y, Y, C, C, H, N]),
    ("GET", "/api/v1/alerts", [Y, Y, Y, Y, N, N]),
    ("GET", "/api/v1/alerts/open-over-time", [Y, Y, Y, Y, N, N]),
    ("GET", "/api/v1/alerts/feed", [Y, Y, Y, Y, N, N]),
    ("GET", "/api/v1/alerts/{id}", [Y, Y, C, C, N, N]),
    ("GET", "/api/v1/alerts/{id}/deliveries", [Y, Y, C, C, N, N]),
    ("POST", "/api/v1/alerts/{id}/acknowledgement", [N, Y, C, C, N, N]),
    ("POST", "/api/v1/alerts/{id}/resolution", [N, Y, C, C, N, N]),
    ("POST", "/api/v1/alerts/{id}/escalation", [N, Y, C, C, N, N]),
    ("POST", "/api/v1/alerts/{id}/locate", [N, Y, C, C, N, N]),
    ("POST", "/api/v1/alerts/{id}/notes", [N, Y, C, C, N, N]),
    ("POST", "/api/v1/alerts/{id}/assignment", [N, Y, C, C, N, N]),
    ("DELETE", "/api/v1/alerts/{id}/assignment", [N, Y, C, C, N, N]),
    ("GET", "/api/v1/contacts", [Y, Y, Y, Y, Y, Y]),
    ("PUT", "/api/v1/contacts", [Y, Y, Y, Y, Y, Y]),
    ("GET", "/api/v1/users/{id}/contacts", [Y, N, N, N, N, N]),
    ("PUT", "/api/v1/users/{id}/contacts", [Y, N, N, N, N, N]),
    ("GET", "/api/v1/audit", [Y, N, N, N, N, N]),
    ("GET", "/api/v1/audit/verify", [Y, N, N, N, N, N]),
];

/// The table as docs/api.md shows it.
fn rendered() -> String {
    let mut out = String::from(
        "| route | admin | operator | officer | supervisor | technician | court |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for (method, path, cells) in EXPECTED {
        let path = path.trim_start_matches("/api/v1");
        out.push_str(&format!("| `{method} {path}` |"));
        for cell in cells {
            out.push_str(&format!(" {cell} |"));
        }
        out.push('\n');
    }
    out
}

const DOCS_BEGIN: &str = "<!-- access table: made by api/tests/matrix.rs -->\n";
const DOCS_END: &str = "<!-- end of access table -->";

#[test]
fn the_docs_show_this_table() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/api.md");
    let docs = std::fs::read_to_string(path).expect("docs/api.md");
    let (Some(begin), Some(end)) = (docs.find(DOCS_BEGIN), docs.find(DOCS_END)) else {
        panic!("docs/api.md has no access table between {DOCS_BEGIN:?} and {DOCS_END:?}");
    };
    let shown = &docs[begin + DOCS_BEGIN.len()..end];
    if shown != rendered() {
        if std::env::var_os("SARGS_BLESS").is_some() {
            let fresh = format!(
                "{}{}{}",
                &docs[..begin + DOCS_BEGIN.len()],
                rendered(),
                &docs[end..]
            );
            std::fs::write(path, fresh).expect("docs/api.md written");
        } else {
            panic!(
                "docs/api.md's access table differs from api/tests/matrix.rs; it should read:\n{}",
                rendered()
            );
        }
    }
}

#[test]
fn every_route_has_its_row_and_the_gate_agrees() {
    let routes: Vec<_> = api::routes::endpoints()
        .into_iter()
        .map(|(e, _)| e)
        .collect();
    for endpoint in &routes {
        let row = EXPECTED
            .iter()
            .find(|(m, p, _)| *m == endpoint.method.as_str() && *p == endpoint.path);
        let Some((_, _, cells)) = row else {
            panic!(
                "{} {} has no row in EXPECTED (api/tests/matrix.rs) and docs/api.md",
                endpoint.method, endpoint.path
            );
        };
        for ((role, _, _), cell) in ROLES.iter().zip(cells) {
            assert_eq!(
                endpoint.access.allows(*role),
                *cell != N,
                "{} {} for {role:?}: the route table and EXPECTED disagree",
                endpoint.method,
                endpoint.path
            );
        }
    }
    for (method, path, _) in EXPECTED {
        assert!(
            routes
                .iter()
                .any(|e| e.method.as_str() == *method && e.path == *path),
            "{method} {path} is in EXPECTED but not served"
        );
    }
}

/// The rows outside the care of officer A, supervisor Rīga and the Rīga court: a Liepāja
/// client under another court's order, with a victim, an absence, a device and an alert.
struct Foreign {
    user: i64,
    client: i64,
    order: i64,
    victim: i64,
    absence: i64,
    device: u64,
    alert: i64,
    own_alert: i64,
    /// A signed summary given out of each order.
    summary: i64,
    own_summary: i64,
    riga: i64,
    liepaja: i64,
}

const OTHER_COURT: &str = "Kurzemes rajona tiesa";

async fn ok(w: &World, user: &str, method: Method, path: &str, body: Value) -> Value {
    let (status, answer) = w.call(Some(user), method.clone(), path, Some(body)).await;
    assert!(
        (200..300).contains(&status),
        "{method} {path}: {status} {answer}"
    );
    answer
}

fn id(v: &Value) -> i64 {
    v["id"].as_i64().expect("an id")
}

async fn foreign(w: &World) -> Foreign {
    let (riga, liepaja) = (w.riga, w.liepaja);
    let user = id(&ok(
        w,
        "admin",
        Method::POST,
        "/api/v1/users",
        json!({ "username": "officer.liepaja",
        "display_name": "L", "role": "officer", "unit_id": liepaja, "password": PASSWORD }),
    )
    .await);
    let client = id(&ok(
        w,
        "admin",
        Method::POST,
        "/api/v1/clients",
        client_body(user, "02029012345"),
    )
    .await);
    let victim = id(&ok(
        w,
        "supervisor.liepaja",
        Method::POST,
        "/api/v1/victims",
        json!({ "contact_name": "B. L.", "device_id": 9002 }),
    )
    .await);
    let order = id(&ok(
        w,
        "admin",
        Method::POST,
        "/api/v1/orders",
        json!({ "client_id": client,
        "court": OTHER_COURT, "case_number": "L-1/2026", "terms": terms(victim) }),
    )
    .await);
    let absence = id(&ok(
        w,
        "admin",
        Method::POST,
        "/api/v1/absences",
        json!({ "order_id": order,
        "from": "2026-11-10T20:00:00Z", "until": "2026-11-11T02:00:00Z", "reason": "work" }),
    )
    .await);
    ok(
        w,
        "technician",
        Method::POST,
        "/api/v1/devices/1002/fitting",
        json!({ "order_id": order }),
    )
    .await;
    // The judge takes the new order up; then a strap opens on each tag: an alert for each.
    let monitoring = format!("/api/v1/orders/{order}/monitoring");
    for _ in 0..300 {
        let state = w
            .call(Some("admin"), Method::GET, &monitoring, None)
            .await
            .1;
        if state["in_force"] == true {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    strap_opened(w).await;
    let now = chrono::Utc::now().timestamp_millis();
    let opened = Message::Event(Event {
        code: EventCode::StrapOpened,
        value: 0,
    });
    store_frames(&w.telemetry, 1002, &[(1, now, opened)]).await;
    let mut alerts = HashMap::new();
    for _ in 0..300 {
        let listed = w
            .call(Some("admin"), Method::GET, "/api/v1/alerts", None)
            .await
            .1;
        for a in listed.as_array().into_iter().flatten() {
            alerts.insert(a["client_id"].as_i64().unwrap_or(0), id(a));
        }
        if alerts.contains_key(&w.client) && alerts.contains_key(&client) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut summaries = Vec::new();
    for of in [w.order, order] {
        let (status, _) = w
            .call(
                Some("admin"),
                Method::GET,
                &format!("/api/v1/orders/{of}/report?from=2026-11-01&to=2026-11-30&format=pdf"),
                None,
            )
            .await;
        assert_eq!(status, 200, "a signed summary of order {of}");
        let (_, listed) = w
            .call(
                Some("admin"),
                Method::GET,
                &format!("/api/v1/orders/{of}/summaries"),
                None,
            )
            .await;
        summaries.push(id(&listed[0]));
    }
    Foreign {
        user,
        client,
        order,
        victim,
        absence,
        device: 1002,
        alert: *alerts.get(&client).expect("the foreign client's alert"),
        own_alert: *alerts.get(&w.client).expect("the own client's alert"),
        own_summary: summaries[0],
        summary: summaries[1],
        riga,
        liepaja,
    }
}

/// A fresh personal code for each client the walk registers.
static CODES: AtomicU32 = AtomicU32::new(1000);

/// The request for a route with the own or the foreign row in it: the path with its query, and
/// the body. A body that names its row is valid, so that the row check is what answers; any
/// other body has an unknown field, which an allowed caller is told of (400) and nothing changes.
fn request(
    w: &World,
    f: &Foreign,
    method: &str,
    path: &str,
    theirs: bool,
) -> (String, Option<Value>) {
    let pick = |own: i64, other: i64| if theirs { other } else { own };
    let client = pick(w.client, f.client);
    let order = pick(w.order, f.order);
    let id = match path {
        p if p.starts_with("/api/v1/users/") => pick(w.users["officer.a"], f.user),
        p if p.starts_with("/api/v1/units/") => pick(f.riga, f.liepaja),
        p if p.starts_with("/api/v1/clients/") => client,
        p if p.starts_with("/api/v1/victims/") => pick(w.victim, f.victim),
        p if p.starts_with("/api/v1/orders/") => order,
        p if p.starts_with("/api/v1/absences/") => pick(w.absence, f.absence),
        p if p.starts_with("/api/v1/devices/") => pick(w.device as i64, f.device as i64),
        p if p.starts_with("/api/v1/alerts/") => pick(f.own_alert, f.alert),
        p if p.starts_with("/api/v1/summaries/") => pick(f.own_summary, f.summary),
        // A token that does not exist: the route is reached, the row is not.
        _ => 999_999,
    };
    let concrete = path.replace("{id}", &id.to_string());
    let query = match concrete.as_str() {
        "/api/v1/notes" if method == "GET" => format!("?client_id={client}"),
        "/api/v1/absences" if method == "GET" => format!("?order_id={order}"),
        "/api/v1/orders/to-fit" => "?q=K-".to_string(),
        p if p.ends_with("/report") => "?from=2026-11-01&to=2026-11-30&format=json".to_string(),
        p if p.ends_with("/observations") || p.ends_with("/episodes") => {
            "?from=2026-11-01T00:00:00Z&to=2027-01-01T00:00:00Z".to_string()
        }
        _ => String::new(),
    };
    let mut no_victim = terms(w.victim);
    no_victim["proximity"] = json!([]);
    let n = CODES.fetch_add(1, Ordering::Relaxed);
    let body = match (method, path) {
        ("GET" | "DELETE", _) => None,
        ("POST", "/api/v1/clients") => Some(client_body(
            pick(w.users["officer.a"], f.user),
            &format!("030390-1{n:04}"),
        )),
        ("POST", "/api/v1/victims") => {
            Some(json!({ "contact_name": "M. X.", "unit_id": pick(f.riga, f.liepaja) }))
        }
        ("POST", "/api/v1/orders") => Some(json!({ "client_id": client,
            "court": if theirs { OTHER_COURT } else { COURT }, "case_number": format!("M-{n}/2026"),
            "terms": no_victim })),
        ("POST", "/api/v1/absences") => Some(json!({ "order_id": order,
            "from": "2026-12-20T20:00:00Z", "until": "2026-12-21T02:00:00Z", "reason": "work" })),
        ("POST", "/api/v1/notes") => Some(json!({ "client_id": client, "text": "a note" })),
        _ => Some(json!({ "matrix_unknown_field": true })),
    };
    (format!("{concrete}{query}"), body)
}

#[tokio::test]
async fn every_route_every_role_own_and_foreign_row() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let f = foreign(&w).await;
        let mut checked = 0;
        for (endpoint, _) in api::routes::endpoints() {
            let method = endpoint.method.as_str();
            let Some((_, _, cells)) = EXPECTED
                .iter()
                .find(|(m, p, _)| *m == method && *p == endpoint.path)
            else {
                panic!("{method} {}: no row in EXPECTED", endpoint.path);
            };
            let public = endpoint.access == api::routes::Access::Public;
            for theirs in [false, true] {
                let (path, body) = request(&w, &f, method, endpoint.path, theirs);
                let (status, answer) = w
                    .call(None, endpoint.method.clone(), &path, body.clone())
                    .await;
                if public {
                    assert!(
                        status != 401 && status != 403 && status != 404,
                        "{name} {method} {path}: {answer}"
                    );
                    continue;
                }
                assert_eq!(status, 401, "{name} {method} {path} unsigned: {answer}");
                for ((_, _, user), cell) in ROLES.iter().zip(cells) {
                    let token = if method == "DELETE" && endpoint.path == "/api/v1/session" {
                        // Signing out ends the credential: a fresh one to end.
                        let expires = chrono::Utc::now() + chrono::TimeDelta::days(1);
                        let made = ok(
                            &w,
                            user,
                            Method::POST,
                            "/api/v1/tokens",
                            json!({ "label": "walk",
                            "expires": expires.to_rfc3339() }),
                        )
                        .await;
                        made["secret"].as_str().expect("a secret").to_string()
                    } else {
                        w.tokens[user].clone()
                    };
                    let mut call = w
                        .http
                        .request(endpoint.method.clone(), format!("{}{path}", w.base))
                        .bearer_auth(token);
                    if let Some(body) = &body {
                        call = call.json(body);
                    }
                    let response = call.send().await.expect("an answer");
                    let status = response.status().as_u16();
                    let streaming = response
                        .headers()
                        .get("content-type")
                        .is_some_and(|t| t.as_bytes().starts_with(b"text/event-stream"));
                    let answer = if streaming {
                        Value::Null
                    } else {
                        response.json().await.unwrap_or(Value::Null)
                    };
                    let context = format!(
                        "{name} {method} {path} as {user} ({}): {status} {answer}",
                        if theirs { "foreign row" } else { "own row" }
                    );
                    let refused = *cell == N || (*cell == C && theirs);
                    if refused {
                        assert_eq!(status, 403, "{context}");
                        assert_eq!(answer["error"], "forbidden", "{context}");
                    } else {
                        assert!(status < 500 && status != 401 && status != 403, "{context}");
                        if !path.contains("999999") {
                            assert_ne!(status, 404, "{context}");
                        }
                    }
                    checked += 1;
                }
            }
        }
        // Public routes are called unsigned only.
        let public = api::routes::endpoints()
            .iter()
            .filter(|(e, _)| e.access == api::routes::Access::Public)
            .count();
        assert!(
            checked >= 6 * 2 * (EXPECTED.len() - public),
            "{checked} calls"
        );
    }
}

/// What `GET /session/routes` tells each role it may use is exactly what the table lets it
/// use (on its own rows at least): the console offers its actions from this list.
#[tokio::test]
async fn each_role_is_told_the_routes_the_table_lets_it_use() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        for (column, (_, role, user)) in ROLES.iter().enumerate() {
            let (status, told) = w
                .call(Some(user), Method::GET, "/api/v1/session/routes", None)
                .await;
            assert_eq!(status, 200, "{name} {role}: {told}");
            let mut told: Vec<(String, String)> = told
                .as_array()
                .expect("a list")
                .iter()
                .map(|r| {
                    (
                        r["method"].as_str().unwrap_or_default().to_string(),
                        r["path"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect();
            told.sort();
            let mut expected: Vec<(String, String)> = EXPECTED
                .iter()
                .filter(|(_, _, cells)| cells[column] != N)
                .map(|(m, p, _)| (m.to_string(), p.to_string()))
                .collect();
            expected.sort();
            assert_eq!(told, expected, "{name} {role}");
        }
        let (status, _) = w
            .call(None, Method::GET, "/api/v1/session/routes", None)
            .await;
        assert_eq!(status, 401, "{name}: signed out");
    }
}
