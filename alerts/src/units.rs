//! Each unit's own way of being told of its alerts: which channels its people are reached on,
//! who besides its supervisors hears of an escalated alert, and how long an alert waits for
//! acknowledgement before it escalates. A unit without settings of its own takes its
//! territorial unit's, and one without either the service's (`[alerts]` in the configuration).
//!
//! Kept in `unit_alerting`, one row per unit; an alert is the unit's whose client it is (the
//! unit stored on the alert when it was raised). Read when an alert is raised or escalates
//! ([`crate::follow`], [`crate::actions`]) and when its people are told ([`crate::notify`]).

use std::borrow::Cow;
use std::collections::BTreeMap;

use cases::{Actor, AuditAction, Cases, FieldError};
use rules::{Severity, Timestamp};
use serde::{Deserialize, Serialize};

use crate::AlertsError;
use crate::config::AlertsConfig;
use crate::notify::PersonChannel;

/// The most escalation contacts a unit names.
pub const MAX_CONTACTS: usize = 20;
/// The longest wait before escalating: 7 days, as in the configuration.
pub const MAX_ESCALATE_AFTER: u64 = 604_800;

/// A unit's alert settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitAlerting {
    /// The channels its people are reached on (each person's own addresses,
    /// `GET /users/{id}/contacts`); a channel not named is not used for its alerts.
    pub channels: Vec<PersonChannel>,
    /// Users told of an alert escalated to its supervisors (level 1), besides them.
    pub escalation_contacts: Vec<i64>,
    /// Seconds an open alert of each severity waits for acknowledgement before it escalates
    /// (1 to 604 800); a severity not named does not escalate.
    pub escalate_after: BTreeMap<Severity, u64>,
}

/// A unit's alert settings as in force: its own, or those it takes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct UnitAlertingShown {
    /// The unit.
    pub unit_id: i64,
    /// Whose settings these are: `unit` its own, `parent` its territorial unit's, `service`
    /// the configuration's.
    pub source: SettingsSource,
    /// The settings in force for its alerts.
    #[serde(flatten)]
    pub settings: UnitAlerting,
}

/// Whose settings a unit's alerts follow.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SettingsSource {
    /// The unit's own.
    Unit,
    /// Its territorial unit's.
    Parent,
    /// The service's configuration.
    Service,
}

impl SettingsSource {
    /// Every source.
    pub const ALL: [SettingsSource; 3] = [
        SettingsSource::Unit,
        SettingsSource::Parent,
        SettingsSource::Service,
    ];
}

impl UnitAlerting {
    /// The service's settings: every channel, no contacts besides the supervisors, the
    /// configured escalation times.
    pub fn of_service(config: &AlertsConfig) -> UnitAlerting {
        UnitAlerting {
            channels: PersonChannel::ALL.to_vec(),
            escalation_contacts: Vec::new(),
            escalate_after: config.escalate_after.clone(),
        }
    }

    /// The service's configuration with these settings' escalation times: what an alert of the
    /// unit escalates by.
    pub fn applied_to(&self, config: &AlertsConfig) -> AlertsConfig {
        AlertsConfig {
            escalate_after: self.escalate_after.clone(),
            ..config.clone()
        }
    }

    /// What is wrong with these settings, each field named with a code for the console.
    pub fn errors(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        for (i, c) in self.channels.iter().enumerate() {
            if self.channels[..i].contains(c) {
                errors.push(FieldError::coded(
                    format!("channels[{i}]"),
                    "given_twice",
                    "given twice",
                ));
            }
        }
        if self.escalation_contacts.len() > MAX_CONTACTS {
            errors.push(FieldError::coded(
                "escalation_contacts",
                "too_many",
                format!("at most {MAX_CONTACTS}"),
            ));
        }
        for (i, c) in self.escalation_contacts.iter().enumerate() {
            if self.escalation_contacts[..i].contains(c) {
                errors.push(FieldError::coded(
                    format!("escalation_contacts[{i}]"),
                    "given_twice",
                    "given twice",
                ));
            }
        }
        for (severity, secs) in &self.escalate_after {
            if !(1..=MAX_ESCALATE_AFTER).contains(secs) {
                let name = judge::records::name(severity).unwrap_or_default();
                errors.push(FieldError::coded(
                    format!("escalate_after.{name}"),
                    "escalate_after_range",
                    format!("must be 1 to {MAX_ESCALATE_AFTER} seconds"),
                ));
            }
        }
        errors
    }
}

/// A unit's own settings, if it has them.
async fn own<'e, E>(db: E, unit_id: i64) -> Result<Option<UnitAlerting>, AlertsError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row: Option<(String,)> =
        sqlx::query_as("SELECT settings FROM unit_alerting WHERE unit_id = $1")
            .bind(unit_id)
            .fetch_optional(db)
            .await?;
    row.map(|(json,)| {
        serde_json::from_str(&json)
            .map_err(|e| AlertsError::Invalid(format!("stored settings of unit {unit_id}: {e}")))
    })
    .transpose()
}

/// The settings in force for a unit's alerts, and whose they are; the service's for an alert
/// of no unit.
pub async fn in_force(
    db: &mut sqlx::AnyConnection,
    unit_id: Option<i64>,
    config: &AlertsConfig,
) -> Result<(SettingsSource, UnitAlerting), AlertsError> {
    let Some(unit) = unit_id else {
        return Ok((SettingsSource::Service, UnitAlerting::of_service(config)));
    };
    if let Some(settings) = own(&mut *db, unit).await? {
        return Ok((SettingsSource::Unit, settings));
    }
    if let Some(parent) = cases::lookups::unit_parent(&mut *db, unit).await?
        && let Some(settings) = own(&mut *db, parent).await?
    {
        return Ok((SettingsSource::Parent, settings));
    }
    Ok((SettingsSource::Service, UnitAlerting::of_service(config)))
}

