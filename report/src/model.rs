//! The compliance summary as a plain serde value, built from what is stored: the order and its
//! revisions, the curfew plan, authorised absences, the breach episodes with the observations
//! behind them and the alerts that followed them (resolution and history), device faults and
//! communication gaps, fittings, what the devices could not evidence, and officers' notes.
//!
//! It holds nothing that is not stored data or computed from it (no clock, no generation time),
//! so the same data gives the same report, and `verify` can build it again and compare. Field
//! order is fixed by the structs; the canonical JSON (`json.rs`) sorts keys anyway.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use alerts::lifecycle::{AlertState, Resolution};
use alerts::records::{AlertEvent, AlertFilter};
use cases::{Absence, Assignment, Cases, CasesError, OrderStatus, OrderTerms};
use chrono::{Days, NaiveDate};
use ingest::store::Telemetry;
use judge::EpisodeState;
use rules::observation::EvidenceRef;
use rules::schedule::{Interval, MERGE_HORIZON};
use rules::{BreachKind, ConditionRef, KindClass, Severity, Timestamp};
use serde::{Deserialize, Serialize};
use store::Store;

use crate::ReportError;
use crate::breach_time::{BreachTime, breach_time};
use crate::curfew::{EvidenceSource, curfew, inactive};
use crate::gaps::{EvidenceGap, Policies, gaps};
use crate::nights::{self, Hours, Night, NightInputs};
use crate::spans::{Spans, day_start};
use crate::unevidenced::{NotEvidencedPart, not_evidenced};

/// What the report's format is called inside its JSON, so a reader knows what it holds.
pub const FORMAT: &str = "sargs-compliance-summary/1";

/// The language of the document.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Latvian, the courts' language.
    Lv,
    /// English.
    En,
}

impl Lang {
    /// The language of its code (`lv`, `en`); none for any other.
    pub fn parse(text: &str) -> Option<Lang> {
        match text {
            "lv" => Some(Lang::Lv),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language's code, as [`Lang::parse`] reads it.
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Lv => "lv",
            Lang::En => "en",
        }
    }
}

/// What a report is asked for: one order, local dates `from` to `to` inclusive, a language.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Params {
    /// The court order the report is about, by its id in the case records.
    pub order_id: i64,
    /// The first local day covered.
    pub from: NaiveDate,
    /// The last local day covered (inclusive).
    pub to: NaiveDate,
    /// The language the document is written in.
    pub lang: Lang,
    /// When the summary was made, if the period had not ended by then: curfew time after it is
    /// not reached yet, so neither required nor missing, and breaches still open end there.
    /// Callers pass the time now; [`build`] keeps it only while the period has not ended, so a
    /// summary of a finished period has none and stays reproducible.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub as_of: Option<Timestamp>,
}

/// The longest period one report covers.
const MAX_DAYS: u64 = 5 * 366;

impl Params {
    /// Refuses a period that ends before it starts or is longer than 5 years.
    pub fn check(&self) -> Result<(), ReportError> {
        if self.from > self.to {
            return Err(ReportError::Invalid(format!(
                "the period starts ({}) after it ends ({})",
                self.from, self.to
            )));
        }
        let limit = self.from.checked_add_days(Days::new(MAX_DAYS));
        if limit.is_none_or(|limit| self.to > limit) {
            return Err(ReportError::Invalid(
                "the period must be at most 5 years".into(),
            ));
        }
        Ok(())
    }
}

