//! The OpenAPI 3.1 document, made from the route table so that it lists exactly the routes
//! served, each with the roles that may call it and an example body that the tests send.

use axum::http::Method;
use serde_json::{Map, Value, json};

use crate::routes::{Access, endpoints};

pub const PATH: &str = "/api/v1/openapi.json";

/// An example of each request body, as the docs show it. Ids in them are placeholders.
pub fn example(body: &str) -> Value {
    match body {
        "Login" => json!({ "username": "ilze.ozola", "password": "correct horse battery" }),
        "NewToken" => {
            json!({ "label": "case management system", "expires": "2027-06-01T00:00:00Z" })
        }
        "NewUnit" => json!({ "name": "Rīgas teritoriālā struktūrvienība", "parent_id": null }),
        "NewUser" => json!({
            "username": "ilze.ozola", "display_name": "Ilze Ozola", "role": "officer",
            "unit_id": 1, "password": "correct horse battery"
        }),
        "UserChange" => json!({ "display_name": "Ilze Ozola-Kalniņa", "unlock": true }),
        "NewClient" => json!({
            "personal_code": "010190-12345", "given_name": "Jānis", "family_name": "Bērziņš",
            "birth_date": "1990-01-01", "phone": "+371 20000000", "language": "lv",
            "risk_notes": "", "officer_id": 2,
            "addresses": [{ "id": "home", "street": "Brīvības iela 1, Rīga",
                "zone": { "type": "circle", "centre": [24.1052, 56.9496], "radius_m": 50.0 } }]
        }),
        "UnitChange" => json!({ "name": "Rīgas pilsētas struktūrvienība" }),
        "VictimChange" => json!({ "contact_phone": "+371 29999998", "device_id": 9002 }),
        "ClientChange" => json!({ "phone": "+371 20000001", "language": "ru" }),
        "NewVictim" => {
            json!({ "contact_name": "A. K.", "contact_phone": "+371 29999999", "device_id": 9001 })
        }
        "NewOrder" => json!({
            "client_id": 1, "court": "Rīgas pilsētas tiesa", "case_number": "K-1/2026",
            "terms": order_terms()
        }),
        "Variation" => json!({ "terms": order_terms(), "reason": "court decision of 2026-12-01" }),
        "StatusChange" => json!({ "status": "suspended" }),
        "NewAbsence" => json!({
            "order_id": 1, "from": "2026-11-10T20:00:00Z", "until": "2026-11-11T02:00:00Z",
            "reason": "work", "details": "night shift at the bakery"
        }),
        "NewNote" => json!({ "client_id": 1, "text": "Home visit: all in order." }),
        "NewDevice" => json!({
            "device_id": 1001, "serial": "T-1001", "kind": "gps-tag", "model": "X1", "firmware": "1.4.2",
            "key": "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
        }),
        "InventoryChange" => json!({ "firmware": "1.4.3" }),
        "Fitting" => json!({ "order_id": 1, "at": "2026-11-02T10:00:00Z" }),
        "Removal" => json!({ "at": "2027-05-02T10:00:00Z", "status": "in_stock" }),
        "AlertNote" => json!({ "note": "Called the client: on the way home." }),
        "AlertResolution" => {
            json!({ "resolution": "reasonable_excuse", "note": "Bus broke down; ticket seen." })
        }
        "Contacts" => json!({ "contacts": [
            { "channel": "email", "address": "ilze.ozola@vpd.example", "min_severity": "medium", "enabled": true },
            { "channel": "sms", "address": "+37120000000", "min_severity": "critical", "enabled": true }
        ] }),
        _ => json!({}),
    }
}

/// The terms of an order: a curfew on weeknights at home, an exclusion zone.
pub fn order_terms() -> Value {
    json!({
        "decision_date": "2026-11-01",
        "legal_basis": "conditional_early_release",
        "starts": "2026-11-02T00:00:00Z",
        "ends": "2027-05-02T00:00:00Z",
        "time_zone": "Europe/Riga",
        "curfew": { "timetable": [{ "address": "home", "slots": [
            { "day": "mon", "start": "22:00", "end": "06:00" },
            { "day": "fri", "start": "23:00", "end": "07:00" }
        ] }] },
        "zones": [{ "id": "old-town", "kind": "exclusion",
            "shape": { "type": "circle", "centre": [24.1300, 56.9600], "radius_m": 200.0 } }],
        "obligations": [{ "kind": "programme", "description": "Attend the programme weekly" }]
    })
}

fn error_response(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": {
        "schema": { "$ref": "#/components/schemas/Error" } } } })
}

