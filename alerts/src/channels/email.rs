//! E-mail through an SMTP server: the channel every probation service already has. A
//! plain relay on the LAN, STARTTLS on the submission port, or implicit TLS (SMTPS), with
//! optional credentials; TLS is rustls with the Mozilla roots. Each message carries a
//! `Message-ID` made from the notification's idempotency key, so a receiver (or a mail
//! archive) can tell a repeat from a new alert.

use std::fmt;
use std::time::Duration;

use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Deserialize;

use super::failure::connection_reason;
use super::{ChannelConfigError, FailureReason, Outgoing, SEND_TIMEOUT, SendError};

/// How to reach the SMTP server and whom the mail is from.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct EmailConfig {
    /// `smtp://host[:port]` (plain, for a relay on the LAN that needs no login; port 25),
    /// `smtp+starttls://host[:port]` (port 587) or `smtps://host[:port]` (port 465).
    pub smtp: String,
    /// The sender, `alerts@example.lv` or `sargs <alerts@example.lv>`.
    pub from: String,
    /// The SMTP user name, if the relay needs a login (then `password` too).
    #[serde(default)]
    pub username: Option<String>,
    /// Never printed.
    #[serde(default)]
    pub password: Option<String>,
}

impl fmt::Debug for EmailConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailConfig")
            .field("smtp", &self.smtp)
            .field("from", &self.from)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Sends notifications as plain-text e-mail.
pub struct EmailChannel {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// Where the SMTP server is, for logs (no credentials).
    server: String,
    timeout: Duration,
}

impl fmt::Debug for EmailChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailChannel")
            .field("server", &self.server)
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

/// The three ways to talk to an SMTP server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Security {
    Plain,
    StartTls,
    Tls,
}

impl EmailChannel {
    /// Checks the configuration and prepares the transport; connects only when sending.
    pub fn new(config: EmailConfig) -> Result<Self, ChannelConfigError> {
        let (security, host, port) = parse_smtp_url(&config.smtp)?;
        let from: Mailbox = config
            .from
            .parse()
            .map_err(
                |e: lettre::address::AddressError| ChannelConfigError::From {
                    from: config.from.clone(),
                    reason: e.to_string(),
                },
            )?;
        let tls_error = |e: lettre::transport::smtp::Error| ChannelConfigError::Client {
            channel: "email",
            reason: e.to_string(),
        };
        let builder = match security {
            Security::Plain => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&host),
            Security::StartTls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&host).map_err(tls_error)?
            }
            Security::Tls => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(&host).map_err(tls_error)?
            }
        };
        let mut builder = builder.port(port).timeout(Some(SEND_TIMEOUT));
        match (config.username, config.password) {
            (Some(_), Some(_)) if security == Security::Plain => {
                return Err(ChannelConfigError::CredentialsInClear);
            }
            (Some(user), Some(password)) => {
                builder = builder.credentials(Credentials::new(user, password));
            }
            (None, None) => {}
            _ => return Err(ChannelConfigError::HalfCredentials),
        }
        Ok(EmailChannel {
            transport: builder.build(),
            from,
            server: format!("{host}:{port}"),
            timeout: SEND_TIMEOUT,
        })
    }

    /// Caps a whole send (connect, dialogue, data) at `timeout` instead of [`SEND_TIMEOUT`];
    /// for tests of a stuck server.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sends `out.text` to `out.address` with subject `out.subject`.
    pub async fn send(&self, out: &Outgoing) -> Result<(), SendError> {
        let address = out.address.trim();
        if address.is_empty() {
            return Err(SendError::permanent(
                FailureReason::NoAddress,
                "no e-mail address",
            ));
        }
        let to: Mailbox = address.parse().map_err(|e| {
            SendError::permanent(
                FailureReason::BadAddress,
                format!("bad e-mail address {:?}: {e}", out.address),
            )
        })?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(out.subject.as_str())
            .message_id(Some(message_id(
                &out.idempotency_key,
                self.from.email.domain(),
            )))
            .header(ContentType::TEXT_PLAIN)
            .body(out.text.clone())
            .map_err(|e| {
                SendError::permanent(
                    FailureReason::InvalidMessage,
                    format!("cannot build the e-mail: {e}"),
                )
            })?;

        let sent = tokio::time::timeout(self.timeout, self.transport.send(message)).await;
        match sent {
            Ok(Ok(response)) => {
                tracing::debug!(
                    outbox = out.id,
                    server = %self.server,
                    code = %response.code(),
                    "e-mail accepted"
                );
                Ok(())
            }
            Ok(Err(e)) => Err(classify(&e)),
            Err(_) => Err(SendError::transient(
                FailureReason::TimedOut,
                format!(
                    "SMTP server {} did not finish within {:?}",
                    self.server, self.timeout
                ),
            )),
        }
    }
}

