//! Who hears of an alert, and the notifications stored for them. Written into the outbox in
//! the transaction that records the event, so that an event is never without its
//! notifications and a notification never without its event; the outbox task sends them later.
//!
//! Routing by level: 0 the client's supervising officer (and the monitoring centre, which
//! watches the live feed and receives the webhook), 1 the supervisors of the officer's unit
//! (the unit itself and its parent) and the unit's escalation contacts, 2 the duty leads named
//! in the configuration. Each user's channels come from `alert_contacts` (address, lowest
//! severity, on or off), used only where the unit's settings take that channel
//! (crate::units). A user reached twice at one level is told once.

use std::collections::BTreeSet;

use judge::records::{name, named};
use rules::{BreachKind, ConditionRef, Severity, Timestamp};
use serde::{Deserialize, Serialize};

use crate::AlertsError;
use crate::config::AlertsConfig;
use crate::lifecycle::AlertAction;
use crate::records::{Alert, AlertEvent};
use crate::units::UnitAlerting;

type Tx = store::WriteTx;

/// The channels a person can be reached on.
#[derive(
    Copy,
    Clone,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum PersonChannel {
    /// Mail to the person's address.
    Email,
    /// A text message to the person's phone.
    Sms,
}

impl PersonChannel {
    /// Every channel a person may be reached on.
    pub const ALL: [PersonChannel; 2] = [PersonChannel::Email, PersonChannel::Sms];

    /// The channel's name as stored in contacts and the outbox.
    pub fn as_str(self) -> &'static str {
        match self {
            PersonChannel::Email => "email",
            PersonChannel::Sms => "sms",
        }
    }
}

/// Outbox channels besides the people's: the monitoring centre's webhook and the wearer's tag.
pub const WEBHOOK: &str = "webhook";
/// The outbox channel of notices to the client's tag (vibrate or beep).
pub const WEARER: &str = "wearer";

/// One of a user's channels.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Contact {
    /// How the person is reached.
    pub channel: PersonChannel,
    /// An e-mail address or a phone number in E.164 (+371...).
    pub address: String,
    /// Alerts below this severity do not come on this channel.
    pub min_severity: Severity,
    /// Whether notifications go out on this channel at all.
    pub enabled: bool,
}

impl Contact {
    /// The address is one the channel can use.
    pub fn check(&self) -> Result<(), String> {
        let a = self.address.trim();
        if a != self.address || a.is_empty() || a.len() > 254 || a.chars().any(char::is_control) {
            return Err("must be a plain address of at most 254 characters".into());
        }
        match self.channel {
            PersonChannel::Email => {
                let (local, domain) = a.split_once('@').ok_or("must contain @")?;
                if local.is_empty()
                    || !domain.contains('.')
                    || domain.starts_with('.')
                    || domain.ends_with('.')
                    || a.chars()
                        .any(|c| c.is_whitespace() || "<>,;\"()[]\\".contains(c))
                {
                    return Err("is not an e-mail address".into());
                }
            }
            PersonChannel::Sms => {
                let digits = a
                    .strip_prefix('+')
                    .ok_or("must start with + and a country code")?;
                if !(8..=15).contains(&digits.len()) || !digits.chars().all(|c| c.is_ascii_digit())
                {
                    return Err("must be + and 8 to 15 digits".into());
                }
            }
        }
        Ok(())
    }
}

/// A user's channels.
pub async fn contacts<'e, E>(db: E, user_id: i64) -> Result<Vec<Contact>, AlertsError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT channel, address, min_severity, enabled FROM alert_contacts
         WHERE user_id = $1 ORDER BY channel",
    )
    .bind(user_id)
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|(channel, address, min, enabled)| {
            Ok(Contact {
                channel: named(&channel, "channel")?,
                address,
                min_severity: named(&min, "severity")?,
                enabled: enabled != 0,
            })
        })
        .collect()
}

