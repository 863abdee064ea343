//! A technician's tools in the browser: the inventory searched on the server, a device's own
//! page with its health over time as plots (and its silences), CONFIG and TIME sent to the tag,
//! which receives them over MQTT, the firmware across the fleet; and the plot module's
//! arithmetic, imported in the page as the console imports it.

use super::*;

#[tokio::test]
async fn a_technician_looks_at_a_devices_health_and_sends_it_intervals_and_the_time() {
    for db in test_databases().await {
        let s = start(&db.location, &[]).await;
        let browser = s.browser;
        // Heartbeats over the last thirteen minutes (battery 76 %).
        into_the_zone(&s.service, s.dir.path());
        sign_in(&browser, &s.base, "technician").await;
        browser.wait_text("table.devices tbody", "76 %").await;
        // The inventory, searched on the server: a serial that is none.
        browser.fill("#inventory-search", "no such serial").await;
        browser
            .click("#inventory-filters button[type=submit]")
            .await;
        browser.wait_text("table.devices tbody", "None").await;
        browser.fill("#inventory-search", "t-1001").await;
        browser
            .click("#inventory-filters button[type=submit]")
            .await;
        browser.wait_text("table.devices tbody", "T-1001").await;
        // Which firmware runs where.
        browser.wait_text("table.firmware tbody", "1.4.2").await;

        // The device's own page: a battery line through its heartbeats, no personal data.
        browser
            .click(&format!("table.devices a[href='#/devices/{TAG}']"))
            .await;
        browser.wait_text("h1", &format!("Device {TAG}")).await;
        browser
            .find("#device-health svg.plot path[data-series]")
            .await;
        let battery = browser
            .script("return document.querySelector('#device-health svg.plot path[data-series]').getAttribute('d')")
            .await;
        assert!(
            battery.as_str().is_some_and(|d| d.starts_with('M')),
            "{battery}"
        );
        let text = browser.page_text().await;
        for personal in ["Bērziņš", "010190-12345", "Brīvības", "K-5/2026"] {
            assert!(!text.contains(personal), "a technician sees {personal}");
        }
        // A day back: before the heartbeats began, a silence.
        browser.click("#period-1").await;
        browser
            .poll("a day's health", async || {
                let days = browser
                    .script("return document.querySelector('#device-health')?.dataset.days")
                    .await;
                (days == "1").then_some(())
            })
            .await;
        browser.wait_text("table.silences tbody", "h").await;

        // Commands: refused with the field named, then sent, and the tag has them.
        let key = hex::decode(sim_key(1, TAG)).expect("hex");
        let mut tag = MqttDevice::connect(
            s.service.mqtt_port,
            TAG,
            Some(key.try_into().expect("a 32-byte key")),
        )
        .await;
        browser.fill("#cfg-heartbeat_interval_s", "5").await;
        browser.click("#device-config button[type=submit]").await;
        // The browser's own check stops a value under the minimum before it is sent; the server's
        // is the same rule (api/tests/device_tools.rs).
        browser.fill("#cfg-heartbeat_interval_s", "120").await;
        browser.fill("#cfg-location_interval_moving_s", "20").await;
        browser.click("#device-config button[type=submit]").await;
        browser
            .wait_text("#status", "Intervals sent to the device")
            .await;
        let config = tag
            .poll_event(|e| match e {
                DownlinkEvent::Config(c) => Some(*c),
                _ => None,
            })
            .await;
        assert_eq!(
            (
                config.heartbeat_interval_s,
                config.location_interval_moving_s,
                config.location_interval_still_s
            ),
            (120, 20, 600),
            "{}",
            db.name
        );
        assert!(config.config_revision > 1_700_000_000, "{config:?}");
        browser.click("#device-time").await;
        browser.wait_text("#status", "The time was sent").await;
        let offset = tag
            .poll_event(|e| match e {
                DownlinkEvent::TimeSet { offset_ms } => Some(*offset_ms),
                _ => None,
            })
            .await;
        assert!(offset.abs() < 60_000, "the tag's clock set {offset} ms off");
        browser.quit().await;
    }
}

#[tokio::test]
async fn the_plot_module_chooses_round_ticks_and_local_hours() {
    for db in test_databases().await.into_iter().take(1) {
        let s = start(&db.location, &[]).await;
        let browser = s.browser;
        sign_in(&browser, &s.base, "technician").await;
        let got = browser
            .script(
                "return import('/console/plot.js').then((p) => ({
                   a: p.niceTicks(0, 100, 4), b: p.niceTicks(-93, -61, 4), c: p.niceTicks(5, 5, 4),
                   d: p.niceTicks(0.1, 0.3, 2),
                   // 2026-03-29: Riga's clocks go from 03:00 to 04:00; a day's ticks stay on midnight.
                   e: p.timeTicks(Date.parse('2026-03-27T22:00:00Z'), Date.parse('2026-04-01T22:00:00Z'), 'Europe/Riga', 6).map((t) => t.at),
                   f: p.timeTicks(Date.parse('2026-12-07T00:00:00Z'), Date.parse('2026-12-07T06:00:00Z'), 'Europe/Riga', 4).map((t) => t.label),
                   g: p.timeTicks(5, 5), h: p.pathOf([[0, 1], [1, null], [2, 3]], (x) => x, (y) => y),
                   i: p.timePlot({ title: 'x', from: 0, to: 10, series: [{ name: 'a', cls: 'series-1',
                        points: [[1, 1], [2, null], [3, 2], [4, 2]] }] }).querySelectorAll('circle.dot').length }))",
            )
            .await;
        assert_eq!(got["a"], json!([0, 50, 100]), "{got}");
        assert_eq!(got["b"], json!([-90, -80, -70]), "{got}");
        // A flat range is widened around its value.
        assert_eq!(got["c"], json!([4, 4.5, 5, 5.5, 6]), "{got}");
        assert_eq!(got["d"], json!([0.1, 0.2, 0.3]), "{got}");
        let midnights: Vec<String> = got["e"]
            .as_array()
            .expect("ticks")
            .iter()
            .filter_map(Value::as_i64)
            .map(|ms| {
                chrono::DateTime::from_timestamp_millis(ms)
                    .expect("time")
                    .to_rfc3339()
            })
            .collect();
        // Riga's midnight is 22:00 UTC in winter, 21:00 UTC in summer.
        assert_eq!(
            midnights,
            [
                "2026-03-27T22:00:00+00:00",
                "2026-03-28T22:00:00+00:00",
                "2026-03-29T21:00:00+00:00",
                "2026-03-30T21:00:00+00:00",
                "2026-03-31T21:00:00+00:00",
                "2026-04-01T21:00:00+00:00",
            ]
        );
        assert_eq!(
            got["f"],
            json!(["02:00", "04:00", "06:00", "08:00"]),
            "{got}"
        );
        assert_eq!(got["g"], json!([]));
        // A missing value breaks the line.
        assert_eq!(got["h"], json!("M0.0,1.0M2.0,3.0"));
        // A value alone between gaps is a dot; a run of two is a line.
        assert_eq!(got["i"], json!(1), "{got}");
        browser.quit().await;
    }
}
