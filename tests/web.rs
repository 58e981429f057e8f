//! Browser tests: the real login against a real Prosody, in headless Chromium.
//!
//! Run by the README's test command, which starts Prosody on a free loopback
//! port and builds these tests with `XMPP_WASM_TEST_BOSH` set to its BOSH URL
//! (read at compile time). Users: alice/alice-pass on `localhost`.
#![cfg(target_arch = "wasm32")]

use js_sys::{Function, Promise, Reflect};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use xmpp_wasm::web::{Connection, Status};

wasm_bindgen_test_configure!(run_in_browser);

fn bosh_url() -> &'static str {
    match option_env!("XMPP_WASM_TEST_BOSH") {
        Some(url) => url,
        None => panic!(
            "XMPP_WASM_TEST_BOSH must name the test Prosody's BOSH URL at build time (the README's test command sets it)"
        ),
    }
}

fn options(json: &str) -> JsValue {
    js_sys::JSON::parse(json).expect("test options are valid JSON")
}

/// Records every (status, condition) the connect callback sees.
type StatusLog = Rc<RefCell<Vec<(u8, Option<String>)>>>;

fn recorder() -> (Function, StatusLog) {
    recorder_then(None)
}

/// Like [`recorder`], and also calls `then(status)`.
fn recorder_then(then: Option<Function>) -> (Function, StatusLog) {
    let log = Rc::new(RefCell::new(Vec::new()));
    let l = log.clone();
    let cb = Closure::<dyn FnMut(u8, JsValue)>::new(move |status: u8, cond: JsValue| {
        l.borrow_mut().push((status, cond.as_string()));
        if let Some(f) = &then {
            let _ = f.call1(&JsValue::NULL, &JsValue::from(status));
        }
    });
    (cb.into_js_value().unchecked_into(), log)
}

/// Counts the bodies handed to `rawOutput`.
fn counter(conn: &Connection) -> Rc<RefCell<Vec<String>>> {
    let out = Rc::new(RefCell::new(Vec::new()));
    let o = out.clone();
    let cb = Closure::<dyn FnMut(String)>::new(move |s: String| o.borrow_mut().push(s));
    conn.set_raw_output(Some(cb.into_js_value().unchecked_into()));
    out
}

async fn wait_for_message(conn: &Connection, body: &str) -> String {
    let slot: Rc<RefCell<Option<Function>>> = Rc::new(RefCell::new(None));
    let s = slot.clone();
    let received = Promise::new(&mut |resolve, _| *s.borrow_mut() = Some(resolve));
    let want = body.to_string();
    let handler =
        Closure::<dyn FnMut(web_sys::Element) -> bool>::new(move |el: web_sys::Element| {
            let text = el.text_content().unwrap_or_default();
            if text.contains(&want) {
                if let Some(resolve) = slot.borrow_mut().take() {
                    let _ = resolve.call1(&JsValue::NULL, &JsValue::from(el.outer_html()));
                }
                return false;
            }
            true
        });
    conn.add_handler(
        handler.into_js_value().unchecked_into(),
        None,
        Some("message".into()),
        JsValue::UNDEFINED,
        None,
        None,
        JsValue::UNDEFINED,
    )
    .expect("valid handler");
    JsFuture::from(received)
        .await
        .expect("message arrives")
        .as_string()
        .unwrap_or_default()
}

