//! Notification channels: how one stored notification leaves sargs. Each channel is a small
//! sink with its own configuration; the outbox (`crate::outbox`) decides what to send and
//! when, retries, and records the outcome. A channel only sends one message and says whether
//! trying again could help.

use serde::{Deserialize, Serialize};

/// One notification as a channel sends it, built from an outbox row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outgoing {
    /// The outbox row.
    pub id: i64,
    /// The same for every attempt at this notification: receivers drop repeats by it.
    pub idempotency_key: String,
    /// Where to: an e-mail address, a phone number (E.164); empty for the webhook, whose
    /// address is configured.
    pub address: String,
    /// One line: e-mail subject.
    pub subject: String,
    /// Plain text: e-mail body, SMS text.
    pub text: String,
    /// The machine-readable event (webhook body).
    pub payload: serde_json::Value,
}

mod email;
mod failure;
mod sms;
mod webhook;

pub use email::{EmailChannel, EmailConfig};
pub use failure::{Failure, FailureReason, SendError};
pub use sms::{SMS_MAX_CHARS, SmsChannel, SmsConfig};
pub use webhook::{WebhookChannel, WebhookConfig, verify_signature};

use std::time::Duration;

/// How long one send may take before it counts as a temporary failure: a dead or stuck
/// server must never hold a notification worker.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(20);

/// A channel's configuration that cannot work, found when sargs starts rather than when the
/// first alert needs it. Messages never quote a password, secret or authorization value.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ChannelConfigError {
    /// The `smtp` setting is not `smtp://`, `smtp+starttls://` or `smtps://` `host[:port]`.
    #[error("email: bad smtp URL {url:?}: {reason}")]
    SmtpUrl {
        /// The setting as written.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Credentials were written into the SMTP URL, where they would be logged.
    #[error(
        "email: put the SMTP user name and password in `username` and `password`, not in the URL"
    )]
    SmtpUrlCredentials,
    /// The `from` setting is not a mailbox.
    #[error("email: bad from address {from:?}: {reason}")]
    From {
        /// The setting as written.
        from: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A password would cross the network unencrypted.
    #[error("email: a user name and password need TLS: use smtp+starttls:// or smtps://")]
    CredentialsInClear,
    /// Only one of `username` and `password` is set.
    #[error("email: `username` and `password` go together: set both or neither")]
    HalfCredentials,
    /// A webhook or SMS gateway URL that is not an absolute http(s) URL.
    #[error("{channel}: bad url: {reason}")]
    Url {
        /// The channel (`webhook` or `sms`).
        channel: &'static str,
        /// What is wrong with the URL.
        reason: String,
    },
    /// The webhook secret is too short to sign with.
    #[error("webhook: the secret must be at least {min} bytes, it is {len}")]
    SecretTooShort {
        /// Its length in bytes.
        len: usize,
        /// The least accepted, in bytes.
        min: usize,
    },
    /// The SMS body template does not give JSON, or lacks a placeholder.
    #[error("sms: bad body template: {0}")]
    SmsTemplate(String),
    /// The SMS gateway authorization cannot be sent as an HTTP header.
    #[error("sms: `authorization` is not a valid HTTP header value")]
    SmsAuthorization,
    /// TLS or the HTTP client could not be set up.
    #[error("{channel}: cannot set up the client: {reason}")]
    Client {
        /// The channel whose client failed.
        channel: &'static str,
        /// Why it could not be set up.
        reason: String,
    },
}

/// One configured outgoing channel.
#[derive(Debug)]
pub enum Channel {
    /// Mail through an SMTP relay.
    Email(EmailChannel),
    /// A signed HTTP POST to another system.
    Webhook(WebhookChannel),
    /// Text messages through an HTTP SMS gateway.
    Sms(SmsChannel),
}

impl Channel {
    /// Sends one notification.
    pub async fn send(&self, out: &Outgoing) -> Result<(), SendError> {
        match self {
            Channel::Email(c) => c.send(out).await,
            Channel::Webhook(c) => c.send(out).await,
            Channel::Sms(c) => c.send(out).await,
        }
    }

    /// The channel's name in configuration, the outbox and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Channel::Email(_) => "email",
            Channel::Webhook(_) => "webhook",
            Channel::Sms(_) => "sms",
        }
    }
}

/// The `[alerts.channels]` configuration: each channel is off unless configured.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ChannelsConfig {
    /// `[alerts.channels.email]`: mail to people, if configured.
    #[serde(default)]
    pub email: Option<EmailConfig>,
    /// `[alerts.channels.webhook]`: every alert event to another system, if configured.
    #[serde(default)]
    pub webhook: Option<WebhookConfig>,
    /// `[alerts.channels.sms]`: text messages to people, if configured.
    #[serde(default)]
    pub sms: Option<SmsConfig>,
}

impl ChannelsConfig {
    /// Builds every configured channel, or says what is wrong with the first bad one.
    pub fn build(&self) -> Result<Vec<Channel>, ChannelConfigError> {
        let mut channels = Vec::new();
        if let Some(c) = &self.email {
            channels.push(Channel::Email(EmailChannel::new(c.clone())?));
        }
        if let Some(c) = &self.webhook {
            channels.push(Channel::Webhook(WebhookChannel::new(c.clone())?));
        }
        if let Some(c) = &self.sms {
            channels.push(Channel::Sms(SmsChannel::new(c.clone())?));
        }
        Ok(channels)
    }
}

/// Checks an http(s) URL for the webhook and SMS channels.
fn parse_http_url(channel: &'static str, url: &str) -> Result<reqwest::Url, ChannelConfigError> {
    let bad = |reason: String| ChannelConfigError::Url { channel, reason };
    let parsed = reqwest::Url::parse(url).map_err(|e| bad(e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad(format!(
            "scheme {:?}: only http and https are supported",
            parsed.scheme()
        )));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad("no host".into()));
    }
    Ok(parsed)
}

/// The HTTP client the webhook and SMS channels share the settings of: a timeout, and no
/// redirects (a POST must not turn into a GET somewhere else).
fn http_client(channel: &'static str) -> Result<reqwest::Client, ChannelConfigError> {
    reqwest::Client::builder()
        .timeout(SEND_TIMEOUT)
        .connect_timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("sargs/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| ChannelConfigError::Client {
            channel,
            reason: e.to_string(),
        })
}

/// Maps an HTTP answer to the outcome: 2xx sent; 408, 429 and 5xx later; anything else never.
fn http_outcome(status: reqwest::StatusCode) -> Result<(), SendError> {
    let code = status.as_u16();
    let refused = FailureReason::RejectedByServer { code };
    match code {
        200..=299 => Ok(()),
        408 | 429 | 500..=599 => Err(SendError::transient(refused, format!("HTTP {status}"))),
        300..=399 => Err(SendError::permanent(
            refused,
            format!("HTTP {status}: redirects are not followed, configure the final URL"),
        )),
        _ => Err(SendError::permanent(refused, format!("HTTP {status}"))),
    }
}

/// Maps a failure to reach an HTTP endpoint: all of them could work later except a request
/// that could not even be built.
fn http_error(e: reqwest::Error) -> SendError {
    // Without the URL: it may carry a gateway key in its query.
    let e = e.without_url();
    if e.is_builder() {
        return SendError::permanent(FailureReason::InvalidMessage, failure::with_sources(&e));
    }
    let reason = if e.is_timeout() {
        FailureReason::TimedOut
    } else {
        failure::connection_reason(&e).unwrap_or(FailureReason::ConnectionFailed)
    };
    SendError::transient(reason, failure::with_sources(&e))
}
