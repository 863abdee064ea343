//! The command line as a person uses it: clear errors for bad input, never a half-start.

mod common;

use std::net::TcpListener;

use common::*;

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn fails_with(list: &[String], expect: &str) {
    let out = sargs(list);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "sargs {list:?} succeeded");
    assert!(
        stderr.contains(expect),
        "sargs {list:?}: expected {expect:?} in:\n{stderr}"
    );
    assert!(
        !stderr.contains("panicked"),
        "sargs {list:?} panicked:\n{stderr}"
    );
}

#[test]
fn decode_prints_json_or_the_reason() {
    let out = sargs_ok(&args(&[
        "decode",
        "0105000000000000000013890000004d0000019b76dafdf0000a00000000000003e901d02a2e",
    ]));
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["type"], "presence");
    assert_eq!(json["device_id"], 5001);
    assert_eq!(json["seq"], 77);
    assert_eq!(json["payload"]["tag_id"], 1001);
    assert_eq!(json["payload"]["in_range"], true);
    assert_eq!(json["payload"]["rssi_dbm"], -48);
    fails_with(&args(&["decode", "00ff"]), "too_short");
    fails_with(&args(&["decode", "not hex"]), "hexadecimal");
    // The ACK vector is valid, but a version 2 frame is not.
    let ack = "0181000000000000000003e9000000010000019b76db01d8000400000003e0df";
    sargs_ok(&args(&["decode", ack]));
    fails_with(&args(&["decode", &format!("02{}", &ack[2..])]), "crc");
}

#[test]
fn devices_add_checks_its_input() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d").display().to_string();
    let base = |extra: &[&str]| {
        let mut a = args(&["devices", "add", "--data-dir", &data]);
        a.extend(args(extra));
        a
    };
    fails_with(
        &base(&["--id", "0", "--kind", "gps-tag"]),
        "device id 0 is invalid",
    );
    fails_with(&base(&["--id=-1", "--kind", "gps-tag"]), "invalid value");
    fails_with(
        &base(&["--id", "18446744073709551616", "--kind", "gps-tag"]),
        "invalid value",
    );
    fails_with(
        &base(&["--id", "7", "--kind", "anklet"]),
        "unknown device kind",
    );
    fails_with(
        &base(&["--id", "7", "--kind", "gps-tag", "--key", "abcd"]),
        "32 bytes",
    );
    fails_with(
        &base(&["--id", "7", "--kind", "gps-tag", "--key", "xyz"]),
        "hexadecimal",
    );
    let out = sargs_ok(&base(&[
        "--id",
        "7",
        "--kind",
        "gps-tag",
        "--key",
        &"ab".repeat(32),
    ]));
    assert!(
        out.contains("registered device 7 (gps-tag, with key)"),
        "{out}"
    );
    assert!(!out.contains(&"ab".repeat(32)), "the key is never printed");
    fails_with(
        &base(&["--id", "7", "--kind", "rf-tag"]),
        "already registered",
    );
    // The inventory's own checks, as for `POST /devices`; a refused device is in neither the
    // inventory nor the frame path.
    let eight = |extra: &[&str]| {
        let mut a = vec!["--id", "8", "--kind", "gps-tag"];
        a.extend_from_slice(extra);
        base(&a)
    };
    let long = "m".repeat(101);
    for (extra, expect) in [
        (&["--serial", ""][..], "must not be empty"),
        (&["--serial", "   "], "must not be empty"),
        (&["--model", ""], "must not be empty"),
        (&["--model", &long], "at most 100 characters"),
        (&["--firmware", " "], "must not be empty"),
        (&["--serial", "7"], "is in the inventory already"),
    ] {
        fails_with(&eight(extra), expect);
    }
    fails_with(
        &args(&["devices", "show", "--id", "8", "--data-dir", &data]),
        "device 8 is not registered",
    );
    let list = sargs_ok(&args(&["devices", "list", "--json", "--data-dir", &data]));
    let list: serde_json::Value = serde_json::from_str(&list).unwrap();
    assert_eq!(list[0]["id"], 7);
    assert_eq!(list[0]["has_key"], true);
    assert!(list[0].get("key").is_none(), "the key is never listed");
    let shown = sargs_ok(&args(&[
        "devices",
        "show",
        "--id",
        "7",
        "--data-dir",
        &data,
    ]));
    assert!(!shown.contains(&"ab".repeat(32)), "the key is never shown");
    let shown: serde_json::Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(shown["stored_observations"], 0);
    fails_with(
        &args(&["devices", "show", "--id", "99", "--data-dir", &data]),
        "device 99 is not registered",
    );
}