async fn login_roundtrip(mechanism: &str, expected_requests: usize) {
    let conn = Connection::new(
        bosh_url(),
        options(&format!("{{\"mechanisms\":[\"{mechanism}\"]}}")),
    )
    .expect("valid options");
    let sent = counter(&conn);
    // How many bodies had left when the CONNECTED callback ran.
    let at_connected = Rc::new(RefCell::new(None));
    let (snap, s2) = (at_connected.clone(), sent.clone());
    let on_connected = Closure::<dyn FnMut(u8)>::new(move |status: u8| {
        if status == Status::CONNECTED as u8 {
            *snap.borrow_mut() = Some(s2.borrow().len());
        }
    });
    let (cb, log) = recorder_then(Some(on_connected.into_js_value().unchecked_into()));
    let status = JsFuture::from(conn.connect(
        "alice@localhost/wasm-test",
        Some("alice-pass".into()),
        Some(cb),
    ))
    .await
    .expect("login succeeds");
    assert_eq!(status.as_f64(), Some(Status::CONNECTED as u8 as f64));
    let jid = conn.jid().unwrap_or_default();
    assert_eq!(jid, "alice@localhost/wasm-test");
    assert_eq!(conn.mechanism().as_deref(), Some(mechanism));
    assert!(conn.authenticated());
    // The login itself: create, auth, (SCRAM: response), restart, bind.
    let login_requests = *at_connected.borrow();
    assert_eq!(
        login_requests,
        Some(expected_requests),
        "requests up to CONNECTED: {:#?}",
        sent.borrow()
    );

    let token = format!("ping-{mechanism}-{}", js_sys::Math::random());
    let waiting = wait_for_message(&conn, &token);
    conn.send(JsValue::from_str(&format!(
        "<message to='{jid}' type='chat'><body>{token} &amp; &lt;ok&gt;</body></message>"
    )))
    .expect("one well-formed element");
    let echoed = waiting.await;
    assert!(
        echoed.contains("&amp; &lt;ok&gt;"),
        "escaping survives the round trip: {echoed}"
    );

    JsFuture::from(conn.disconnect(None))
        .await
        .expect("disconnect resolves");
    let statuses: Vec<u8> = log.borrow().iter().map(|(s, _)| *s).collect();
    assert_eq!(
        statuses,
        [1, 3, 5, 7, 6],
        "CONNECTING, AUTHENTICATING, CONNECTED, DISCONNECTING, DISCONNECTED: {:?}",
        log.borrow()
    );
    assert!(sent
        .borrow()
        .last()
        .is_some_and(|b| b.contains("type='terminate'")));
}

#[wasm_bindgen_test]
async fn plain_login_message_to_self_and_disconnect() {
    login_roundtrip("PLAIN", 4).await;
}

#[wasm_bindgen_test]
async fn scram_sha1_login_message_to_self_and_disconnect() {
    login_roundtrip("SCRAM-SHA-1", 5).await;
}

