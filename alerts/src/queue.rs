//! The alert queue as readers page it: filtered, newest first (paged by id) or most urgent
//! first (severity, then oldest raised, paged by a keyset cursor that no tie can break).

use judge::records::name;
use rules::{BreachKind, KindClass, Severity};
use store::Store;

use crate::AlertsError;
use crate::lifecycle::AlertState;
use crate::records::{ALERT_COLUMNS, Alert, alert_from};

/// Which alerts a list asks for. Every field narrows; None is no limit.
#[derive(Clone, Debug, Default)]
pub struct AlertFilter {
    /// Only alerts in this state.
    pub state: Option<AlertState>,
    /// Only alerts not resolved yet (open or acknowledged): the queue's usual view.
    pub unresolved: bool,
    /// Only alerts of this severity.
    pub severity: Option<Severity>,
    /// Only alerts of these kinds (one kind asked for, or every kind of a class).
    pub kinds: Option<Vec<BreachKind>>,
    /// Only these clients' alerts (the caller's care, a unit's clients, one client).
    pub client_ids: Option<Vec<i64>>,
    /// Raised for this officer's caseload.
    pub officer_id: Option<i64>,
    /// Only alerts this user has taken.
    pub assignee_id: Option<i64>,
    /// Raised at or after / before (ms).
    pub from_ms: Option<i64>,
    /// Raised before this instant (ms since the epoch UTC).
    pub to_ms: Option<i64>,
}

/// The kinds of a class: what `class=device_fault` lists.
pub fn kinds_of(class: KindClass) -> Vec<BreachKind> {
    BreachKind::ALL
        .into_iter()
        .filter(|k| k.class() == class)
        .collect()
}

/// Where a severity sorts: critical highest. Stored beside the name (`severity_rank`) so that
/// the queue's order is an index's.
pub fn rank(severity: Severity) -> i64 {
    match severity {
        Severity::Warning => 0,
        Severity::Low => 1,
        Severity::Medium => 2,
        Severity::High => 3,
        Severity::Critical => 4,
    }
}

/// A place in the queue's urgent order: after the alert with this rank, raising time and id.
/// Written `rank.raised_ms.id`, e.g. `4.1764979200000.42`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    rank: i64,
    raised_ms: i64,
    id: i64,
}

impl Cursor {
    /// The place right after this alert.
    pub fn after(alert: &Alert) -> Cursor {
        Cursor {
            rank: rank(alert.severity),
            raised_ms: alert.raised.0,
            id: alert.id,
        }
    }

    /// A cursor as written by [`Cursor`]'s `Display`; the reason it is not one otherwise.
    pub fn parse(text: &str) -> Result<Cursor, AlertsError> {
        let bad = || AlertsError::Invalid("cursor: not a cursor this list gave".into());
        if text.len() > 64 {
            return Err(bad());
        }
        let mut parts = text.split('.');
        let mut next = || -> Result<i64, AlertsError> {
            let part = parts.next().ok_or_else(bad)?;
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            part.parse().map_err(|_| bad())
        };
        let cursor = Cursor {
            rank: next()?,
            raised_ms: next()?,
            id: next()?,
        };
        if parts.next().is_some() || cursor.rank > rank(Severity::Critical) {
            return Err(bad());
        }
        Ok(cursor)
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.rank, self.raised_ms, self.id)
    }
}

/// The order of a list, and where its page starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// Newest first, ids below `before` (the last id of the previous page).
    Newest {
        /// The last id of the previous page.
        before: Option<i64>,
    },
    /// Most urgent first: severity (critical first), then the oldest raised, then id.
    Urgent {
        /// The cursor of the previous page's last alert.
        after: Option<Cursor>,
    },
}

enum Value {
    Text(String),
    Int(i64),
}

/// Alerts matching `filter`, newest first, with ids below `before` (paging), at most `limit`.
pub async fn list(
    store: &Store,
    filter: &AlertFilter,
    before: Option<i64>,
    limit: u32,
) -> Result<Vec<Alert>, AlertsError> {
    page(store, filter, Order::Newest { before }, limit).await
}

/// Alerts matching `filter`, in `order` from its cursor on, at most `limit` (up to 1000).
pub async fn page(
    store: &Store,
    filter: &AlertFilter,
    order: Order,
    limit: u32,
) -> Result<Vec<Alert>, AlertsError> {
    let Some((sql, values)) = statement(filter, order, limit)? else {
        return Ok(Vec::new());
    };
    let mut query = sqlx::query(&sql);
    for value in values {
        query = match value {
            Value::Text(t) => query.bind(t),
            Value::Int(i) => query.bind(i),
        };
    }
    let rows = query.fetch_all(store.pool()).await?;
    rows.iter().map(alert_from).collect()
}