#[test]
fn serve_stops_with_a_clear_message_when_it_cannot_start() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d").display().to_string();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_addr = taken.local_addr().unwrap().to_string();
    let serve = |extra: &[&str]| {
        let mut a = args(&["serve", "--data-dir", &data]);
        a.extend(args(extra));
        a
    };
    fails_with(
        &serve(&["--mqtt-listen", &taken_addr, "--http", "127.0.0.1:0"]),
        &format!("cannot listen for MQTT on {taken_addr}"),
    );
    fails_with(
        &serve(&["--mqtt-listen", "127.0.0.1:0", "--http", &taken_addr]),
        &format!("cannot listen for HTTP on {taken_addr}"),
    );
    let closed = free_port();
    fails_with(
        &serve(&[
            "--mqtt-url",
            &format!("mqtt://127.0.0.1:{closed}"),
            "--http",
            "127.0.0.1:0",
        ]),
        "cannot connect to the MQTT broker",
    );
    fails_with(
        &serve(&["--mqtt-url", "http://x", "--http", "127.0.0.1:0"]),
        "invalid MQTT URL",
    );
    fails_with(
        &serve(&[
            "--database-url",
            "postgres://x@127.0.0.1:1/none",
            "--http",
            "127.0.0.1:0",
        ]),
        "give either --data-dir or --database-url",
    );
    let config = dir.path().join("sargs.toml");
    std::fs::write(&config, "mqtt-listn = \"127.0.0.1:0\"\n").unwrap();
    fails_with(
        &args(&["serve", "--config", &config.display().to_string()]),
        "unknown field `mqtt-listn`",
    );
    fails_with(
        &args(&["serve", "--config", "/nonexistent/sargs.toml"]),
        "cannot read config file",
    );
    fails_with(
        &args(&[
            "serve",
            "--database-url",
            "postgres://nobody@127.0.0.1:1/none",
            "--http",
            "127.0.0.1:0",
        ]),
        "cannot open database",
    );
    drop(taken);
}

#[tokio::test]
async fn configuration_comes_from_file_and_environment_and_sigterm_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("from-file");
    let config = dir.path().join("sargs.toml");
    std::fs::write(
        &config,
        format!(
            "data-dir = \"{}\"\nmqtt-listen = \"127.0.0.1:0\"\nhttp = \"127.0.0.1:0\"\n",
            data.display()
        ),
    )
    .unwrap();
    let log = dir.path().join("serve.log");
    let mut child = std::process::Command::new(SARGS)
        .args(["serve"])
        .env("SARGS_CONFIG", &config)
        .env("SARGS_MAX_BATCH", "17")
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert!(
        line.contains(&format!("storage=sqlite in {}", data.display())),
        "{line}"
    );
    assert!(data.join("sargs.db").exists());
    // Long enough for every worker to have gone round its loop.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let said = || std::fs::read_to_string(&log).unwrap();
    assert!(child.wait().unwrap().success(), "{}", said());
    // A normal stop is no failure: nothing in the log says one (the alerts' workers once
    // logged "closed pool" errors as the store closed under them).
    let log_text = said();
    assert!(
        !log_text.contains(" ERROR ") && !log_text.contains(" WARN "),
        "{log_text}"
    );
    let bad = std::process::Command::new(SARGS)
        .args(["serve", "--config", &config.display().to_string()])
        .env("SARGS_MAX_BATCH", "0")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("--max-batch must be between 1 and 100000")
    );
}

