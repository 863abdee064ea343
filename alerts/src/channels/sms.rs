//! SMS through an HTTP gateway: officers on the move read a text message before an e-mail.
//! Gateways differ in what JSON they want, so the request body is a template in the
//! configuration; the phone number and the text are filled in JSON-escaped, so no alert
//! text can break the request or inject fields into it.

use std::fmt;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use serde::Deserialize;

use super::{
    ChannelConfigError, FailureReason, Outgoing, SendError, http_client, http_error, http_outcome,
};

/// The longest SMS text sent, in characters (three concatenated GSM-7 parts).
pub const SMS_MAX_CHARS: usize = 480;

fn default_body() -> String {
    r#"{"to":"{to}","text":"{text}"}"#.to_string()
}

/// The gateway: where to POST and what.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct SmsConfig {
    /// An `http://` or `https://` URL.
    pub url: String,
    /// The JSON body, with `{to}` and `{text}` replaced by the JSON-escaped number and text
    /// (put them inside quotes). Default `{"to":"{to}","text":"{text}"}`.
    #[serde(default = "default_body")]
    pub body: String,
    /// Sent as the `Authorization` header (`Bearer ...`, `Basic ...`); never printed.
    #[serde(default)]
    pub authorization: Option<String>,
}

impl SmsConfig {
    /// A gateway at `url` with the default body and no authorization.
    pub fn new(url: impl Into<String>) -> Self {
        SmsConfig {
            url: url.into(),
            body: default_body(),
            authorization: None,
        }
    }
}

impl fmt::Debug for SmsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmsConfig")
            .field("url", &redacted_url(&self.url))
            .field("body", &self.body)
            .field(
                "authorization",
                &self.authorization.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// A URL without its query, which gateways often use for API keys.
fn redacted_url(url: &str) -> &str {
    url.split_once('?').map_or(url, |(base, _)| base)
}

/// Sends text messages through the gateway.
pub struct SmsChannel {
    url: reqwest::Url,
    template: String,
    authorization: Option<HeaderValue>,
    client: reqwest::Client,
}

impl fmt::Debug for SmsChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmsChannel")
            .field("url", &redacted_url(self.url.as_str()))
            .finish_non_exhaustive()
    }
}

impl SmsChannel {
    /// The SMS channel of a configuration, checked: refuses one that cannot work.
    pub fn new(config: SmsConfig) -> Result<Self, ChannelConfigError> {
        let url = super::parse_http_url("sms", &config.url)?;
        if !config.body.contains("{to}") || !config.body.contains("{text}") {
            return Err(ChannelConfigError::SmsTemplate(
                "it must contain both {to} and {text}".into(),
            ));
        }
        let sample = render(&config.body, "+37120000000", "x");
        if let Err(e) = serde_json::from_str::<serde_json::Value>(&sample) {
            return Err(ChannelConfigError::SmsTemplate(format!(
                "filled in, it is not JSON ({e}); put {{to}} and {{text}} inside quotes"
            )));
        }
        let authorization = match config.authorization {
            None => None,
            Some(a) => {
                let mut value =
                    HeaderValue::from_str(&a).map_err(|_| ChannelConfigError::SmsAuthorization)?;
                value.set_sensitive(true);
                Some(value)
            }
        };
        Ok(SmsChannel {
            url,
            template: config.body,
            authorization,
            client: http_client("sms")?,
        })
    }

    /// Sends `out.text`, cut to [`SMS_MAX_CHARS`], to the number `out.address`.
    pub async fn send(&self, out: &Outgoing) -> Result<(), SendError> {
        let to = out.address.trim();
        if to.is_empty() {
            return Err(SendError::permanent(
                FailureReason::NoAddress,
                "no phone number",
            ));
        }
        let body = render(&self.template, to, truncate(&out.text, SMS_MAX_CHARS));
        let mut request = self
            .client
            .post(self.url.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(body);
        if let Some(auth) = &self.authorization {
            request = request.header(AUTHORIZATION, auth.clone());
        }
        let response = request.send().await.map_err(http_error)?;
        let status = response.status();
        tracing::debug!(outbox = out.id, %status, "SMS gateway answered");
        http_outcome(status)
    }
}

/// At most `max` characters of `text`, cut on a character boundary.
pub(crate) fn truncate(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

/// The template with `{to}` and `{text}` replaced in one pass, so a placeholder inside the
/// text is not replaced again.
fn render(template: &str, to: &str, text: &str) -> String {
    let mut out = String::with_capacity(template.len() + to.len() + text.len() + 16);
    let mut rest = template;
    while let Some(at) = rest.find('{') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if let Some(after) = tail.strip_prefix("{to}") {
            out.push_str(&json_escape(to));
            rest = after;
        } else if let Some(after) = tail.strip_prefix("{text}") {
            out.push_str(&json_escape(text));
            rest = after;
        } else {
            out.push('{');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

/// The JSON string literal of `s` without its quotes.
fn json_escape(s: &str) -> String {
    let quoted = serde_json::Value::String(s.to_string()).to_string();
    let inner = quoted.strip_prefix('"').and_then(|q| q.strip_suffix('"'));
    inner.unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_escapes_and_replaces_once() {
        let body = render(&default_body(), "+371 2", "a \"b\"\n{to} {text} \\ ģ");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["to"], "+371 2");
        assert_eq!(v["text"], "a \"b\"\n{to} {text} \\ ģ");
    }

    #[test]
    fn truncates_on_char_boundary() {
        assert_eq!(truncate("ģērbies", 3), "ģēr");
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("abc", 10), "abc");
        assert_eq!(truncate("", 0), "");
    }

    proptest::proptest! {
        #[test]
        fn any_text_gives_json_that_round_trips(to in ".*", text in ".*") {
            let template = r#"{"a":["{text}",{"b":"{to}"}],"c":"{ {x}"}"#;
            let body = render(template, &to, &text);
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            proptest::prop_assert_eq!(v["a"][0].as_str(), Some(text.as_str()));
            proptest::prop_assert_eq!(v["a"][1]["b"].as_str(), Some(to.as_str()));
            proptest::prop_assert_eq!(v["c"].as_str(), Some("{ {x}"));
        }

        #[test]
        fn truncation_is_a_prefix_of_at_most_max_chars(text in ".*", max in 0usize..40) {
            let cut = truncate(&text, max);
            proptest::prop_assert!(text.starts_with(cut));
            proptest::prop_assert_eq!(cut.chars().count(), text.chars().count().min(max));
        }
    }

    #[test]
    fn redacts_query() {
        assert_eq!(
            redacted_url("https://gw/send?key=secret"),
            "https://gw/send"
        );
    }
}
