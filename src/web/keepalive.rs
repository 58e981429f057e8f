//! keepalive: the session snapshot in `sessionStorage`.
//!
//! After every drain the shell writes the core's snapshot (when it changed).
//! On `pagehide` the page writes it one last time marked `released`, and stops
//! writing: a reloaded page may then `restore()` it. A snapshot that is not
//! released belongs to a live page — the copy `sessionStorage` makes when a
//! tab is duplicated — and `restore()` refuses it, so two tabs never share
//! one BOSH session.
//!
//! A page shown again from the back-forward cache compares what storage
//! holds with what it wrote at `pagehide` ([`on_return`]): another page of
//! the tab may have restored the session and used it meanwhile.

use crate::connection::Snapshot;
use crate::json;
use wasm_bindgen::JsValue;

/// The `sessionStorage` key.
pub const KEY: &str = "xmpp-wasm:session";

/// What is stored: the snapshot's JSON object ([`Snapshot::to_json`]) with
/// one more member, `released`: written by `pagehide`, the page is gone and
/// another may take over (missing: `false`).
fn decode(text: &str) -> Option<(Snapshot, bool)> {
    let v = json::parse(text).ok()?;
    let released = match v.get("released") {
        None => false,
        Some(r) => r.as_bool()?,
    };
    Some((Snapshot::from_json_value(&v).ok()?, released))
}

/// Why a stored session cannot be restored (`SessionError.reason`).
pub enum Refusal {
    /// No `sessionStorage` (disabled, or not a window).
    NoStorage,
    /// Nothing stored.
    NoSession,
    /// Stored, but unreadable.
    BadSnapshot,
    /// Stored for another bare JID than the one asked for.
    JidMismatch,
    /// Still owned by a live page (a duplicated tab).
    InUse,
    /// The service is not BOSH.
    NotBosh,
}

impl Refusal {
    /// The reason string.
    pub fn reason(&self) -> &'static str {
        match self {
            Refusal::NoStorage => "no-storage",
            Refusal::NoSession => "no-session",
            Refusal::BadSnapshot => "bad-snapshot",
            Refusal::JidMismatch => "jid-mismatch",
            Refusal::InUse => "session-in-use",
            Refusal::NotBosh => "not-bosh",
        }
    }
}

/// `sessionStorage`, if the page has one.
pub fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// Writes `value` under [`KEY`].
pub fn write(value: &str) -> Result<(), JsValue> {
    storage()
        .ok_or_else(|| JsValue::from_str("no sessionStorage"))?
        .set_item(KEY, value)
}

/// Removes [`KEY`].
pub fn remove() -> Result<(), JsValue> {
    match storage() {
        Some(s) => s.remove_item(KEY),
        None => Ok(()),
    }
}

/// Reads the stored snapshot for `restore(jid)`.
pub fn read(jid: Option<&str>) -> Result<Snapshot, Refusal> {
    let s = storage().ok_or(Refusal::NoStorage)?;
    let text = s
        .get_item(KEY)
        .map_err(|_| Refusal::NoStorage)?
        .ok_or(Refusal::NoSession)?;
    let (stored, released) = decode(&text).ok_or(Refusal::BadSnapshot)?;
    if let Some(want) = jid {
        let want = crate::jid::get_bare_jid_from_jid(want);
        if crate::jid::get_bare_jid_from_jid(&stored.jid) != want {
            return Err(Refusal::JidMismatch);
        }
    }
    if !released {
        return Err(Refusal::InUse);
    }
    Ok(stored)
}

/// Serialises a snapshot for storage.
pub fn encode(snapshot: Snapshot, released: bool) -> String {
    let mut out = String::new();
    let mut o = json::Obj::new(&mut out);
    snapshot.write_json(&mut o);
    o.bool("released", released);
    o.end();
    out
}

/// The condition of the DISCONNECTED a page back from the back-forward cache
/// reports when the session is no longer its own: another page of the tab
/// holds it, ended it, or stored another session.
pub const SESSION_TAKEN: &str = "session-taken";

/// What a page shown again from the back-forward cache finds in storage.
pub enum Return {
    /// What it wrote at `pagehide` (or it wrote nothing, or there is no
    /// storage): the session is still its own, it takes it back.
    Unchanged,
    /// A released snapshot of the same session written by another page: it
    /// continues from that newer state.
    Adopt(Snapshot),
    /// The same session, claimed by a page that has not released it yet (the
    /// page being left may write its release after this page is shown).
    Claimed,
    /// Nothing, another session, or something unreadable: the session is
    /// not this page's any more.
    Taken,
}

/// Compares storage with `mine`, the text this page wrote at `pagehide`
/// (`None`: it wrote nothing, its session was not one to keep).
pub fn on_return(mine: Option<&str>) -> Return {
    let Some(mine) = mine else {
        return Return::Unchanged;
    };
    let Some((own, _)) = decode(mine) else {
        return Return::Unchanged;
    };
    let Some(s) = storage() else {
        return Return::Unchanged;
    };
    let text = match s.get_item(KEY) {
        Ok(Some(t)) => t,
        Ok(None) => return Return::Taken,
        Err(_) => return Return::Unchanged,
    };
    if text == mine {
        return Return::Unchanged;
    }
    let Some((stored, released)) = decode(&text) else {
        return Return::Taken;
    };
    if stored.v != own.v || stored.jid != own.jid || stored.session.sid != own.session.sid {
        return Return::Taken;
    }
    if !released {
        return Return::Claimed;
    }
    Return::Adopt(stored)
}
