//! What an agency sets about its alerts: severity per kind, how long an alert may wait for
//! acknowledgement before it escalates, the flap window, who the duty leads are, and which
//! kinds also tell the wearer. Read from the `[alerts]` table of the configuration file;
//! every key is optional and a typo is an error.

use std::collections::BTreeMap;

use rules::{BreachKind, Severity};
use serde::Deserialize;

/// The `[alerts]` configuration.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct AlertsConfig {
    /// Severity per kind, over the engine's (`strap_opened = "critical"`).
    pub severity: BTreeMap<BreachKind, Severity>,
    /// Seconds an open alert waits for acknowledgement before it goes to the next level, per
    /// severity; a severity not named never escalates.
    pub escalate_after: BTreeMap<Severity, u64>,
    /// Seconds: an episode of the same condition and kind that starts within this time of the
    /// last one's end carries its alert on instead of raising another.
    pub flap_window: u64,
    /// User names of the monitoring centre's duty leads: the last escalation level.
    pub duty_leads: Vec<String>,
    /// Kinds whose alerts also tell the wearer through the tag (NOTIFY_WEARER).
    pub wearer: BTreeMap<BreachKind, WearerNotice>,
    /// Notifications are given up after this many attempts.
    pub max_attempts: u32,
    /// The wearer is reminded before each curfew window starts (None: never).
    pub curfew_reminder: Option<CurfewReminder>,
    /// `[alerts.channels.email]`, `.webhook`, `.sms`: each off unless configured.
    pub channels: crate::channels::ChannelsConfig,
}

/// What the tag does to tell its wearer: a pattern (1 short vibration, 2 long vibration,
/// 3 beep) and the id of the message the wearer was told about when fitted.
#[derive(Copy, Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct WearerNotice {
    /// 1 short vibration, 2 long vibration, 3 beep.
    pub pattern: u8,
    /// The id of the message the wearer was told about when fitted.
    pub message: u16,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        AlertsConfig {
            severity: BTreeMap::new(),
            escalate_after: BTreeMap::from([
                (Severity::Critical, 5 * 60),
                (Severity::High, 15 * 60),
                (Severity::Medium, 60 * 60),
            ]),
            flap_window: 10 * 60,
            duty_leads: Vec::new(),
            wearer: BTreeMap::from([
                // "Go outside for a GPS fix."
                (
                    BreachKind::MotionWithoutFix,
                    WearerNotice {
                        pattern: 2,
                        message: 1,
                    },
                ),
                // "Charge your tag."
                (
                    BreachKind::BatteryLow,
                    WearerNotice {
                        pattern: 1,
                        message: 2,
                    },
                ),
                (
                    BreachKind::BatteryCritical,
                    WearerNotice {
                        pattern: 3,
                        message: 2,
                    },
                ),
            ]),
            max_attempts: 12,
            // "Curfew starts in 15 minutes."
            curfew_reminder: Some(CurfewReminder {
                before: 15 * 60,
                pattern: 3,
                message: 3,
            }),
            channels: crate::channels::ChannelsConfig::default(),
        }
    }
}

/// `[alerts.curfew-reminder]`: how long before a curfew window starts the tag tells its wearer,
/// and how.
#[derive(Copy, Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CurfewReminder {
    /// Seconds before the window starts; 0 turns reminders off.
    pub before: u64,
    /// 1 short vibration, 2 long vibration, 3 beep.
    pub pattern: u8,
    /// The id of the message the wearer was told about when fitted.
    pub message: u16,
}

/// A configuration that cannot work.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// An escalation time for a severity outside 1 s to 7 days (the severity, the seconds).
    #[error("alerts.escalate-after.{0}: must be between 1 and 604800 seconds, not {1}")]
    EscalateAfter(String, u64),
    /// A flap window over a day (the seconds).
    #[error("alerts.flap-window: must be at most 86400 seconds, not {0}")]
    FlapWindow(u64),
    /// A wearer notice pattern other than 1, 2 or 3 (the breach kind, the pattern).
    #[error("alerts.wearer.{0}: pattern must be 1, 2 or 3, not {1}")]
    WearerPattern(String, u8),
    /// A number of delivery attempts outside 1 to 100.
    #[error("alerts.max-attempts: must be between 1 and 100, not {0}")]
    MaxAttempts(u32),
    /// A duty lead with an empty user name.
    #[error("alerts.duty-leads: an empty user name")]
    EmptyDutyLead,
    /// A curfew reminder neither off nor 1 minute to 1 day ahead, or with a bad pattern.
    #[error(
        "alerts.curfew-reminder: before must be 0 (off) or 60 to 86400 seconds, and pattern 1, 2 or 3"
    )]
    CurfewReminder,
}

