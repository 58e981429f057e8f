//! Snapshot restore from tampered JSON: the text up to the first NUL byte is
//! read as a stored snapshot and restored into a connection (which checks
//! it); the rest of the input drives the restored connection like the
//! `bosh_response` target. Nothing may panic or spin.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xmpp_wasm::bosh::{Config, Session};
use xmpp_wasm::connection::{Connection, Options, Snapshot};
use xmpp_wasm::rand::XorShift;
use xmpp_wasm_fuzz::{Driver, Input, SERVICE};

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let (json, rest) = data.split_at(split);
    let Ok(json) = std::str::from_utf8(json) else {
        return;
    };
    let Ok(snap) = Snapshot::from_json(json) else {
        return;
    };
    // The BOSH session on its own, as bosh::Session::restore is public too:
    // it checks every field itself (a tampered rid 0 once panicked later).
    if let Ok(mut s) = Session::restore(Config::new(SERVICE, "localhost"), &snap.session) {
        let mut n = 0;
        while s.poll_transmit(std::time::Duration::ZERO).is_some() {
            n += 1;
            assert!(n <= 256, "poll_transmit never drains");
        }
    }
    let mut conn = Connection::new(SERVICE, Options::default(), Box::new(XorShift::new(3)));
    if conn.restore(&snap).is_err() {
        return;
    }
    let mut driver = Driver::new(conn);
    driver.run(&mut Input(rest.get(1..).unwrap_or(&[])));
});
