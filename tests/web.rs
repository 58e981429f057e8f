//! Browser tests of the wasm boundary (`xmpp_wasm::web::Core`, the driver behind the JavaScript
//! layer of `js/`), in headless Chromium and firefox-esr (`wasm-pack test`): the exports work in
//! a real wasm instance — the options reader's errors come back as exceptions, the browser's CSPRNG
//! feeds the core, and one PLAIN login against the test Prosody runs through `command`, `poll`
//! and `input` alone, with the requests made by `fetch`.
//!
//! The public API's behaviour (what this file tested before the shell became JavaScript) is tested
//! in the browser by tests/js/api.test.mjs. Run by `make test`, which starts Prosody on a free
//! loopback port and builds these tests with `XMPP_WASM_TEST_BOSH` set to its BOSH URL.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use xmpp_wasm::web::driver::{get, op};
use xmpp_wasm::web::Core;

wasm_bindgen_test_configure!(run_in_browser);

fn bosh_url() -> &'static str {
    match option_env!("XMPP_WASM_TEST_BOSH") {
        Some(url) => url,
        None => panic!(
            "XMPP_WASM_TEST_BOSH must name the test Prosody's BOSH URL at build time (the README's test command sets it)"
        ),
    }
}

#[wasm_bindgen(inline_js = "
export function post(url, body) {
  return fetch(url, { method: 'POST', body, headers: { 'Content-Type': 'text/xml; charset=utf-8' } })
    .then(async (r) => [r.status, await r.text()]);
}
export function parse(s) { return JSON.parse(s); }
")]
extern "C" {
    fn post(url: &str, body: &str) -> js_sys::Promise;
    fn parse(s: &str) -> JsValue;
}

fn item(v: &JsValue, i: u32) -> JsValue {
    js_sys::Reflect::get_u32(v, i).unwrap()
}

#[wasm_bindgen_test]
fn the_options_reader_refuses_with_its_message() {
    let err = Core::new(bosh_url(), "{\"wiat\":60}")
        .err()
        .expect("an unknown option");
    assert!(err.contains("wiat"), "{err}");
    assert!(Core::new(bosh_url(), "{}").is_ok());
}

#[wasm_bindgen_test]
fn the_browser_csprng_feeds_the_core() {
    // Two sessions start at random rids (crypto.getRandomValues through the import).
    let rid = || {
        let mut core = Core::new(bosh_url(), "{}").unwrap();
        assert_eq!(
            core.command(0.0, op::CONNECT, "alice@localhost", "x", 1.0),
            ""
        );
        let mut out = core.poll(0.0, true);
        while parse(&out).is_array() && item(&parse(&out), 0).as_f64() != Some(5.0) {
            out = core.poll(0.0, true);
        }
        item(&parse(&out), 2).as_f64().expect("a rid")
    };
    assert_ne!(rid(), rid());
}

#[wasm_bindgen_test]
async fn a_plain_login_through_the_narrow_boundary() {
    let t0 = js_sys::Date::now();
    let now = || js_sys::Date::now() - t0;
    let mut core = Core::new(bosh_url(), "{\"mechanisms\":[\"PLAIN\"]}").unwrap();
    assert_eq!(
        core.command(
            now(),
            op::CONNECT,
            "alice@localhost/boundary",
            "alice-pass",
            1.0
        ),
        ""
    );
    let mut statuses = Vec::new();
    let mut requests = 0;
    // One request at a time is enough for a login: poll, POST, give the answer back.
    while statuses.last() != Some(&5.0) && requests < 10 {
        let mut transmit = None;
        loop {
            let out = core.poll(now(), true);
            if out.is_empty() {
                break;
            }
            let v = parse(&out);
            match item(&v, 0).as_f64() {
                Some(0.0) => statuses.push(item(&v, 1).as_f64().unwrap()),
                Some(5.0) => transmit = Some(v),
                other => panic!("unexpected output {other:?}: {out}"),
            }
        }
        let Some(t) = transmit else { break };
        if statuses.last() == Some(&5.0) {
            break; // the long poll that follows CONNECTED would be held `wait` seconds
        }
        requests += 1;
        let answer = JsFuture::from(post(
            &item(&t, 3).as_string().unwrap(),
            &item(&t, 4).as_string().unwrap(),
        ))
        .await
        .expect("Prosody answers");
        core.input(
            now(),
            item(&t, 1).as_f64().unwrap(),
            item(&answer, 0).as_f64().unwrap() as i32,
            &item(&answer, 1).as_string().unwrap(),
        );
    }
    assert_eq!(
        statuses,
        [1.0, 3.0, 5.0],
        "CONNECTING, AUTHENTICATING, CONNECTED"
    );
    assert_eq!(core.get(now(), get::JID), "alice@localhost/boundary");
    assert_eq!(core.get(now(), get::MECHANISM), "PLAIN");
}