/// The court compliance summary of one order over a period, as built from the store.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Report {
    /// The format's name and version, [`FORMAT`].
    pub format: String,
    /// What was asked for.
    pub params: Params,
    /// The order's time zone (IANA name), which the local days and hours are in.
    pub time_zone: String,
    /// The period as instants: the first local day's start to the day after the last's.
    pub period: Interval,
    /// The period to the end of its last night, if that is later (the next morning): what the
    /// episodes, their evidence and the devices' last word are read over.
    pub data_window: Interval,
    /// The order as the court made it, at its latest revision.
    pub order: OrderPart,
    /// The probation client the order is about.
    pub client: ClientPart,
    /// Every revision of the order, with why it was made.
    pub revisions: Vec<RevisionPart>,
    /// Suspensions, resumptions and the end: no curfew is required while it is not active.
    #[schemars(schema_with = "crate::json::status_changes")]
    pub status_changes: Vec<(Timestamp, OrderStatus)>,
    /// Authorised absences the officer gave: excused curfew time.
    pub absences: Vec<Absence>,
    /// Per curfew night starting within the period, whole: the hours required and how they
    /// were kept, and the night's pieces for a band chart.
    pub nights: Vec<Night>,
    /// The same hours over all the nights: the sum of the nights.
    pub totals: Hours,
    /// How long the client was in breach of any condition: the union of the breach episodes,
    /// each instant once however many episodes cover it.
    pub breach_time: BreachTime,
    /// Breach episodes overlapping the period (withdrawn ones too, marked so).
    pub breaches: Vec<EpisodePart>,
    /// Device faults and communication gaps: not breaches.
    pub device_events: Vec<EpisodePart>,
    /// The devices fitted to the client under the order, and when.
    pub fittings: Vec<Assignment>,
    /// The order's conditions none of the devices the client wore could evidence, and when (a
    /// GPS tracker: strap, skin contact, case): unknown then, neither kept nor breached. Left
    /// out when the devices could evidence every condition, as a summary made before there
    /// were other devices than tags reads.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_evidenced: Vec<NotEvidencedPart>,
    /// The device time of the last observation the order's devices sent within the period while
    /// fitted under it: curfew time after it has no evidence yet.
    pub heard_until: Option<Timestamp>,
    /// Officers' notes on the order within the period.
    pub notes: Vec<NotePart>,
    /// The policy revisions the episodes in the report were judged by.
    pub policy_revisions: Vec<u32>,
}

/// The order as the court made it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OrderPart {
    /// The order's id in the case records.
    pub id: i64,
    /// The court that made it.
    pub court: String,
    /// The court's case number.
    pub case_number: String,
    /// Whether it is active, suspended, revoked or ended.
    pub status: OrderStatus,
    /// The order's latest revision number.
    pub revision: u32,
    /// What the order requires, at that revision.
    pub terms: OrderTerms,
}

/// The probation client as the report names them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ClientPart {
    /// The client's id in the case records.
    pub id: i64,
    /// The client's full name.
    pub name: String,
    /// The addresses the curfew names, as written on the order.
    #[schemars(schema_with = "crate::json::addresses")]
    pub addresses: Vec<(String, String)>,
}

/// One revision of the order: a variation by the court, or its first version.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RevisionPart {
    /// The revision number; episodes name the one that judged them.
    pub revision: u32,
    /// When it was made, in ms since the epoch UTC.
    pub created: Timestamp,
    /// When it took effect, as the court set it, where that differs from `created` (absent
    /// when the variation took effect as it was recorded).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub takes_effect: Option<Timestamp>,
    /// Why, as the officer recorded it.
    pub reason: String,
}

/// One breach episode or device fault, with its evidence and what was done about it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EpisodePart {
    /// The episode's id within the client, as the judge stores it.
    pub episode_id: u64,
    /// The condition of the order it is about.
    pub condition: ConditionRef,
    /// What kind of breach or fault.
    pub kind: BreachKind,
    /// How urgent the rules engine judged it.
    pub severity: Severity,
    /// When it began, by device time (ms since the epoch UTC).
    pub start: Timestamp,
    /// When it ended; none while it goes on.
    pub end: Option<Timestamp>,
    /// How long it lasted, in ms; none while it goes on.
    pub duration_ms: Option<i64>,
    /// Open, closed, withdrawn (later data showed no breach) or superseded by a new policy.
    pub state: EpisodeState,
    /// The policy revision that judged it.
    pub policy_revision: u32,
    /// The observations that prove it.
    pub evidence: Vec<Evidence>,
    /// Where consecutive evidence from one device skips seqs, what each skipped seq was and
    /// why it did not decide the episode.
    pub evidence_gaps: Vec<EvidenceGap>,
    /// The alert it raised or carried on, if any.
    pub alert: Option<AlertPart>,
}

