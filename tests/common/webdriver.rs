//! Headless Chromium driven over the W3C WebDriver protocol (chromedriver), for the console's
//! end-to-end tests. The protocol is a handful of JSON calls, made here with the reqwest the
//! tests already use rather than a WebDriver crate and its own HTTP stack. Every wait polls
//! for what it waits for; none sleeps a fixed time and hopes.

#![allow(dead_code)] // each test file that drives a browser uses part of this

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

use super::free_port;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The W3C name of an element reference in answers.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
pub const PATIENCE: Duration = Duration::from_secs(30);
/// Keys as WebDriver names them (the W3C spec's table of normalised keys).
pub const TAB: &str = "\u{E004}";
pub const ENTER: &str = "\u{E007}";
pub const SPACE: &str = " ";
pub const ARROW_UP: &str = "\u{E013}";
pub const ARROW_DOWN: &str = "\u{E015}";
/// How many Tab presses may pass before a control is taken to be out of reach.
const TAB_LIMIT: usize = 80;

/// chromedriver on a free loopback port with one browser session, both ended when dropped.
pub struct Browser {
    driver: Child,
    http: reqwest::Client,
    session: String,
    _profile: tempfile::TempDir,
}

/// An element found on the page.
#[derive(Clone, Debug)]
pub struct Element(String);

