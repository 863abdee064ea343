//! The date fields (console/date-field.js) in a browser whose own locale is American English,
//! where a native date input shows "mm/dd/yyyy, --:-- AM": the Latvian console shows and takes
//! dates as Latvian writes them and the English one as British English does; a date and time
//! typed by keyboard in each language is the instant the API stores, in the order's time zone
//! (Europe/Riga), across a change of summer time; the calendar picks a day by mouse and by
//! keyboard; text that names no date is refused in the user's words naming the field, and
//! nothing is saved; nothing is refused by the Content-Security-Policy.

use chrono::{DateTime, TimeZone};

use super::case_forms::rows;
use super::track::{WATCH_CSP, WATCH_ERRORS, csp_violations};
use super::*;

/// What a date field shows: the text in the box, not the machine value its `.value` gives.
async fn shown(browser: &Browser, id: &str) -> String {
    let text = browser
        .script(&format!(
            "return Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')\
             .get.call(document.getElementById('{id}'))"
        ))
        .await;
    text.as_str().unwrap_or_default().to_string()
}

/// `text` with every digit written `d`: the shape of a date as written.
fn shape(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_digit() { 'd' } else { c })
        .collect()
}

/// The calendar button beside the date field `id`.
fn calendar_of(id: &str) -> String {
    format!(".field:has(#{id}) .date-pick")
}

/// The open calendar's own text: its month's name and year.
async fn calendar_heading(browser: &Browser) -> String {
    let text = browser
        .script(
            "return document.querySelector('.date-calendar:popover-open calendar-date')\
             .shadowRoot.textContent",
        )
        .await;
    text.as_str().unwrap_or_default().to_string()
}

/// The day that has the focus in the open calendar ('' for none).
async fn focused_day(browser: &Browser) -> String {
    let day = browser
        .script(
            "return document.querySelector('.date-calendar:popover-open calendar-month')\
             ?.shadowRoot.activeElement?.textContent ?? ''",
        )
        .await;
    day.as_str().unwrap_or_default().to_string()
}

/// Clicks, with the mouse, day `day` of the month the open calendar shows.
async fn click_day(browser: &Browser, day: u32) {
    let open = ".date-calendar:popover-open";
    browser.find(open).await;
    let at = browser
        .script(&format!(
            "const pop = document.querySelector('{open}');\
             const day = [...pop.querySelector('calendar-month').shadowRoot.querySelectorAll('button')]\
               .find((b) => b.textContent === '{day}');\
             const p = pop.getBoundingClientRect(), r = day.getBoundingClientRect();\
             return [r.left - p.left + r.width / 2, r.top - p.top + r.height / 2];"
        ))
        .await;
    let (x, y) = (at[0].as_f64().expect("x"), at[1].as_f64().expect("y"));
    browser.mouse_click_at(open, x, y).await;
}

/// An instant in Riga's wall-clock time, as UTC.
fn riga(y: i32, mo: u32, d: u32, h: u32, mi: u32, offset_hours: i32) -> DateTime<Utc> {
    chrono::FixedOffset::east_opt(offset_hours * 3600)
        .and_then(|zone| zone.with_ymd_and_hms(y, mo, d, h, mi, 0).single())
        .expect("a time")
        .with_timezone(&Utc)
}

/// The instant the API stored at `value`.
fn instant(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{value}: {e}"))
        .with_timezone(&Utc)
}

/// The order of `case` the officer's API sees for `client`.
async fn order_of(officer: &Session, client: i64, case: &str) -> Value {
    let orders = officer
        .ok(
            Method::GET,
            &format!("/api/v1/orders?client_id={client}"),
            None,
        )
        .await;
    orders
        .as_array()
        .and_then(|all| all.iter().find(|o| o["case_number"] == case))
        .cloned()
        .unwrap_or_else(|| panic!("no order {case} in {orders}"))
}