/// An observation behind an episode, with what the device reported.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Evidence {
    /// The device that reported it.
    pub device: u64,
    /// The device's seq for it.
    pub seq: u32,
    /// When it happened by the device's clock (ms since the epoch UTC).
    pub device_time: Timestamp,
    /// The stored observation; None if it is not in the store (which `verify` would show).
    pub received_at: Option<Timestamp>,
    /// The frame type it came in (its protocol name, `unknown` if not known); none if not stored.
    pub frame_type: Option<String>,
    /// What the device reported, as stored; none if not stored.
    pub reading: Option<serde_json::Value>,
}

/// The alert an episode raised: its outcome and everything people did about it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AlertPart {
    /// The alert's id.
    pub id: i64,
    /// Where the alert stands now.
    pub state: AlertState,
    /// How it was resolved, once it is.
    pub resolution: Option<Resolution>,
    /// Everything that happened to it (acknowledged, escalated, resolved ...), in order; each
    /// entry a person made names them by their display name (`actor`), one sargs made by
    /// itself has no `actor_id`.
    pub history: Vec<AlertEvent>,
}

/// An officer's note: their words, marked as such.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NotePart {
    /// The note's id in the case records.
    pub id: i64,
    /// When it was written, in ms since the epoch UTC.
    pub created: Timestamp,
    /// Who wrote it.
    pub author: String,
    /// The note as written.
    pub text: String,
}

