//! The summary for case systems (the courts' E-lieta, the probation service's own): the same
//! figures as the signed PDF, as structured JSON a machine reads without knowing sargs'
//! internals: every instant as UTC and as the local time with its offset in the order's time
//! zone, durations in minutes, each code beside its words in the summary's language, and the
//! digest of the compliance summary it was made from (so a record in E-lieta names the signed
//! PDF it came with).
//!
//! Its schema is derived from these types and kept in `docs/case-export.schema.json` (a test
//! checks it is current). A pure function of the report: the same report, the same bytes.

use chrono::{NaiveDate, SecondsFormat, TimeZone as _};
use chrono_tz::Tz;
use rules::Timestamp;
use schemars::JsonSchema;
use serde::Serialize;

use crate::model::{EpisodePart, Lang, Report};
use crate::nights::Hours;
use crate::{ReportError, json, text};

/// The export's format name and version.
pub const FORMAT: &str = "sargs-case-export/1";

/// The compliance summary of one order over a period, for a case system.
#[derive(Serialize, JsonSchema)]
pub struct CaseExport {
    /// The format's name and version: `sargs-case-export/1`.
    pub format: &'static str,
    /// The SHA-256 digest of the compliance summary these figures are from: the digest printed
    /// on every page of its signed PDF.
    pub summary_digest: String,
    /// The language of the words (`lv` or `en`); codes are the same in both.
    pub language: Lang,
    /// The order's time zone (IANA name): local times are in it.
    pub time_zone: String,
    /// The period: local dates, inclusive, and the instants they begin and end.
    pub period: Period,
    /// When the summary was made, if the period had not ended then: time after it is neither
    /// required nor missing.
    pub made_before_the_period_ended: Option<Instant>,
    /// The court, its case and the order.
    pub order: Order,
    /// The probation client.
    pub client: Client,
    /// The curfew over the whole period (the sum of the nights).
    pub curfew_totals: CurfewMinutes,
    /// Time in breach of any condition, each instant counted once however many breaches
    /// cover it, in minutes.
    pub breach_minutes: f64,
    /// One row per curfew night starting within the period.
    pub nights: Vec<Night>,
    /// Breach episodes (withdrawn ones too, said so).
    pub breaches: Vec<Episode>,
    /// Device faults and communication gaps: not breaches.
    pub device_events: Vec<Episode>,
    /// The order's conditions none of the devices the client wore could evidence, and when:
    /// unknown then, neither kept nor breached (empty when the devices could evidence all).
    pub not_evidenced: Vec<NotEvidenced>,
    /// Authorised absences.
    pub absences: Vec<Absence>,
    /// Officers' notes within the period.
    pub notes: Vec<Note>,
}

/// An instant, in UTC and as the local time with its offset.
#[derive(Serialize, JsonSchema)]
pub struct Instant {
    /// RFC 3339 in UTC: `2026-03-01T20:00:00Z`.
    pub utc: String,
    /// RFC 3339 local time with its offset: `2026-03-01T22:00:00+02:00`.
    pub local: String,
}

/// The period of the summary.
#[derive(Serialize, JsonSchema)]
pub struct Period {
    /// The first local date.
    pub from: NaiveDate,
    /// The last local date (inclusive).
    pub to: NaiveDate,
    /// The first instant: the first date's local midnight.
    pub start: Instant,
    /// The instant after the last date.
    pub end: Instant,
}

/// The court order.
#[derive(Serialize, JsonSchema)]
pub struct Order {
    /// The order's id in sargs.
    pub id: i64,
    /// The court that made it.
    pub court: String,
    /// The court's case number.
    pub case_number: String,
    /// The date of the court's decision.
    pub decision_date: NaiveDate,
    /// Where it stands: `active`, `suspended`, `revoked` or `ended`.
    pub status: String,
    /// The status in words.
    pub status_words: String,
    /// The order's latest revision.
    pub revision: u32,
    /// Monitoring from.
    pub starts: Instant,
    /// Monitoring to.
    pub ends: Instant,
}

/// The probation client.
#[derive(Serialize, JsonSchema)]
pub struct Client {
    /// The client's id in sargs.
    pub id: i64,
    /// Their full name.
    pub name: String,
}

/// Curfew time in minutes: `kept + breach + grace + no_data = required`.
#[derive(Serialize, JsonSchema)]
pub struct CurfewMinutes {
    /// Required (authorised absences and suspensions cut out).
    pub required: f64,
    /// At the address, as the evidence shows.
    pub kept: f64,
    /// In a curfew breach.
    pub breach: f64,
    /// Away, but within the order's grace.
    pub grace: f64,
    /// No evidence either way (not a breach).
    pub no_data: f64,
    /// Excused by an authorised absence.
    pub excused: f64,
}

