//! `verify`: does a compliance summary say what it was made to say, and what the stored data
//! say now?
//!
//! From the file alone ([`check_file`]): the exchange JSON a PDF carries must give the digest
//! it claims, its signature must be the trusted key's, and the PDF rendered again from that
//! JSON and seal must be the file byte for byte, so its pages say what its JSON says (the PDF
//! is a pure function of them). With the store ([`verify`]): the report is also built again
//! from the stored data with the same parameters, and the two reports are compared section by
//! section (episode by episode, note by note) to say what changed. The exchange JSON on its own
//! carries no seal; it is checked for its digest and against the store.

use serde::Serialize;
use serde_json::Value;

use cases::Cases;
use ingest::store::Telemetry;

use crate::file::{self, Carried};
use crate::model::{Params, Report};
use crate::seal::{self, Signer, Trust};
use crate::{ReportError, json, pdf};

/// One thing that differs between the file and the stored data now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// The section (`breaches`, `notes`, `nights`, ...) and, in lists of records, which one.
    pub place: String,
    /// What differs, in words.
    pub what: String,
}

/// What the file's signature showed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SignatureCheck {
    /// Signed by the trusted key (or a certificate the trust anchor issued).
    Holds {
        /// Who signed.
        signer: Signer,
    },
    /// A signature that does not hold, or by a key not trusted.
    Fails {
        /// Why, in words.
        reason: String,
    },
    /// The file carries no signature (an exchange JSON, or a summary made before signing).
    Unsigned,
    /// No key or trust anchor was given to check it against.
    NotChecked,
}

/// What checking a summary file found: from the file alone, and against the store if asked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// The order and period the file says it covers.
    pub params: Params,
    /// The digest the file carries (the report in it gives this digest, or reading it failed).
    pub file_digest: String,
    /// The signature.
    pub signature: SignatureCheck,
    /// For a PDF: whether its pages are what its JSON and seal give, byte for byte.
    pub pages_match_json: Option<bool>,
    /// The digest of the report built from the stored data now, when checked against them.
    pub stored_digest: Option<String>,
    /// True when every check made passed: the signature holds, the pages are the JSON's, and
    /// (when checked) the stored data give the same report.
    pub identical: bool,
    /// Everything that differs or fails; empty when nothing does.
    pub differences: Vec<Difference>,
}

/// Checks a PDF (or an exchange JSON) from the file alone, the signature against `trust`.
pub fn check_file(file: &[u8], trust: Option<Trust<'_>>) -> Result<Verdict, ReportError> {
    let (carried, is_pdf) = if file::is_pdf(file) {
        (file::carried(file)?, true)
    } else {
        let doc = Carried {
            document: file.to_vec(),
            seal: None,
        };
        (doc, false)
    };
    let value: Value = serde_json::from_slice(&carried.document).map_err(|_| {
        ReportError::NotAReport(if is_pdf {
            "the summary embedded in this PDF is not readable JSON (the file was altered)".into()
        } else {
            "not a PDF file, nor the JSON of a sargs compliance summary".into()
        })
    })?;
    let (digest, report_value) = json::read_document(&value)?;
    let params: Params = report_value
        .get("params")
        .cloned()
        .and_then(|p| serde_json::from_value(p).ok())
        .ok_or_else(|| ReportError::NotAReport("the summary names no parameters".into()))?;
    let mut differences = Vec::new();
    let signature = match (&carried.seal, trust) {
        (None, _) => SignatureCheck::Unsigned,
        (Some(_), None) => SignatureCheck::NotChecked,
        (Some(s), Some(trust)) => match seal::check(&carried.document, s, trust) {
            Ok(signer) => SignatureCheck::Holds { signer },
            Err(e) => SignatureCheck::Fails {
                reason: e.to_string(),
            },
        },
    };
    match &signature {
        SignatureCheck::Holds { .. } => {}
        SignatureCheck::Fails { reason } => differences.push(Difference {
            place: "signature".into(),
            what: reason.clone(),
        }),
        SignatureCheck::Unsigned if is_pdf => differences.push(Difference {
            place: "signature".into(),
            what: "the file carries no signature".into(),
        }),
        SignatureCheck::Unsigned => {}
        SignatureCheck::NotChecked => differences.push(Difference {
            place: "signature".into(),
            what: "not checked: give the service's public key or a trust anchor".into(),
        }),
    }
    let pages_match_json = match (&carried.seal, is_pdf) {
        (Some(seal), true) => {
            let report: Report = serde_json::from_value(report_value).map_err(|e| {
                ReportError::NotAReport(format!(
                    "the summary in this PDF cannot be read as a report of this version of sargs: {e}"
                ))
            })?;
            let again = pdf::render(&report, &carried.document, &digest, seal)?;
            Some(again == file)
        }
        _ => None,
    };
    if pages_match_json == Some(false) {
        differences.push(Difference {
            place: "pages".into(),
            what: "the pages are not what the summary's JSON gives: the file was altered after \
                   it was made (or made by another version of sargs)"
                .into(),
        });
    }
    Ok(Verdict {
        params,
        identical: differences.is_empty(),
        file_digest: digest,
        signature,
        pages_match_json,
        stored_digest: None,
        differences,
    })
}

/// Checks a file as [`check_file`] does, then builds the same report from the stored data now
/// and says what differs.
pub async fn verify(
    telemetry: &Telemetry,
    cases: &Cases,
    file: &[u8],
    trust: Option<Trust<'_>>,
) -> Result<Verdict, ReportError> {
    let mut verdict = check_file(file, trust)?;
    let now = json::canonical(&crate::build(telemetry, cases, &verdict.params).await?)?;
    let carried = if file::is_pdf(file) {
        file::carried(file)?.document
    } else {
        file.to_vec()
    };
    let file_report = serde_json::from_slice::<Value>(&carried)
        .ok()
        .and_then(|v| v.get("report").cloned())
        .unwrap_or(Value::Null);
    verdict.differences.extend(sections(&file_report, &now));
    verdict.stored_digest = Some(json::digest(&now));
    verdict.identical = verdict.differences.is_empty();
    Ok(verdict)
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
        for file in [&b"hello"[..], b"%PDF-1.7\n%%EOF", b"{}", b"{\"digest\":1}"] {
            assert!(matches!(
                check_file(file, None),
                Err(ReportError::NotAReport(_))
            ));
        }
    }
}