#[test]
fn export_rejects_bad_times() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d").display().to_string();
    let export = |extra: &[&str]| {
        let mut a = args(&[
            "export",
            "--device",
            "1",
            "--format",
            "csv",
            "--data-dir",
            &data,
        ]);
        a.extend(args(extra));
        a
    };
    fails_with(&export(&["--from", "yesterday"]), "invalid time");
    fails_with(
        &export(&[
            "--from",
            "2026-02-01T00:00:00Z",
            "--to",
            "2026-01-01T00:00:00Z",
        ]),
        "--to must be after --from",
    );
    let out = sargs_ok(&export(&[]));
    assert_eq!(
        out.lines().count(),
        1,
        "only the header for a device with no history"
    );
    fails_with(
        &args(&[
            "export",
            "--device",
            "1",
            "--format",
            "xml",
            "--data-dir",
            &data,
        ]),
        "invalid value 'xml'",
    );
}

#[tokio::test]
async fn users_add_and_audit_verify() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d").display().to_string();
    let add = |username: &str, password: &str| {
        std::process::Command::new(SARGS)
            .args(args(&[
                "users",
                "add",
                "--data-dir",
                &data,
                "--username",
                username,
                "--display-name",
                "Admin",
                "--role",
                "admin",
            ]))
            .env("SARGS_PASSWORD", password)
            .output()
            .expect("run sargs")
    };
    let out = add("admin", "correct horse battery");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("made user admin"));
    let weak = add("admin2", "short");
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("password"));
    // Long enough is not enough: guessable, or the user's own name, is refused, saying why.
    for (password, why) in [
        ("aaaaaaaaaaaa", "too easy to guess"),
        ("admin2-admin2", "must not contain the user name"),
    ] {
        let refused = add("admin2", password);
        assert!(!refused.status.success());
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains(why), "{stderr}");
    }
    fails_with(
        &args(&[
            "users",
            "add",
            "--data-dir",
            &data,
            "--username",
            "x",
            "--display-name",
            "X",
            "--role",
            "boss",
        ]),
        "one of operator, officer",
    );

    let verified = sargs_ok(&args(&["audit", "verify", "--data-dir", &data]));
    assert!(verified.contains("1 entries checked"), "{verified}");

    // Someone edits the log behind the guard: verify says where, and fails.
    let store = store::Store::open(&store::StoreLocation::DataDir(dir.path().join("d")))
        .await
        .unwrap();
    for statement in [
        "DROP TRIGGER audit_log_no_update",
        "UPDATE audit_log SET actor = 'someone else' WHERE seq = 1",
    ] {
        sqlx::query(statement).execute(store.pool()).await.unwrap();
    }
    store.close().await;
    fails_with(
        &args(&["audit", "verify", "--data-dir", &data]),
        "broken at entry 1",
    );
    // Stdout says so too, not the good part's head as on success; and so does the JSON.
    let out = sargs(&args(&["audit", "verify", "--data-dir", &data]));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stdout.starts_with("BROKEN: the audit log is broken at entry 1: its fields do not match"),
        "{stdout}"
    );
    assert!(!stdout.contains("entries checked"), "{stdout}");
    let out = sargs(&args(&["audit", "verify", "--json", "--data-dir", &data]));
    let verdict: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("the verdict as JSON");
    assert!(!out.status.success());
    assert_eq!(verdict["broken"][0], 1, "{verdict}");
}

