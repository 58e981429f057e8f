//! SASL challenges for every mechanism (SCRAM-SHA-1/256/512, PLAIN,
//! ANONYMOUS, EXTERNAL, OAUTHBEARER): the initial response, then challenges
//! and success data from the input, in any order. A mechanism answers or
//! reports a `SaslError`, never panics. The SCRAM client nonce is fixed so
//! that server-first messages in the corpus can extend it; the iteration
//! limit is lowered to 10,000 so that the allowed PBKDF2 cost stays far from
//! the 1 s timeout under the sanitizer (the limit itself is tested natively).
#![no_main]

use libfuzzer_sys::fuzz_target;
use xmpp_wasm::sasl::{select_with_limit, Credentials};
use xmpp_wasm_fuzz::Input;

const MECHANISMS: &[&str] = &[
    "SCRAM-SHA-1",
    "SCRAM-SHA-256",
    "SCRAM-SHA-512",
    "PLAIN",
    "ANONYMOUS",
    "EXTERNAL",
    "OAUTHBEARER",
];

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let name = MECHANISMS[usize::from(input.byte()) % MECHANISMS.len()];
    let flags = input.byte();
    let creds = Credentials {
        username: (name != "ANONYMOUS").then(|| "user".to_string()),
        password: Some("pencil".to_string()),
        authzid: (flags & 1 == 1).then(|| "admin@example.com".to_string()),
        domain: "example.com".to_string(),
        oauth_token: Some("vF9dft4qmT".to_string()),
    };
    let mut nonce = || "fyko+d2lbbFgONRv9qkxdawL".to_string();
    let mut mech = select_with_limit(&[name.to_string()], &[name], &creds, 10_000, &mut nonce)
        .expect("every mechanism is usable with these credentials");
    assert_eq!(mech.name(), name);
    if flags & 2 == 0 {
        let _ = mech.initial_response();
    }
    while !input.is_empty() {
        let op = input.byte();
        let bytes = input.bytes();
        match op % 4 {
            0 | 1 => {
                let _ = mech.respond(bytes);
            }
            2 => {
                let _ = mech.success(bytes);
            }
            _ => {
                let _ = mech.initial_response();
            }
        }
    }
});