/// One curfew night.
#[derive(Serialize, JsonSchema)]
pub struct Night {
    /// The local date it starts on.
    pub date: NaiveDate,
    /// The local date it ends on.
    pub end_date: NaiveDate,
    /// When it starts.
    pub start: Instant,
    /// When it ends.
    pub end: Instant,
    /// Its curfew time.
    pub minutes: CurfewMinutes,
}

/// A breach episode or device event.
#[derive(Serialize, JsonSchema)]
pub struct Episode {
    /// The episode's id within the client.
    pub episode_id: u64,
    /// What kind (`absent_during_curfew`, `entered_exclusion_zone`, ...).
    pub kind: String,
    /// The kind in words.
    pub kind_words: String,
    /// The condition of the order, in words (the zone by its name).
    pub condition_words: String,
    /// When it began, by the devices' clocks.
    pub start: Instant,
    /// When it ended; none while it goes on.
    pub end: Option<Instant>,
    /// How long, in minutes; none while it goes on.
    pub duration_minutes: Option<f64>,
    /// `open`, `closed`, `withdrawn` (later data showed no breach) or `superseded`.
    pub state: String,
    /// The state in words.
    pub state_words: String,
    /// The monitoring policy revision that judged it.
    pub policy_revision: u32,
    /// How many observations prove it (listed in the signed PDF).
    pub evidence_count: usize,
    /// The alert it raised, if any: its outcome.
    pub alert: Option<Alert>,
}

/// What became of an episode's alert.
#[derive(Serialize, JsonSchema)]
pub struct Alert {
    /// The alert's id in sargs.
    pub id: i64,
    /// Where it stands (`open`, `acknowledged`, `resolved`, ...).
    pub state: String,
    /// The state in words.
    pub state_words: String,
    /// How it was resolved, once it is (`confirmed_breach`, `false_alarm`, ...).
    pub resolution: Option<String>,
    /// The resolution in words.
    pub resolution_words: Option<String>,
}

/// A condition the devices worn could not evidence, over a stretch of the period.
#[derive(Serialize, JsonSchema)]
pub struct NotEvidenced {
    /// The condition: `strap`, `skin_contact`, `case`, `curfew`, `zones` or `proximity`.
    pub condition: String,
    /// That it is unknown and which kinds of device cannot tell it, in words.
    pub words: String,
    /// The kinds of the devices worn (`gps-tracker`, ...), none of which can tell it.
    pub device_kinds: Vec<String>,
    /// Those devices, by id.
    pub devices: Vec<u64>,
    /// From.
    pub from: Instant,
    /// Until.
    pub until: Instant,
}

/// An authorised absence.
#[derive(Serialize, JsonSchema)]
pub struct Absence {
    /// From.
    pub from: Instant,
    /// Until.
    pub until: Instant,
    /// Why (`work`, `medical`, ...).
    pub reason: String,
    /// The reason in words.
    pub reason_words: String,
    /// The officer's details.
    pub details: String,
    /// When it was called off, if it was.
    pub cancelled: Option<Instant>,
}

/// An officer's note.
#[derive(Serialize, JsonSchema)]
pub struct Note {
    /// When it was written.
    pub written: Instant,
    /// Who wrote it.
    pub author: String,
    /// The note as written.
    pub text: String,
}