impl AlertsConfig {
    /// Refuses a configuration that cannot work, when sargs starts.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (severity, secs) in &self.escalate_after {
            if !(1..=604_800).contains(secs) {
                return Err(ConfigError::EscalateAfter(name(severity), *secs));
            }
        }
        if self.flap_window > 86_400 {
            return Err(ConfigError::FlapWindow(self.flap_window));
        }
        for (kind, notice) in &self.wearer {
            if !(1..=3).contains(&notice.pattern) {
                return Err(ConfigError::WearerPattern(name(kind), notice.pattern));
            }
        }
        if !(1..=100).contains(&self.max_attempts) {
            return Err(ConfigError::MaxAttempts(self.max_attempts));
        }
        if self.duty_leads.iter().any(|n| n.trim().is_empty()) {
            return Err(ConfigError::EmptyDutyLead);
        }
        if let Some(r) = &self.curfew_reminder
            && r.before != 0
            && (!(60..=86_400).contains(&r.before) || !(1..=3).contains(&r.pattern))
        {
            return Err(ConfigError::CurfewReminder);
        }
        Ok(())
    }

    /// Milliseconds an alert of this severity waits before escalating, if it does.
    pub fn escalate_after(&self, severity: Severity) -> Option<i64> {
        self.escalate_after
            .get(&severity)
            .map(|s| i64::try_from(*s).unwrap_or(i64::MAX).saturating_mul(1000))
    }

    /// The flap window in milliseconds: an episode of the same condition within it carries the
    /// earlier alert on rather than raising a new one.
    pub fn flap_window_ms(&self) -> i64 {
        i64::try_from(self.flap_window)
            .unwrap_or(i64::MAX)
            .saturating_mul(1000)
    }
}

/// A value's serde name, for error messages.
fn name<T: serde::Serialize>(value: &T) -> String {
    judge::records::name(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<AlertsConfig, String> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct File {
            alerts: AlertsConfig,
        }
        let file: File = toml_from(text)?;
        file.alerts.validate().map_err(|e| e.to_string())?;
        Ok(file.alerts)
    }

    fn toml_from<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    #[test]
    fn a_table_overrides_the_defaults_it_names() {
        let c = parse(
            "[alerts]\nduty-leads = [\"lead\"]\nflap-window = 60\n\
             [alerts.severity]\nbattery_low = \"medium\"\n\
             [alerts.escalate-after]\ncritical = 120\n",
        )
        .unwrap();
        assert_eq!(c.severity[&BreachKind::BatteryLow], Severity::Medium);
        assert_eq!(c.escalate_after(Severity::Critical), Some(120_000));
        // Naming one severity replaces the table: the others no longer escalate.
        assert_eq!(c.escalate_after(Severity::High), None);
        assert_eq!(c.flap_window_ms(), 60_000);
        assert_eq!(c.duty_leads, ["lead"]);
    }

    #[test]
    fn bad_values_are_refused_by_name() {
        for (text, wanted) in [
            ("[alerts]\nflap-windw = 3", "unknown field"),
            (
                "[alerts.severity]\nstrap_open = \"high\"",
                "unknown variant",
            ),
            (
                "[alerts.severity]\nstrap_opened = \"urgent\"",
                "unknown variant",
            ),
            (
                "[alerts.escalate-after]\ncritical = 0",
                "escalate-after.critical",
            ),
            ("[alerts.escalate-after]\nhigh = -5", "invalid value"),
            ("[alerts]\nflap-window = 100000", "flap-window"),
            (
                "[alerts.wearer.battery_low]\npattern = 9\nmessage = 1",
                "pattern",
            ),
            ("[alerts]\nmax-attempts = 0", "max-attempts"),
            ("[alerts]\nduty-leads = [\" \"]", "duty-leads"),
            (
                "[alerts.curfew-reminder]\nbefore = 5\npattern = 1\nmessage = 3",
                "curfew-reminder",
            ),
        ] {
            let error = parse(text).unwrap_err();
            assert!(error.contains(wanted), "{text}: {error}");
        }
    }

    #[test]
    fn the_defaults_are_valid() {
        AlertsConfig::default().validate().unwrap();
    }
}
