//! xmpp-wasm: a browser-side XMPP client over BOSH (XEP-0124/XEP-0206) or
//! WebSocket (RFC 7395).
//!
//! The crate is split in two:
//!
//! * a **sans-IO core** ([`xml`], [`jid`], [`ns`], [`sasl`], [`bosh`],
//!   [`websocket`], [`sm`], [`transport`], [`connection`])
//!   that never touches the network, a clock or global randomness. Time is passed in as a [`core::time::Duration`] since an origin
//!   the caller picks; randomness comes from an injected [`rand::RandomSource`].
//!   It compiles and is tested natively with `cargo test`.
//! * a narrow **web boundary** ([`web`]): a driver that takes and gives strings
//!   and numbers, exported to JavaScript with wasm-bindgen (wasm32 only). The
//!   hand-written JavaScript of `js/` does the HTTP requests, timers, storage
//!   and DOM, and owns the Strophe-shaped `Connection` API.
//!
//! Invariants (see ARCHITECTURE.md): after every command or input given to the
//! core, its outputs are drained with the `poll_*` methods until empty; a
//! malformed server response is an error value, never a panic.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod b64;
pub mod bosh;
pub mod connection;
pub mod jid;
pub mod json;
pub mod ns;
pub mod rand;
pub mod sasl;
pub mod sm;
pub mod transport;
pub mod websocket;
pub mod xml;

pub mod web;