/// The configuration an alert of `unit_id` escalates by: the service's, with the escalation
/// times of the unit's settings if it (or its territorial unit) has its own.
pub(crate) async fn config_for<'c>(
    db: &mut sqlx::AnyConnection,
    unit_id: Option<i64>,
    config: &'c AlertsConfig,
) -> Result<Cow<'c, AlertsConfig>, AlertsError> {
    match in_force(db, unit_id, config).await? {
        (SettingsSource::Service, _) => Ok(Cow::Borrowed(config)),
        (_, settings) => Ok(Cow::Owned(settings.applied_to(config))),
    }
}

/// Replaces a unit's settings, after checking them and that each contact is a user; audited.
/// The unit must exist (the caller checks it, as the units are the case records').
pub async fn set(
    cases: &Cases,
    actor: &Actor,
    unit_id: i64,
    settings: &UnitAlerting,
    now: Timestamp,
) -> Result<(), AlertsError> {
    let mut errors = settings.errors();
    if errors.is_empty() {
        for (i, &user) in settings.escalation_contacts.iter().enumerate() {
            let usable = match cases.user(user).await {
                Ok(found) => !found.disabled,
                Err(cases::CasesError::NotFound { .. }) => false,
                Err(other) => return Err(other.into()),
            };
            if !usable {
                errors.push(FieldError::coded(
                    format!("escalation_contacts[{i}]"),
                    "no_such_user",
                    "no such user, or disabled",
                ));
            }
        }
    }
    if !errors.is_empty() {
        return Err(AlertsError::Fields(errors));
    }
    let json = serde_json::to_string(settings).map_err(|e| AlertsError::Invalid(e.to_string()))?;
    let mut tx = cases.write().await?;
    sqlx::query("DELETE FROM unit_alerting WHERE unit_id = $1")
        .bind(unit_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO unit_alerting (unit_id, settings, updated_ms) VALUES ($1, $2, $3)")
        .bind(unit_id)
        .bind(&json)
        .bind(now.0)
        .execute(&mut *tx)
        .await?;
    let detail = format!(
        "channels {}, contacts {}, escalate_after {}",
        settings.channels.len(),
        settings.escalation_contacts.len(),
        settings.escalate_after.len()
    );
    cases::append_audit(
        &mut tx,
        actor,
        now,
        AuditAction::Update,
        &format!("unit/{unit_id}/alerting"),
        &detail,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> UnitAlerting {
        UnitAlerting {
            channels: vec![PersonChannel::Email],
            escalation_contacts: vec![7],
            escalate_after: BTreeMap::from([(Severity::Critical, 60)]),
        }
    }

    fn fields(s: &UnitAlerting) -> Vec<(String, Option<&'static str>)> {
        s.errors().into_iter().map(|e| (e.field, e.code)).collect()
    }

    #[test]
    fn good_settings_have_no_errors_and_the_service_s_are_good() {
        assert!(settings().errors().is_empty());
        assert!(
            UnitAlerting::of_service(&AlertsConfig::default())
                .errors()
                .is_empty()
        );
        // No channel and no escalation at all is a choice, not an error.
        let quiet = UnitAlerting {
            channels: vec![],
            escalation_contacts: vec![],
            escalate_after: BTreeMap::new(),
        };
        assert!(quiet.errors().is_empty());
    }

    #[test]
    fn each_wrong_field_is_named_with_its_code() {
        let mut s = settings();
        s.channels.push(PersonChannel::Email);
        s.escalation_contacts.push(7);
        s.escalate_after.insert(Severity::High, 0);
        s.escalate_after
            .insert(Severity::Low, MAX_ESCALATE_AFTER + 1);
        assert_eq!(
            fields(&s),
            [
                ("channels[1]".to_string(), Some("given_twice")),
                ("escalation_contacts[1]".to_string(), Some("given_twice")),
                // In the severities' order, least urgent first.
                (
                    "escalate_after.low".to_string(),
                    Some("escalate_after_range")
                ),
                (
                    "escalate_after.high".to_string(),
                    Some("escalate_after_range")
                ),
            ]
        );
        let mut many = settings();
        many.escalation_contacts = (1..=21).collect();
        assert_eq!(
            fields(&many),
            [("escalation_contacts".to_string(), Some("too_many"))]
        );
        // The boundaries themselves are good.
        let mut edges = settings();
        edges.escalate_after = BTreeMap::from([
            (Severity::Critical, 1),
            (Severity::High, MAX_ESCALATE_AFTER),
        ]);
        assert!(edges.errors().is_empty());
    }

    #[test]
    fn a_unit_s_times_replace_the_service_s_and_nothing_else() {
        let config = AlertsConfig::default();
        let merged = settings().applied_to(&config);
        let at = Timestamp(1_000_000);
        let next = |c: &AlertsConfig, s| crate::lifecycle::next_escalation(s, 0, at, c);
        assert_eq!(
            next(&config, Severity::Critical),
            Some(Timestamp(1_300_000))
        );
        assert_eq!(
            next(&merged, Severity::Critical),
            Some(Timestamp(1_060_000))
        );
        // A severity the unit does not name does not escalate for its alerts.
        assert_eq!(next(&config, Severity::High), Some(Timestamp(1_900_000)));
        assert_eq!(next(&merged, Severity::High), None);
        assert_eq!(merged.flap_window, config.flap_window);
        assert_eq!(merged.duty_leads, config.duty_leads);
    }
}
