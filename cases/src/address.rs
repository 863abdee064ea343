//! A client's addresses: the places the client lives or stays, each with the zone in which a
//! GPS fix counts as there. The client's record holds them and an order's curfew names them, so
//! they sit below both.

use rules::geometry::{CompiledShape, ZoneShape};
use serde::{Deserialize, Serialize};

use crate::check::text;
use crate::error::FieldError;

/// A place a client lives or stays: the curfew timetable names it by `id`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientAddress {
    /// Short and stable, such as `home`.
    pub id: String,
    /// As written on the order.
    pub street: String,
    /// Where a GPS fix counts as at this address (a circle or polygon, GeoJSON coordinates).
    pub zone: ZoneShape,
}

/// The addresses' ids are unique labels and their zones compile.
pub(crate) fn address_errors(addresses: &[ClientAddress]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, a) in addresses.iter().enumerate() {
        let at = format!("addresses[{i}]");
        text(&mut errors, &format!("{at}.id"), &a.id, 40);
        if !seen.insert(a.id.as_str()) {
            errors.push(FieldError::coded(
                format!("{at}.id"),
                "given_twice",
                "is listed twice",
            ));
        }
        text(&mut errors, &format!("{at}.street"), &a.street, 300);
        if let Err(e) = CompiledShape::compile(&a.zone) {
            errors.push(FieldError::coded(
                format!("{at}.zone"),
                "zone_invalid",
                e.to_string(),
            ));
        }
    }
    errors
}
