//! The BOSH response path: a connection logging in (PLAIN, ANONYMOUS or
//! SCRAM-SHA-1, chosen by the first byte) is driven by a sequence of
//! operations chosen by the input: responses (the fuzzer's own bytes, canned
//! server answers, the answer to the last IQ) with any HTTP status, transport
//! errors, timeouts, sends, pause/resume, disconnects and reloads through a
//! JSON snapshot. Nothing may panic or spin; every drain must end.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xmpp_wasm_fuzz::{Driver, Input};

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let mut driver = Driver::connecting(input.byte());
    driver.run(&mut input);
});
