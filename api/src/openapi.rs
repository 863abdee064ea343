//! The OpenAPI 3.1 document, made from the route table so that it lists exactly the routes
//! served, each with the roles that may call it and an example body that the tests send.

use std::collections::BTreeMap;

use axum::http::Method;
use schemars::generate::SchemaSettings;
use schemars::{Schema, SchemaGenerator};
use serde_json::{Map, Value, json};

use crate::routes::{Access, Endpoint, Success, endpoints};

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
        "DeviceCommand" => {
            json!({ "command": "config", "heartbeat_interval_s": 300, "location_interval_moving_s": 30, "location_interval_still_s": 600 })
        }
        "Removal" => json!({ "at": "2027-05-02T10:00:00Z", "status": "in_stock" }),
        "AlertNote" => json!({ "note": "Called the client: on the way home." }),
        "AlertTake" => json!({ "over": true, "note": "Anna is on another call." }),
        "AlertResolution" => {
            json!({ "resolution": "reasonable_excuse", "note": "Bus broke down; ticket seen." })
        }
        "Contacts" => json!({ "contacts": [
            { "channel": "email", "address": "ilze.ozola@vpd.example", "min_severity": "medium", "enabled": true },
            { "channel": "sms", "address": "+37120000000", "min_severity": "critical", "enabled": true }
        ] }),
        "UnitAlerting" => json!({
            "channels": ["email", "sms"], "escalation_contacts": [5],
            "escalate_after": { "critical": 300, "high": 900, "medium": 3600 }
        }),
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

fn error(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": {
        "schema": { "$ref": "#/components/schemas/Error" } } } })
}

/// An error answer that says when to try again.
fn error_retry(description: &str) -> Value {
    let mut answer = error(description);
    answer["headers"] = json!({ "Retry-After": {
        "description": "seconds to wait before trying again",
        "schema": { "type": "integer", "minimum": 1 } } });
    answer
}

/// The generators of the document's schemas: one describes what sargs reads (requests), the
/// other what it writes (responses). A type can differ between the two (a field with a default
/// may be left out of a request but is always in a response), so each keeps its own.
fn generator(serialize: bool) -> SchemaGenerator {
    let settings = SchemaSettings::draft2020_12().with(|s| {
        s.definitions_path = "/components/schemas".into();
        s.meta_schema = None;
    });
    if serialize {
        settings.for_serialize().into_generator()
    } else {
        settings.for_deserialize().into_generator()
    }
}

const SCHEMAS: &str = "#/components/schemas/";

/// Points every `$ref` in `value` to a renamed definition, where it was renamed.
fn rename_refs(value: &mut Value, renamed: &BTreeMap<String, String>) {
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                if key == "$ref" {
                    let name = item.as_str().and_then(|r| r.strip_prefix(SCHEMAS));
                    if let Some(new) = name.and_then(|n| renamed.get(n)) {
                        *item = json!(format!("{SCHEMAS}{new}"));
                    }
                } else {
                    rename_refs(item, renamed);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rename_refs(v, renamed)),
        _ => {}
    }
}

/// A query parameter's schema, without the `null` an `Option` field allows in JSON: a query
/// leaves a parameter out instead.
fn without_null(mut schema: Value) -> Value {
    if let Some(types) = schema.get_mut("type").and_then(Value::as_array_mut) {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            schema["type"] = types[0].clone();
        }
    }
    if let Some(any) = schema.get_mut("anyOf").and_then(Value::as_array_mut) {
        any.retain(|s| s.get("type").and_then(Value::as_str) != Some("null"));
        if any.len() == 1 {
            let only = any[0].clone();
            if let Some(map) = schema.as_object_mut() {
                map.remove("anyOf");
                if let Some(inner) = only.as_object() {
                    map.extend(inner.clone());
                }
            }
        }
    }
    schema
}

