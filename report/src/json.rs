//! Canonical JSON and the digest over it.
//!
//! Canonical: the report turned into a `serde_json::Value` (whose objects keep their keys
//! sorted) and written compactly. The same content therefore gives the same bytes whether it
//! comes from the structs or is read back from a file, which is what lets `verify` recompute the
//! digest of what a PDF carries. The digest is the SHA-256 of those bytes: the whole content,
//! the evidence (device, seq, device time and reading of every observation) included.
//!
//! The exchange document (`--format json`, and what the PDF embeds) is
//! `{"digest": ..., "format": ..., "report": ...}`, canonical too.

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::ReportError;
use crate::model::{FORMAT, Report};

/// The report as canonical JSON.
pub fn canonical(report: &Report) -> Result<Value, ReportError> {
    serde_json::to_value(report).map_err(|e| ReportError::Corrupt(format!("report: {e}")))
}

/// Compact bytes of a value; objects are sorted by key (serde_json's map is ordered).
pub fn bytes(value: &Value) -> Vec<u8> {
    // Writing a Value to memory cannot fail.
    serde_json::to_vec(value).unwrap_or_default()
}

/// The SHA-256 of a canonical value, in hex.
pub fn digest(value: &Value) -> String {
    hex::encode(Sha256::digest(bytes(value)))
}

/// The exchange document of a report, and its digest.
pub fn document(report: &Report) -> Result<(Vec<u8>, String), ReportError> {
    let content = canonical(report)?;
    let digest = digest(&content);
    let doc = serde_json::json!({"digest": digest, "format": FORMAT, "report": content});
    Ok((bytes(&doc), digest))
}

/// The exchange document's shape, for the API's document: what [`document`] writes.
#[derive(schemars::JsonSchema)]
pub struct ExchangeDocument {
    /// The SHA-256 of the report's canonical bytes, in hex.
    pub digest: String,
    /// The format's name and version.
    pub format: String,
    /// The report itself.
    pub report: Report,
}

/// `[[instant, status], ...]`. Pairs are said without `prefixItems`, which some OpenAPI 3.1
/// tools (Schemathesis 4.32) refuse.
pub(crate) fn status_changes(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let instant = generator.subschema_for::<rules::Timestamp>();
    let status = generator.subschema_for::<cases::OrderStatus>();
    schemars::json_schema!({
        "type": "array",
        "description": "[instant, status] pairs",
        "items": { "type": "array", "minItems": 2, "maxItems": 2, "items": { "anyOf": [instant, status] } }
    })
}

/// `[[address id, street], ...]`.
pub(crate) fn addresses(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "array",
        "description": "[address id, street] pairs",
        "items": { "type": "array", "minItems": 2, "maxItems": 2, "items": { "type": "string" } }
    })
}

/// An exchange document read back: the digest it claims and its report. Refused if it is not
/// one, or if the report's digest is not the one it claims (it was altered).
pub fn read_document(doc: &Value) -> Result<(String, Value), ReportError> {
    let not =
        |what: &str| ReportError::NotAReport(format!("not a sargs compliance summary: {what}"));
    if doc.get("format").and_then(Value::as_str) != Some(FORMAT) {
        return Err(not("no format or another format"));
    }
    let claimed = doc
        .get("digest")
        .and_then(Value::as_str)
        .ok_or_else(|| not("no digest"))?
        .to_string();
    let report = doc.get("report").cloned().ok_or_else(|| not("no report"))?;
    let actual = digest(&report);
    if actual != claimed {
        return Err(ReportError::NotAReport(format!(
            "the summary it carries was altered: its digest is {actual}, not the {claimed} it claims"
        )));
    }
    Ok((claimed, report))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_bytes_do_not_depend_on_key_order() {
        let a: Value = serde_json::from_str(r#"{"b":1,"a":{"y":[1,2],"x":"ā"}}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"a":{"x":"ā","y":[1,2]},"b":1}"#).unwrap();
        assert_eq!(bytes(&a), bytes(&b));
        assert_eq!(bytes(&a), r#"{"a":{"x":"ā","y":[1,2]},"b":1}"#.as_bytes());
        assert_eq!(digest(&a), digest(&b));
    }

    #[test]
    fn an_altered_document_is_refused() {
        let report = serde_json::json!({"x": 1});
        let doc =
            serde_json::json!({"digest": digest(&report), "format": FORMAT, "report": report});
        assert!(read_document(&doc).is_ok());
        let mut changed = doc.clone();
        changed["report"]["x"] = serde_json::json!(2);
        assert!(matches!(
            read_document(&changed),
            Err(ReportError::NotAReport(_))
        ));
        let other = serde_json::json!({"format": "x"});
        assert!(read_document(&other).is_err());
    }
}
