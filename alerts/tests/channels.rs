//! The outgoing channels against real servers on 127.0.0.1: SMTP through the test SMTP
//! server, the webhook and the SMS gateway through the test HTTP receiver. Each way they fail
//! gives its reason, for people to be told in their language.

use std::time::{Duration, Instant};

use alerts::channels::{
    Channel, ChannelConfigError, ChannelsConfig, EmailChannel, EmailConfig, FailureReason,
    Outgoing, SendError, SmsChannel, SmsConfig, WebhookChannel, WebhookConfig, verify_signature,
};
use alerts::testing::{RcptReply, TestHttpServer, TestSmtpServer};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(10);
const SECRET: &str = "a-webhook-secret-of-32-bytes-len";

fn outgoing(address: &str) -> Outgoing {
    Outgoing {
        id: 42,
        idempotency_key: "alert-17:email:1".into(),
        address: address.into(),
        subject: "Curfew breach: client 1042".into(),
        text: "Client 1042 left the curfew address at 22:14.\nPlease acknowledge.".into(),
        payload: json!({"kind": "breach_opened", "alert": 17, "client": 1042}),
    }
}

/// Whether a send failed for good, and why.
fn failed(err: &SendError) -> (bool, FailureReason) {
    (matches!(err, SendError::Permanent(_)), err.failure().reason)
}

fn email_config(server: &TestSmtpServer) -> EmailConfig {
    EmailConfig {
        smtp: server.url(),
        from: "sargs <alerts@probation.example>".into(),
        username: None,
        password: None,
    }
}

#[tokio::test]
async fn email_arrives_over_real_smtp() {
    let server = TestSmtpServer::start().await;
    let channel = EmailChannel::new(email_config(&server)).unwrap();
    channel
        .send(&outgoing("officer@probation.example"))
        .await
        .unwrap();

    let mail = server.wait_for(1, WAIT).await;
    assert_eq!(mail.len(), 1);
    let mail = &mail[0];
    assert_eq!(mail.from, "alerts@probation.example");
    assert_eq!(mail.to, vec!["officer@probation.example".to_string()]);
    assert_eq!(
        mail.header("Subject").as_deref(),
        Some("Curfew breach: client 1042")
    );
    assert_eq!(
        mail.header("Message-ID").as_deref(),
        Some("<alert-17=3Aemail=3A1@probation.example>")
    );
    assert!(
        mail.header("From")
            .unwrap()
            .contains("alerts@probation.example")
    );
    assert!(
        mail.header("To")
            .unwrap()
            .contains("officer@probation.example")
    );
    assert!(
        mail.body()
            .contains("Client 1042 left the curfew address at 22:14.\r\nPlease acknowledge."),
        "{}",
        mail.data
    );
}

#[tokio::test]
async fn email_repeat_has_the_same_message_id() {
    let server = TestSmtpServer::start().await;
    let channel = EmailChannel::new(email_config(&server)).unwrap();
    let out = outgoing("officer@probation.example");
    channel.send(&out).await.unwrap();
    channel.send(&out).await.unwrap();
    let mail = server.wait_for(2, WAIT).await;
    assert_eq!(mail.len(), 2);
    assert_eq!(mail[0].header("Message-ID"), mail[1].header("Message-ID"));
}

#[tokio::test]
async fn email_dot_stuffing_round_trips() {
    let server = TestSmtpServer::start().await;
    let channel = EmailChannel::new(email_config(&server)).unwrap();
    let mut out = outgoing("officer@probation.example");
    out.text = "line one\n.\n..two dots\nend".into();
    channel.send(&out).await.unwrap();
    let mail = server.wait_for(1, WAIT).await;
    assert!(
        mail[0]
            .body()
            .contains("line one\r\n.\r\n..two dots\r\nend"),
        "{}",
        mail[0].data
    );
}

