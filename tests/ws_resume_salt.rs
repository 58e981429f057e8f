//! A WebSocket stream resumed where the server's SCRAM salt is not the one of
//! the login: another node behind the same URL (nodes of one domain whose
//! accounts were created apart), or an account re-hashed meanwhile. The keys
//! of the login cannot prove anything under another salt; with the password
//! in memory the client derives new keys from it instead of failing the
//! resumption with AUTHFAIL (tests/js/nginx.test.mjs met it behind nginx).

mod ws_server;

use ws_server::*;
use xmpp_wasm::connection::Status;

#[test]
fn a_resumption_under_another_salt_logs_in_with_the_password_in_memory() {
    let mut h = WsHarness::new(WsServer::default(), options_with(&["SCRAM-SHA-1"]));
    h.connect();
    h.send_message("m1");
    h.run();
    // The socket drops; the next one reaches a server with another salt.
    h.server.salt = b"the other node's salt".to_vec();
    h.server.socket_gone();
    h.drop_socket();
    h.run();
    let st = h.statuses();
    assert!(!st.iter().any(|(s, _)| *s == Status::AuthFail), "{st:?}");
    assert_eq!(
        st.last(),
        Some(&(Status::Attached, Some("resumed".into()))),
        "{st:?}"
    );
    assert_eq!(h.server.sockets, 2);
    assert_eq!(h.server.received_ids(), ["m1"]);
}