/// Builds the report of `params` from the store.
pub async fn build(
    telemetry: &Telemetry,
    cases: &Cases,
    params: &Params,
) -> Result<Report, ReportError> {
    params.check()?;
    let store = telemetry.store();
    let order = cases.order(params.order_id).await?;
    let client = cases.client(order.client_id).await?;
    let tz = order.terms.time_zone;
    let from_ms = day_start(tz.0, params.from);
    let after = params
        .to
        .succ_opt()
        .ok_or_else(|| ReportError::Invalid("the period ends too late".into()))?;
    let to_ms = day_start(tz.0, after);

    // The curfew nights that start within the period, whole: the plan's windows (before
    // absences and suspensions) looked at far enough either side to see where each starts and
    // ends. The data window runs from the period's start to the end of its last night.
    let horizon = MERGE_HORIZON.0;
    let around = (
        from_ms.saturating_sub(horizon),
        to_ms.saturating_add(horizon),
    );
    let history = cases
        .policy_history(order.id, Timestamp(around.0), Timestamp(around.1))
        .await?;
    let windows = curfew(order.id, &history, false, None, around)
        .await?
        .required;
    let end_ms = windows
        .as_slice()
        .iter()
        .filter(|&&(s, _)| s >= from_ms && s < to_ms)
        .map(|&(_, e)| e)
        .fold(to_ms, i64::max);
    // Made after the last night ended: nothing is cut, and the report says nothing of when.
    let as_of = params.as_of.filter(|t| t.0 < end_ms);
    let params = &Params {
        as_of,
        ..params.clone()
    };
    // The end of what is counted: when the summary was made, if its nights had not ended.
    let reached = as_of.map_or(end_ms, |t| t.0.max(from_ms));

    let revisions = cases.order_revisions(order.id).await?;
    let status_changes = cases.order_status_changes(order.id).await?;
    let absences = cases.absences(order.id).await?;
    let stored = judge::records::episodes(store, client.id, from_ms, end_ms).await?;
    let alerts = alerts_of(store, cases, client.id).await?;

    let mut policies = Policies::new(&history);
    let mut breaches = Vec::new();
    let mut device_events = Vec::new();
    let mut policy_revisions = Vec::new();
    let mut breach_spans = Vec::new();
    let mut any_breach = Vec::new();
    for e in stored.into_iter().filter(|e| e.order_id == order.id) {
        let end = e.end.map_or(reached, |t| t.0);
        if e.state != EpisodeState::Withdrawn && e.kind.class() != KindClass::DeviceFault {
            any_breach.push((e.start.0, end));
            if e.condition == ConditionRef::Curfew {
                breach_spans.push((e.start.0, end));
            }
        }
        if !policy_revisions.contains(&e.policy_revision) {
            policy_revisions.push(e.policy_revision);
        }
        let mut evidence = Vec::with_capacity(e.evidence.len());
        for r in &e.evidence {
            evidence.push(observation(telemetry, r).await?);
        }
        let evidence_gaps = gaps(telemetry, &mut policies, &e.condition, &evidence).await?;
        let alert = alerts
            .iter()
            .find(|(_, episodes)| episodes.contains(&e.episode_id))
            .map(|(a, _)| a.clone());
        let part = EpisodePart {
            episode_id: e.episode_id,
            condition: e.condition,
            kind: e.kind,
            severity: e.severity,
            start: e.start,
            end: e.end,
            duration_ms: e.end.map(|end| end.0 - e.start.0),
            state: e.state,
            policy_revision: e.policy_revision,
            evidence,
            evidence_gaps,
            alert,
        };
        // Device faults say something about the device or the data, not the client's
        // compliance: shown apart, never counted as breaches.
        if part.kind.class() == KindClass::DeviceFault {
            device_events.push(part);
        } else {
            breaches.push(part);
        }
    }
    policy_revisions.sort_unstable();

    // The last word of the order's devices within the data window: required time after it has
    // no evidence yet (a period that ends today, or data a device still holds).
    let fittings = cases.assignments(params.order_id).await?;
    let mut heard_until = None;
    for f in &fittings {
        // Only while fitted under this order: a device taken off may be fitted to another.
        if let Some((s, e)) = f.within(from_ms, end_ms) {
            heard_until = heard_until.max(telemetry.last_device_time(f.device_id, s, e).await?);
        }
    }

    let window = (from_ms, end_ms);
    let inactive = inactive(&status_changes, end_ms);
    let unexcused = windows.clip(from_ms, end_ms).subtract(&inactive);
    let source = EvidenceSource {
        telemetry,
        fittings: &fittings,
    };
    let shown = curfew(order.id, &history, true, Some(&source), window).await?;
    let required = shown.required.subtract(&inactive);
    // Time not reached yet is neither required nor excused, kept nor missing.
    let cut = |s: Spans| s.clip(from_ms, reached);
    let inputs = NightInputs {
        excused: cut(unexcused.subtract(&required)),
        required: cut(required),
        breach: cut(Spans::new(breach_spans)),
        present: cut(shown.present),
        away: cut(shown.away),
        windows,
        reached: as_of.map(|t| t.0),
    };
    let nights = nights::nights(tz.0, (from_ms, to_ms), &inputs);
    let totals = nights.iter().fold(Hours::default(), |t, n| &t + &n.hours);
    let breach_time = breach_time(
        tz.0,
        (params.from, params.to),
        reached,
        &Spans::new(any_breach),
    );

    let not_evidenced = not_evidenced(&history, from_ms, to_ms.min(reached));

    let mut notes = Vec::new();
    for n in cases.notes(client.id).await? {
        if n.created_ms >= from_ms && n.created_ms < to_ms {
            let author = cases.user(n.author_id).await?.display_name;
            notes.push(NotePart {
                id: n.id,
                created: Timestamp(n.created_ms),
                author,
                text: n.text,
            });
        }
    }

    Ok(Report {
        format: FORMAT.to_string(),
        params: params.clone(),
        time_zone: tz.to_string(),
        period: Interval::new(Timestamp(from_ms), Timestamp(to_ms)),
        data_window: Interval::new(Timestamp(from_ms), Timestamp(end_ms)),
        client: ClientPart {
            id: client.id,
            name: format!("{} {}", client.given_name, client.family_name),
            addresses: client
                .addresses
                .iter()
                .map(|a| (a.id.clone(), a.street.clone()))
                .collect(),
        },
        order: OrderPart {
            id: order.id,
            court: order.court,
            case_number: order.case_number,
            status: order.status,
            revision: order.revision,
            terms: order.terms,
        },
        revisions: revisions
            .iter()
            .map(|r| RevisionPart {
                revision: r.revision,
                created: Timestamp(r.created_ms),
                takes_effect: (r.takes_effect_ms != r.created_ms)
                    .then_some(Timestamp(r.takes_effect_ms)),
                reason: r.reason.clone(),
            })
            .collect(),
        status_changes,
        absences: absences
            .into_iter()
            .filter(|a| a.from.0 < end_ms && a.until.0 > from_ms)
            .collect(),
        nights,
        totals,
        breach_time,
        breaches,
        device_events,
        fittings,
        not_evidenced,
        heard_until: heard_until.map(Timestamp),
        notes,
        policy_revisions,
    })
}

