//! Every enumeration the API can send, as lists of values: the console words them from these
//! (its labels keyed by value) rather than keeping copies of the Rust enums. Each list is read
//! from the schema schemars derives for the Rust type itself, the same schema the OpenAPI
//! document shows, so a new variant is here the moment it exists.

use axum::Json;
use axum::response::IntoResponse;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::gate::Answer;

/// The values of each enumeration, keyed as the console's labels are (`alert_state.open`).
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Enumerations {
    /// A user's role.
    #[schemars(with = "Vec<cases::Role>")]
    pub role: Vec<String>,
    /// Where an alert stands.
    #[schemars(with = "Vec<::alerts::lifecycle::AlertState>")]
    pub alert_state: Vec<String>,
    /// What is recorded of an alert: its history's rows, the live feed's events.
    #[schemars(with = "Vec<::alerts::lifecycle::AlertAction>")]
    pub action: Vec<String>,
    /// How an alert was resolved.
    #[schemars(with = "Vec<::alerts::lifecycle::Resolution>")]
    pub resolution: Vec<String>,
    /// An episode's (and so an alert's) severity.
    #[schemars(with = "Vec<rules::Severity>")]
    pub severity: Vec<String>,
    /// A breach, warning or device fault, by kind.
    #[schemars(with = "Vec<rules::BreachKind>")]
    pub kind: Vec<String>,
    /// A kind's class: the client's breach, a warning, or a device fault.
    #[schemars(with = "Vec<rules::KindClass>")]
    pub kind_class: Vec<String>,
    /// Each kind's class, by kind: the queue offers the kinds of the class chosen.
    pub class_of_kind: std::collections::BTreeMap<String, String>,
    /// Where a breach episode stands.
    #[schemars(with = "Vec<rules::EpisodeState>")]
    pub episode_state: Vec<String>,
    /// A device's kind.
    #[schemars(with = "Vec<firmware_proto::DeviceKind>")]
    pub device_kind: Vec<String>,
    /// A device's place in the inventory.
    #[schemars(with = "Vec<cases::DeviceStatus>")]
    pub device_status: Vec<String>,
    /// An order's status.
    #[schemars(with = "Vec<cases::OrderStatus>")]
    pub order_status: Vec<String>,
    /// Why the court ordered monitoring.
    #[schemars(with = "Vec<cases::LegalBasis>")]
    pub legal_basis: Vec<String>,
    /// A zone's kind.
    #[schemars(with = "Vec<rules::policy::ZoneKind>")]
    pub zone: Vec<String>,
    /// Why an absence was authorised.
    #[schemars(with = "Vec<rules::schedule::AbsenceReason>")]
    pub reason: Vec<String>,
    /// A client's state at a glance.
    #[schemars(with = "Vec<crate::glance::Glance>")]
    pub glance: Vec<String>,
    /// A condition of an order that the devices fitted may not be able to evidence (a glance's
    /// and a court summary's `not_evidenced`).
    #[schemars(with = "Vec<rules::policy::Watched>")]
    pub watched: Vec<String>,
    /// Why a client's state is unknown, besides a device fault (named by its `kind`).
    #[schemars(with = "Vec<crate::glance::Setup>")]
    pub unknown_because: Vec<String>,
    /// Why the storage refuses writes.
    #[schemars(with = "Vec<store::StorageFault>")]
    pub storage_fault: Vec<String>,
    /// A channel a person is reached on.
    #[schemars(with = "Vec<::alerts::notify::PersonChannel>")]
    pub channel: Vec<String>,
    /// Why a notification was not delivered (`reason` of a delivery's `failure`): the tags'
    /// names, so plain strings here (a failure itself is an object).
    pub delivery_failure: Vec<String>,
    /// Whose alert settings a unit follows.
    #[schemars(with = "Vec<::alerts::units::SettingsSource>")]
    pub settings_source: Vec<String>,
    /// An observation's frame type (`unknown` for a type this version does not know).
    pub frame: Vec<String>,
    /// An EVENT frame's code (`unknown` for a code this version does not know).
    pub event: Vec<String>,
    /// What a variation changed (`change` of a revision's `changes`).
    pub terms_change: Vec<String>,
}

/// The values a type's derived schema allows: its `enum`, or the `const` of each of its
/// `oneOf`/`anyOf` branches (variants with doc comments), in the type's order.
fn values<T: JsonSchema>() -> Vec<String> {
    fn collect(schema: &Value, out: &mut Vec<String>) {
        if let Some(one) = schema.get("const").and_then(Value::as_str) {
            out.push(one.to_string());
        }
        for list in ["enum"] {
            for v in schema
                .get(list)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(v) = v.as_str() {
                    out.push(v.to_string());
                }
            }
        }
        for branches in ["oneOf", "anyOf"] {
            for b in schema
                .get(branches)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                collect(b, out);
            }
        }
    }
    let mut generator = schemars::generate::SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator();
    let schema = T::json_schema(&mut generator);
    let mut out = Vec::new();
    collect(schema.as_value(), &mut out);
    out
}

