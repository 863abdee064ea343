//! Fields a change (a PATCH body) can clear. Serde reads a field left out and a field sent as
//! `null` alike into an `Option`, so a change could not tell "keep it" from "clear it": a
//! field that may be cleared is an `Option<Option<T>>` read with [`nullable`] (and
//! `#[serde(default)]`): left out, `None`, unchanged; `null`, `Some(None)`, cleared; a value,
//! `Some(Some(value))`.

use serde::{Deserialize, Deserializer};

/// Reads a field that is present: `null` as `Some(None)`, a value as `Some(Some(value))`. With
/// `#[serde(default)]`, a field left out stays `None`.
pub(crate) fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// What a change makes of a stored value: kept where the change leaves it out.
pub(crate) fn applied<T: Clone>(change: &Option<Option<T>>, current: &Option<T>) -> Option<T> {
    match change {
        None => current.clone(),
        Some(new) => new.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Change {
        #[serde(default, deserialize_with = "nullable")]
        phone: Option<Option<String>>,
    }

    fn read(body: &str) -> Option<Option<String>> {
        serde_json::from_str::<Change>(body).unwrap().phone
    }

    #[test]
    fn left_out_keeps_null_clears_a_value_sets() {
        let current = Some("+371 20000000".to_string());
        assert_eq!(read("{}"), None);
        assert_eq!(applied(&read("{}"), &current), current);
        assert_eq!(read(r#"{"phone":null}"#), Some(None));
        assert_eq!(applied(&read(r#"{"phone":null}"#), &current), None);
        let new = read(r#"{"phone":"+371 29999999"}"#);
        assert_eq!(applied(&new, &current).as_deref(), Some("+371 29999999"));
        assert!(serde_json::from_str::<Change>(r#"{"phone":5}"#).is_err());
    }
}
