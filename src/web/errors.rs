//! The error classes of the JavaScript API, so that `instanceof` works:
//! `err instanceof ConnectionError`, and each is also an `instanceof Error`
//! with a `stack`.
//!
//! Each class is an exported, empty wasm-bindgen struct (so the package
//! exports it in every build target, without a JavaScript snippet); its
//! prototype is re-parented to `Error.prototype` the first time an error of
//! that kind is made, and the errors are ordinary `Error` objects whose
//! prototype is the class's. Their TypeScript declarations (`class … extends
//! Error`) are in the custom section of `mod.rs`.

use js_sys::Object;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

/// Rejection of connect/attach/restore/bind (see the `.d.ts`).
#[wasm_bindgen(skip_typescript)]
pub struct ConnectionError {}

/// Thrown by `restore()` when there is no session this page may continue.
#[wasm_bindgen(skip_typescript)]
pub struct SessionError {}

/// Rejection of sendIQAsync/sendPresenceAsync for an error answer.
#[wasm_bindgen(skip_typescript)]
pub struct StanzaError {}

/// Rejection of prebind.
#[wasm_bindgen(skip_typescript)]
pub struct PrebindError {}

/// Rejection of sendIQAsync/sendPresenceAsync when no answer came in time.
#[wasm_bindgen(skip_typescript)]
pub struct TimeoutError {}

/// Rejection of sendIQAsync/sendPresenceAsync when the session ended first.
#[wasm_bindgen(skip_typescript)]
pub struct DisconnectedError {}

/// The kinds of error, with the names of their classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `ConnectionError`
    Connection,
    /// `SessionError`
    Session,
    /// `StanzaError`
    Stanza,
    /// `PrebindError`
    Prebind,
    /// `TimeoutError`
    Timeout,
    /// `DisconnectedError`
    Disconnected,
}

const NAMES: [&str; 6] = [
    "ConnectionError",
    "SessionError",
    "StanzaError",
    "PrebindError",
    "TimeoutError",
    "DisconnectedError",
];

thread_local! {
    static PROTOTYPES: RefCell<[Option<Object>; 6]> = const { RefCell::new([const { None }; 6]) };
}

fn prototype(kind: Kind) -> Object {
    PROTOTYPES.with(|p| {
        p.borrow_mut()[kind as usize]
            .get_or_insert_with(|| {
                let instance: JsValue = match kind {
                    Kind::Connection => ConnectionError {}.into(),
                    Kind::Session => SessionError {}.into(),
                    Kind::Stanza => StanzaError {}.into(),
                    Kind::Prebind => PrebindError {}.into(),
                    Kind::Timeout => TimeoutError {}.into(),
                    Kind::Disconnected => DisconnectedError {}.into(),
                };
                let proto = Object::get_prototype_of(&instance);
                let error_proto = Object::get_prototype_of(&js_sys::Error::new(""));
                Object::set_prototype_of(&proto, &error_proto);
                proto
            })
            .clone()
    })
}

/// An error of `kind` (`instanceof` its class and `Error`), with its `name`,
/// `message` and `condition`.
pub fn make(kind: Kind, message: &str, condition: &str) -> JsValue {
    let e = js_sys::Error::new(message);
    e.set_name(NAMES[kind as usize]);
    Object::set_prototype_of(&e, &prototype(kind));
    let _ = js_sys::Reflect::set(&e, &"condition".into(), &condition.into());
    e.into()
}