/// Replaces a user's channels.
pub(crate) async fn set_contacts(
    tx: &mut Tx,
    user_id: i64,
    contacts: &[Contact],
    now: Timestamp,
) -> Result<(), AlertsError> {
    sqlx::query("DELETE FROM alert_contacts WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    for c in contacts {
        sqlx::query(
            "INSERT INTO alert_contacts (user_id, channel, address, min_severity, enabled, updated_ms)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(user_id)
        .bind(c.channel.as_str())
        .bind(&c.address)
        .bind(name(&c.min_severity)?)
        .bind(i64::from(c.enabled))
        .bind(now.0)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// The users an alert goes to at `level`: at level 1 the unit's escalation contacts too.
pub(crate) async fn recipients(
    tx: &mut Tx,
    alert: &Alert,
    level: u8,
    config: &AlertsConfig,
    unit: &UnitAlerting,
) -> Result<BTreeSet<i64>, AlertsError> {
    let ids = match level {
        0 => Vec::from_iter(cases::lookups::active_user(&mut **tx, alert.officer_id).await?),
        1 => {
            let mut ids = cases::lookups::unit_supervisors(&mut **tx, alert.unit_id).await?;
            for &contact in &unit.escalation_contacts {
                // A contact disabled since is told nothing.
                ids.extend(cases::lookups::active_user(&mut **tx, Some(contact)).await?);
            }
            ids
        }
        _ => {
            let mut ids = Vec::new();
            for lead in &config.duty_leads {
                match cases::lookups::active_user_named(&mut **tx, lead).await? {
                    Some(id) => ids.push(id),
                    None => tracing::warn!(username = %lead, "a duty lead is not an active user"),
                }
            }
            ids
        }
    };
    Ok(ids.into_iter().collect())
}

/// Which outbox channels are in use: notifications for a channel that is not configured are
/// still stored, and given up at once with that reason, so the gap shows on the alert.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Wanted {
    /// The monitoring centre's webhook receives every event.
    pub webhook: bool,
}

/// Stores the notifications of `event`: the webhook's (every event), the people's (when the
/// alert is raised or escalated, to that level's recipients, on their channels that take its
/// severity) and the wearer's (when raised, for the kinds configured).
pub(crate) async fn enqueue(
    tx: &mut Tx,
    alert: &Alert,
    event: &AlertEvent,
    config: &AlertsConfig,
    wanted: Wanted,
) -> Result<usize, AlertsError> {
    let mut stored = 0;
    let subject = subject(alert, event.action);
    let text = text(alert, event);
    let payload = serde_json::json!({ "event": event, "alert": alert }).to_string();
    let words = (subject.as_str(), text.as_str(), payload.as_str());
    if wanted.webhook {
        stored += put(tx, &of_event(event, WEBHOOK, None, "", words)).await?;
    }
    let level = match event.action {
        AlertAction::Raised => Some(0),
        AlertAction::Escalated => Some(event.level),
        _ => None,
    };
    if let Some(level) = level {
        let (_, unit) = crate::units::in_force(tx, alert.unit_id, config).await?;
        for user in recipients(tx, alert, level, config, &unit).await? {
            for contact in contacts(&mut **tx, user).await? {
                if contact.enabled
                    && alert.severity >= contact.min_severity
                    && unit.channels.contains(&contact.channel)
                {
                    let n = of_event(
                        event,
                        contact.channel.as_str(),
                        Some(user),
                        &contact.address,
                        words,
                    );
                    stored += put(tx, &n).await?;
                }
            }
        }
    }
    if event.action == AlertAction::Raised
        && let Some(notice) = config.wearer.get(&alert.kind)
    {
        let device = alert_device(&mut **tx, alert).await?;
        if let Some(device) = device {
            let wearer =
                serde_json::json!({ "pattern": notice.pattern, "message": notice.message })
                    .to_string();
            let address = device.to_string();
            let n = of_event(event, WEARER, None, &address, (&subject, &text, &wearer));
            stored += put(tx, &n).await?;
        }
    }
    Ok(stored)
}

/// The device an alert is about: its condition's device, or else the tag fitted under its
/// order now (if any).
pub async fn alert_device<'e, E>(db: E, alert: &Alert) -> Result<Option<u64>, AlertsError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    if let ConditionRef::Device { device } = &alert.condition {
        return Ok(Some(*device));
    }
    Ok(cases::lookups::fitted_tag(db, alert.order_id).await?)
}

/// One notification to store.
pub(crate) struct NewNotification<'a> {
    /// The alert and event it tells of; none for a curfew reminder.
    pub alert_id: Option<i64>,
    pub event_id: Option<i64>,
    /// The same for every attempt, and unique: a second with it is not stored.
    pub key: String,
    pub channel: &'a str,
    pub user: Option<i64>,
    pub address: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub payload: &'a str,
    pub at: Timestamp,
}

/// Stores one notification, due at once; returns 0 if one with its key was stored before.
pub(crate) async fn put(tx: &mut Tx, n: &NewNotification<'_>) -> Result<usize, AlertsError> {
    let done = sqlx::query(
        "INSERT INTO outbox (alert_id, event_id, channel, user_id, address, idempotency_key,
                             subject, body, payload, state, attempts, next_attempt_ms, created_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', 0, $10, $10)
         ON CONFLICT (idempotency_key) DO NOTHING",
    )
    .bind(n.alert_id)
    .bind(n.event_id)
    .bind(n.channel)
    .bind(n.user)
    .bind(n.address)
    .bind(&n.key)
    .bind(n.subject)
    .bind(n.text)
    .bind(n.payload)
    .bind(n.at.0)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() as usize)
}