impl Browser {
    /// A headless Chromium of `width` × `height` CSS pixels, its languages `languages`
    /// (`lv,en`), in a fresh profile.
    pub async fn start(width: u32, height: u32, languages: &str) -> Browser {
        let port = free_port();
        // In a process group of its own, with the browsers it starts, so that all of them go
        // when a failed test drops the browser without quitting it.
        let driver = Command::new(CHROMEDRIVER)
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is installed (.ci/run installs it)");
        let profile = tempfile::tempdir().expect("profile dir");
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + PATIENCE;
        loop {
            let ready = http.get(format!("{base}/status")).send().await;
            if let Ok(answer) = ready
                && let Ok(status) = answer.json::<Value>().await
                && status["value"]["ready"] == true
            {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver never became ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            &format!("--lang={languages}"),
            &format!("--window-size={width},{height}"),
            &format!("--user-data-dir={}", profile.path().display()),
        ];
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": CHROMIUM, "args": args,
                                    "prefs": { "intl.accept_languages": languages } }
        }}});
        let answer: Value = http
            .post(format!("{base}/session"))
            .json(&capabilities)
            .send()
            .await
            .expect("chromedriver answers")
            .json()
            .await
            .expect("JSON");
        let session = answer["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no browser session: {answer}"))
            .to_string();
        Browser {
            driver,
            http,
            session: format!("{base}/session/{session}"),
            _profile: profile,
        }
    }

    /// One WebDriver command; its `value`, or the error it answered with.
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, Value> {
        let mut request = self.http.request(method, format!("{}{path}", self.session));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer = request.send().await.expect("chromedriver answers");
        let ok = answer.status().is_success();
        let value = answer.json::<Value>().await.expect("JSON")["value"].take();
        if ok { Ok(value) } else { Err(value) }
    }

    async fn command(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        self.call(method.clone(), path, body)
            .await
            .unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"))
    }

    pub async fn goto(&self, url: &str) {
        self.command(reqwest::Method::POST, "/url", Some(json!({ "url": url })))
            .await;
    }

    async fn find_now(&self, css: &str) -> Option<Element> {
        let found = self
            .call(
                reqwest::Method::POST,
                "/element",
                Some(json!({ "using": "css selector", "value": css })),
            )
            .await
            .ok()?;
        found[ELEMENT].as_str().map(|id| Element(id.to_string()))
    }

    /// Polls `probe` every 50 ms until it gives something, for at most [`PATIENCE`]; fails
    /// saying what never happened and what the page showed instead.
    pub async fn poll<T>(&self, what: &str, mut probe: impl AsyncFnMut() -> Option<T>) -> T {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(found) = probe().await {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "{what}; the page says:\n{}",
                self.page_text().await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The first element matching `css`, once there is one.
    pub async fn find(&self, css: &str) -> Element {
        let what = format!("no element {css} on the page");
        self.poll(&what, async || self.find_now(css).await).await
    }

    pub async fn text(&self, element: &Element) -> String {
        self.call(
            reqwest::Method::GET,
            &format!("/element/{}/text", element.0),
            None,
        )
        .await
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
    }

    /// Waits until the element matching `css` shows `needle`; returns its text.
    pub async fn wait_text(&self, css: &str, needle: &str) -> String {
        let what = format!("{css} never showed {needle:?}");
        self.poll(&what, async || {
            let found = self.find_now(css).await?;
            let text = self.text(&found).await;
            text.contains(needle).then_some(text)
        })
        .await
    }

    /// What the page shows, for assertions and failure messages.
    pub async fn page_text(&self) -> String {
        match self.find_now("body").await {
            Some(body) => self.text(&body).await,
            None => String::new(),
        }
    }

    pub async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.command(
            reqwest::Method::POST,
            &format!("/element/{}/click", element.0),
            Some(json!({})),
        )
        .await;
    }

    /// Types into the field matching `css`, replacing what it held.
    pub async fn fill(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.command(
            reqwest::Method::POST,
            &format!("/element/{}/clear", element.0),
            Some(json!({})),
        )
        .await;
        self.command(
            reqwest::Method::POST,
            &format!("/element/{}/value", element.0),
            Some(json!({ "text": text })),
        )
        .await;
    }

    /// Presses and releases each of `keys` in turn, on whatever has the focus, as a keyboard
    /// does (WebDriver's Actions API): text, or the names above.
    pub async fn keys(&self, keys: &str) {
        let strokes: Vec<Value> = keys
            .chars()
            .flat_map(|key| {
                let key = key.to_string();
                [
                    json!({ "type": "keyDown", "value": key }),
                    json!({ "type": "keyUp", "value": key }),
                ]
            })
            .collect();
        let actions =
            json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": strokes }] });
        self.command(reqwest::Method::POST, "/actions", Some(actions))
            .await;
        self.command(reqwest::Method::DELETE, "/actions", None)
            .await;
    }

    /// What has the focus: its tag, id and text, and whether the browser draws its focus
    /// (`:focus-visible`, with an outline that is neither none nor zero wide).
    pub async fn focused(&self) -> Value {
        self.script(
            "const e = document.activeElement; const s = getComputedStyle(e); \
             return { tag: e.tagName.toLowerCase(), id: e.id, \
                      text: (e.getAttribute('aria-label') ?? e.textContent ?? '').trim().slice(0, 40), \
                      visible: e.matches(':focus-visible') && s.outlineStyle !== 'none' \
                               && parseFloat(s.outlineWidth) > 0 };",
        )
        .await
    }

    /// Presses Tab until the element matching `css` has the focus, checking at each stop that
    /// the focus is drawn; fails, with the stops on the way, if it is out of reach.
    pub async fn tab_to(&self, css: &str) {
        let test = format!(
            "return document.activeElement.matches({})",
            Value::String(css.to_string())
        );
        let mut stops = Vec::new();
        while self.script(&test).await != true {
            assert!(
                stops.len() < TAB_LIMIT,
                "{css} is not reached by Tab; the focus went {stops:?}"
            );
            self.keys(TAB).await;
            let now = self.focused().await;
            if now["tag"] != "body" {
                assert_eq!(now["visible"], true, "the focus is not drawn on {now}");
            }
            stops.push(now);
        }
    }

    /// Clicks with the mouse at `(x, y)` CSS pixels from the top left corner of the element
    /// matching `css` (WebDriver's Actions API: a pointer moved there, pressed and released,
    /// as a person's mouse does), after a move on the way there, as a hand makes.
    pub async fn mouse_click_at(&self, css: &str, x: f64, y: f64) {
        let element = self.find(css).await;
        let size = self
            .command(
                reqwest::Method::GET,
                &format!("/element/{}/rect", element.0),
                None,
            )
            .await;
        // The Actions API counts from the element's centre, in whole pixels.
        let (w, h) = (
            size["width"].as_f64().unwrap_or(0.0),
            size["height"].as_f64().unwrap_or(0.0),
        );
        let (dx, dy) = ((x - w / 2.0).round(), (y - h / 2.0).round());
        let mut origin = serde_json::Map::new();
        origin.insert(ELEMENT.to_string(), json!(element.0));
        let actions = json!({ "actions": [{
            "type": "pointer", "id": "mouse", "parameters": { "pointerType": "mouse" },
            "actions": [
                { "type": "pointerMove", "origin": origin, "x": dx as i64 - 3, "y": dy as i64 - 3, "duration": 0 },
                { "type": "pointerMove", "origin": origin, "x": dx as i64, "y": dy as i64, "duration": 50 },
                { "type": "pointerDown", "button": 0 },
                { "type": "pointerUp", "button": 0 },
            ],
        }] });
        self.command(reqwest::Method::POST, "/actions", Some(actions))
            .await;
        self.command(reqwest::Method::DELETE, "/actions", None)
            .await;
    }

    /// Runs a script in the page; its result.
    pub async fn script(&self, script: &str) -> Value {
        self.command(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({ "script": script, "args": [] })),
        )
        .await
    }

    /// The window's outer size in CSS pixels.
    pub async fn window_size(&self) -> (i64, i64) {
        let rect = self
            .command(reqwest::Method::GET, "/window/rect", None)
            .await;
        (
            rect["width"].as_i64().unwrap_or_default(),
            rect["height"].as_i64().unwrap_or_default(),
        )
    }

    /// Makes the window this size (a laptop's, a tablet's).
    pub async fn resize(&self, width: i64, height: i64) {
        let rect = json!({ "width": width, "height": height });
        self.command(reqwest::Method::POST, "/window/rect", Some(rect))
            .await;
    }

    /// A PNG of the whole page, written to `path`: the window is made as tall as the page for
    /// the picture, then put back.
    pub async fn full_page_screenshot(&self, path: &Path) {
        let (width, height) = self.window_size().await;
        let page = self
            .script("return document.documentElement.scrollHeight")
            .await
            .as_i64()
            .unwrap_or(height)
            .clamp(600, 8000);
        // The window's frame is taller than the page's viewport by this much.
        let frame = self
            .script("return window.outerHeight - window.innerHeight")
            .await
            .as_i64()
            .unwrap_or(0);
        self.resize(width, page + frame).await;
        self.screenshot(path).await;
        self.resize(width, height).await;
    }

    /// A PNG of the window, written to `path`.
    async fn screenshot(&self, path: &Path) {
        let data = self
            .command(reqwest::Method::GET, "/screenshot", None)
            .await;
        write_png(&data, path);
    }

    /// A PNG of the element matching `css` alone, written to `path`.
    pub async fn element_screenshot(&self, css: &str, path: &Path) {
        let element = self.find(css).await;
        let data = self
            .command(
                reqwest::Method::GET,
                &format!("/element/{}/screenshot", element.0),
                None,
            )
            .await;
        write_png(&data, path);
    }
}

/// Writes the base64 PNG a screenshot command answered to `path`.
fn write_png(data: &Value, path: &Path) {
    let png = base64::engine::general_purpose::STANDARD
        .decode(data.as_str().unwrap_or_default())
        .expect("a base64 PNG");
    std::fs::write(path, png).expect("write the screenshot");
}

impl Browser {
    /// Ends the session, which closes the browser.
    pub async fn quit(self) {
        let _ = self.call(reqwest::Method::DELETE, "", None).await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
