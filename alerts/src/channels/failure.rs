//! Why a notification was not delivered. The error a channel meets is technical English (an
//! SMTP reply, a socket error, an HTTP client's message) that an operator in the Latvian
//! console cannot be shown. So each channel classifies its failure where it happens, while the
//! error's kind is still known, into a [`FailureReason`] the console words in the user's
//! language; the error's own text is kept beside it for a technician.

use std::error::Error;
use std::io::ErrorKind;

use serde::{Deserialize, Serialize};

/// Why a send failed, as people are told it. Stored with the notification (JSON) and shown
/// by the API as `{"reason": ..., ...}`; every reason has words in each console language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum FailureReason {
    /// The server did not answer in time.
    TimedOut,
    /// Nothing takes connections at the server's address: it is down, or the port is wrong.
    ConnectionRefused,
    /// The server could not be reached, or the connection broke off: a name that does not
    /// resolve, a network that is down, a server that hung up.
    ConnectionFailed,
    /// No secure connection could be set up: the server offers no TLS, or it is not trusted.
    TlsFailed,
    /// The server answered with a refusal.
    RejectedByServer {
        /// The SMTP reply code (4xx, 5xx) or HTTP status it answered with.
        code: u16,
    },
    /// There is no address to send to: no e-mail address or phone number.
    NoAddress,
    /// The address is not one the channel can send to (not an e-mail address).
    BadAddress,
    /// The channel is not configured on this service.
    ChannelNotConfigured,
    /// The tag is not registered.
    UnknownDevice,
    /// The tag has never been heard, so nothing knows how to reach it.
    DeviceNeverHeard,
    /// The device is a tracker or phone of another protocol, which cannot show a message.
    DeviceTakesNoMessages,
    /// The link to the tag (the MQTT broker, the serial line) cannot take a message now.
    DeviceLinkUnavailable,
    /// The message itself could not be made: a fault of sargs or its configuration, not of
    /// the recipient.
    InvalidMessage,
    /// Anything else; and every failure stored before reasons were, or by an older version.
    Other,
}

impl FailureReason {
    /// The reason as stored in the outbox's `failure` column.
    pub fn to_stored(self) -> String {
        serde_json::to_string(&self).unwrap_or_default()
    }

    /// The reason a stored failure gives: one this version cannot read (stored before reasons
    /// were, or by a newer version) is [`FailureReason::Other`], still a failure.
    pub fn from_stored(stored: Option<&str>) -> FailureReason {
        stored
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or(FailureReason::Other)
    }
}

/// A failed send: why, as people are told it, and the error as the channel met it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{detail}")]
pub struct Failure {
    /// Why, in a reason the console words.
    pub reason: FailureReason,
    /// The error's own text, in English, for a technician. It may name a URL, which the API
    /// strips before showing it.
    pub detail: String,
}

/// Why a send failed, and whether trying again could help.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SendError {
    /// Could work later: connection refused, timeout, 5xx, SMTP 4xx.
    #[error("temporary failure: {0}")]
    Transient(Failure),
    /// Will not work: refused address, 4xx, SMTP 5xx, bad configuration.
    #[error("permanent failure: {0}")]
    Permanent(Failure),
}

impl SendError {
    /// A failure that could pass: worth trying again later.
    pub fn transient(reason: FailureReason, detail: impl Into<String>) -> SendError {
        SendError::Transient(Failure {
            reason,
            detail: detail.into(),
        })
    }

    /// A failure that will not pass by trying again.
    pub fn permanent(reason: FailureReason, detail: impl Into<String>) -> SendError {
        SendError::Permanent(Failure {
            reason,
            detail: detail.into(),
        })
    }

    /// Why it failed.
    pub fn failure(&self) -> &Failure {
        match self {
            SendError::Transient(f) | SendError::Permanent(f) => f,
        }
    }
}

/// The reason a connection's error among `error` and its sources gives: TLS (rustls's
/// error), or an I/O error refused or timed out. None when there is none of those; the caller
/// then knows best.
pub(crate) fn connection_reason(error: &(dyn Error + 'static)) -> Option<FailureReason> {
    let mut next = Some(error);
    while let Some(e) = next {
        if e.is::<rustls::Error>() {
            return Some(FailureReason::TlsFailed);
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            match io.kind() {
                ErrorKind::ConnectionRefused => return Some(FailureReason::ConnectionRefused),
                ErrorKind::TimedOut => return Some(FailureReason::TimedOut),
                _ => {}
            }
            // An I/O error's `source()` passes over the error it wraps: look into that one.
            if let Some(inner) = io.get_ref() {
                next = Some(inner);
                continue;
            }
        }
        next = e.source();
    }
    None
}

/// `error`'s text followed by each of its sources', for a technician: an HTTP client's own
/// text ("error sending request") says nothing of why.
pub(crate) fn with_sources(error: &(dyn Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(e) = next {
        let more = e.to_string();
        // Some errors write their source into their own text already.
        if !text.ends_with(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        next = e.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_round_trips_and_an_unreadable_one_is_other() {
        for reason in [
            FailureReason::TimedOut,
            FailureReason::RejectedByServer { code: 550 },
            FailureReason::Other,
        ] {
            assert_eq!(
                FailureReason::from_stored(Some(&reason.to_stored())),
                reason
            );
        }
        assert_eq!(
            FailureReason::RejectedByServer { code: 451 }.to_stored(),
            r#"{"reason":"rejected_by_server","code":451}"#
        );
        for unreadable in [None, Some(""), Some("{\"reason\":\"a_newer_one\"}")] {
            assert_eq!(FailureReason::from_stored(unreadable), FailureReason::Other);
        }
    }

    #[test]
    fn io_errors_deep_in_the_sources_are_found() {
        #[derive(Debug, thiserror::Error)]
        #[error("wrapped")]
        struct Wrapped(#[source] std::io::Error);
        let refused = Wrapped(std::io::Error::from(ErrorKind::ConnectionRefused));
        assert_eq!(
            connection_reason(&refused),
            Some(FailureReason::ConnectionRefused)
        );
        let reset = Wrapped(std::io::Error::from(ErrorKind::ConnectionReset));
        assert_eq!(connection_reason(&reset), None);
        let tls = Wrapped(std::io::Error::new(
            ErrorKind::InvalidData,
            rustls::Error::DecryptError,
        ));
        assert_eq!(connection_reason(&tls), Some(FailureReason::TlsFailed));
        assert_eq!(with_sources(&reset), "wrapped: connection reset");
    }
}
