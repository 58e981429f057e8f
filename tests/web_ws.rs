//! The web driver (`src/web/driver.rs`) over WebSocket against the scripted
//! server, as the JavaScript layer drives it: outputs as JSON arrays, socket
//! events as inputs −5/−6/−7. Login, a dropped socket resumed, a failed
//! resumption reaching JavaScript as output 7, the keepalive snapshot (no
//! password) restored by a new driver, and a service list falling back.

mod ws_server;

use serde_json::{json, Value};
use ws_server::*;
use xmpp_wasm::rand::XorShift;
use xmpp_wasm::web::driver::{get, input, op, Driver};

/// A driver and the scripted server, run as `js/connection.js` runs them.
struct Shell {
    d: Driver,
    server: WsServer,
    /// Every output that is not a socket action.
    out: Vec<Value>,
    /// Whether the driver's socket is open.
    open: bool,
}

impl Shell {
    fn new(service: &str, options: &str) -> Shell {
        Shell {
            d: Driver::new(service, options, Box::new(XorShift::new(9))).unwrap(),
            server: WsServer::default(),
            out: Vec::new(),
            open: false,
        }
    }

    /// Drains, feeds the server's frames back, until nothing moves.
    fn run(&mut self) {
        for _ in 0..10_000 {
            let mut moved = false;
            loop {
                let o = self.d.poll(0.0, true);
                if o.is_empty() {
                    break;
                }
                let v: Value = serde_json::from_str(&o).unwrap();
                if v[0] != 6 {
                    self.out.push(v);
                    continue;
                }
                moved = true;
                match v[1].as_u64().unwrap() {
                    0 => {
                        let ok = self.server.open_socket(v[2].as_str().unwrap());
                        self.open = ok;
                        let code = if ok { input::WS_OPEN } else { input::WS_CLOSED };
                        self.d.input(0.0, 0.0, code, "");
                    }
                    1 => {
                        if self.open {
                            self.server.handle(v[2].as_str().unwrap());
                        }
                    }
                    _ => {
                        self.open = false;
                        self.server.socket_gone();
                    }
                }
            }
            for f in std::mem::take(&mut self.server.outbox) {
                moved = true;
                self.d.input(0.0, 0.0, input::WS_FRAME, &f);
            }
            if self.server.closed && self.open {
                self.open = false;
                self.server.socket_gone();
                self.d.input(0.0, 0.0, input::WS_CLOSED, "");
                moved = true;
            }
            if !moved {
                return;
            }
        }
        panic!("did not settle");
    }

    fn statuses(&self) -> Vec<u64> {
        self.out
            .iter()
            .filter(|v| v[0] == 0)
            .map(|v| v[1].as_u64().unwrap())
            .collect()
    }

    fn cmd(&mut self, op: u32, a: &str, b: &str, n: f64) -> String {
        let r = self.d.command(0.0, op, a, b, n);
        self.run();
        r
    }
}

const CONNECTED: u64 = 5;
const ATTACHED: u64 = 8;

fn connected(options: &str) -> Shell {
    let mut s = Shell::new(URL, options);
    assert_eq!(s.cmd(op::CONNECT, "alice@example.com", "secret", 1.0), "");
    assert_eq!(s.statuses().last(), Some(&CONNECTED), "{:?}", s.out);
    assert_eq!(s.d.get(0.0, get::TRANSPORT), "websocket");
    s
}

#[test]
fn a_failed_resumption_reaches_javascript_with_the_stanzas_that_may_be_lost() {
    let mut s = connected("{\"mechanisms\":[\"SCRAM-SHA-1\"]}");
    s.cmd(
        op::SEND,
        "<message to='bob@example.com' id='m1'><body>x</body></message>",
        "",
        0.0,
    );
    // The socket drops and the server forgot the session.
    s.server.socket_gone();
    s.server.sm_sessions.clear();
    s.open = false;
    s.d.input(0.0, 0.0, input::WS_CLOSED, "");
    s.run();
    let lost: Vec<&Value> = s.out.iter().filter(|v| v[0] == 7).collect();
    assert_eq!(lost.len(), 1, "{:?}", s.out);
    assert_eq!(lost[0][1], "item-not-found");
    let stanzas = lost[0][2].as_array().unwrap();
    assert_eq!(stanzas.len(), 1);
    assert_eq!(stanzas[0][0], "message");
    assert!(
        stanzas[0][1].as_array().unwrap().contains(&json!("m1")),
        "{:?}",
        stanzas[0]
    );
    assert_eq!(s.statuses().last(), Some(&CONNECTED), "{:?}", s.statuses());
}

#[test]
fn a_dropped_socket_resumes_and_the_snapshot_restores_without_the_password() {
    let mut s = connected("{\"mechanisms\":[\"SCRAM-SHA-1\"],\"keepalive\":true}");
    let snap = s.d.get(0.0, get::SNAPSHOT);
    assert!(snap.contains("\"transport\":\"websocket\""), "{snap}");
    assert!(snap.contains("\"clientKey\""), "{snap}");
    assert!(!snap.contains("secret"), "the password is stored: {snap}");
    // A dropped socket: RECONNECTING, a new socket, ATTACHED("resumed").
    s.server.socket_gone();
    s.open = false;
    s.d.input(0.0, 0.0, input::WS_CLOSED, "");
    s.run();
    assert_eq!(s.server.sockets, 2);
    assert!(
        s.out.contains(&json!([0, ATTACHED, "resumed"])),
        "{:?}",
        s.out
    );
    // A "reloaded page": a new driver on the same server restores the
    // snapshot written after the resumption.
    let snap = s.d.get(0.0, get::SNAPSHOT);
    let server = std::mem::take(&mut s.server);
    let mut r = Shell::new(URL, "{\"keepalive\":true}");
    r.server = server;
    r.server.socket_gone();
    assert_eq!(r.cmd(op::RESTORE, &snap, "", 0.0), "");
    assert_eq!(r.statuses(), [ATTACHED], "{:?}", r.out);
    assert_eq!(r.d.get(0.0, get::ATTACHING), "0", "resumed");
    assert_eq!(r.d.get(0.0, get::JID), s.d.get(0.0, get::JID));
}

#[test]
fn a_list_falls_back_past_a_refusing_websocket() {
    let mut s = Shell::new(&format!("{URL}\nhttps://example.com/http-bind"), "{}");
    s.server.refuse = true;
    s.d.command(0.0, op::CONNECT, "alice@example.com", "secret", 1.0);
    s.run();
    // CONNECTING twice, nothing failed; the next output is a BOSH request.
    assert_eq!(s.statuses(), [1, 1], "{:?}", s.out);
    let req = s.out.iter().find(|v| v[0] == 5).expect("a BOSH request");
    assert_eq!(req[3], "https://example.com/http-bind");
    assert_eq!(s.d.get(0.0, get::TRANSPORT), "bosh");
}
