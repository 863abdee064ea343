//! What an order says: the terms of one revision (the decision's date and legal basis, the
//! monitored period, the conditions the rules engine judges and the other obligations), and the
//! order's status, with the checks the terms make on their own. Plain data, kept below the
//! orders (crate::orders), which store them revision by revision, and the policy
//! (crate::policy), which compiles them against the records they name.

use chrono::NaiveDate;
use rules::policy::{Confirmation, Curfew, HealthPolicy, Zone};
use rules::schedule::TimeZone;
use rules::{Span, Timestamp};
use serde::{Deserialize, Serialize};

use crate::error::{CasesError, FieldError, stored};

/// Why the court ordered electronic monitoring.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LegalBasis {
    /// Conditional early release from prison with electronic monitoring.
    ConditionalEarlyRelease,
    /// Probation supervision with a curfew obligation.
    ProbationSupervision,
    /// Any other basis.
    Other,
}

/// Where an order stands.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Monitoring is under way.
    Active,
    /// Monitoring paused (a hospital stay, say); nothing is judged until it is active again.
    Suspended,
    /// Ended early by the court.
    Revoked,
    /// Monitoring ended.
    Ended,
}

impl OrderStatus {
    const ALL: [OrderStatus; 4] = [
        OrderStatus::Active,
        OrderStatus::Suspended,
        OrderStatus::Revoked,
        OrderStatus::Ended,
    ];

    /// The status's name as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Active => "active",
            OrderStatus::Suspended => "suspended",
            OrderStatus::Revoked => "revoked",
            OrderStatus::Ended => "ended",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<OrderStatus, CasesError> {
        stored(&OrderStatus::ALL, OrderStatus::as_str, "order status", s)
    }

    /// Revoked and ended orders stay as they are.
    pub fn is_final(self) -> bool {
        matches!(self, OrderStatus::Revoked | OrderStatus::Ended)
    }
}

/// A victim-proximity condition, naming the victim (whose device may change) by their record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderProximity {
    /// The condition's name in the order, as breaches and alerts show it.
    pub id: String,
    /// The victim protected, by their record (their current device is looked up).
    pub victim_id: i64,
    /// Closer than this, in metres, is a breach.
    pub alarm_m: f64,
    /// Once in breach, farther than this, in metres, ends it.
    pub release_m: f64,
    /// Closer than this (but not in breach), in metres, is a warning.
    #[serde(default)]
    pub warning_m: Option<f64>,
    /// Two fixes are compared only when taken at most this far apart; 2 minutes if none.
    #[serde(default)]
    pub max_fix_gap: Option<Span>,
    /// How a change between near and far is confirmed.
    #[serde(default)]
    pub confirm: Confirmation,
}

/// An obligation the order sets that no device judges (programme attendance, an alcohol ban).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Obligation {
    /// What kind of obligation, in a word or two.
    pub kind: String,
    /// The obligation as the order words it.
    pub description: String,
}

/// What one revision of an order says.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderTerms {
    /// The date of the court's decision.
    pub decision_date: NaiveDate,
    /// Why the court ordered monitoring.
    pub legal_basis: LegalBasis,
    /// The monitored period.
    pub starts: Timestamp,
    /// The end of the monitored period.
    pub ends: Timestamp,
    /// The time zone the curfew and schedules are in.
    #[serde(default)]
    pub time_zone: TimeZone,
    /// Weekly slots name the client's addresses by id.
    #[serde(default)]
    pub curfew: Option<Curfew>,
    /// The inclusion and exclusion zones.
    #[serde(default)]
    pub zones: Vec<Zone>,
    /// The victims the client must keep away from.
    #[serde(default)]
    pub proximity: Vec<OrderProximity>,
    /// Device health limits: communication loss, battery, charging, clock skew.
    #[serde(default)]
    pub health: HealthPolicy,
    /// What else the order requires that no device judges.
    #[serde(default)]
    pub obligations: Vec<Obligation>,
}

/// The longest monitored period accepted: typical orders run 1 to 12 months.
const MAX_PERIOD: Span = Span::days(5 * 366);

impl OrderTerms {
    /// The conditions resting on devices that the terms set, as the policy compiled from them
    /// sets them ([`rules::MonitoringPolicy::watches`]).
    pub fn watches(&self) -> rules::policy::Watches {
        rules::policy::Watches {
            curfew: self.curfew.is_some(),
            zones: !self.zones.is_empty(),
            proximity: !self.proximity.is_empty(),
        }
    }

    /// What is wrong with the terms on their own (the rest is checked by compiling them).
    pub(crate) fn errors(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self.ends <= self.starts {
            errors.push(FieldError::coded(
                "terms.ends",
                "ends_before_starts",
                "must be after terms.starts",
            ));
        } else if self.ends.since(self.starts) > MAX_PERIOD {
            errors.push(FieldError::coded(
                "terms.ends",
                "period_over_5_years",
                "the period must be at most 5 years",
            ));
        }
        let decided = self
            .decision_date
            .and_hms_opt(0, 0, 0)
            .map(|d| d.and_utc().timestamp_millis());
        if decided.is_some_and(|d| d > self.ends.0) {
            errors.push(FieldError::coded(
                "terms.decision_date",
                "decision_after_end",
                "must be before the period ends",
            ));
        }
        for (i, o) in self.obligations.iter().enumerate() {
            if o.kind.trim().is_empty() || o.kind.len() > 100 {
                errors.push(FieldError::coded(
                    format!("terms.obligations[{i}].kind"),
                    "text_length_100",
                    "must be 1 to 100 characters",
                ));
            }
            if o.description.len() > 2000 {
                errors.push(FieldError::coded(
                    format!("terms.obligations[{i}].description"),
                    "too_long",
                    "must be at most 2000 characters",
                ));
            }
        }
        errors
    }
}