pub fn document() -> Value {
    let mut paths = Map::new();
    for (endpoint, _) in endpoints() {
        let mut operation = Map::new();
        operation.insert("summary".into(), json!(endpoint.summary));
        operation.insert("tags".into(), json!([endpoint.tag]));
        operation.insert(
            "operationId".into(),
            json!(format!(
                "{} {}",
                endpoint.method.as_str().to_lowercase(),
                endpoint.path
            )),
        );
        let mut parameters: Vec<Value> = endpoint
            .path
            .split('/')
            .filter_map(|part| part.strip_prefix('{')?.strip_suffix('}'))
            .map(|name| {
                json!({ "name": name, "in": "path", "required": true,
                        "schema": { "type": "integer", "minimum": 0 } })
            })
            .collect();
        parameters.extend(endpoint.query.iter().map(|(name, description)| {
            json!({ "name": name, "in": "query", "description": description,
                    "schema": { "type": "string" } })
        }));
        if !parameters.is_empty() {
            operation.insert("parameters".into(), Value::Array(parameters));
        }
        if let Some(body) = endpoint.body {
            operation.insert(
                "requestBody".into(),
                json!({ "required": true, "description": body, "content": { "application/json": {
                    "schema": { "type": "object" }, "example": example(body) } } }),
            );
        }
        let mut responses = json!({
            "200": { "description": "done (201 when something was made)" },
            "400": error_response("the body could not be read"),
            "404": error_response("no such record"),
            "422": error_response("the request is not valid; the fields say why"),
        });
        match endpoint.access {
            Access::Public => {
                operation.insert("security".into(), json!([]));
            }
            Access::Roles(roles) => {
                let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
                operation.insert("x-roles".into(), json!(names));
                operation.insert(
                    "description".into(),
                    json!(format!("Roles: {}.", names.join(", "))),
                );
                responses["401"] = error_response("not signed in");
                responses["403"] = error_response("not for your role, or not in your care");
            }
        }
        if endpoint.path == "/api/v1/session" && endpoint.method == Method::POST {
            responses["401"] = error_response(
                "wrong name or password (wrong_credentials), or locked out until `until` (locked_out)",
            );
            responses["429"] = error_response(
                "too many sign-ins from this address or for this name; Retry-After says when to try again",
            );
        }
        operation.insert("responses".into(), responses);
        let item = paths
            .entry(endpoint.path.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        item[endpoint.method.as_str().to_lowercase()] = Value::Object(operation);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "sargs API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Electronic-monitoring case records and telemetry. Sign in with POST /api/v1/session (a session cookie) or send an API token as `Authorization: Bearer ...`. Times are RFC 3339 in UTC."
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "session": { "type": "apiKey", "in": "cookie", "name": crate::gate::SESSION_COOKIE },
                "token": { "type": "http", "scheme": "bearer" }
            },
            "schemas": { "Error": {
                "type": "object",
                "required": ["error", "message", "fields"],
                "properties": {
                    "error": { "type": "string" },
                    "message": { "type": "string" },
                    "fields": { "type": "array", "items": { "type": "object",
                        "properties": { "field": { "type": "string" }, "reason": { "type": "string" } } } }
                }
            } }
        },
        "security": [{ "session": [] }, { "token": [] }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every example in the docs reads as the type the route takes.
    #[test]
    fn examples_are_valid_bodies() {
        fn reads<T: serde::de::DeserializeOwned>(name: &str) {
            if let Err(e) = serde_json::from_value::<T>(example(name)) {
                panic!("the example of {name} does not read: {e}");
            }
        }
        let mut seen = 0;
        for (endpoint, _) in endpoints() {
            let Some(body) = endpoint.body else { continue };
            seen += 1;
            match body {
                "Login" => reads::<crate::session::Login>(body),
                "NewToken" => reads::<crate::session::NewToken>(body),
                "NewUnit" => reads::<cases::NewUnit>(body),
                "NewUser" => reads::<cases::NewUser>(body),
                "UserChange" => reads::<cases::UserChange>(body),
                "NewClient" => reads::<cases::NewClient>(body),
                "ClientChange" => reads::<cases::ClientChange>(body),
                "UnitChange" => reads::<cases::UnitChange>(body),
                "VictimChange" => reads::<cases::VictimChange>(body),
                "NewVictim" => reads::<cases::NewVictim>(body),
                "NewOrder" => reads::<cases::NewOrder>(body),
                "Variation" => reads::<crate::orders::Variation>(body),
                "StatusChange" => reads::<crate::orders::StatusChange>(body),
                "NewAbsence" => reads::<cases::NewAbsence>(body),
                "NewNote" => reads::<cases::NewNote>(body),
                "NewDevice" => reads::<crate::devices::NewDevice>(body),
                "InventoryChange" => reads::<cases::InventoryChange>(body),
                "Fitting" => reads::<crate::devices::Fitting>(body),
                "Removal" => reads::<crate::devices::Removal>(body),
                "AlertNote" => reads::<crate::alerts::AlertNote>(body),
                "AlertResolution" => reads::<crate::alerts::AlertResolution>(body),
                "Contacts" => reads::<crate::alerts::Contacts>(body),
                other => panic!("no example type for {other}"),
            }
        }
        assert!(seen >= 19);
    }

    /// One operation per route, and the document names each route's roles.
    #[test]
    fn the_document_lists_every_route() {
        let doc = document();
        let routes = endpoints();
        let operations: usize = doc["paths"]
            .as_object()
            .map(|p| {
                p.values()
                    .map(|item| item.as_object().map_or(0, |o| o.len()))
                    .sum()
            })
            .unwrap_or(0);
        assert_eq!(operations, routes.len());
        for (endpoint, _) in routes {
            let op = &doc["paths"][endpoint.path][endpoint.method.as_str().to_lowercase()];
            assert_eq!(op["summary"], json!(endpoint.summary));
            if let Access::Roles(roles) = endpoint.access {
                assert_eq!(op["x-roles"].as_array().map(Vec::len), Some(roles.len()));
            }
        }
    }
}