/// The tags of an internally tagged enum (`#[serde(tag = "...")]`): the `const` of the tag
/// property of each of its derived schema's `oneOf` branches, in the type's order.
fn tags<T: JsonSchema>(tag: &str) -> Vec<String> {
    let mut generator = schemars::generate::SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator();
    let schema = T::json_schema(&mut generator);
    schema
        .as_value()
        .get("oneOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|b| b.pointer(&format!("/properties/{tag}/const"))?.as_str())
        .map(str::to_string)
        .collect()
}

/// Every frame type's name, as an observation's `type` gives it, from every byte the protocol
/// knows, and `unknown`, which the API says for the others.
fn frames() -> Vec<String> {
    let mut out: Vec<String> = (0..=u8::MAX)
        .filter_map(firmware_proto::FrameType::from_u8)
        .map(|t| t.name().to_string())
        .collect();
    out.push("unknown".to_string());
    out
}

/// Every event code's name, from every code number (`unknown` for those not defined).
fn events() -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for code in 0..=u16::MAX {
        let name = firmware_proto::EventCode::from_u16(code).name();
        if !out.iter().any(|n| n == name) {
            out.push(name.to_string());
        }
    }
    out
}

/// A value's name as the API writes it.
fn name_of(value: &impl Serialize) -> Option<String> {
    serde_json::to_value(value)
        .ok()?
        .as_str()
        .map(str::to_string)
}

/// Every enumeration, from the Rust types.
pub fn enumerations() -> Enumerations {
    Enumerations {
        role: values::<cases::Role>(),
        alert_state: values::<::alerts::lifecycle::AlertState>(),
        action: values::<::alerts::lifecycle::AlertAction>(),
        resolution: values::<::alerts::lifecycle::Resolution>(),
        severity: values::<rules::Severity>(),
        kind_class: values::<rules::KindClass>(),
        kind: values::<rules::BreachKind>(),
        class_of_kind: rules::BreachKind::ALL
            .iter()
            .filter_map(|kind| Some((name_of(kind)?, name_of(&kind.class())?)))
            .collect(),
        episode_state: values::<rules::EpisodeState>(),
        device_kind: values::<firmware_proto::DeviceKind>(),
        device_status: values::<cases::DeviceStatus>(),
        order_status: values::<cases::OrderStatus>(),
        legal_basis: values::<cases::LegalBasis>(),
        zone: values::<rules::policy::ZoneKind>(),
        reason: values::<rules::schedule::AbsenceReason>(),
        glance: values::<crate::glance::Glance>(),
        watched: values::<rules::policy::Watched>(),
        unknown_because: values::<crate::glance::Setup>(),
        storage_fault: values::<store::StorageFault>(),
        channel: values::<::alerts::notify::PersonChannel>(),
        delivery_failure: tags::<::alerts::channels::FailureReason>("reason"),
        settings_source: values::<::alerts::units::SettingsSource>(),
        frame: frames(),
        event: events(),
        terms_change: tags::<cases::TermsChange>("change"),
    }
}

pub async fn list() -> Answer {
    Ok(Json(enumerations()).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every list is whole, and reads back as its type: nothing missed, nothing invented.
    #[test]
    fn each_list_holds_every_variant_of_its_type() {
        let all = enumerations();
        assert_eq!(all.role.len(), cases::Role::ALL.len());
        for role in &all.role {
            serde_json::from_value::<cases::Role>(Value::from(role.as_str())).unwrap();
        }
        assert_eq!(all.alert_state, ["open", "acknowledged", "resolved"]);
        assert_eq!(all.channel, ["email", "sms"]);
        assert_eq!(
            all.settings_source.len(),
            ::alerts::units::SettingsSource::ALL.len()
        );
        assert_eq!(
            all.device_kind,
            ["gps-tag", "rf-tag", "home-unit", "gps-tracker", "phone"]
        );
        assert_eq!(
            all.watched,
            [
                "strap",
                "skin_contact",
                "case",
                "curfew",
                "zones",
                "proximity"
            ]
        );
        assert!(
            all.kind.contains(&"strap_opened".to_string()),
            "{:?}",
            all.kind
        );
        assert!(all.action.contains(&"locate_requested".to_string()));
        // Every kind has its class, one of the classes listed.
        assert_eq!(all.class_of_kind.keys().collect::<Vec<_>>(), {
            let mut kinds: Vec<_> = all.kind.iter().collect();
            kinds.sort();
            kinds
        });
        assert!(
            all.class_of_kind
                .values()
                .all(|c| all.kind_class.contains(c))
        );
        assert_eq!(all.class_of_kind["battery_low"], "device_fault");
        assert_eq!(all.class_of_kind["strap_opened"], "breach");
        assert_eq!(
            all.unknown_because,
            ["no_order_in_force", "no_device_fitted"]
        );
        assert!(
            all.frame.contains(&"location".to_string()),
            "{:?}",
            all.frame
        );
        assert!(
            all.event.contains(&"strap_opened".to_string()),
            "{:?}",
            all.event
        );
        assert_eq!(all.terms_change.len(), 15, "{:?}", all.terms_change);
        assert_eq!(all.delivery_failure.len(), 14, "{:?}", all.delivery_failure);
        for reason in ["timed_out", "rejected_by_server", "other"] {
            assert!(
                all.delivery_failure.contains(&reason.to_string()),
                "{reason}"
            );
        }
        assert!(all.terms_change.contains(&"curfew_slot_added".to_string()));
        let json = serde_json::to_value(&all).unwrap();
        for (name, list) in json.as_object().unwrap() {
            let empty = match list {
                Value::Array(values) => values.is_empty(),
                Value::Object(map) => map.is_empty(),
                _ => panic!("{name} is neither a list nor a map"),
            };
            assert!(!empty, "{name} is empty");
        }
    }
}