/// The README's first command: the demo seeds a unit, a user of every role, three clients with
/// orders and tags, plays last night, and the live judge finds the two scripted breaches.
#[tokio::test]
async fn the_demo_seeds_clients_and_plays_their_breaches() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let out = sargs_ok(&args(&[
        "demo",
        "--duration",
        "4",
        "--devices",
        "4",
        "--data-dir",
        &data.display().to_string(),
    ]));
    assert!(out.contains("/api/v1/docs/"), "{out}");
    assert!(out.contains("every frame accounted for"), "{out}");
    let store = store::Store::open(&store::StoreLocation::DataDir(data))
        .await
        .unwrap();
    let kinds = |client: i64| {
        let store = store.clone();
        async move {
            judge::records::episodes(&store, client, i64::MIN, i64::MAX)
                .await
                .unwrap()
                .into_iter()
                .map(|e| format!("{:?}", e.kind))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(kinds(1).await, vec!["AbsentDuringCurfew"]);
    let mut second = kinds(2).await;
    second.sort();
    assert_eq!(second, vec!["AbsentDuringCurfew", "ExclusionZoneEntered"]);
    assert_eq!(kinds(3).await, Vec::<String>::new());
    // Each breach raised one alert, to the client's officer.
    let mut raised: Vec<(i64, String)> =
        alerts::records::list(&store, &Default::default(), None, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|a| (a.client_id, format!("{:?}", a.kind)))
            .collect();
    raised.sort();
    assert_eq!(
        raised,
        [
            (1, "AbsentDuringCurfew".to_string()),
            (2, "AbsentDuringCurfew".to_string()),
            (2, "ExclusionZoneEntered".to_string())
        ]
    );
    // A user of every role: the supervisor in the officers' unit, the court that made the
    // orders, whose user reads all three.
    let cases = cases::Cases::open(store.clone()).await.unwrap();
    let users = cases.users(None, None, 0, 100).await.unwrap();
    let mut roles: Vec<String> = users.iter().map(|u| format!("{:?}", u.role)).collect();
    roles.sort();
    roles.dedup();
    assert_eq!(
        roles,
        [
            "Admin",
            "Court",
            "Officer",
            "Operator",
            "Supervisor",
            "Technician"
        ]
    );
    let court = users
        .iter()
        .find(|u| u.username == "tiesa.riga")
        .and_then(|u| u.court.clone())
        .expect("the court's user");
    let orders = cases
        .orders(
            &cases::OrderFilter {
                court: Some(court),
                ..Default::default()
            },
            0,
            100,
        )
        .await
        .unwrap();
    assert_eq!(orders.len(), 3);
    let supervisor = users.iter().find(|u| u.username == "anna.liepa").unwrap();
    let officer = users.iter().find(|u| u.username == "ilze.ozola").unwrap();
    assert_eq!(supervisor.unit_id, officer.unit_id);
    assert!(
        out.contains("anna.liepa") && out.contains("tiesa.riga"),
        "{out}"
    );
    store.close().await;
}

/// `sargs devices unknown` pages the unknown devices kept (a limit outside 1 to 500 refused) and
/// says how many were let go.
#[tokio::test]
async fn devices_unknown_pages_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    let store = ingest::store::Telemetry::open_at(&store::StoreLocation::DataDir(data.clone()))
        .await
        .unwrap();
    let sighting = |id: u64, at_ms: i64| ingest::store::UnknownSighting {
        id,
        at_ms,
        frames: 2,
        via: std::sync::Arc::from("mqtt"),
    };
    store
        .write_batch(&ingest::store::WriteBatch {
            unknown: vec![sighting(7, 1), sighting(u64::MAX, 2), sighting(3, 3)],
            ..ingest::store::WriteBatch::default()
        })
        .await
        .unwrap();
    store.store().close().await;
    let data = data.display().to_string();
    let list = |more: &[&str]| {
        let mut list = args(&["devices", "unknown", "--data-dir", &data]);
        list.extend(args(more));
        list
    };
    for limit in ["0", "501"] {
        fails_with(&list(&["--limit", limit]), "not in 1..=500");
    }
    let first = sargs_ok(&list(&["--limit", "2"]));
    assert!(first.contains("more: --after 7"), "{first}");
    assert!(!first.contains("let go"), "{first}");
    let rest: serde_json::Value =
        serde_json::from_str(&sargs_ok(&list(&["--after", "7", "--json"]))).unwrap();
    assert_eq!(rest["devices"][0]["id"], u64::MAX, "{rest}");
    assert_eq!(rest["devices"].as_array().map(Vec::len), Some(1), "{rest}");
    assert_eq!(
        rest["forgotten"],
        serde_json::json!({ "ids": 0, "frames": 0 })
    );
    assert_eq!(rest["kept_at_most"], 1000);
}
