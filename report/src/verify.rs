//! `verify`: does a compliance summary still say what the stored data say?
//!
//! A PDF carries its exchange JSON. It is read back (refused if missing, or if the report in
//! it no longer has the digest it claims), the report is built again from the store with the
//! same parameters and rendered again; the two PDFs must be the same bytes. If they are not,
//! the two reports are compared section by section (and episode by episode, note by note) to
//! say what changed; if the reports agree and the bytes do not, the file itself was altered.
//! The exchange JSON on its own (`--format json`) is verified the same way, as JSON.

use serde::Serialize;
use serde_json::Value;

use cases::Cases;
use ingest::store::Telemetry;

use crate::model::Params;
use crate::{ReportError, json};

/// Verifies a PDF (or an exchange JSON) against the store: reads what it claims, builds the
/// same report from the stored data now, writes it as the file was, and compares.
pub async fn verify(
    telemetry: &Telemetry,
    cases: &Cases,
    file: &[u8],
) -> Result<Verdict, ReportError> {
    let claimed = read(file)?;
    let now = crate::build(telemetry, cases, &claimed.0).await?;
    let now_file = if is_pdf(file) {
        crate::to_pdf(&now)?.0
    } else {
        json::document(&now)?.0
    };
    Ok(compare(file, claimed, &now_file, &json::canonical(&now)?))
}

fn is_pdf(file: &[u8]) -> bool {
    file.starts_with(b"%PDF-")
}

/// One thing that differs between the file and the stored data now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// The section (`breaches`, `notes`, `days`, ...) and, in lists of records, which one.
    pub place: String,
    /// What differs, in words.
    pub what: String,
}

/// What checking a compliance summary file against the stored data found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// The order and period the file says it covers.
    pub params: Params,
    /// The digest the file carries, and that of the report built now.
    pub file_digest: String,
    /// The digest of the report built from the stored data now.
    pub stored_digest: String,
    /// True when the file is byte for byte the document the stored data give.
    pub identical: bool,
    /// Everything that differs; empty when nothing does.
    pub differences: Vec<Difference>,
}

/// The exchange document of a file: embedded in a PDF (the JSON object that starts with its
/// digest), or the file itself.
pub fn embedded(pdf: &[u8]) -> Result<Value, ReportError> {
    if !is_pdf(pdf) {
        return serde_json::from_slice(pdf).map_err(|_| {
            ReportError::NotAReport(
                "not a PDF file, nor the JSON of a sargs compliance summary".into(),
            )
        });
    }
    let marker = b"{\"digest\":\"";
    let start = pdf
        .windows(marker.len())
        .position(|w| w == marker)
        .ok_or_else(|| {
            ReportError::NotAReport(
                "this PDF carries no sargs compliance summary (no embedded JSON)".into(),
            )
        })?;
    let mut values = serde_json::Deserializer::from_slice(&pdf[start..]).into_iter::<Value>();
    match values.next() {
        Some(Ok(doc)) => Ok(doc),
        _ => Err(ReportError::NotAReport(
            "the summary embedded in this PDF is not readable JSON (the file was altered)".into(),
        )),
    }
}

/// What the file claims: its parameters, digest and report.
pub fn read(pdf: &[u8]) -> Result<(Params, String, Value), ReportError> {
    let doc = embedded(pdf)?;
    let (digest, report) = json::read_document(&doc)?;
    let params: Params = report
        .get("params")
        .cloned()
        .and_then(|p| serde_json::from_value(p).ok())
        .ok_or_else(|| ReportError::NotAReport("the summary names no parameters".into()))?;
    Ok((params, digest, report))
}

/// Compares a file with the same kind of file made now (`now_file`, of report `now`).
pub fn compare(
    file: &[u8],
    (params, file_digest, file_report): (Params, String, Value),
    now_file: &[u8],
    now: &Value,
) -> Verdict {
    let stored_digest = json::digest(now);
    let mut differences = sections(&file_report, now);
    if differences.is_empty() && file != now_file {
        differences.push(Difference {
            place: "file".into(),
            what: "the content is the same but the file's bytes differ: it was altered after it \
                   was made (or made by another version of sargs)"
                .into(),
        });
    }
    Verdict {
        params,
        identical: differences.is_empty(),
        file_digest,
        stored_digest,
        differences,
    }
}

/// Records in these lists are named by this key, so a change names the record.
fn key_of(section: &str) -> Option<&'static str> {
    match section {
        "breaches" | "device_events" => Some("episode_id"),
        "notes" | "absences" | "fittings" => Some("id"),
        "revisions" => Some("revision"),
        "nights" => Some("start"),
        _ => None,
    }
}

fn sections(file: &Value, now: &Value) -> Vec<Difference> {
    let (Some(file), Some(now)) = (file.as_object(), now.as_object()) else {
        return vec![Difference {
            place: "report".into(),
            what: "differs".into(),
        }];
    };
    let mut out = Vec::new();
    let keys: std::collections::BTreeSet<&String> = file.keys().chain(now.keys()).collect();
    for key in keys {
        let (a, b) = (file.get(key), now.get(key));
        if a == b {
            continue;
        }
        match (
            key_of(key),
            a.and_then(Value::as_array),
            b.and_then(Value::as_array),
        ) {
            (Some(id), Some(a), Some(b)) => out.extend(records(key, id, a, b)),
            _ => out.push(Difference {
                place: key.clone(),
                what: "differs".into(),
            }),
        }
    }
    out
}

fn records(section: &str, id: &str, file: &[Value], now: &[Value]) -> Vec<Difference> {
    let name = |v: &Value| v.get(id).map_or_else(String::new, Value::to_string);
    let mut out = Vec::new();
    for a in file {
        let place = format!("{section} {id}={}", name(a));
        match now.iter().find(|b| name(b) == name(a)) {
            None => out.push(Difference {
                place,
                what: "in the file, no longer in the stored data".into(),
            }),
            Some(b) if b != a => {
                let fields: Vec<String> = a
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter(|(k, v)| b.get(k.as_str()) != Some(v))
                    .map(|(k, _)| k.clone())
                    .collect();
                out.push(Difference {
                    place,
                    what: format!("changed: {}", fields.join(", ")),
                });
            }
            Some(_) => {}
        }
    }
    for b in now {
        if !file.iter().any(|a| name(a) == name(b)) {
            out.push(Difference {
                place: format!("{section} {id}={}", name(b)),
                what: "in the stored data now, not in the file".into(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn differences_name_the_record_and_field() {
        let file = json!({"notes": [{"id": 1, "text": "a"}], "breaches": [{"episode_id": 3, "alert": null}], "days": []});
        let now = json!({"notes": [{"id": 1, "text": "a"}, {"id": 2, "text": "b"}], "breaches": [{"episode_id": 3, "alert": {"id": 1}}], "days": []});
        let d = sections(&file, &now);
        assert_eq!(
            d,
            vec![
                Difference {
                    place: "breaches episode_id=3".into(),
                    what: "changed: alert".into()
                },
                Difference {
                    place: "notes id=2".into(),
                    what: "in the stored data now, not in the file".into()
                },
            ]
        );
    }

    #[test]
    fn a_file_without_a_summary_is_refused() {
        assert!(matches!(
            embedded(b"hello"),
            Err(ReportError::NotAReport(_))
        ));
        assert!(matches!(
            embedded(b"%PDF-1.7\n%%EOF"),
            Err(ReportError::NotAReport(_))
        ));
    }
}
