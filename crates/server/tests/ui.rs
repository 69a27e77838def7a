//! The web UI in a real headless Chromium (Debian's `chromium` and
//! `chromium-driver`, driven over WebDriver): log in, upload an SBOM,
//! open a finding, answer its checklist, see the verdict, download VEX,
//! switch to Japanese; a viewer does not see other teams' products.
//!
//! `scripts/test.sh` installs the browser; without it this test says so
//! and passes (the rest of the suite does not need it).

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{Fixture, PASSWORD, VULN};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

const CHROMIUM: &str = "/usr/bin/chromium";
const DRIVER: &str = "/usr/bin/chromedriver";

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn browser() -> Option<(Driver, Client)> {
    if !std::path::Path::new(CHROMIUM).exists() || !std::path::Path::new(DRIVER).exists() {
        eprintln!(
            "skipping the browser test: {CHROMIUM} or {DRIVER} is missing (scripts/test.sh installs them)"
        );
        return None;
    }
    let port = free_port();
    let child = Command::new(DRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver(child);
    let profile = tempfile::tempdir().unwrap();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--window-size=1280,1000",
                     format!("--user-data-dir={}", profile.path().display())],
        }),
    );
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(client) => {
                std::mem::forget(profile);
                return Some((driver, client));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    panic!("chromedriver did not accept a session");
}

async fn login(c: &Client, f: &Fixture, user: &str) {
    c.goto(&f.url("/login")).await.unwrap();
    c.find(Locator::Css("#username"))
        .await
        .unwrap()
        .send_keys(user)
        .await
        .unwrap();
    c.find(Locator::Css("#password"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    c.find(Locator::Css("form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_url(&url::Url::parse(&f.url("/")).unwrap())
        .await
        .unwrap();
}

/// With KENSA_SCREENSHOT_DIR set, the whole page as a PNG there (for docs/).
async fn screenshot(c: &Client, name: &str) {
    let Ok(dir) = std::env::var("KENSA_SCREENSHOT_DIR") else {
        return;
    };
    let height = c
        .execute("return document.documentElement.scrollHeight;", vec![])
        .await
        .unwrap()
        .as_u64()
        .unwrap_or(1000);
    c.set_window_size(1280, height.clamp(800, 4000) as u32)
        .await
        .unwrap();
    c.execute("window.scrollTo(0, 0);", vec![]).await.unwrap();
    let png = c.screenshot().await.unwrap();
    std::fs::write(std::path::Path::new(&dir).join(name), png).unwrap();
    c.set_window_size(1280, 1000).await.unwrap();
}

async fn text(c: &Client, css: &str) -> String {
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_in_upload_answer_the_checklist_and_download_vex() {
    let f = Fixture::new();
    let Some((_driver, c)) = browser().await else {
        return;
    };
    // An admin of team red sees red's product and nothing else.
    login(&c, &f, "admin-team").await;
    let dashboard = c.source().await.unwrap();
    assert!(dashboard.contains("red-gw"), "the dashboard lists red-gw");
    assert!(
        !dashboard.contains("blue-gw") && !dashboard.contains("solo"),
        "other teams' products are invisible"
    );

    // Upload a new version's SBOM from the product page; the job page
    // follows the scan and links back to the findings.
    c.goto(&f.url("/products/red-gw")).await.unwrap();
    c.find(Locator::Css("#up-version"))
        .await
        .unwrap()
        .send_keys("2.0")
        .await
        .unwrap();
    let sbom = common::demo()
        .join("rtu-gateway.cdx.json")
        .canonicalize()
        .unwrap();
    c.find(Locator::Css("#up-sbom"))
        .await
        .unwrap()
        .send_keys(&sbom.to_string_lossy())
        .await
        .unwrap();
    c.find(Locator::Css("form[action$='/upload'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let stored = text(&c, "#job .success").await;
    assert!(stored.contains("red-gw 2.0"), "{stored}");
    c.find(Locator::Css("#job a.button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let heading = text(&c, "h1").await;
    assert!(
        heading.contains("2.0"),
        "the newest version is shown: {heading}"
    );

    // Open the finding from the table and answer its checklist.
    c.find(Locator::Css(&format!("a[href$='/findings/{VULN}']")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(text(&c, "h1").await.starts_with(VULN));
    let why = text(&c, "#why + .panel").await;
    assert!(
        why.contains("bash"),
        "why it matched names the component: {why}"
    );
    c.find(Locator::Css("input[name='answer.c2'][value='no']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("#note-c2"))
        .await
        .unwrap()
        .send_keys("No CGI and no ForceCommand in the image")
        .await
        .unwrap();
    c.find(Locator::Css(
        "form[action$='/assessment'] button[type=submit]",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    let verdict = text(&c, "#verdict .verdict-not_affected").await;
    assert_eq!(verdict, "not_affected");
    let basis = text(&c, "#verdict").await;
    assert!(
        basis.contains("c2"),
        "the logical basis names the deciding condition: {basis}"
    );
    assert!(
        basis.contains("admin-team"),
        "the history names who saved: {basis}"
    );
    screenshot(&c, "finding-page.png").await;

    // Download the VEX the page links to (fetched in the page, with its session).
    let href = c
        .find(Locator::Css("#verdict a[href*='format=openvex']"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let vex = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(arguments[0]).then(r => r.text()).then(done);",
            vec![json!(href)],
        )
        .await
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(vex.as_str().unwrap()).unwrap();
    assert_eq!(doc["statements"][0]["vulnerability"]["name"], VULN);
    assert_eq!(doc["statements"][0]["status"], "not_affected");

    // The same page in Japanese: the frame and the checklist's own words.
    c.find(Locator::Css("a[href^='/lang/ja']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let nav = text(&c, "header.top nav").await;
    assert!(nav.contains("製品"), "{nav}");
    let legend = text(&c, "fieldset.question legend").await;
    assert!(
        legend
            .chars()
            .any(|ch| ('\u{3040}'..='\u{30ff}').contains(&ch)),
        "a Japanese question: {legend}"
    );
    screenshot(&c, "finding-page-ja.png").await;

    // A viewer of team red: sees red-gw, not blue's product.
    c.delete_all_cookies().await.unwrap();
    login(&c, &f, "viewer-team").await;
    let dashboard = c.source().await.unwrap();
    assert!(dashboard.contains("red-gw") && !dashboard.contains("blue-gw"));
    c.goto(&f.url("/products/blue-gw")).await.unwrap();
    let h1 = text(&c, "h1").await;
    assert!(h1.starts_with("404"), "{h1}");
    // Viewers cannot answer: the form's fields are disabled.
    c.goto(&f.url(&format!("/products/red-gw/findings/{VULN}")))
        .await
        .unwrap();
    let disabled = c
        .find(Locator::Css("input[name='answer.c2'][value='no']"))
        .await
        .unwrap()
        .attr("disabled")
        .await
        .unwrap();
    assert!(disabled.is_some());
    c.close().await.unwrap();
}
