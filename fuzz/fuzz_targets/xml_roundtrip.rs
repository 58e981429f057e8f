//! The XML parser: any input parses or fails cleanly (no panic, linear time),
//! and what parses survives the round trip `parse(write(e)) == e`; with the
//! namespace copies of `parse`, each child of the root stands on its own.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xmpp_wasm::xml::{parse, parse_standalone};

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(e) = parse_standalone(input) {
        let xml = e.to_xml();
        assert_eq!(parse_standalone(&xml).as_ref(), Ok(&e), "{xml}");
    }
    if let Ok(e) = parse(input) {
        let xml = e.to_xml();
        assert_eq!(parse(&xml).as_ref(), Ok(&e), "{xml}");
        for child in e.elements() {
            let alone = child.to_xml();
            assert_eq!(parse_standalone(&alone).as_ref(), Ok(child), "{alone}");
        }
    }
});
