//! Webhook: the machine-readable event POSTed to a receiver of the service's choosing (a
//! case system, a chat bridge, a pager). The receiver must be able to trust it, so every
//! request is signed.
//!
//! # What a receiver gets
//!
//! `POST <url>` with `Content-Type: application/json`, the event as the body, and:
//!
//! - `X-Sargs-Idempotency-Key: <key>`: the same for every attempt at one notification; drop
//!   a request whose key you have already handled.
//! - `X-Sargs-Timestamp: <unix seconds>`: when this attempt was signed.
//! - `X-Sargs-Signature: sha256=<hex>`: lower-case hex of
//!   HMAC-SHA256(secret, `"<timestamp>.<body>"`), where `<timestamp>` is the header's value
//!   exactly as sent and `<body>` the raw body bytes, before any JSON parsing.
//!
//! To verify: recompute the HMAC over the raw body, compare it in constant time
//! ([`verify_signature`] does both), and reject timestamps far from your clock (say more
//! than 5 minutes) so a captured request cannot be replayed later. Answer 2xx when done;
//! 408, 429 and 5xx make sargs try again later, any other status makes it give up.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

use super::{
    ChannelConfigError, FailureReason, Outgoing, SEND_TIMEOUT, SendError, http_client, http_error,
    http_outcome,
};

/// The shortest secret accepted.
pub const MIN_SECRET_LEN: usize = 16;

/// Where to POST events and the secret shared with the receiver.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct WebhookConfig {
    /// An `http://` or `https://` URL.
    pub url: String,
    /// At least 16 bytes; never printed.
    pub secret: String,
}

impl fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("url", &self.url)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// POSTs signed events.
pub struct WebhookChannel {
    url: reqwest::Url,
    secret: Vec<u8>,
    client: reqwest::Client,
    /// A whole request's limit: [`SEND_TIMEOUT`] but in tests.
    timeout: Duration,
}

impl fmt::Debug for WebhookChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookChannel")
            .field("url", &self.url.as_str())
            .finish_non_exhaustive()
    }
}

impl WebhookChannel {
    /// The webhook channel of a configuration, checked: refuses one that cannot work.
    pub fn new(config: WebhookConfig) -> Result<Self, ChannelConfigError> {
        let url = super::parse_http_url("webhook", &config.url)?;
        if config.secret.len() < MIN_SECRET_LEN {
            return Err(ChannelConfigError::SecretTooShort {
                len: config.secret.len(),
                min: MIN_SECRET_LEN,
            });
        }
        Ok(WebhookChannel {
            url,
            secret: config.secret.into_bytes(),
            client: http_client("webhook")?,
            timeout: SEND_TIMEOUT,
        })
    }

    /// Caps a whole request at `timeout` instead of [`SEND_TIMEOUT`]; for tests of a slow
    /// receiver.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// POSTs `out.payload`, signed.
    pub async fn send(&self, out: &Outgoing) -> Result<(), SendError> {
        let body = serde_json::to_vec(&out.payload).map_err(|e| {
            SendError::permanent(
                FailureReason::InvalidMessage,
                format!("cannot encode the payload: {e}"),
            )
        })?;
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
            .to_string();
        let signature = sign(&self.secret, &timestamp, &body);
        let response = self
            .client
            .post(self.url.clone())
            .timeout(self.timeout)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("X-Sargs-Idempotency-Key", &out.idempotency_key)
            .header("X-Sargs-Timestamp", &timestamp)
            .header("X-Sargs-Signature", signature)
            .body(body)
            .send()
            .await
            .map_err(http_error)?;
        let status = response.status();
        tracing::debug!(outbox = out.id, %status, "webhook answered");
        http_outcome(status)
    }
}

fn mac(secret: &[u8], timestamp: &str, body: &[u8]) -> Option<Hmac<Sha256>> {
    // HMAC takes a key of any length, so this never fails in practice.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).ok()?;
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(mac)
}

/// The `X-Sargs-Signature` value for one request.
pub fn sign(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    match mac(secret, timestamp, body) {
        Some(mac) => format!("sha256={}", hex::encode(mac.finalize().into_bytes())),
        None => String::new(),
    }
}

/// True when `header` (the `X-Sargs-Signature` value) signs `timestamp` (the
/// `X-Sargs-Timestamp` value) and `body` (the raw body) with `secret`. The comparison takes
/// the same time however many bytes match. It does not check the timestamp's age: do that
/// too.
pub fn verify_signature(secret: &[u8], timestamp: &str, body: &[u8], header: &str) -> bool {
    let Some(hex_sig) = header.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Ok(expected) = hex::decode(hex_sig) else {
        return false;
    };
    match mac(secret, timestamp, body) {
        Some(mac) => mac.verify_slice(&expected).is_ok(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_verify() {
        let secret = b"0123456789abcdef";
        let sig = sign(secret, "1700000000", b"{\"a\":1}");
        assert!(sig.starts_with("sha256="));
        assert_eq!(sig.len(), 7 + 64);
        assert!(verify_signature(secret, "1700000000", b"{\"a\":1}", &sig));
        assert!(!verify_signature(secret, "1700000001", b"{\"a\":1}", &sig));
        assert!(!verify_signature(secret, "1700000000", b"{\"a\":2}", &sig));
        assert!(!verify_signature(
            b"0123456789abcdeX",
            "1700000000",
            b"{\"a\":1}",
            &sig
        ));
        assert!(!verify_signature(
            secret,
            "1700000000",
            b"{\"a\":1}",
            "sha256=zz"
        ));
        assert!(!verify_signature(
            secret,
            "1700000000",
            b"{\"a\":1}",
            &sig[7..]
        ));
        assert!(!verify_signature(
            secret,
            "1700000000",
            b"{\"a\":1}",
            "sha256="
        ));
    }

    #[test]
    fn signs_timestamp_dot_body() {
        // The documented construction, computed directly.
        let mut direct = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        direct.update(b"12.body");
        let expected = format!("sha256={}", hex::encode(direct.finalize().into_bytes()));
        assert_eq!(sign(b"Jefe", "12", b"body"), expected);
    }
}