/// Every status a route can answer besides success, and why.
fn failures(endpoint: &Endpoint, parameters: &[Value]) -> Vec<(&'static str, Value)> {
    let public = endpoint.access == Access::Public;
    let changes = endpoint.method != Method::GET;
    let names_a_record = endpoint.path.contains('{')
        || parameters.iter().any(|p| {
            p["name"]
                .as_str()
                .is_some_and(|n| n.ends_with("_id") && p["required"] == json!(true))
        })
        || endpoint.body.is_some() && changes;
    let mut out = Vec::new();
    if endpoint.body.is_some() {
        out.push((
            "400",
            error("the body could not be read: not JSON, the wrong shape, or an unknown field; `fields` says where"),
        ));
    }
    if public {
        out.push((
            "401",
            error("wrong name or password (wrong_credentials), or locked out until `until` (locked_out)"),
        ));
        out.push((
            "429",
            error_retry("too many sign-ins from this address or for this name"),
        ));
    } else {
        out.push((
            "401",
            error("not signed in, or the session or token has ended"),
        ));
        out.push((
            "403",
            error("not for your role, or the record is not in your care; or a change made with the session cookie from another site (cross_site_request)"),
        ));
    }
    if names_a_record {
        out.push(("404", error("no such record")));
    }
    if changes && CONFLICTS.contains(&endpoint.tag) && !endpoint.path.ends_with("/contacts") {
        out.push((
            "409",
            error("the record's state does not allow it (taken already, done already, a final state); nothing was changed"),
        ));
    }
    if endpoint.body.is_some() {
        out.push(("415", error("the body is not sent as application/json")));
    }
    if changes || endpoint.query.is_some() {
        out.push((
            "422",
            error("the request is not valid; `fields` names each field and why"),
        ));
    }
    out.push((
        "503",
        error_retry("the database does not answer or refuses writes (storage_unavailable); nothing was changed"),
    ));
    out
}

/// The groups whose changes can conflict with a record's state.
const CONFLICTS: &[&str] = &[
    "units", "users", "clients", "victims", "orders", "absences", "devices", "alerts",
];

fn success(endpoint: &Endpoint, generator: &mut SchemaGenerator) -> (&'static str, Value) {
    let json = |schema: Schema| json!({ "application/json": { "schema": schema } });
    match &endpoint.success {
        Success::Json { created, schema } => (
            if *created { "201" } else { "200" },
            json!({ "description": if *created { "made" } else { "done" }, "content": json(schema(generator)) }),
        ),
        Success::Typed { media, schema } => (
            "200",
            json!({ "description": "done", "content": { *media: { "schema": schema(generator) } } }),
        ),
        Success::Empty => ("204", json!({ "description": "done; nothing to say" })),
        Success::Report { json: exchange } => (
            "200",
            json!({
                "description": "the compliance summary; its SHA-256 digest is in the document (docs/report.md)",
                "headers": { "Content-Disposition": {
                    "description": "attachment; the file's name", "schema": { "type": "string" } } },
                "content": {
                    "application/pdf": { "schema": { "type": "string", "contentMediaType": "application/pdf" } },
                    "application/json": { "schema": exchange(generator) }
                }
            }),
        ),
        Success::Pdf => (
            "200",
            json!({
                "description": "the PDF file",
                "headers": { "Content-Disposition": {
                    "description": "attachment; the file's name", "schema": { "type": "string" } } },
                "content": {
                    "application/pdf": { "schema": { "type": "string", "contentMediaType": "application/pdf" } }
                }
            }),
        ),
        // OpenAPI 3.1 has no schema for one event of a stream (3.2's `itemSchema`); tools such
        // as Schemathesis check `schema` against each event's fields, so it describes one event.
        Success::EventStream { kind, data } => (
            "200",
            json!({
                "description": "alert events as they are committed, oldest first; a comment every 15 s keeps the connection open",
                "content": { "text/event-stream": { "schema": {
                    "type": "object",
                    "required": ["id", "event", "data"],
                    "properties": {
                        "id": { "type": "string", "pattern": "^[0-9]+$",
                                "description": "the event's id: send it as Last-Event-ID (or `after`) to resume after it" },
                        "event": kind(generator),
                        "data": { "type": "string", "contentMediaType": "application/json",
                                  "contentSchema": data(generator),
                                  "description": "the event and the alert after it, as JSON" }
                    }
                } } }
            }),
        ),
    }
}