/// SMTP 5xx will not change. A 4xx, a dropped connection, a timeout, a TLS failure, or a
/// server lacking what sending needs (STARTTLS, AUTH, SMTPUTF8) may: an alert must not be
/// dropped because the relay is misconfigured for an hour.
fn classify(e: &lettre::transport::smtp::Error) -> SendError {
    let detail = e.to_string();
    let reason = if let Some(code) = e.status() {
        FailureReason::RejectedByServer {
            code: u16::from(code),
        }
    } else if e.is_timeout() {
        FailureReason::TimedOut
    } else if e.is_tls() || (e.is_client() && detail.contains("STARTTLS")) {
        // lettre says only in words that a server offers no STARTTLS.
        FailureReason::TlsFailed
    } else if e.is_client() || e.is_response() {
        FailureReason::Other
    } else {
        connection_reason(e).unwrap_or(FailureReason::ConnectionFailed)
    };
    if e.is_permanent() {
        SendError::permanent(reason, detail)
    } else {
        SendError::transient(reason, detail)
    }
}

/// `<key@domain>`, with every byte of the key outside `[A-Za-z0-9_-]` written `=XX`, so any
/// key gives a valid and distinct Message-ID.
fn message_id(key: &str, domain: &str) -> String {
    let mut id = String::with_capacity(key.len() + domain.len() + 3);
    id.push('<');
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            id.push(char::from(b));
        } else {
            id.push_str(&format!("={b:02X}"));
        }
    }
    if key.is_empty() {
        id.push_str("sargs");
    }
    id.push('@');
    id.push_str(domain);
    id.push('>');
    id
}

/// Splits `scheme://host[:port]` into how, where and which port.
fn parse_smtp_url(url: &str) -> Result<(Security, String, u16), ChannelConfigError> {
    let bad = |reason: &str| ChannelConfigError::SmtpUrl {
        url: url.to_string(),
        reason: reason.to_string(),
    };
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| bad("expected smtp://, smtp+starttls:// or smtps://"))?;
    let (security, default_port) = match scheme.to_ascii_lowercase().as_str() {
        "smtp" => (Security::Plain, 25),
        "smtp+starttls" => (Security::StartTls, 587),
        "smtps" => (Security::Tls, 465),
        _ => return Err(bad("scheme must be smtp, smtp+starttls or smtps")),
    };
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.contains('@') {
        return Err(ChannelConfigError::SmtpUrlCredentials);
    }
    if authority.contains(['/', '?', '#']) {
        return Err(bad("only host and port, no path or query"));
    }
    // `[::1]:25`, `[::1]`, `host:25`, `host`.
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']').ok_or_else(|| bad("unclosed '['"))?;
        match after {
            "" => (host, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => return Err(bad("expected ':' after ']'")),
            },
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(bad("no host"));
    }
    let port = match port {
        None => default_port,
        Some(p) => match p.parse::<u16>() {
            Ok(p) if p > 0 => p,
            _ => return Err(bad("port must be a number from 1 to 65535")),
        },
    };
    Ok((security, host.to_string(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls() {
        assert_eq!(
            parse_smtp_url("smtp://relay.lan").unwrap(),
            (Security::Plain, "relay.lan".into(), 25)
        );
        assert_eq!(
            parse_smtp_url("smtp+starttls://mail.example.lv:2587/").unwrap(),
            (Security::StartTls, "mail.example.lv".into(), 2587)
        );
        assert_eq!(
            parse_smtp_url("smtps://[::1]").unwrap(),
            (Security::Tls, "::1".into(), 465)
        );
        assert_eq!(
            parse_smtp_url("smtp://127.0.0.1:2525").unwrap(),
            (Security::Plain, "127.0.0.1".into(), 2525)
        );
        for bad in [
            "relay.lan",
            "http://relay.lan",
            "smtp://",
            "smtp://host:0",
            "smtp://host:99999",
            "smtp://host:x",
            "smtp://host/path",
            "smtp://[::1",
        ] {
            assert!(parse_smtp_url(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_smtp_url("smtps://user:secret@host"),
            Err(ChannelConfigError::SmtpUrlCredentials)
        );
    }

    #[test]
    fn message_ids_are_valid_and_distinct() {
        assert_eq!(message_id("alert-7_1", "x.lv"), "<alert-7_1@x.lv>");
        assert_eq!(message_id("a:b", "x.lv"), "<a=3Ab@x.lv>");
        assert_ne!(message_id("a:b", "x"), message_id("a=3Ab", "x"));
        assert_eq!(message_id("", "x"), "<sargs@x>");
    }
}