#[tokio::test]
async fn date_fields_follow_the_consoles_language_not_the_browsers() {
    for db in test_databases().await {
        let s = start_in(&db.location, &[], "en-US").await;
        let browser = s.browser;
        let officer = Session::login(&s.base, "ilze.ozola", PASSWORD).await;
        let orders_path = format!("/api/v1/orders?client_id={}", s.client);
        let orders = rows(&officer, &orders_path).await;
        sign_in(&browser, &s.base, "ilze.ozola").await;
        assert_eq!(browser.script("return navigator.language").await, "en-US");
        browser.script(WATCH_CSP).await;
        browser.script(WATCH_ERRORS).await;

        // In Latvian: the client page's fields and the order's written as Latvian writes them.
        browser.click("#language option[value=lv]").await;
        browser
            .goto(&format!("{}/#/clients/{}", s.base, s.client))
            .await;
        browser.wait_text("#absence-form h3", "Reģistrēt").await;
        for id in ["absence-from", "absence-until", "replay-from", "replay-to"] {
            let text = shown(&browser, id).await;
            assert_eq!(shape(&text), "dd.dd.dddd dd:dd", "{}: {id} {text}", db.name);
        }
        browser
            .goto(&format!("{}/#/clients/{}/order", s.base, s.client))
            .await;
        browser
            .wait_text("#order-form h1", "Jauns tiesas nolēmums")
            .await;
        assert_eq!(
            shape(&shown(&browser, "order-starts").await),
            "dd.dd.dddd dd:dd"
        );
        assert_eq!(
            shape(&shown(&browser, "order-decision-date").await),
            "dd.dd.dddd"
        );
        let placeholder = browser
            .script("return document.getElementById('order-starts').placeholder")
            .await;
        assert_eq!(placeholder, "DD.MM.GGGG SS:MM");
        browser
            .wait_text(
                ".field:has(#order-starts) .date-hint",
                "Diena.mēnesis.gads stundas:minūtes pēc 24 stundu pulksteņa, piemēram, 31.12.2026 14:05.",
            )
            .await;
        browser.fill("#order-court", COURT).await;
        browser.fill("#order-case-number", "K-20/2026").await;

        // The decision's date picked in the calendar by mouse, in a Latvian month.
        browser.fill("#order-decision-date", "10.02.2027").await;
        browser.click(&calendar_of("order-decision-date")).await;
        browser
            .poll("the calendar shows no Latvian February", async || {
                calendar_heading(&browser)
                    .await
                    .contains("februāris")
                    .then_some(())
            })
            .await;
        snap(&browser, "date-calendar-lv").await;
        click_day(&browser, 15).await;
        browser
            .poll("the picked day never reached the field", async || {
                (shown(&browser, "order-decision-date").await == "15.02.2027").then_some(())
            })
            .await;
        assert_eq!(
            browser
                .script("return document.getElementById('order-decision-date').value")
                .await,
            "2027-02-15"
        );

        // Text that names no date: refused in Latvian, naming the field, and nothing saved.
        for (typed, told) in [
            (
                "31.02.2027 12:00",
                "Uzraudzība sākas: kalendārā nav datuma 31.02.2027.",
            ),
            (
                "27.03.2027 25:00",
                "Uzraudzība sākas: 25:00 nav diennakts laiks (no 00:00 līdz 23:59).",
            ),
            (
                "rīt pusdienlaikā",
                "Uzraudzība sākas: “rīt pusdienlaikā” nevar nolasīt kā datumu un laiku; \
                 rakstiet to kā DD.MM.GGGG SS:MM, piemēram, 31.12.2026 14:05.",
            ),
        ] {
            browser.fill("#order-starts", typed).await;
            browser.click("#order-submit").await;
            browser.wait_text("#order-error", told).await;
            assert_eq!(
                browser.focused().await["id"],
                "order-starts",
                "{}: the focus on the field to mend",
                db.name
            );
        }
        // Said beside the field too.
        browser
            .wait_text(".field:has(#order-starts) .date-error", "nevar nolasīt")
            .await;
        assert_eq!(
            browser
                .script(
                    "return document.getElementById('order-starts').getAttribute('aria-invalid')"
                )
                .await,
            "true"
        );
        assert_eq!(rows(&officer, &orders_path).await, orders, "{}", db.name);

        // Typed by keyboard: the spring's change of time falls between start and end.
        browser.fill("#order-starts", "27.03.2027 12:00").await;
        browser.fill("#order-ends", "29.03.2027 12.00").await;
        browser.click("#order-submit").await;
        browser
            .wait_text("#status", "Tiesas nolēmums ir reģistrēts")
            .await;
        let order = order_of(&officer, s.client, "K-20/2026").await;
        let terms = &order["terms"];
        // 12:00 in Riga is 10:00 UTC in winter and 09:00 UTC in summer.
        assert_eq!(
            instant(&terms["starts"]),
            riga(2027, 3, 27, 12, 0, 2),
            "{}",
            db.name
        );
        assert_eq!(
            instant(&terms["ends"]),
            riga(2027, 3, 29, 12, 0, 3),
            "{}",
            db.name
        );
        assert_eq!(terms["decision_date"], "2027-02-15", "{}", db.name);

        // In English, in the same American browser: British English's way.
        browser.click("#language option[value=en]").await;
        browser
            .goto(&format!("{}/#/clients/{}/order", s.base, s.client))
            .await;
        browser.wait_text("#order-form h1", "New court order").await;
        assert_eq!(
            shape(&shown(&browser, "order-starts").await),
            "dd/dd/dddd, dd:dd"
        );
        assert_eq!(
            shape(&shown(&browser, "order-decision-date").await),
            "dd/dd/dddd"
        );
        let placeholder = browser
            .script("return document.getElementById('order-ends').placeholder")
            .await;
        assert_eq!(placeholder, "DD/MM/YYYY, HH:MM");
        browser.fill("#order-court", COURT).await;
        browser.fill("#order-case-number", "K-21/2026").await;
        // The autumn's change of time: an extra curfew across it, and the period around it.
        browser.fill("#order-starts", "30/10/2027, 12:00").await;
        browser.fill("#order-ends", "29/02/2027, 12:00").await;
        browser.click("#extra-curfews-add").await;
        browser
            .fill("#extra-curfews .period-from", "30/10/2027 22")
            .await;
        browser
            .fill("#extra-curfews .period-until", "31/10/2027, 07:00")
            .await;
        browser.click("#order-submit").await;
        browser
            .wait_text(
                "#order-error",
                "Monitoring ends: there is no date 29/02/2027 in the calendar.",
            )
            .await;
        browser.fill("#order-ends", "01/11/2027 08:30").await;
        browser.click("#order-submit").await;
        browser
            .wait_text(
                "#order-error",
                "From: “30/10/2027 22” cannot be read as a date and time; write it as \
                 DD/MM/YYYY, HH:MM, as in 31/12/2026, 14:05.",
            )
            .await;
        assert_eq!(
            rows(&officer, &orders_path).await,
            orders + 1,
            "{}",
            db.name
        );
        browser
            .fill("#extra-curfews .period-from", "30/10/2027, 22:00")
            .await;
        // The decision's date picked in the calendar by keyboard: Enter on its button opens
        // it at the field's day, Down goes a week on, Enter takes that day.
        browser.fill("#order-decision-date", "10/02/2027").await;
        browser.tab_to(&calendar_of("order-decision-date")).await;
        browser.keys(ENTER).await;
        browser
            .poll("the calendar shows no English February", async || {
                calendar_heading(&browser)
                    .await
                    .contains("February")
                    .then_some(())
            })
            .await;
        browser
            .poll("the focus never went to the field's day", async || {
                (focused_day(&browser).await == "10").then_some(())
            })
            .await;
        browser.keys(ARROW_DOWN).await;
        browser
            .poll("Down never went a week on", async || {
                (focused_day(&browser).await == "17").then_some(())
            })
            .await;
        browser.keys(ENTER).await;
        browser
            .poll(
                "the day chosen by keyboard never reached the field",
                async || {
                    (shown(&browser, "order-decision-date").await == "17/02/2027").then_some(())
                },
            )
            .await;
        assert_eq!(browser.focused().await["id"], "order-decision-date");
        browser.click("#order-submit").await;
        browser
            .wait_text("#status", "The court order is recorded")
            .await;
        let order = order_of(&officer, s.client, "K-21/2026").await;
        let terms = &order["terms"];
        assert_eq!(
            instant(&terms["starts"]),
            riga(2027, 10, 30, 12, 0, 3),
            "{}",
            db.name
        );
        assert_eq!(
            instant(&terms["ends"]),
            riga(2027, 11, 1, 8, 30, 2),
            "{}",
            db.name
        );
        let extra = &terms["curfew"]["extra"][0];
        assert_eq!(
            instant(&extra["from"]),
            riga(2027, 10, 30, 22, 0, 3),
            "{}",
            db.name
        );
        assert_eq!(
            instant(&extra["until"]),
            riga(2027, 10, 31, 7, 0, 2),
            "{}",
            db.name
        );
        assert_eq!(terms["decision_date"], "2027-02-17", "{}", db.name);

        assert_eq!(csp_violations(&browser).await, Vec::<String>::new());
        assert_eq!(browser.script("return window.errors").await, json!([]));
        browser.quit().await;
    }
}