/// An alert event's notification on one channel.
fn of_event<'a>(
    event: &AlertEvent,
    channel: &'a str,
    user: Option<i64>,
    address: &'a str,
    (subject, text, payload): (&'a str, &'a str, &'a str),
) -> NewNotification<'a> {
    NewNotification {
        alert_id: Some(event.alert_id),
        event_id: Some(event.id),
        key: format!(
            "sargs-alert-{}-event-{}-{channel}-{}",
            event.alert_id,
            event.id,
            user.unwrap_or(0)
        ),
        channel,
        user,
        address,
        subject,
        text,
        payload,
        at: event.at,
    }
}

/// One line for an e-mail subject. No personal data: the client is named by number; the
/// console shows the rest to those allowed to see it.
pub fn subject(alert: &Alert, action: AlertAction) -> String {
    format!(
        "[sargs] {} {}: {} / {} (client {}, alert {})",
        severity_label(alert.severity),
        action.as_str().replace('_', " "),
        kind_label(alert.kind, Lang::En),
        kind_label(alert.kind, Lang::Lv),
        alert.client_id,
        alert.id
    )
}

/// The text of an e-mail or SMS, in English and Latvian.
pub fn text(alert: &Alert, event: &AlertEvent) -> String {
    let start = chrono::DateTime::from_timestamp_millis(alert.start.0)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default();
    let mut text = format!(
        "{} ({}): {} since {start}, client {}, alert {} ({}, level {}).\n\
         Trauksme: {}, klients {}, trauksme {}.",
        kind_label(alert.kind, Lang::En),
        severity_label(alert.severity),
        event.action.as_str().replace('_', " "),
        alert.client_id,
        alert.id,
        alert.state.as_str(),
        event.level,
        kind_label(alert.kind, Lang::Lv),
        alert.client_id,
        alert.id,
    );
    if !event.note.is_empty() {
        text += &format!("\nNote / piezīme ({}): {}", event.actor, event.note);
    }
    text
}

fn severity_label(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "CRITICAL",
        Severity::High => "HIGH",
        Severity::Medium => "MEDIUM",
        Severity::Low => "LOW",
        Severity::Warning => "WARNING",
    }
}

/// A language notifications are written in; they carry English and Latvian side by side.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Latvian.
    Lv,
}

/// A kind as the console and the messages name it (the glossary's terms).
pub fn kind_label(kind: BreachKind, lang: Lang) -> &'static str {
    use BreachKind::*;
    let (en, lv) = match kind {
        LateArrival => ("late arrival for curfew", "nokavēta ierašanās mājas režīmā"),
        EarlyDeparture => (
            "early departure from curfew",
            "priekšlaicīga aiziešana no mājas režīma",
        ),
        AbsentDuringCurfew => ("absent during curfew", "prombūtne mājas režīma laikā"),
        AbsentEntireCurfew => (
            "absent for the entire curfew",
            "prombūtne visu mājas režīma laiku",
        ),
        ExclusionZoneEntered => ("exclusion zone entered", "ieiešana aizliegtajā zonā"),
        InclusionZoneLeft => ("inclusion zone left", "atļautās zonas atstāšana"),
        ExclusionZoneApproached => (
            "approaching an exclusion zone",
            "tuvošanās aizliegtajai zonai",
        ),
        InclusionZoneEdge => ("at the edge of an inclusion zone", "atļautās zonas robeža"),
        VictimProximity => ("victim proximity", "tuvošanās cietušajam"),
        VictimProximityWarning => ("near the victim", "tuvu cietušajam"),
        CommunicationLost => ("communication lost", "sakari zuduši"),
        StrapOpened => ("strap opened", "siksniņa atvērta"),
        CaseOpened => ("case opened", "korpuss atvērts"),
        SkinContactLost => ("skin contact lost", "zudis kontakts ar ādu"),
        BatteryLow => ("battery low", "zems akumulatora līmenis"),
        BatteryCritical => ("battery critical", "kritisks akumulatora līmenis"),
        NotCharged => ("not charged", "akumulators nav uzlādēts"),
        JammingSuspected => ("jamming suspected", "aizdomas par signāla slāpēšanu"),
        ShieldingSuspected => ("shielding suspected", "aizdomas par ekranēšanu"),
        MainsPowerLost => (
            "home unit mains power lost",
            "mājas bāzes iekārtai zudusi barošana",
        ),
        MotionWithoutFix => ("motion without a GPS fix", "kustība bez GPS noteikšanas"),
        ClockSkewed => ("device clock skewed", "ierīces pulkstenis nobīdījies"),
    };
    match lang {
        Lang::En => en,
        Lang::Lv => lv,
    }
}
