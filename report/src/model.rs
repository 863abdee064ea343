//! The compliance summary as a plain serde value, built from what is stored: the order and its
//! revisions, the curfew plan, authorised absences, the breach episodes with the observations
//! behind them and the alerts that followed them (resolution and history), device faults and
//! communication gaps, fittings and officers' notes.
//!
//! It holds nothing that is not stored data or computed from it (no clock, no generation time),
//! so the same data gives the same report, and `verify` can build it again and compare. Field
//! order is fixed by the structs; the canonical JSON (`json.rs`) sorts keys anyway.

use alerts::lifecycle::{AlertState, Resolution};
use alerts::records::{AlertEvent, AlertFilter};
use cases::{Absence, Assignment, Cases, CasesError, OrderStatus, OrderTerms, PolicySpan};
use chrono::{Days, NaiveDate};
use ingest::store::Telemetry;
use judge::EpisodeState;
use rules::observation::EvidenceRef;
use rules::schedule::Interval;
use rules::{BreachKind, ConditionRef, KindClass, Severity, Timestamp};
use serde::{Deserialize, Serialize};
use store::Store;

use crate::ReportError;
use crate::days::{self, Day, DayInputs, Hours, Spans};

/// What the report's format is called inside its JSON, so a reader knows what it holds.
pub const FORMAT: &str = "sargs-compliance-summary/1";

/// The language of the document.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Lv,
    En,
}

impl Lang {
    pub fn parse(text: &str) -> Option<Lang> {
        match text {
            "lv" => Some(Lang::Lv),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

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
    pub order_id: i64,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub lang: Lang,
}

/// The longest period one report covers.
const MAX_DAYS: u64 = 5 * 366;

impl Params {
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

#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Report {
    pub format: String,
    pub params: Params,
    pub time_zone: String,
    /// The period as instants: the first local day's start to the day after the last's.
    pub period: Interval,
    pub order: OrderPart,
    pub client: ClientPart,
    pub revisions: Vec<RevisionPart>,
    /// Suspensions, resumptions and the end: no curfew is required while it is not active.
    #[schemars(schema_with = "crate::json::status_changes")]
    pub status_changes: Vec<(Timestamp, OrderStatus)>,
    pub absences: Vec<Absence>,
    pub days: Vec<Day>,
    pub totals: Hours,
    /// Breach episodes overlapping the period (withdrawn ones too, marked so).
    pub breaches: Vec<EpisodePart>,
    /// Device faults and communication gaps: not breaches.
    pub device_events: Vec<EpisodePart>,
    pub fittings: Vec<Assignment>,
    /// The device time of the last observation the order's devices sent within the period while
    /// fitted under it: curfew time after it has no evidence yet.
    pub heard_until: Option<Timestamp>,
    pub notes: Vec<NotePart>,
    /// The policy revisions the episodes in the report were judged by.
    pub policy_revisions: Vec<u32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct OrderPart {
    pub id: i64,
    pub court: String,
    pub case_number: String,
    pub status: OrderStatus,
    pub revision: u32,
    pub terms: OrderTerms,
}

#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ClientPart {
    pub id: i64,
    pub name: String,
    /// The addresses the curfew names, as written on the order.
    #[schemars(schema_with = "crate::json::addresses")]
    pub addresses: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct RevisionPart {
    pub revision: u32,
    pub created: Timestamp,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct EpisodePart {
    pub episode_id: u64,
    pub condition: ConditionRef,
    pub kind: BreachKind,
    pub severity: Severity,
    pub start: Timestamp,
    pub end: Option<Timestamp>,
    pub duration_ms: Option<i64>,
    pub state: EpisodeState,
    pub policy_revision: u32,
    pub evidence: Vec<Evidence>,
    /// The alert it raised or carried on, if any.
    pub alert: Option<AlertPart>,
}

/// An observation behind an episode, with what the device reported.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Evidence {
    pub device: u64,
    pub seq: u32,
    pub device_time: Timestamp,
    /// The stored observation; None if it is not in the store (which `verify` would show).
    pub received_at: Option<Timestamp>,
    pub frame_type: Option<String>,
    pub reading: Option<serde_json::Value>,
}

#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct AlertPart {
    pub id: i64,
    pub state: AlertState,
    pub resolution: Option<Resolution>,
    pub history: Vec<AlertEvent>,
}

/// An officer's note: their words, marked as such.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct NotePart {
    pub id: i64,
    pub created: Timestamp,
    pub author: String,
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
    let from_ms = days::day_start(tz.0, params.from);
    let after = params
        .to
        .succ_opt()
        .ok_or_else(|| ReportError::Invalid("the period ends too late".into()))?;
    let to_ms = days::day_start(tz.0, after);

    let revisions = cases.order_revisions(order.id).await?;
    let status_changes = cases.order_status_changes(order.id).await?;
    let absences = cases.absences(order.id).await?;
    let stored = judge::records::episodes(store, client.id, from_ms, to_ms).await?;
    let alerts = alerts_of(store, client.id).await?;

    let mut breaches = Vec::new();
    let mut device_events = Vec::new();
    let mut policy_revisions = Vec::new();
    let mut breach_spans = Vec::new();
    for e in stored.into_iter().filter(|e| e.order_id == order.id) {
        let end = e.end.map_or(to_ms, |t| t.0);
        if e.state != EpisodeState::Withdrawn && e.condition == ConditionRef::Curfew {
            breach_spans.push((e.start.0, end));
        }
        if !policy_revisions.contains(&e.policy_revision) {
            policy_revisions.push(e.policy_revision);
        }
        let mut evidence = Vec::with_capacity(e.evidence.len());
        for r in &e.evidence {
            evidence.push(observation(telemetry, r).await?);
        }
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

    // The last word of the order's devices within the period: required time after it has no
    // evidence yet (a period that ends today, or data a device still holds).
    let fittings = cases.assignments(params.order_id).await?;
    let mut heard_until = None;
    for f in &fittings {
        // Only while fitted under this order: a device taken off may be fitted to another.
        if let Some((s, e)) = f.within(from_ms, to_ms) {
            heard_until = heard_until.max(telemetry.last_device_time(f.device_id, s, e).await?);
        }
    }

    let window = (from_ms, to_ms);
    let history = cases
        .policy_history(order.id, Timestamp(from_ms), Timestamp(to_ms))
        .await?;
    let inactive = inactive(&status_changes, to_ms);
    let unexcused = curfew(order.id, &history, false, None, window)
        .await?
        .required
        .subtract(&inactive);
    let source = EvidenceSource {
        telemetry,
        fittings: &fittings,
    };
    let shown = curfew(order.id, &history, true, Some(&source), window).await?;
    let required = shown.required.subtract(&inactive);
    let inputs = DayInputs {
        excused: unexcused.subtract(&required),
        required,
        breach: Spans::new(breach_spans),
        present: shown.present,
        away: shown.away,
    };
    let days = days::days(tz.0, params.from, params.to, &inputs);
    let totals = days.iter().fold(Hours::default(), |t, d| &t + &d.hours);

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
                reason: r.reason.clone(),
            })
            .collect(),
        status_changes,
        absences: absences
            .into_iter()
            .filter(|a| a.from.0 < to_ms && a.until.0 > from_ms)
            .collect(),
        days,
        totals,
        breaches,
        device_events,
        fittings,
        heard_until: heard_until.map(Timestamp),
        notes,
        policy_revisions,
    })
}