pub fn document() -> Value {
    let mut reads = generator(false);
    let mut writes = generator(true);
    let mut paths = Map::new();
    for (endpoint, _) in endpoints() {
        let method = endpoint.method.as_str().to_lowercase();
        let mut operation = Map::new();
        operation.insert("summary".into(), json!(endpoint.summary));
        operation.insert("tags".into(), json!([endpoint.tag]));
        operation.insert(
            "operationId".into(),
            json!(format!("{method} {}", endpoint.path)),
        );
        let mut parameters: Vec<Value> = endpoint
            .path
            .split('/')
            .filter_map(|part| part.strip_prefix('{')?.strip_suffix('}'))
            .map(|name| {
                json!({ "name": name, "in": "path", "required": true,
                        "schema": { "type": "integer", "format": "int64" } })
            })
            .collect();
        if let Some(query) = endpoint.query {
            let schema = query(&mut reads).to_value();
            let required = schema["required"].as_array().cloned().unwrap_or_default();
            if let Some(fields) = schema["properties"].as_object() {
                for (name, field) in fields {
                    let mut field = field.clone();
                    let description = field
                        .as_object_mut()
                        .and_then(|f| f.remove("description"))
                        .unwrap_or_default();
                    parameters.push(json!({
                        "name": name, "in": "query", "description": description,
                        "required": required.contains(&json!(name)),
                        "schema": without_null(field),
                    }));
                }
            }
        }
        let statuses = failures(&endpoint, &parameters);
        if !parameters.is_empty() {
            operation.insert("parameters".into(), Value::Array(parameters));
        }
        if let Some(body) = &endpoint.body {
            operation.insert(
                "requestBody".into(),
                json!({ "required": true, "content": { "application/json": {
                    "schema": (body.schema)(&mut reads), "example": example(&body.name) } } }),
            );
        }
        let mut responses = Map::new();
        let (status, answer) = success(&endpoint, &mut writes);
        responses.insert(status.into(), answer);
        for (status, answer) in statuses {
            responses.insert(status.into(), answer);
        }
        operation.insert("responses".into(), Value::Object(responses));
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
            }
        }
        let item = paths
            .entry(endpoint.path.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        item[method] = Value::Object(operation);
    }
    // One set of definitions: a type read and written alike is one schema; one that differs
    // keeps its written form under its name and its read form as `<name>Input`.
    let written = writes.take_definitions(true);
    let read = reads.take_definitions(true);
    let renamed: BTreeMap<String, String> = read
        .iter()
        .filter(|(name, schema)| written.get(*name).is_some_and(|w| w != *schema))
        .map(|(name, _)| (name.clone(), format!("{name}Input")))
        .collect();
    let mut schemas = written;
    for (name, mut schema) in read {
        rename_refs(&mut schema, &renamed);
        let name = renamed.get(&name).cloned().unwrap_or(name);
        schemas.insert(name, schema);
    }
    // What sargs reads is in each operation's body and parameters; answers keep the names.
    for item in paths.values_mut().filter_map(Value::as_object_mut) {
        for op in item.values_mut() {
            for part in ["requestBody", "parameters"] {
                if let Some(value) = op.get_mut(part) {
                    rename_refs(value, &renamed);
                }
            }
        }
    }
    schemas.insert("Error".into(), error_schema());
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
            "schemas": schemas,
        },
        "security": [{ "session": [] }, { "token": [] }],
    })
}