#[tokio::test]
async fn email_451_is_transient_550_is_permanent() {
    let server = TestSmtpServer::start().await;
    let channel = EmailChannel::new(email_config(&server)).unwrap();
    let out = outgoing("officer@probation.example");

    server.set_rcpt_reply(RcptReply::Temporary);
    let err = channel.send(&out).await.unwrap_err();
    assert_eq!(
        failed(&err),
        (false, FailureReason::RejectedByServer { code: 451 }),
        "{err:?}"
    );

    server.set_rcpt_reply(RcptReply::Permanent);
    let err = channel.send(&out).await.unwrap_err();
    assert_eq!(
        failed(&err),
        (true, FailureReason::RejectedByServer { code: 550 }),
        "{err:?}"
    );
    assert!(err.failure().detail.contains("550"), "{err:?}");

    server.set_rcpt_reply(RcptReply::Accept);
    channel.send(&out).await.unwrap();
    assert_eq!(server.wait_for(1, WAIT).await.len(), 1);
}

#[tokio::test]
async fn email_to_a_bad_address_is_permanent() {
    let server = TestSmtpServer::start().await;
    let channel = EmailChannel::new(email_config(&server)).unwrap();
    for (address, reason) in [
        ("", FailureReason::NoAddress),
        ("  ", FailureReason::NoAddress),
        ("not an address", FailureReason::BadAddress),
        ("a@b@c", FailureReason::BadAddress),
    ] {
        let err = channel.send(&outgoing(address)).await.unwrap_err();
        assert_eq!(failed(&err), (true, reason), "{address}: {err:?}");
    }
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn email_to_a_dead_server_is_transient() {
    let server = TestSmtpServer::start().await;
    let channel = EmailChannel::new(email_config(&server)).unwrap();
    server.stop().await;
    let started = Instant::now();
    let err = channel
        .send(&outgoing("officer@probation.example"))
        .await
        .unwrap_err();
    assert_eq!(
        failed(&err),
        (false, FailureReason::ConnectionRefused),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[tokio::test]
async fn email_to_a_hung_server_times_out_as_transient() {
    let server = TestSmtpServer::start().await;
    server.set_silent(true);
    let channel = EmailChannel::new(email_config(&server))
        .unwrap()
        .with_timeout(Duration::from_millis(500));
    let started = Instant::now();
    let err = channel
        .send(&outgoing("officer@probation.example"))
        .await
        .unwrap_err();
    assert_eq!(failed(&err), (false, FailureReason::TimedOut), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn email_tls_never_falls_back_to_plain_text() {
    // The test server speaks plain SMTP only: STARTTLS is not offered, and a TLS handshake
    // meets a plain greeting. Both must fail as transient, before any mail is sent.
    let server = TestSmtpServer::start().await;
    let port = server.addr().port();
    for smtp in [
        format!("smtp+starttls://127.0.0.1:{port}"),
        format!("smtps://127.0.0.1:{port}"),
    ] {
        let channel = EmailChannel::new(EmailConfig {
            smtp: smtp.clone(),
            username: Some("alerts".into()),
            password: Some("hunter2-secret".into()),
            ..email_config(&server)
        })
        .unwrap()
        .with_timeout(Duration::from_secs(5));
        let err = channel
            .send(&outgoing("officer@probation.example"))
            .await
            .unwrap_err();
        assert_eq!(
            failed(&err),
            (false, FailureReason::TlsFailed),
            "{smtp}: {err:?}"
        );
    }
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn email_to_a_named_mailbox() {
    let server = TestSmtpServer::start().await;
    let channel = EmailChannel::new(email_config(&server)).unwrap();
    channel
        .send(&outgoing("Anna Bērziņa <anna@probation.example>"))
        .await
        .unwrap();
    let mail = server.wait_for(1, WAIT).await;
    assert_eq!(mail[0].to, vec!["anna@probation.example".to_string()]);
}

#[test]
fn email_bad_configs_are_clear_errors() {
    let good = EmailConfig {
        smtp: "smtp+starttls://mail.example.lv".into(),
        from: "alerts@example.lv".into(),
        username: Some("alerts".into()),
        password: Some("hunter2-secret".into()),
    };
    assert!(EmailChannel::new(good.clone()).is_ok());

    let err = EmailChannel::new(EmailConfig {
        smtp: "http://mail.example.lv".into(),
        ..good.clone()
    })
    .unwrap_err();
    assert!(matches!(err, ChannelConfigError::SmtpUrl { .. }), "{err}");
    assert!(err.to_string().contains("smtp+starttls"), "{err}");

    let err = EmailChannel::new(EmailConfig {
        from: "not a mailbox".into(),
        ..good.clone()
    })
    .unwrap_err();
    assert!(matches!(err, ChannelConfigError::From { .. }), "{err}");

    let err = EmailChannel::new(EmailConfig {
        password: None,
        ..good.clone()
    })
    .unwrap_err();
    assert_eq!(err, ChannelConfigError::HalfCredentials);

    let err = EmailChannel::new(EmailConfig {
        smtp: "smtp://mail.example.lv".into(),
        ..good.clone()
    })
    .unwrap_err();
    assert_eq!(err, ChannelConfigError::CredentialsInClear);

    let err = EmailChannel::new(EmailConfig {
        smtp: "smtps://alerts:hunter2-secret@mail.example.lv".into(),
        ..good.clone()
    })
    .unwrap_err();
    assert!(!err.to_string().contains("hunter2"), "{err}");

    assert!(!format!("{good:?}").contains("hunter2"));
    let channel = EmailChannel::new(good).unwrap();
    assert!(!format!("{channel:?}").contains("hunter2"));
}

fn webhook(server: &TestHttpServer) -> WebhookChannel {
    WebhookChannel::new(WebhookConfig {
        url: server.url("/hooks/sargs"),
        secret: SECRET.into(),
    })
    .unwrap()
}

#[tokio::test]
async fn webhook_is_signed_and_verifiable() {
    let server = TestHttpServer::start().await;
    let channel = webhook(&server);
    let out = outgoing("");
    channel.send(&out).await.unwrap();

    let requests = server.wait_for(1, WAIT).await;
    let r = &requests[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/hooks/sargs");
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(
        r.header("x-sargs-idempotency-key"),
        Some("alert-17:email:1")
    );
    assert_eq!(r.json().unwrap(), out.payload);

    let timestamp = r.header("x-sargs-timestamp").unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(now.abs_diff(timestamp.parse().unwrap()) < 60);
    let signature = r.header("x-sargs-signature").unwrap();
    assert!(verify_signature(
        SECRET.as_bytes(),
        timestamp,
        &r.body,
        signature
    ));

    assert!(!verify_signature(
        b"another-secret-of-some-length",
        timestamp,
        &r.body,
        signature
    ));
    let mut changed = r.body.clone();
    changed.push(b' ');
    assert!(!verify_signature(
        SECRET.as_bytes(),
        timestamp,
        &changed,
        signature
    ));
    assert!(!verify_signature(
        SECRET.as_bytes(),
        "1",
        &r.body,
        signature
    ));
}

#[tokio::test]
async fn webhook_status_mapping() {
    let server = TestHttpServer::start().await;
    let channel = webhook(&server);
    let out = outgoing("");
    for (status, expect) in [
        (200, "ok"),
        (204, "ok"),
        (408, "transient"),
        (429, "transient"),
        (500, "transient"),
        (503, "transient"),
        (301, "permanent"),
        (400, "permanent"),
        (401, "permanent"),
        (404, "permanent"),
    ] {
        server.set_status(status);
        let got = match channel.send(&out).await {
            Ok(()) => "ok",
            Err(e) => {
                assert_eq!(
                    e.failure().reason,
                    FailureReason::RejectedByServer { code: status },
                    "{e:?}"
                );
                if matches!(e, SendError::Transient(_)) {
                    "transient"
                } else {
                    "permanent"
                }
            }
        };
        assert_eq!(got, expect, "HTTP {status}");
    }
}

#[tokio::test]
async fn webhook_to_a_slow_receiver_times_out_as_transient() {
    let server = TestHttpServer::start().await;
    server.set_delay(Duration::from_secs(5));
    let channel = webhook(&server).with_timeout(Duration::from_millis(300));
    let started = Instant::now();
    let err = channel.send(&outgoing("")).await.unwrap_err();
    assert_eq!(failed(&err), (false, FailureReason::TimedOut), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[tokio::test]
async fn webhook_over_tls_to_a_plain_receiver_fails_as_tls() {
    let server = TestHttpServer::start().await;
    let channel = WebhookChannel::new(WebhookConfig {
        url: format!("https://{}/hooks/sargs?token=s3cret", server.addr()),
        secret: SECRET.into(),
    })
    .unwrap();
    let err = channel.send(&outgoing("")).await.unwrap_err();
    assert_eq!(failed(&err), (false, FailureReason::TlsFailed), "{err:?}");
    // The detail says why, for a technician, but never the URL and its token.
    let detail = &err.failure().detail;
    assert!(detail.len() > "error sending request".len(), "{detail}");
    assert!(!detail.contains("s3cret"), "{detail}");
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn webhook_to_a_dead_receiver_is_transient() {
    let server = TestHttpServer::start().await;
    let channel = webhook(&server);
    channel.send(&outgoing("")).await.unwrap();
    // The client now holds a kept-alive connection; stopping must end it too.
    server.stop().await;
    let err = channel.send(&outgoing("")).await.unwrap_err();
    assert_eq!(
        failed(&err),
        (false, FailureReason::ConnectionRefused),
        "{err:?}"
    );
    assert!(err.failure().detail.contains("refused"), "{err:?}");
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn webhook_bad_configs_are_clear_errors() {
    let err = WebhookChannel::new(WebhookConfig {
        url: "https://hooks.example.lv/sargs".into(),
        secret: "short".into(),
    })
    .unwrap_err();
    assert_eq!(err, ChannelConfigError::SecretTooShort { len: 5, min: 16 });
    assert!(!err.to_string().contains("short\""));

    for url in ["", "hooks.example.lv", "ftp://hooks.example.lv", "http://"] {
        let err = WebhookChannel::new(WebhookConfig {
            url: url.into(),
            secret: SECRET.into(),
        })
        .unwrap_err();
        assert!(
            matches!(err, ChannelConfigError::Url { .. }),
            "{url}: {err}"
        );
    }
    let config = WebhookConfig {
        url: "https://hooks.example.lv/sargs".into(),
        secret: SECRET.into(),
    };
    assert!(!format!("{config:?}").contains(SECRET));
    let channel = WebhookChannel::new(config).unwrap();
    assert!(!format!("{channel:?}").contains(SECRET));
}

#[tokio::test]
async fn sms_body_stays_valid_json_with_hostile_text() {
    let server = TestHttpServer::start().await;
    let channel = SmsChannel::new(SmsConfig {
        authorization: Some("Bearer gateway-token".into()),
        ..SmsConfig::new(server.url("/send?key=abc"))
    })
    .unwrap();
    let hostile = "Brīdinājums: ģērbies \"now\"\n{to} {text} }{ \\ \u{0}\t</script>";
    let mut out = outgoing("+37120000001");
    out.text = hostile.into();
    channel.send(&out).await.unwrap();

    let requests = server.wait_for(1, WAIT).await;
    let r = &requests[0];
    assert_eq!(r.path, "/send?key=abc");
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("authorization"), Some("Bearer gateway-token"));
    let body = r.json().expect("valid JSON");
    assert_eq!(body, json!({"to": "+37120000001", "text": hostile}));
}

#[tokio::test]
async fn sms_custom_template_and_truncation() {
    let server = TestHttpServer::start().await;
    let channel = SmsChannel::new(SmsConfig {
        body: r#"{"messages":[{"destination":"{to}","content":"{text}"}],"flash":false}"#.into(),
        ..SmsConfig::new(server.url("/"))
    })
    .unwrap();
    let mut out = outgoing("+37120000002");
    out.text = "ģ".repeat(600);
    channel.send(&out).await.unwrap();

    let requests = server.wait_for(1, WAIT).await;
    let body = requests[0].json().expect("valid JSON");
    assert_eq!(body["messages"][0]["destination"], "+37120000002");
    let text = body["messages"][0]["content"].as_str().unwrap();
    assert_eq!(text.chars().count(), 480);
    assert_eq!(body["flash"], false);
    assert_eq!(requests[0].header("authorization"), None);
}

#[tokio::test]
async fn sms_status_mapping() {
    let server = TestHttpServer::start().await;
    let channel = SmsChannel::new(SmsConfig::new(server.url("/"))).unwrap();
    let out = outgoing("+37120000003");
    for (status, permanent) in [(429, false), (500, false), (400, true), (403, true)] {
        server.set_status(status);
        let err = channel.send(&out).await.unwrap_err();
        assert_eq!(
            failed(&err),
            (permanent, FailureReason::RejectedByServer { code: status }),
            "HTTP {status}"
        );
    }
    server.set_status(200);
    channel.send(&out).await.unwrap();
    let err = channel.send(&outgoing("  ")).await.unwrap_err();
    assert_eq!(failed(&err), (true, FailureReason::NoAddress), "{err:?}");
}

#[test]
fn sms_bad_configs_are_clear_errors() {
    let base = SmsConfig::new("https://sms.example.lv/send");
    for body in [
        r#"{"to":"{to}"}"#,
        r#"{"to":{to},"text":{text}}"#,
        "to={to}&text={text}",
    ] {
        let err = SmsChannel::new(SmsConfig {
            body: body.into(),
            ..base.clone()
        })
        .unwrap_err();
        assert!(
            matches!(err, ChannelConfigError::SmsTemplate(_)),
            "{body}: {err}"
        );
    }
    let err = SmsChannel::new(SmsConfig {
        authorization: Some("Bearer bad\nvalue".into()),
        ..base.clone()
    })
    .unwrap_err();
    assert_eq!(err, ChannelConfigError::SmsAuthorization);
    let config = SmsConfig {
        url: "https://sms.example.lv/send?api_key=topsecret".into(),
        authorization: Some("Bearer topsecret2".into()),
        ..base
    };
    assert!(!format!("{config:?}").contains("topsecret"));
    let channel = SmsChannel::new(config).unwrap();
    assert!(!format!("{channel:?}").contains("topsecret"));
}

#[tokio::test]
async fn channels_config_from_toml_like_json() {
    let server = TestSmtpServer::start().await;
    let http = TestHttpServer::start().await;
    let config: ChannelsConfig = serde_json::from_value(json!({
        "email": {"smtp": server.url(), "from": "alerts@probation.example"},
        "webhook": {"url": http.url("/hook"), "secret": SECRET},
        "sms": {"url": http.url("/sms")},
    }))
    .unwrap();
    let channels = config.build().unwrap();
    let names: Vec<_> = channels.iter().map(Channel::name).collect();
    assert_eq!(names, ["email", "webhook", "sms"]);
    for channel in &channels {
        channel
            .send(&outgoing(match channel.name() {
                "email" => "officer@probation.example",
                "sms" => "+37120000004",
                _ => "",
            }))
            .await
            .unwrap();
    }
    assert_eq!(server.wait_for(1, WAIT).await.len(), 1);
    assert_eq!(http.wait_for(2, WAIT).await.len(), 2);

    let unknown = serde_json::from_value::<ChannelsConfig>(json!({"pager": {}}));
    assert!(unknown.is_err());
    let unknown = serde_json::from_value::<ChannelsConfig>(json!({
        "email": {"smtp": "smtp://x", "from": "a@b", "pasword": "typo"}
    }));
    assert!(unknown.unwrap_err().to_string().contains("pasword"));
    assert!(ChannelsConfig::default().build().unwrap().is_empty());
}

/// The outbox runs channels on worker tasks: a channel is shared across tasks and its send
/// future moves between threads.
#[test]
fn channels_are_send_and_sync_and_so_are_their_futures() {
    fn send_sync<T: Send + Sync + 'static>() {}
    fn send<T: Send>(_: &T) {}
    send_sync::<Channel>();
    let channel = SmsChannel::new(SmsConfig::new("http://127.0.0.1:9/")).unwrap();
    let channel = Channel::Sms(channel);
    let out = outgoing("+37120000005");
    send(&channel.send(&out));
}
