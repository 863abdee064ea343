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

use serde::{Deserialize as _, Serialize};
use serde_json::Value;

use cases::Cases;
use ingest::store::Telemetry;

use crate::file::{self, Carried};
use crate::model::{Params, Report};
use crate::seal::{self, Signer, Trust};
use crate::{ReportError, json, pdf};

/// One thing that differs between the file and the stored data now, or a check of the file
/// that failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// The report's part (`breaches`, `notes`, `nights`, ...), or `signature` or `pages` for
    /// the file itself.
    pub section: String,
    /// In lists of records, which one, by the value of its key (an episode's id, a note's, a
    /// night's start); none for a part as a whole.
    pub record: Option<String>,
    /// What kind of difference.
    pub change: Change,
    /// What differs, in words (English).
    pub what: String,
}

/// What kind of difference a check found.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// A record in the stored data now that the file does not have.
    Added,
    /// A record the file has that the stored data no longer have.
    Removed,
    /// A record both have, with fields that differ.
    Changed,
    /// A part of the report that differs as a whole.
    Differs,
    /// The signature does not hold by the key trusted (or was not checked).
    Signature,
    /// The pages are not what the file's JSON gives.
    Pages,
}

impl Difference {
    fn of_file(section: &str, change: Change, what: impl Into<String>) -> Difference {
        Difference {
            section: section.into(),
            record: None,
            change,
            what: what.into(),
        }
    }

    /// Where, as `sargs report verify` prints it: `notes id=7`, `totals`.
    pub fn place(&self) -> String {
        match (&self.record, key_of(&self.section)) {
            (Some(record), Some(key)) => format!("{} {key}={record}", self.section),
            (Some(record), None) => format!("{} {record}", self.section),
            (None, _) => self.section.clone(),
        }
    }
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
    read_and_check(file, trust).map(|(verdict, _)| verdict)
}

/// [`check_file`]'s verdict, with the report the file carries as JSON.
fn read_and_check(file: &[u8], trust: Option<Trust<'_>>) -> Result<(Verdict, Value), ReportError> {
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
        SignatureCheck::Fails { reason } => {
            differences.push(Difference::of_file("signature", Change::Signature, reason))
        }
        SignatureCheck::Unsigned if is_pdf => differences.push(Difference::of_file(
            "signature",
            Change::Signature,
            "the file carries no signature",
        )),
        SignatureCheck::Unsigned => {}
        SignatureCheck::NotChecked => differences.push(Difference::of_file(
            "signature",
            Change::Signature,
            "not checked: give the service's public key or a trust anchor",
        )),
    }
    let pages_match_json = match (&carried.seal, is_pdf) {
        (Some(seal), true) => {
            let report = Report::deserialize(&report_value).map_err(|e| {
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
        differences.push(Difference::of_file(
            "pages",
            Change::Pages,
            "the pages are not what the summary's JSON gives: the file was altered after \
             it was made (or made by another version of sargs)",
        ));
    }
    let verdict = Verdict {
        params,
        identical: differences.is_empty(),
        file_digest: digest,
        signature,
        pages_match_json,
        stored_digest: None,
        differences,
    };
    Ok((verdict, report_value))
}

/// Checks a file as [`check_file`] does, then builds the same report from the stored data now
/// and says what differs.
pub async fn verify(
    telemetry: &Telemetry,
    cases: &Cases,
    file: &[u8],
    trust: Option<Trust<'_>>,
) -> Result<Verdict, ReportError> {
    let (mut verdict, file_report) = read_and_check(file, trust)?;
    let now = json::canonical(&crate::build(telemetry, cases, &verdict.params).await?)?;
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
        return vec![Difference::of_file("report", Change::Differs, "differs")];
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
            _ => out.push(Difference::of_file(key, Change::Differs, "differs")),
        }
    }
    out
}

fn records(section: &str, id: &str, file: &[Value], now: &[Value]) -> Vec<Difference> {
    let name = |v: &Value| match v.get(id) {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    let difference = |v: &Value, change, what: String| Difference {
        section: section.into(),
        record: Some(name(v)),
        change,
        what,
    };
    let mut out = Vec::new();
    for a in file {
        match now.iter().find(|b| name(b) == name(a)) {
            None => out.push(difference(
                a,
                Change::Removed,
                "in the file, no longer in the stored data".into(),
            )),
            Some(b) if b != a => {
                let fields: Vec<String> = a
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter(|(k, v)| b.get(k.as_str()) != Some(v))
                    .map(|(k, _)| k.clone())
                    .collect();
                out.push(difference(
                    a,
                    Change::Changed,
                    format!("changed: {}", fields.join(", ")),
                ));
            }
            Some(_) => {}
        }
    }
    for b in now {
        if !file.iter().any(|a| name(a) == name(b)) {
            out.push(difference(
                b,
                Change::Added,
                "in the stored data now, not in the file".into(),
            ));
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
                    section: "breaches".into(),
                    record: Some("3".into()),
                    change: Change::Changed,
                    what: "changed: alert".into()
                },
                Difference {
                    section: "notes".into(),
                    record: Some("2".into()),
                    change: Change::Added,
                    what: "in the stored data now, not in the file".into()
                },
            ]
        );
        let places: Vec<String> = d.iter().map(Difference::place).collect();
        assert_eq!(places, ["breaches episode_id=3", "notes id=2"]);
        // A night is named by its start, a string: without quotes.
        let file = json!({"nights": [{"start": "2026-11-02T20:00:00Z", "kept_ms": 1}]});
        let now = json!({"nights": [{"start": "2026-11-02T20:00:00Z", "kept_ms": 2}]});
        let d = sections(&file, &now);
        assert_eq!(d[0].place(), "nights start=2026-11-02T20:00:00Z");
        assert_eq!(d[0].change, Change::Changed);
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