/// Every answer that is not a success (`error.rs`).
fn error_schema() -> Value {
    json!({
        "type": "object",
        "required": ["error", "message", "fields"],
        "properties": {
            "error": { "type": "string", "description": "a stable code: invalid_request, malformed_request, conflict, not_found, unauthenticated, forbidden, cross_site_request, wrong_credentials, locked_out, too_many_attempts, unsupported_media_type, storage_unavailable, internal" },
            "message": { "type": "string", "description": "what happened, in English" },
            "fields": { "type": "array", "items": {
                "type": "object",
                "required": ["field", "reason"],
                "properties": {
                    "field": { "type": "string", "description": "a dotted path: terms.zones[0].shape" },
                    "reason": { "type": "string" },
                    "code": { "type": "string", "description": "a stable name of the reason, for words in the user's language" }
                } } },
            "until": { "type": "string", "format": "date-time", "description": "locked_out: when signing in is possible again" },
            "retry_after_s": { "type": "integer", "description": "too_many_attempts: seconds to wait" }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every example in the docs reads as the type the route takes.
    #[test]
    fn examples_are_valid_bodies() {
        let mut seen = 0;
        for (endpoint, _) in endpoints() {
            let Some(body) = endpoint.body else { continue };
            seen += 1;
            let example = example(&body.name);
            assert_ne!(example, json!({}), "no example of {}", body.name);
            if let Err(e) = (body.reads)(example) {
                panic!("the example of {} does not read: {e}", body.name);
            }
        }
        assert!(seen >= 19);
    }

    /// Every `$ref` points at a definition the document has, and no definition is a
    /// placeholder: a type's schema is there in full.
    #[test]
    fn every_reference_resolves() {
        fn refs(value: &Value, out: &mut Vec<String>) {
            match value {
                Value::Object(map) => {
                    for (key, item) in map {
                        match (key.as_str(), item.as_str()) {
                            ("$ref", Some(r)) => out.push(r.to_string()),
                            _ => refs(item, out),
                        }
                    }
                }
                Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
                _ => {}
            }
        }
        let doc = document();
        let mut found = Vec::new();
        refs(&doc, &mut found);
        assert!(found.len() > 50, "{}", found.len());
        for r in found {
            let name = r.strip_prefix(SCHEMAS).unwrap_or_else(|| panic!("{r}"));
            let schema = &doc["components"]["schemas"][name];
            assert!(schema.is_object(), "{r} is not defined");
        }
    }

    /// The terms of an order are described field by field, with what is required and the
    /// values an enum takes, in both directions.
    #[test]
    fn an_orders_terms_are_described() {
        let doc = document();
        let schemas = &doc["components"]["schemas"];
        let body = &doc["paths"]["/api/v1/orders"]["post"]["requestBody"]["content"]["application/json"]
            ["schema"]["$ref"];
        let new_order = &schemas[body
            .as_str()
            .and_then(|r| r.strip_prefix(SCHEMAS))
            .unwrap_or("")];
        assert_eq!(new_order["additionalProperties"], json!(false));
        let required = new_order["required"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for field in ["client_id", "court", "case_number", "terms"] {
            assert!(required.contains(&json!(field)), "{field} required");
        }
        // Read: health has defaults, so it may be left out; written, it is always there.
        let terms_in = &schemas["OrderTermsInput"];
        let terms_out = &schemas["OrderTerms"];
        assert!(
            !terms_in["required"]
                .as_array()
                .is_some_and(|r| r.contains(&json!("health")))
        );
        assert!(
            terms_out["required"]
                .as_array()
                .is_some_and(|r| r.contains(&json!("health")))
        );
        assert!(terms_out["properties"]["proximity"].is_object());
        // An enum lists its values (each with its doc comment, where it has one).
        let mut bases: Vec<String> = schemas["LegalBasis"]["oneOf"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|v| match (&v["const"], &v["enum"]) {
                (Value::String(c), _) => vec![c.clone()],
                (_, Value::Array(e)) => e
                    .iter()
                    .filter_map(|s| s.as_str().map(String::from))
                    .collect(),
                _ => Vec::new(),
            })
            .collect();
        bases.sort();
        assert_eq!(
            bases,
            [
                "conditional_early_release",
                "other",
                "probation_supervision"
            ]
        );
        let status = &doc["paths"]["/api/v1/orders"]["post"]["responses"];
        for code in [
            "201", "400", "401", "403", "404", "409", "415", "422", "503",
        ] {
            assert!(status[code].is_object(), "POST /orders documents {code}");
        }
        assert!(status["200"].is_null() && status["429"].is_null());
    }

    /// The live feed describes one event: its id, its kind (an alert action) and its JSON.
    #[test]
    fn the_feed_describes_its_events() {
        let doc = document();
        let event = &doc["paths"]["/api/v1/alerts/feed"]["get"]["responses"]["200"]["content"]["text/event-stream"]
            ["schema"];
        assert_eq!(event["required"], json!(["id", "event", "data"]));
        assert_eq!(
            event["properties"]["event"]["$ref"],
            json!(format!("{SCHEMAS}AlertAction"))
        );
        assert_eq!(
            event["properties"]["data"]["contentSchema"]["$ref"],
            json!(format!("{SCHEMAS}AlertActed"))
        );
    }

    /// A paged list's `limit` is an integer from 1 to 500, and its filters are typed.
    #[test]
    fn query_parameters_are_typed() {
        let doc = document();
        let params = doc["paths"]["/api/v1/orders"]["get"]["parameters"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let named = |name: &str| {
            params
                .iter()
                .find(|p| p["name"] == json!(name))
                .cloned()
                .unwrap_or_else(|| panic!("no {name}"))
        };
        assert_eq!(named("limit")["schema"]["minimum"], json!(1));
        assert_eq!(named("limit")["schema"]["maximum"], json!(500));
        assert_eq!(named("limit")["required"], json!(false));
        assert!(named("status")["schema"]["$ref"].is_string());
        assert_eq!(named("client_id")["schema"]["type"], json!("integer"));
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