/// The client's alerts, each with the ids of the episodes it carries.
async fn alerts_of(store: &Store, client: i64) -> Result<Vec<(AlertPart, Vec<u64>)>, ReportError> {
    let filter = AlertFilter {
        client_ids: Some(vec![client]),
        ..AlertFilter::default()
    };
    let mut out = Vec::new();
    let mut before = None;
    loop {
        let page = alerts::records::list(store, &filter, before, 500).await?;
        let Some(last) = page.last() else { break };
        before = Some(last.id);
        for a in page {
            let episodes = alerts::records::episodes_of(store, a.id).await?;
            let history = alerts::records::events(store, a.id).await?;
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

/// When the order was not active (suspended, revoked, ended), up to `to_ms`.
fn inactive(changes: &[(Timestamp, OrderStatus)], to_ms: i64) -> Spans {
    let mut spans = Vec::new();
    let mut since = None;
    for &(at, status) in changes {
        match (status == OrderStatus::Active, since) {
            (true, Some(from)) => {
                spans.push((from, at.0));
                since = None;
            }
            (false, None) => since = Some(at.0),
            _ => {}
        }
    }
    if let Some(from) = since {
        spans.push((from, to_ms));
    }
    Spans::new(spans)
}

/// The curfew time an order asked for, and what the evidence shows of it.
struct CurfewTime {
    /// The windows within the period (less the absences, when they count).
    required: Spans,
    /// Window time the evidence shows the client at the window's address...
    present: Spans,
    /// ...or away from it.
    away: Spans,
}

/// Where the evidence of presence is read from: the store, and the order's fittings (only a
/// device's observations while fitted under the order count).
struct EvidenceSource<'a> {
    telemetry: &'a Telemetry,
    fittings: &'a [Assignment],
}

/// The curfew within `(from_ms, to_ms)`, span by span of the order's policy history (the one
/// the judge judged by, `Cases::policy_history`): each span's plan within the span and the
/// monitored period, with the absences it authorised cut out if `absences`. With `evidence`,
/// each span is judged as the rules engine judged it then, by the same policy and devices:
/// what the home units and the tags said of presence at the address of each window. One
/// window's observations are read at a time, so a long order needs no more memory than a night.
async fn curfew(
    order: i64,
    history: &[PolicySpan],
    absences: bool,
    evidence: Option<&EvidenceSource<'_>>,
    (from_ms, to_ms): (i64, i64),
) -> Result<CurfewTime, ReportError> {
    let mut required = Vec::new();
    let mut present = Vec::new();
    let mut away = Vec::new();
    for span in history {
        let mut policy = span.policy.clone();
        let a = span
            .from
            .0
            .max(from_ms)
            .max(policy.monitoring_from.map_or(i64::MIN, |t| t.0));
        let b = span
            .until
            .0
            .min(to_ms)
            .min(policy.monitoring_until.map_or(i64::MAX, |t| t.0));
        if a >= b {
            continue;
        }
        if !absences && let Some(curfew) = policy.curfew.as_mut() {
            curfew.absences.clear();
        }
        let corrupt = |e: rules::PolicyError| {
            ReportError::Corrupt(format!(
                "order {order} revision {} does not compile: {e}",
                span.revision
            ))
        };
        let Some(plan) = policy.curfew_plan().map_err(corrupt)? else {
            continue;
        };
        let windows = plan.windows(Timestamp(a), Timestamp(b));
        required.extend(
            Spans::of(windows.iter().map(|w| w.span))
                .clip(a, b)
                .as_slice(),
        );
        let Some(source) = evidence else {
            continue;
        };
        if policy.devices.is_empty() {
            continue;
        }
        let devices: Vec<u64> = policy.devices.iter().map(|d| d.id).collect();
        let compiled = policy.clone().compile().map_err(corrupt)?;
        // Evidence from just before a window counts into it, for as long as it counts.
        let grace = &compiled.grace;
        let look_back = grace.fix_valid_for.max(grace.presence_valid_for).0;
        for w in &windows {
            let (start, end) = (w.span.start.0.max(a), w.span.end.0.min(b));
            if start >= end {
                continue;
            }
            let observations =
                fitted_observations(source, &devices, start.saturating_sub(look_back), end).await?;
            let shown = rules::presence_evidence(&compiled, &observations);
            for piece in shown.iter().filter(|p| p.address == w.address) {
                let from = piece.span.start.0.max(w.span.start.0).max(a);
                let until = piece.span.end.0.min(w.span.end.0).min(b);
                if from < until {
                    if piece.present {
                        &mut present
                    } else {
                        &mut away
                    }
                    .push((from, until));
                }
            }
        }
    }
    Ok(CurfewTime {
        required: Spans::new(required),
        present: Spans::new(present),
        away: Spans::new(away),
    })
}

/// The observations the `devices` sent in `[from, to)` while fitted under the order.
async fn fitted_observations(
    source: &EvidenceSource<'_>,
    devices: &[u64],
    from: i64,
    to: i64,
) -> Result<Vec<rules::Observation>, ReportError> {
    const PAGE: u32 = 5_000;
    let mut out = Vec::new();
    // Every fitting of these devices, an earlier one too: the look-back may reach into it.
    for f in source
        .fittings
        .iter()
        .filter(|f| devices.contains(&f.device_id))
    {
        let Some((s, e)) = f.within(from, to) else {
            continue;
        };
        let mut after = None;
        loop {
            let page = source
                .telemetry
                .observations_page(f.device_id, s, e, after, PAGE)
                .await?;
            // A row the rules engine could not read is no evidence to it either.
            out.extend(
                page.iter()
                    .filter_map(|o| judge::observation::observation_of(o).ok().flatten()),
            );
            match page.last() {
                Some(last) if page.len() == PAGE as usize => {
                    after = Some((last.device_time_ms, last.seq));
                }
                _ => break,
            }
        }
    }
    Ok(out)
}

impl From<CasesError> for ReportError {
    fn from(e: CasesError) -> ReportError {
        match e {
            CasesError::NotFound { what, id } => ReportError::NotFound(format!("{what} {id}")),
            other => ReportError::Cases(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_is_inactive_from_a_suspension_to_its_resumption_and_after_its_end() {
        let changes = [
            (Timestamp(10), OrderStatus::Suspended),
            (Timestamp(20), OrderStatus::Active),
            (Timestamp(30), OrderStatus::Ended),
        ];
        assert_eq!(
            inactive(&changes, 100),
            Spans::new(vec![(10, 20), (30, 100)])
        );
        assert_eq!(inactive(&[], 100), Spans::default());
    }
}