async fn failed_login(
    conn: &Connection,
    jid: &str,
    password: &str,
) -> (u8, String, Vec<(u8, Option<String>)>) {
    let (cb, log) = recorder();
    let err = JsFuture::from(conn.connect(jid, Some(password.into()), Some(cb)))
        .await
        .expect_err("login must fail");
    let status = Reflect::get(&err, &"status".into())
        .ok()
        .and_then(|v| v.as_f64())
        .unwrap_or(-1.0) as u8;
    let condition = Reflect::get(&err, &"condition".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    let name = Reflect::get(&err, &"name".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    assert_eq!(name, "ConnectionError");
    let log = log.borrow().clone();
    (status, condition, log)
}

#[wasm_bindgen_test]
async fn wrong_password_is_authfail() {
    let conn = Connection::new(bosh_url(), options("{\"mechanisms\":[\"PLAIN\"]}")).unwrap();
    let (status, condition, _) = failed_login(&conn, "alice@localhost", "wrong-pass").await;
    assert_eq!(status, Status::AUTHFAIL as u8);
    assert_eq!(condition, "not-authorized");
    assert!(!conn.authenticated());
}

#[wasm_bindgen_test]
async fn unreachable_service_is_connfail() {
    // Nothing listens on the discard port of loopback.
    let conn = Connection::new(
        "http://127.0.0.1:9/http-bind",
        options("{\"maxRetries\":1}"),
    )
    .unwrap();
    let (status, condition, log) = failed_login(&conn, "alice@localhost", "alice-pass").await;
    assert_eq!(status, Status::CONNFAIL as u8);
    assert_eq!(condition, "remote-connection-failed");
    // The promise settles on CONNFAIL; DISCONNECTED follows in the same turn.
    assert_eq!(log.first().map(|l| l.0), Some(Status::CONNECTING as u8));
}

#[wasm_bindgen_test]
fn bad_options_and_bad_stanzas_throw() {
    assert!(
        Connection::new(bosh_url(), options("{\"wiat\":60}")).is_err(),
        "unknown key"
    );
    assert!(
        Connection::new(bosh_url(), options("{\"wait\":\"long\"}")).is_err(),
        "wrong type"
    );
    let conn = Connection::new(bosh_url(), JsValue::UNDEFINED).unwrap();
    // Not connected yet, and not one element: both throw, nothing is queued.
    assert!(conn.send(JsValue::from_str("<a/><b/>")).is_err());
    assert!(conn.send(JsValue::from_str("<message>")).is_err());
    assert!(conn.send(JsValue::from_f64(3.0)).is_err());
}

async fn connected(jid: &str) -> Connection {
    let conn = Connection::new(bosh_url(), JsValue::UNDEFINED).unwrap();
    JsFuture::from(conn.connect(jid, Some("alice-pass".into()), None))
        .await
        .expect("login succeeds");
    conn
}

fn error_field(err: &JsValue, key: &str) -> String {
    Reflect::get(err, &key.into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

#[wasm_bindgen_test]
async fn anonymous_login_on_the_anonymous_host() {
    let domain = option_env!("XMPP_WASM_TEST_ANON_DOMAIN").unwrap_or("anon.localhost");
    let conn = Connection::new(bosh_url(), JsValue::UNDEFINED).unwrap();
    JsFuture::from(conn.connect(domain, None, None))
        .await
        .expect("anonymous login succeeds");
    assert_eq!(conn.mechanism().as_deref(), Some("ANONYMOUS"));
    let jid = conn.jid().unwrap_or_default();
    assert!(
        jid.contains(&format!("@{domain}/")),
        "a server-assigned JID on the anonymous host: {jid}"
    );
    JsFuture::from(conn.disconnect(None)).await.unwrap();
}

#[wasm_bindgen_test]
async fn iq_result_error_and_timeout_with_promises_and_callbacks() {
    let conn = connected("alice@localhost/iq-test").await;
    let jid = conn.jid().unwrap();

    // A result: XEP-0199 ping to the server.
    let pong = JsFuture::from(conn.send_iq_async(
        JsValue::from_str("<iq type='get' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>"),
        Some(10_000.0),
    ))
    .await
    .expect("the server answers a ping");
    let pong: web_sys::Element = pong.unchecked_into();
    assert_eq!(pong.get_attribute("type").as_deref(), Some("result"));

    // An error: a query the server does not implement.
    let err = JsFuture::from(conn.send_iq_async(
        JsValue::from_str(
            "<iq type='get' to='localhost'><query xmlns='urn:example:nothing'/></iq>",
        ),
        Some(10_000.0),
    ))
    .await
    .expect_err("the server refuses an unknown query");
    assert_eq!(error_field(&err, "name"), "StanzaError");
    assert!(
        ["service-unavailable", "feature-not-implemented"]
            .contains(&error_field(&err, "condition").as_str()),
        "{}",
        error_field(&err, "condition")
    );

    // A timeout: an IQ to ourselves that a handler swallows without answering.
    let swallow = Closure::<dyn FnMut(web_sys::Element) -> bool>::new(|_el| true);
    conn.add_handler(
        swallow.into_js_value().unchecked_into(),
        Some("urn:example:silence".into()),
        Some("iq".into()),
        JsValue::UNDEFINED,
        None,
        None,
        JsValue::UNDEFINED,
    )
    .unwrap();
    let t0 = js_sys::Date::now();
    let err = JsFuture::from(conn.send_iq_async(
        JsValue::from_str(&format!(
            "<iq type='get' to='{jid}'><q xmlns='urn:example:silence'/></iq>"
        )),
        Some(300.0),
    ))
    .await
    .expect_err("nobody answers");
    assert_eq!(error_field(&err, "name"), "TimeoutError");
    assert!(js_sys::Date::now() - t0 >= 290.0);

    // The callback form: result → callback, id returned.
    let slot: Rc<RefCell<Option<Function>>> = Rc::new(RefCell::new(None));
    let s = slot.clone();
    let done = Promise::new(&mut |resolve, _| *s.borrow_mut() = Some(resolve));
    let cb = Closure::<dyn FnMut(web_sys::Element)>::new(move |el: web_sys::Element| {
        if let Some(r) = slot.borrow_mut().take() {
            let _ = r.call1(
                &JsValue::NULL,
                &el.get_attribute("id").unwrap_or_default().into(),
            );
        }
    });
    let id = conn
        .send_iq(
            JsValue::from_str(
                "<iq type='get' to='localhost' id='cb-1'><ping xmlns='urn:xmpp:ping'/></iq>",
            ),
            Some(cb.into_js_value().unchecked_into()),
            None,
            Some(10_000.0),
        )
        .unwrap();
    assert_eq!(id, "cb-1");
    let answered = JsFuture::from(done).await.unwrap();
    assert_eq!(answered.as_string().as_deref(), Some("cb-1"));

    // An unhandled IQ get to us is answered with service-unavailable by the library.
    let err = JsFuture::from(conn.send_iq_async(
        JsValue::from_str(&format!(
            "<iq type='get' to='{jid}'><query xmlns='jabber:iq:version'/></iq>"
        )),
        Some(10_000.0),
    ))
    .await
    .expect_err("we answer our own unhandled IQ with an error");
    assert_eq!(error_field(&err, "condition"), "service-unavailable");
    JsFuture::from(conn.disconnect(None)).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_throwing_handler_does_not_stop_the_others() {
    let conn = connected("alice@localhost/throw-test").await;
    let jid = conn.jid().unwrap();
    // The report goes to the log hook (instead of the console).
    let logged = Rc::new(RefCell::new(Vec::<(u8, String)>::new()));
    let l = logged.clone();
    let hook = Closure::<dyn FnMut(u8, String)>::new(move |level: u8, msg: String| {
        l.borrow_mut().push((level, msg));
    });
    conn.set_log(Some(hook.into_js_value().unchecked_into()));
    // xmlInput/xmlOutput see every body as a DOM element.
    let bodies = Rc::new(RefCell::new((0u32, 0u32)));
    let (bi, bo) = (bodies.clone(), bodies.clone());
    let on_in = Closure::<dyn FnMut(web_sys::Element)>::new(move |el: web_sys::Element| {
        if el.local_name() == "body" {
            bi.borrow_mut().0 += 1;
        }
    });
    let on_out = Closure::<dyn FnMut(web_sys::Element)>::new(move |el: web_sys::Element| {
        if el.local_name() == "body" {
            bo.borrow_mut().1 += 1;
        }
    });
    conn.set_xml_input(Some(on_in.into_js_value().unchecked_into()));
    conn.set_xml_output(Some(on_out.into_js_value().unchecked_into()));
    let thrower = Function::new_no_args("throw new Error('handler bug (expected by the test)')");
    conn.add_handler(
        thrower,
        None,
        Some("message".into()),
        JsValue::UNDEFINED,
        None,
        None,
        JsValue::UNDEFINED,
    )
    .unwrap();
    let waiting = wait_for_message(&conn, "after-throw");
    conn.send(JsValue::from_str(&format!(
        "<message to='{jid}' type='chat'><body>after-throw</body></message>"
    )))
    .unwrap();
    let got = waiting.await;
    assert!(got.contains("after-throw"));
    let logged = logged.borrow().clone();
    assert!(
        logged.iter().any(|(level, m)| *level == 3
            && m.contains("exception in a stanza handler")
            && m.contains("handler bug")),
        "{logged:?}"
    );
    let (ins, outs) = *bodies.borrow();
    assert!(ins >= 1 && outs >= 1, "xmlInput {ins}, xmlOutput {outs}");
    JsFuture::from(conn.disconnect(None)).await.unwrap();
}

fn session_storage() -> web_sys::Storage {
    web_sys::window()
        .unwrap()
        .session_storage()
        .unwrap()
        .unwrap()
}

const KEEPALIVE_KEY: &str = "xmpp-wasm:session";

#[wasm_bindgen_test]
async fn keepalive_writes_the_snapshot_and_disconnect_removes_it() {
    session_storage().remove_item(KEEPALIVE_KEY).unwrap();
    let conn = Connection::new(bosh_url(), options("{\"keepalive\":true}")).unwrap();
    JsFuture::from(conn.connect("alice@localhost/keep", Some("alice-pass".into()), None))
        .await
        .unwrap();
    let stored = session_storage()
        .get_item(KEEPALIVE_KEY)
        .unwrap()
        .expect("snapshot written");
    let v: serde_json::Value = serde_json::from_str(&stored).unwrap();
    assert_eq!(v["v"], 1);
    assert_eq!(v["jid"], "alice@localhost/keep");
    assert_eq!(v["released"], false);
    let unanswered = v["session"]["unanswered"].as_array().unwrap();
    assert_eq!(
        unanswered.len(),
        1,
        "the long poll is on the wire: {stored}"
    );
    let next = v["session"]["next_rid"].as_u64().unwrap();
    assert_eq!(unanswered[0]["rid"].as_u64(), Some(next - 1));
    JsFuture::from(conn.disconnect(None)).await.unwrap();
    assert_eq!(
        session_storage().get_item(KEEPALIVE_KEY).unwrap(),
        None,
        "removed on disconnect"
    );
}

fn restore_reason(conn: &Connection, jid: Option<&str>) -> String {
    match conn.restore(jid.map(str::to_owned), None, None, None, None) {
        Ok(_) => "no error".into(),
        Err(e) => {
            assert_eq!(error_field(&e, "name"), "SessionError");
            error_field(&e, "reason")
        }
    }
}

#[wasm_bindgen_test]
async fn restore_refuses_what_it_cannot_continue() {
    let storage = session_storage();
    storage.remove_item(KEEPALIVE_KEY).unwrap();
    let conn = Connection::new(bosh_url(), options("{\"keepalive\":true}")).unwrap();
    assert_eq!(restore_reason(&conn, None), "no-session");
    storage.set_item(KEEPALIVE_KEY, "{not json").unwrap();
    assert_eq!(restore_reason(&conn, None), "bad-snapshot");

    // A live session, as a duplicated tab would find it: not released.
    let live = Connection::new(bosh_url(), options("{\"keepalive\":true}")).unwrap();
    JsFuture::from(live.connect("alice@localhost/dup", Some("alice-pass".into()), None))
        .await
        .unwrap();
    assert_eq!(restore_reason(&conn, None), "session-in-use");
    assert_eq!(restore_reason(&conn, Some("bob@localhost")), "jid-mismatch");
    JsFuture::from(live.disconnect(None)).await.unwrap();
    assert_eq!(restore_reason(&conn, None), "no-session");
    // A WebSocket service is refused at construction until WebSocket is
    // supported (restore's `not-bosh` is for then).
    let ws = Connection::new(
        "wss://example.org/xmpp-websocket",
        options("{\"keepalive\":true}"),
    )
    .err()
    .expect("a wss: service throws");
    assert!(ws.is_instance_of::<js_sys::RangeError>());
    assert!(error_field(&ws, "message").contains("WebSocket is not supported yet"));
}

#[wasm_bindgen_test]
async fn restore_of_a_session_the_server_dropped_is_attachfail() {
    let storage = session_storage();
    let stored = format!(
        "{{\"v\":1,\"jid\":\"alice@localhost/gone\",\"released\":true,\"session\":{{\"url\":\"{}\",\"to\":\"localhost\",\"sid\":\"no-such-sid\",\"next_rid\":1000,\"wait\":60,\"hold\":1,\"requests\":2,\"polling\":null,\"inactivity\":null,\"maxpause\":null,\"unanswered\":[],\"queued\":[]}}}}",
        bosh_url()
    );
    storage.set_item(KEEPALIVE_KEY, &stored).unwrap();
    let conn = Connection::new(bosh_url(), options("{\"keepalive\":true}")).unwrap();
    let (cb, log) = recorder();
    let promise = conn
        .restore(None, Some(cb), None, None, None)
        .expect("a released snapshot is taken");
    let err = JsFuture::from(promise)
        .await
        .expect_err("the server does not know the sid");
    assert_eq!(
        Reflect::get(&err, &"status".into()).unwrap().as_f64(),
        Some(12.0)
    );
    let statuses: Vec<u8> = log.borrow().iter().map(|(s, _)| *s).collect();
    assert_eq!(
        statuses,
        [8, 12, 6],
        "ATTACHED, ATTACHFAIL, DISCONNECTED: {:?}",
        log.borrow()
    );
    assert_eq!(
        storage.get_item(KEEPALIVE_KEY).unwrap(),
        None,
        "a dead session is not kept"
    );
}

fn attrs(json: &str) -> JsValue {
    options(json)
}

#[wasm_bindgen_test]
fn builder_chains_and_escapes_like_strophe() {
    use xmpp_wasm::web::{msg, Builder};
    let b = msg(attrs(
        r#"{"to":"bob@localhost","type":"chat","id":"a\"b'c"}"#,
    ))
    .unwrap()
    .c("body", JsValue::UNDEFINED, None)
    .unwrap()
    .t("1 < 2 & \"quotes\" 'too'")
    .up()
    .c(
        "active",
        attrs(r#"{"xmlns":"http://jabber.org/protocol/chatstates"}"#),
        None,
    )
    .unwrap();
    let xml = b.to_xml_string();
    assert_eq!(
        xml,
        "<message to='bob@localhost' type='chat' id='a&quot;b&apos;c' xmlns='jabber:client'><body>1 &lt; 2 &amp; \"quotes\" 'too'</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>"
    );
    let tree = b.tree().unwrap();
    assert_eq!(tree.tag_name(), "message");
    assert_eq!(tree.get_attribute("id").as_deref(), Some("a\"b'c"));
    assert_eq!(
        tree.first_element_child()
            .unwrap()
            .text_content()
            .as_deref(),
        Some("1 < 2 & \"quotes\" 'too'")
    );
    // Text given to c() stays in the child and the builder does not move.
    let b2 = Builder::new("iq", attrs(r#"{"type":"get"}"#))
        .unwrap()
        .c("query", attrs(r#"{"xmlns":"jabber:iq:version"}"#), None)
        .unwrap()
        .c("name", JsValue::UNDEFINED, Some("x".into()))
        .unwrap()
        .c("version", JsValue::UNDEFINED, Some("1".into()))
        .unwrap()
        .root()
        .attrs(attrs(r#"{"type":null,"to":"localhost"}"#))
        .unwrap();
    assert_eq!(
        b2.to_xml_string(),
        "<iq to='localhost'><query xmlns='jabber:iq:version'><name>x</name><version>1</version></query></iq>"
    );
    assert!(Builder::new("bad name", JsValue::UNDEFINED).is_err());
    assert!(Builder::new("x", attrs(r#"{"a":{"nested":1}}"#)).is_err());
    // send() takes a Builder.
    let conn = Connection::new(bosh_url(), JsValue::UNDEFINED).unwrap();
    let err = conn.send(JsValue::from(b2)).expect_err("not connected yet");
    assert_eq!(
        error_field(&err, "condition"),
        "invalid-state",
        "the builder was read, then refused for the state"
    );
}

#[wasm_bindgen_test]
async fn a_storage_error_is_reported_and_never_breaks_the_connection() {
    // sessionStorage.setItem throws (quota exceeded, storage disabled).
    let break_storage = Function::new_no_args(
        "window.__setItem = Storage.prototype.setItem; Storage.prototype.setItem = function () { throw new DOMException('full', 'QuotaExceededError'); };",
    );
    let repair_storage = Function::new_no_args("Storage.prototype.setItem = window.__setItem;");
    break_storage.call0(&JsValue::NULL).unwrap();
    let conn = Connection::new(bosh_url(), options("{\"keepalive\":true}")).unwrap();
    let connected =
        JsFuture::from(conn.connect("alice@localhost/full", Some("alice-pass".into()), None)).await;
    let jid = conn.jid().unwrap_or_default();
    let token = format!("storage-{}", js_sys::Math::random());
    let waiting = wait_for_message(&conn, &token);
    conn.send(JsValue::from_str(&format!(
        "<message to='{jid}' type='chat'><body>{token}</body></message>"
    )))
    .unwrap();
    let echoed = waiting.await;
    repair_storage.call0(&JsValue::NULL).unwrap();
    assert!(connected.is_ok(), "login works without storage");
    assert!(echoed.contains(&token), "and so does the session");
    JsFuture::from(conn.disconnect(None)).await.unwrap();
}

#[wasm_bindgen_test]
fn a_relative_service_url_is_resolved_against_the_page() {
    // The snapshot and redirects need an absolute URL.
    let conn = Connection::new("/http-bind", JsValue::UNDEFINED).unwrap();
    let origin = web_sys::window().unwrap().location().origin().unwrap();
    assert_eq!(conn.service(), format!("{origin}/http-bind"));
}

#[wasm_bindgen_test]
async fn connect_again_from_the_disconnected_callback() {
    // The Strophe.js reconnect pattern: connect() inside the callback that
    // reports DISCONNECTED. The new session's promise and requests must not
    // be settled or aborted by the old session's last events.
    let conn = Rc::new(Connection::new(bosh_url(), JsValue::UNDEFINED).unwrap());
    let slot: Rc<RefCell<Option<Promise>>> = Rc::new(RefCell::new(None));
    let (c2, s2) = (conn.clone(), slot.clone());
    let cb = Closure::<dyn FnMut(u8, JsValue)>::new(move |status: u8, _c: JsValue| {
        if status == Status::DISCONNECTED as u8 && s2.borrow().is_none() {
            let p = c2.connect("alice@localhost/again2", Some("alice-pass".into()), None);
            *s2.borrow_mut() = Some(p);
        }
    });
    JsFuture::from(conn.connect(
        "alice@localhost/again1",
        Some("alice-pass".into()),
        Some(cb.into_js_value().unchecked_into()),
    ))
    .await
    .expect("first login");
    JsFuture::from(conn.disconnect(None))
        .await
        .expect("disconnect resolves");
    let again = slot
        .borrow_mut()
        .take()
        .expect("the callback connected again");
    let status = JsFuture::from(again)
        .await
        .expect("the second login is not rejected by the first session's end");
    assert_eq!(status.as_f64(), Some(Status::CONNECTED as u8 as f64));
    assert_eq!(conn.jid().as_deref(), Some("alice@localhost/again2"));
    JsFuture::from(conn.disconnect(None)).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_second_iq_with_a_waiting_id_is_refused_and_bad_numbers_throw() {
    let conn = connected("alice@localhost/ids").await;
    let iq = "<iq type='get' to='localhost' id='same'><ping xmlns='urn:xmpp:ping'/></iq>";
    let first = conn.send_iq_async(JsValue::from_str(iq), Some(10_000.0));
    let second = JsFuture::from(conn.send_iq_async(JsValue::from_str(iq), Some(10_000.0)))
        .await
        .expect_err("the id is taken");
    assert_eq!(error_field(&second, "condition"), "conflict");
    let pong: web_sys::Element = JsFuture::from(first).await.unwrap().unchecked_into();
    assert_eq!(pong.get_attribute("type").as_deref(), Some("result"));
    // sendIQ takes an IQ, sendPresence a presence.
    assert!(conn
        .send_iq(JsValue::from_str("<presence/>"), None, None, None)
        .is_err());
    assert!(conn
        .send_presence(JsValue::from_str(iq), None, None, None)
        .is_err());
    // NaN, negative and fractional numbers are refused, not wrapped.
    let other = Connection::new(bosh_url(), JsValue::UNDEFINED).unwrap();
    for (wait, hold) in [(f64::NAN, 1.0), (60.0, -1.0), (60.5, 1.0), (1e12, 1.0)] {
        let err = JsFuture::from(other.attach(
            "a@b/c",
            "sid",
            JsValue::from(5.0),
            None,
            Some(wait),
            Some(hold),
            None,
        ))
        .await
        .expect_err("bad numbers");
        assert_eq!(error_field(&err, "condition"), "bad-options");
    }
    JsFuture::from(conn.disconnect(None)).await.unwrap();
}
