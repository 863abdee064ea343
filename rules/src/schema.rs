//! JSON Schemas of the values whose text form the engine defines itself (instants, spans,
//! time zones; a weekly slot's day and clock times have theirs beside their serde code, in
//! `schedule`), so that the API's document says what an order's terms accept and a reader need
//! not find the parser. The shapes here must agree with the `FromStr` and serde code beside each
//! type; `tests` checks them against it.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use crate::schedule::TimeZone;
use crate::time::{Span, Timestamp};

impl JsonSchema for Timestamp {
    fn schema_name() -> Cow<'static, str> {
        "Timestamp".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "An instant: RFC 3339 (2026-03-29T21:00:00Z), or milliseconds since 1970 for one outside years 0 to 9999.",
            "anyOf": [
                { "type": "string", "format": "date-time" },
                { "type": "integer", "format": "int64" }
            ]
        })
    }
}

/// Whole numbers with units d, h, m, s, ms, largest first, as `Span::from_str` reads them.
pub(crate) const SPAN_PATTERN: &str =
    "^([0-9]{1,12}d)?([0-9]{1,12}h)?([0-9]{1,12}m)?([0-9]{1,12}s)?([0-9]{1,12}ms)?$";

impl JsonSchema for Span {
    fn schema_name() -> Cow<'static, str> {
        "Span".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A length of time: whole numbers with units d, h, m, s, ms, largest first (1h30m, 90s, 250ms, 0s).",
            "type": "string",
            "minLength": 2,
            "pattern": SPAN_PATTERN
        })
    }
}

impl JsonSchema for TimeZone {
    fn schema_name() -> Cow<'static, str> {
        "TimeZone".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "An IANA time zone name (Europe/Riga); local times of the order are in it.",
            "type": "string",
            "minLength": 1,
            "examples": ["Europe/Riga"]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn matches_pattern(text: &str) -> bool {
        // The pattern, by hand: groups of digits with a unit each, units in this order.
        let mut rest = text;
        for unit in ["d", "h", "m", "s", "ms"] {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if (1..=12).contains(&digits) && rest[digits..].starts_with(unit) {
                let after = &rest[digits + unit.len()..];
                // `5m` must not swallow the `m` of `5ms`.
                if !(unit == "m" && after.starts_with('s')) {
                    rest = after;
                }
            }
        }
        text.len() >= 2 && rest.is_empty()
    }

    proptest! {
        /// What a span writes is what the document says a span is, and reads back.
        #[test]
        fn every_written_span_fits_the_schema(ms in 0i64..100 * 86_400_000) {
            let text = Span(ms).to_string();
            prop_assert!(matches_pattern(&text), "{text}");
            prop_assert_eq!(text.parse::<Span>().ok(), Some(Span(ms)));
        }
    }

    #[test]
    fn the_schemas_name_the_formats() {
        let mut generator = SchemaGenerator::default();
        let instant = Timestamp::json_schema(&mut generator);
        assert!(instant.as_value().to_string().contains("date-time"));
        let span = Span::json_schema(&mut generator);
        assert_eq!(
            span.get("pattern").and_then(|p| p.as_str()),
            Some(SPAN_PATTERN)
        );
    }
}