/// The case-system export of a report, and its bytes (canonical JSON).
pub fn export(report: &Report) -> Result<(CaseExport, Vec<u8>), ReportError> {
    let digest = json::digest(&json::canonical(report)?);
    let lang = report.params.lang;
    let tz: Tz = report
        .time_zone
        .parse()
        .map_err(|_| ReportError::Corrupt(format!("time zone {:?}", report.time_zone)))?;
    let at = |t: Timestamp| instant(t, tz);
    let terms = &report.order.terms;
    let episode = |e: &EpisodePart| Episode {
        episode_id: e.episode_id,
        kind: code(&e.kind),
        kind_words: text::kind(e.kind, lang).to_string(),
        condition_words: text::condition(&e.condition, terms, lang),
        start: at(e.start),
        end: e.end.map(at),
        duration_minutes: e.duration_ms.map(minutes),
        state: code(&e.state),
        state_words: text::episode_state(e.state, lang).to_string(),
        policy_revision: e.policy_revision,
        evidence_count: e.evidence.len(),
        alert: e.alert.as_ref().map(|a| Alert {
            id: a.id,
            state: code(&a.state),
            state_words: text::alert_state(a.state, lang).to_string(),
            resolution: a.resolution.as_ref().map(code),
            resolution_words: a.resolution.map(|r| text::resolution(r, lang).to_string()),
        }),
    };
    let out = CaseExport {
        format: FORMAT,
        summary_digest: digest,
        language: lang,
        time_zone: report.time_zone.clone(),
        period: Period {
            from: report.params.from,
            to: report.params.to,
            start: at(report.period.start),
            end: at(report.period.end),
        },
        made_before_the_period_ended: report.params.as_of.map(at),
        order: Order {
            id: report.order.id,
            court: report.order.court.clone(),
            case_number: report.order.case_number.clone(),
            decision_date: terms.decision_date,
            status: code(&report.order.status),
            status_words: text::status(report.order.status, lang).to_string(),
            revision: report.order.revision,
            starts: at(terms.starts),
            ends: at(terms.ends),
        },
        client: Client {
            id: report.client.id,
            name: report.client.name.clone(),
        },
        curfew_totals: curfew_minutes(&report.totals),
        breach_minutes: minutes(report.breach_time.total_ms),
        nights: report
            .nights
            .iter()
            .map(|n| Night {
                date: n.date,
                end_date: n.end_date,
                start: at(n.start),
                end: at(n.end),
                minutes: curfew_minutes(&n.hours),
            })
            .collect(),
        breaches: report.breaches.iter().map(episode).collect(),
        device_events: report.device_events.iter().map(episode).collect(),
        not_evidenced: report
            .not_evidenced
            .iter()
            .map(|p| NotEvidenced {
                condition: code(&p.condition),
                words: text::not_evidenced(p.condition, &p.kinds, lang),
                device_kinds: p.kinds.iter().map(|k| k.as_str().to_string()).collect(),
                devices: p.devices.clone(),
                from: at(p.from),
                until: at(p.until),
            })
            .collect(),
        absences: report
            .absences
            .iter()
            .map(|a| Absence {
                from: at(a.from),
                until: at(a.until),
                reason: code(&a.reason),
                reason_words: text::absence_reason(a.reason, lang).to_string(),
                details: a.details.clone(),
                cancelled: a.cancelled_ms.map(|t| at(Timestamp(t))),
            })
            .collect(),
        notes: report
            .notes
            .iter()
            .map(|n| Note {
                written: at(n.created),
                author: n.author.clone(),
                text: n.text.clone(),
            })
            .collect(),
    };
    let value =
        serde_json::to_value(&out).map_err(|e| ReportError::Corrupt(format!("export: {e}")))?;
    Ok((out, json::bytes(&value)))
}

/// The JSON Schema of the export, as kept in docs/case-export.schema.json.
pub fn schema() -> String {
    let schema = schemars::schema_for!(CaseExport);
    // Writing a Value to a string cannot fail.
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}

fn instant(t: Timestamp, tz: Tz) -> Instant {
    let utc = chrono::DateTime::from_timestamp_millis(t.0).unwrap_or_default();
    Instant {
        utc: utc.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        local: tz
            .from_utc_datetime(&utc.naive_utc())
            .to_rfc3339_opts(SecondsFormat::AutoSi, false),
    }
}

fn minutes(ms: i64) -> f64 {
    ms as f64 / 60_000.0
}

fn curfew_minutes(h: &Hours) -> CurfewMinutes {
    CurfewMinutes {
        required: minutes(h.required_ms),
        kept: minutes(h.kept_ms),
        breach: minutes(h.breach_ms),
        grace: minutes(h.grace_ms),
        no_data: minutes(h.unknown_ms),
        excused: minutes(h.excused_ms),
    }
}

/// The code serde writes for a unit variant (`confirmed_breach`).
fn code<S: Serialize>(value: &S) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_carry_utc_and_the_local_offset_across_the_clock_change() {
        let riga = chrono_tz::Europe::Riga;
        // 2026-03-29 00:30 UTC is 02:30 in winter time; 01:30 UTC is 04:30 in summer time.
        let winter = instant(Timestamp(1_774_744_200_000), riga);
        assert_eq!(winter.utc, "2026-03-29T00:30:00Z");
        assert_eq!(winter.local, "2026-03-29T02:30:00+02:00");
        let summer = instant(Timestamp(1_774_747_800_000), riga);
        assert_eq!(summer.local, "2026-03-29T04:30:00+03:00");
    }

    #[test]
    fn the_documented_schema_is_current() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../docs/case-export.schema.json"
        );
        let fresh = schema();
        if std::env::var_os("SARGS_BLESS").is_some() {
            std::fs::write(path, &fresh).expect("writing the schema");
        }
        let kept = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            kept == fresh,
            "docs/case-export.schema.json is not the schema of report::export::CaseExport; \
             SARGS_BLESS=1 cargo test -p report --lib export writes it"
        );
    }
}