/// The client's alerts, each with the ids of the episodes it carries. Each history entry a
/// person made names them by their display name, as notes do: the name they sign in with is
/// theirs to keep, not the court's to read.
async fn alerts_of(
    store: &Store,
    cases: &Cases,
    client: i64,
) -> Result<Vec<(AlertPart, Vec<u64>)>, ReportError> {
    let filter = AlertFilter {
        client_ids: Some(vec![client]),
        ..AlertFilter::default()
    };
    let mut out = Vec::new();
    let mut names: HashMap<i64, String> = HashMap::new();
    let mut before = None;
    loop {
        let page = alerts::records::list(store, &filter, before, 500).await?;
        let Some(last) = page.last() else { break };
        before = Some(last.id);
        for a in page {
            let episodes = alerts::records::episodes_of(store, a.id).await?;
            let mut history = alerts::records::events(store, a.id).await?;
            for event in &mut history {
                let Some(id) = event.actor_id else { continue };
                let name = match names.entry(id) {
                    Entry::Occupied(known) => known.into_mut(),
                    Entry::Vacant(new) => new.insert(cases.user(id).await?.display_name),
                };
                event.actor.clone_from(name);
            }
            out.push((
                AlertPart {
                    id: a.id,
                    state: a.state,
                    resolution: a.resolution,
                    history,
                },
                episodes,
            ));
        }
    }
    Ok(out)
}

/// The stored observation an evidence reference points at.
async fn observation(telemetry: &Telemetry, r: &EvidenceRef) -> Result<Evidence, ReportError> {
    let t = r.device_time.0;
    let rows = telemetry
        .observations_page(r.device, t, t.saturating_add(1), None, 64)
        .await?;
    let found = rows.into_iter().find(|o| o.seq == r.seq);
    Ok(Evidence {
        device: r.device,
        seq: r.seq,
        device_time: r.device_time,
        received_at: found.as_ref().map(|o| Timestamp(o.received_at_ms)),
        frame_type: found.as_ref().map(|o| {
            firmware_proto::FrameType::from_u8(o.frame_type)
                .map_or("unknown", |t| t.name())
                .to_string()
        }),
        reading: found.map(|o| {
            serde_json::from_str(&o.fields).unwrap_or(serde_json::Value::String(o.fields))
        }),
    })
}

impl From<CasesError> for ReportError {
    fn from(e: CasesError) -> ReportError {
        match e {
            CasesError::NotFound { what, id } => ReportError::NotFound(format!("{what} {id}")),
            other => ReportError::Cases(other),
        }
    }
}
