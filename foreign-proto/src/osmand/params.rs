//! Query strings and form bodies (`application/x-www-form-urlencoded`), read strictly: a
//! percent escape that is not two hex digits, a control character or text that is not UTF-8
//! once decoded refuses the request, where a lenient reader would guess. Repeating a
//! parameter, or giving it under two of its names, is taken only when the values agree.

use std::collections::btree_map::{BTreeMap, Entry};

use super::OsmAndError;

/// The most parameters a request may carry, query and body together: Traccar Client sends
/// about a dozen.
pub const MAX_PARAMETERS: usize = 64;

/// One `name=value` as sent and as decoded.
pub(super) struct Pair<'a> {
    sent: &'a str,
    name: String,
    value: String,
}

/// The parameters of a query string or form body, in the order sent. Empty segments (`a=1&&b=2`,
/// a trailing `&`) carry nothing and are skipped, as every HTTP stack does.
pub(super) fn pairs(text: &str) -> Result<Vec<Pair<'_>>, OsmAndError> {
    if text.chars().any(char::is_control) {
        return Err(OsmAndError::Encoding);
    }
    let mut out = Vec::new();
    for sent in text.split('&').filter(|s| !s.is_empty()) {
        if out.len() == MAX_PARAMETERS {
            return Err(OsmAndError::TooManyParameters);
        }
        let (name, value) = sent.split_once('=').unwrap_or((sent, ""));
        out.push(Pair {
            sent,
            name: component(name)?,
            value: component(value)?,
        });
    }
    Ok(out)
}

/// The text as sent without its `token` parameters: what is kept as evidence must not hold
/// the device's secret.
pub(super) fn without_token(pairs: &[Pair<'_>]) -> String {
    let kept: Vec<&str> = pairs
        .iter()
        .filter(|p| p.name != TOKEN)
        .map(|p| p.sent)
        .collect();
    kept.join("&")
}

/// A percent-encoded component, with `+` for a space.
fn component(text: &str) -> Result<String, OsmAndError> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        rest = tail;
        bytes.push(match byte {
            b'+' => b' ',
            b'%' => {
                let (hex, tail) = rest.split_at_checked(2).ok_or(OsmAndError::Encoding)?;
                rest = tail;
                let hex = std::str::from_utf8(hex).map_err(|_| OsmAndError::Encoding)?;
                u8::from_str_radix(hex, 16).map_err(|_| OsmAndError::Encoding)?
            }
            other => other,
        });
    }
    let text = String::from_utf8(bytes).map_err(|_| OsmAndError::Utf8)?;
    if text.chars().any(char::is_control) {
        return Err(OsmAndError::Encoding);
    }
    Ok(text)
}

/// The parameter that carries a device's shared secret.
pub(super) const TOKEN: &str = "token";

/// The parameters OsmAnd defines, each under the one name it is known by here, with the other
/// names devices send it under. Others (Traccar takes any as an attribute) are kept in the
/// record and not read.
const NAMES: &[(&str, &[&str])] = &[
    ("id", &["id", "deviceid"]),
    (TOKEN, &[TOKEN]),
    ("timestamp", &["timestamp"]),
    ("lat", &["lat"]),
    ("lon", &["lon"]),
    ("location", &["location"]),
    ("speed", &["speed"]),
    ("bearing", &["bearing", "heading"]),
    ("altitude", &["altitude"]),
    ("accuracy", &["accuracy"]),
    ("hdop", &["hdop"]),
    ("batt", &["batt"]),
    ("charge", &["charge"]),
    ("motion", &["motion", "is_moving"]),
    ("valid", &["valid"]),
    ("mock", &["mock"]),
    ("alarm", &["alarm"]),
];

/// The known parameters of a request, by their one name.
#[derive(Default)]
pub(super) struct Fields(BTreeMap<&'static str, String>);

impl Fields {
    /// Takes the known parameters among `pairs`; a second value of one of them that differs
    /// from the first is a conflict.
    pub(super) fn take(&mut self, pairs: Vec<Pair<'_>>) -> Result<(), OsmAndError> {
        for pair in pairs {
            let Some((name, _)) = NAMES.iter().find(|(_, sent)| sent.contains(&&*pair.name)) else {
                continue;
            };
            match self.0.entry(name) {
                Entry::Vacant(slot) => {
                    slot.insert(pair.value);
                }
                Entry::Occupied(was) if *was.get() == pair.value => {}
                Entry::Occupied(_) => return Err(OsmAndError::Conflict(name)),
            }
        }
        Ok(())
    }

    /// The value of a known parameter, by its one name.
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(text: &str) -> Result<Vec<(String, String)>, OsmAndError> {
        Ok(pairs(text)?
            .into_iter()
            .map(|p| (p.name, p.value))
            .collect())
    }

    #[test]
    fn components_are_percent_decoded_strictly() {
        assert_eq!(
            decoded("timestamp=2014-06-04+09%3A10%3A11&alarm=alert%20message&&x&"),
            Ok(vec![
                ("timestamp".into(), "2014-06-04 09:10:11".into()),
                ("alarm".into(), "alert message".into()),
                ("x".into(), String::new()),
            ])
        );
        assert_eq!(decoded("id=%C4%81"), Ok(vec![("id".into(), "ā".into())]));
        for (text, error) in [
            ("id=%4", OsmAndError::Encoding),
            ("id=%zz", OsmAndError::Encoding),
            ("id=%", OsmAndError::Encoding),
            ("id=%0A", OsmAndError::Encoding),
            ("id=1\n", OsmAndError::Encoding),
            ("id=%FF", OsmAndError::Utf8),
            ("id=%C4", OsmAndError::Utf8),
        ] {
            assert_eq!(decoded(text).err(), Some(error), "{text}");
        }
        let many = "a=1&".repeat(MAX_PARAMETERS + 1);
        assert_eq!(decoded(&many).err(), Some(OsmAndError::TooManyParameters));
        assert!(decoded(&"a=1&".repeat(MAX_PARAMETERS)).is_ok());
    }

    #[test]
    fn the_token_is_left_out_of_the_record() {
        let sent = "token=s3cret&id=1&tok%65n=again&tokens=kept";
        assert_eq!(
            without_token(&pairs(sent).expect("pairs")),
            "id=1&tokens=kept"
        );
    }

    #[test]
    fn one_parameter_under_two_names_must_agree() {
        let mut fields = Fields::default();
        fields
            .take(pairs("id=7&deviceid=7&heading=90&x=1&x=2").expect("pairs"))
            .expect("agree");
        assert_eq!(
            (fields.get("id"), fields.get("bearing"), fields.get("x")),
            (Some("7"), Some("90"), None)
        );
        assert_eq!(
            fields.take(pairs("bearing=91").expect("pairs")).err(),
            Some(OsmAndError::Conflict("bearing"))
        );
        let mut fields = Fields::default();
        assert_eq!(
            fields
                .take(pairs("is_moving=true&motion=false").expect("pairs"))
                .err(),
            Some(OsmAndError::Conflict("motion"))
        );
    }
}