/// The statement of a page and its values in order; none if nothing can match.
fn statement(
    filter: &AlertFilter,
    order: Order,
    limit: u32,
) -> Result<Option<(String, Vec<Value>)>, AlertsError> {
    let mut sql = format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE 1 = 1");
    let mut values: Vec<Value> = Vec::new();
    let mut push = |sql: &mut String, template: &str, value: Value| {
        values.push(value);
        *sql += &template.replace('?', &format!("${}", values.len()));
    };
    if let Some(state) = filter.state {
        push(
            &mut sql,
            " AND state = ?",
            Value::Text(state.as_str().into()),
        );
    }
    if filter.unresolved {
        // Written out, not bound, so that the planner may take the partial index of the
        // unresolved (`alerts_unresolved_by_urgency`).
        debug_assert_eq!(AlertState::Resolved.as_str(), "resolved");
        sql += " AND state <> 'resolved'";
    }
    if let Some(severity) = filter.severity {
        push(&mut sql, " AND severity = ?", Value::Text(name(&severity)?));
    }
    for (template, value) in [
        (" AND officer_id = ?", filter.officer_id),
        (" AND assignee_id = ?", filter.assignee_id),
        (" AND raised_ms >= ?", filter.from_ms),
        (" AND raised_ms < ?", filter.to_ms),
    ] {
        if let Some(v) = value {
            push(&mut sql, template, Value::Int(v));
        }
    }
    if let Some(kinds) = &filter.kinds {
        if kinds.is_empty() {
            return Ok(None);
        }
        let mut names = Vec::with_capacity(kinds.len());
        for kind in kinds {
            names.push(Value::Text(name(kind)?));
        }
        sql += " AND kind IN (";
        for (i, value) in names.into_iter().enumerate() {
            push(&mut sql, if i == 0 { "?" } else { ", ?" }, value);
        }
        sql += ")";
    }
    if let Some(clients) = &filter.client_ids {
        if clients.is_empty() {
            return Ok(None);
        }
        sql += &format!(
            " AND client_id IN ({})",
            store::id_list(clients.iter().copied())
        );
    }
    match order {
        Order::Newest { before } => {
            if let Some(before) = before {
                push(&mut sql, " AND id < ?", Value::Int(before));
            }
            sql += " ORDER BY id DESC";
        }
        Order::Urgent { after } => {
            if let Some(c) = after {
                // (rank, raised, id) after the cursor's in (rank DESC, raised, id) order.
                push(&mut sql, " AND (severity_rank < ?", Value::Int(c.rank));
                push(&mut sql, " OR (severity_rank = ?", Value::Int(c.rank));
                push(&mut sql, " AND (raised_ms > ?", Value::Int(c.raised_ms));
                push(&mut sql, " OR (raised_ms = ?", Value::Int(c.raised_ms));
                push(&mut sql, " AND id > ?))))", Value::Int(c.id));
            }
            sql += " ORDER BY severity_rank DESC, raised_ms, id";
        }
    }
    sql += &format!(" LIMIT {}", limit.min(1000));
    Ok(Some((sql, values)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SQLite's plan of a page: which index it reads.
    async fn plan(store: &Store, filter: &AlertFilter, order: Order) -> String {
        let (sql, values) = statement(filter, order, 500).unwrap().unwrap();
        let explain = format!("EXPLAIN QUERY PLAN {sql}");
        let mut query = sqlx::query(&explain);
        for value in values {
            query = match value {
                Value::Text(t) => query.bind(t),
                Value::Int(i) => query.bind(i),
            };
        }
        let rows = query.fetch_all(store.pool()).await.unwrap();
        rows.iter()
            .map(|r| sqlx::Row::try_get::<String, _>(r, "detail").unwrap())
            .collect::<Vec<_>>()
            .join("; ")
    }

    #[tokio::test]
    async fn each_order_reads_its_index() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&store::StoreLocation::DataDir(dir.path().join("data")))
            .await
            .unwrap();
        crate::migrate(&store).await.unwrap();
        let urgent = Order::Urgent {
            after: Some(Cursor {
                rank: 3,
                raised_ms: 1,
                id: 2,
            }),
        };
        let unresolved = AlertFilter {
            unresolved: true,
            ..AlertFilter::default()
        };
        let open = AlertFilter {
            state: Some(AlertState::Open),
            ..AlertFilter::default()
        };
        for (filter, order, index) in [
            (&unresolved, urgent, "alerts_unresolved_by_urgency"),
            (&open, urgent, "alerts_by_state_urgency"),
            (&AlertFilter::default(), urgent, "alerts_by_urgency"),
            (&open, Order::Newest { before: Some(9) }, "alerts_by_state"),
        ] {
            let plan = plan(&store, filter, order).await;
            assert!(plan.contains(index), "{filter:?} {order:?}: {plan}");
            assert!(!plan.contains("TEMP B-TREE"), "sorted apart: {plan}");
        }
    }

    #[test]
    fn classes_split_the_kinds() {
        let all: usize = [
            KindClass::Breach,
            KindClass::Warning,
            KindClass::DeviceFault,
        ]
        .into_iter()
        .map(|c| kinds_of(c).len())
        .sum();
        assert_eq!(all, BreachKind::ALL.len());
        assert!(kinds_of(KindClass::DeviceFault).contains(&BreachKind::BatteryLow));
        assert!(!kinds_of(KindClass::Breach).contains(&BreachKind::BatteryLow));
    }

    #[test]
    fn ranks_follow_severity() {
        let ranks: Vec<i64> = [
            Severity::Warning,
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ]
        .into_iter()
        .map(rank)
        .collect();
        assert!(ranks.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn cursors_read_back_and_refuse_anything_else() {
        let c = Cursor {
            rank: 4,
            raised_ms: 1_764_979_200_000,
            id: 42,
        };
        assert_eq!(Cursor::parse(&c.to_string()).unwrap(), c);
        for bad in [
            "",
            "4",
            "4.1",
            "4.1.2.3",
            "5.1.2",
            "-1.1.2",
            "4.-1.2",
            "a.b.c",
            "4..2",
            "4.1.2 ",
            "+4.1.2",
            "4.99999999999999999999.1",
            "0x4.1.2",
        ] {
            assert!(Cursor::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Cursor::parse(&"9".repeat(100)).is_err());
    }
}
