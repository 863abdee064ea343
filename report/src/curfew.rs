//! The curfew time of a period: what the order's policy history asked for, span by span, and
//! what the stored evidence shows of it, judged by the same rules the judge used then. The
//! nights and the totals of the summary are made from these spans.

use cases::{Assignment, OrderStatus, PolicySpan};
use ingest::store::Telemetry;
use rules::Timestamp;

use crate::ReportError;
use crate::spans::Spans;

/// When the order was not active (suspended, revoked, ended), up to `to_ms`.
pub(crate) fn inactive(changes: &[(Timestamp, OrderStatus)], to_ms: i64) -> Spans {
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
pub(crate) struct CurfewTime {
    /// The windows within the period (less the absences, when they count).
    pub(crate) required: Spans,
    /// Window time the evidence shows the client at the window's address...
    pub(crate) present: Spans,
    /// ...or away from it.
    pub(crate) away: Spans,
}

/// Where the evidence of presence is read from: the store, and the order's fittings (only a
/// device's observations while fitted under the order count).
pub(crate) struct EvidenceSource<'a> {
    pub(crate) telemetry: &'a Telemetry,
    pub(crate) fittings: &'a [Assignment],
}

/// The curfew within `(from_ms, to_ms)`, span by span of the order's policy history (the one
/// the judge judged by, `Cases::policy_history`): each span's plan within the span and the
/// monitored period, with the absences it authorised cut out if `absences`. With `evidence`,
/// each span is judged as the rules engine judged it then, by the same policy and devices:
/// what the home units and the tags said of presence at the address of each window. One
/// window's observations are read at a time, so a long order needs no more memory than a night.
pub(crate) async fn curfew(
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
