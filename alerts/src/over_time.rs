//! How many alerts stood unresolved over a period, for a supervisor's plot of the open alerts
//! in their care: whether the night's load was growing or being worked off. An alert counts
//! from when it was raised until it was resolved (acknowledged still counts: somebody still has
//! to finish it). The counting is pure ([`count_open`]); the store reads each alert's two times.

use sqlx::Row;
use store::Store;

use crate::AlertsError;
use crate::lifecycle::{AlertAction, AlertState};

/// How many alerts were unresolved at an instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenAt {
    /// The instant (ms since the epoch UTC).
    pub at_ms: i64,
    /// Alerts raised by then and not resolved by then.
    pub open: u64,
    /// Of those, the high and critical.
    pub urgent: u64,
}

/// One alert's life: raised, resolved (if it was), and whether it is high or critical.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AlertSpan {
    /// When it was raised.
    pub raised_ms: i64,
    /// When it was resolved; none while it is not.
    pub resolved_ms: Option<i64>,
    /// High or critical.
    pub urgent: bool,
}

/// The count at each of `instants` (in any order): alerts raised at or before it and not
/// resolved at or before it.
pub fn count_open(spans: &[AlertSpan], instants: &[i64]) -> Vec<OpenAt> {
    instants
        .iter()
        .map(|&at| {
            let open = spans
                .iter()
                .filter(|s| s.raised_ms <= at && s.resolved_ms.is_none_or(|r| r > at));
            let (mut all, mut urgent) = (0, 0);
            for s in open {
                all += 1;
                urgent += u64::from(s.urgent);
            }
            OpenAt {
                at_ms: at,
                open: all,
                urgent,
            }
        })
        .collect()
}

/// `points` instants evenly from `from_ms` to `to_ms`, both included (one: `to_ms`).
pub fn instants(from_ms: i64, to_ms: i64, points: u32) -> Vec<i64> {
    let points = points.max(1);
    if points == 1 || to_ms <= from_ms {
        return vec![to_ms];
    }
    let span = i128::from(to_ms) - i128::from(from_ms);
    (0..points)
        .map(|i| {
            let at = i128::from(from_ms) + span * i128::from(i) / i128::from(points - 1);
            i64::try_from(at).unwrap_or(to_ms)
        })
        .collect()
}

/// The unresolved alerts of `clients` (None: all) at `points` instants from `from_ms` to
/// `to_ms`. Reads only the alerts that can count: raised by the end, and not resolved (and
/// left alone) before the start.
pub async fn open_over_time(
    store: &Store,
    clients: Option<&[i64]>,
    from_ms: i64,
    to_ms: i64,
    points: u32,
) -> Result<Vec<OpenAt>, AlertsError> {
    let instants = instants(from_ms, to_ms, points);
    let scope = match clients {
        Some([]) => return Ok(count_open(&[], &instants)),
        Some(ids) => format!(
            " AND a.client_id IN ({})",
            store::id_list(ids.iter().copied())
        ),
        None => String::new(),
    };
    let sql = format!(
        "SELECT a.raised_ms, a.severity_rank,
                (SELECT MIN(e.at_ms) FROM alert_events e
                 WHERE e.alert_id = a.id AND e.action = '{resolved_action}') AS resolved_ms
         FROM alerts a
         WHERE a.raised_ms <= $1 AND (a.state <> '{resolved_state}' OR a.updated_ms >= $2){scope}",
        resolved_action = AlertAction::Resolved.as_str(),
        resolved_state = AlertState::Resolved.as_str(),
    );
    let rows = sqlx::query(&sql)
        .bind(to_ms)
        .bind(from_ms)
        .fetch_all(store.pool())
        .await?;
    let high = crate::queue::rank(rules::Severity::High);
    let spans = rows
        .iter()
        .map(|row| -> Result<AlertSpan, sqlx::Error> {
            let rank: i64 = row.try_get("severity_rank")?;
            Ok(AlertSpan {
                raised_ms: row.try_get("raised_ms")?,
                resolved_ms: row.try_get("resolved_ms")?,
                urgent: rank >= high,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(count_open(&spans, &instants))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn span(raised_ms: i64, resolved_ms: Option<i64>, urgent: bool) -> AlertSpan {
        AlertSpan {
            raised_ms,
            resolved_ms,
            urgent,
        }
    }

    #[test]
    fn an_alert_counts_from_its_raising_until_its_resolution() {
        let spans = [
            span(10, Some(20), true),
            span(15, None, false),
            span(30, Some(30), true),
        ];
        let got: Vec<(u64, u64)> = count_open(&spans, &[9, 10, 19, 20, 30, 99])
            .iter()
            .map(|o| (o.open, o.urgent))
            .collect();
        assert_eq!(got, [(0, 0), (1, 1), (2, 1), (1, 0), (1, 0), (1, 0)]);
    }

    #[test]
    fn instants_run_evenly_from_start_to_end() {
        assert_eq!(instants(0, 100, 5), [0, 25, 50, 75, 100]);
        assert_eq!(instants(0, 100, 1), [100]);
        assert_eq!(instants(0, 100, 0), [100]);
        assert_eq!(instants(5, 5, 3), [5]);
        assert_eq!(instants(i64::MIN, i64::MAX, 2), [i64::MIN, i64::MAX]);
    }

    proptest! {
        /// The count at an instant is the alerts raised by then less those resolved by then.
        #[test]
        fn counts_are_the_raised_less_the_resolved(
            lives in proptest::collection::vec((0i64..1000, proptest::option::of(0i64..500), any::<bool>()), 0..40),
            at in 0i64..1500,
        ) {
            let spans: Vec<AlertSpan> = lives.iter().map(|&(r, d, u)| span(r, d.map(|d| r + d), u)).collect();
            let got = count_open(&spans, &[at])[0];
            let raised = spans.iter().filter(|s| s.raised_ms <= at).count();
            let resolved = spans.iter().filter(|s| s.resolved_ms.is_some_and(|x| x <= at)).count();
            prop_assert_eq!(got.open as usize, raised - resolved);
            prop_assert!(got.urgent <= got.open);
        }
    }
}
