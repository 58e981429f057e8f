// keepalive: the session snapshot in sessionStorage (`xmpp-wasm:session`).
//
// After every drain the connection writes the core's snapshot (when it changed). On `pagehide` the
// page writes it one last time marked `released`, and stops writing: a reloaded page may then
// `restore()` it. A snapshot that is not released belongs to a live page — the copy sessionStorage
// makes when a tab is duplicated — and `restore()` refuses it. What is stored is the core's JSON
// (`Snapshot::to_json` for BOSH, `WsSnapshot::to_json` for WebSocket: the stream management id and
// counters, the unacknowledged stanzas, the SCRAM keys — never the password) with one more member,
// `released`. Over WebSocket the inbound count `h` in it is written after every delivery.
import { util } from './wasm.js';

export const KEY = 'xmpp-wasm:session';

/** The condition of the DISCONNECTED of a page whose session another page took. */
export const SESSION_TAKEN = 'session-taken';

/** sessionStorage, if the page has one. */
export function storage() {
  try {
    return globalThis.sessionStorage ?? null;
  } catch {
    return null;
  }
}

/** Writes `text`; throws what the storage throws. */
export function write(text) {
  const s = storage();
  if (!s) throw new Error('no sessionStorage');
  s.setItem(KEY, text);
}

export function remove() {
  storage()?.removeItem(KEY);
}

/** The core's snapshot JSON with `released`. */
export const encode = (snapshot, released) => `${snapshot.slice(0, -1)},"released":${released}}`;

/** `[object, released]` of a stored text the core can read, or null. */
export function decode(text) {
  let v;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  const released = v?.released ?? false;
  if (typeof released !== 'boolean' || util(2, text) !== '1') return null;
  return [v, released];
}

/** The stored snapshot text for `restore(jid)`, or throws the refusal's reason (a string). */
export function read(jid, bare) {
  const s = storage();
  if (!s) throw 'no-storage';
  let text;
  try {
    text = s.getItem(KEY);
  } catch {
    throw 'no-storage';
  }
  if (text === null) throw 'no-session';
  const d = decode(text);
  if (!d) throw 'bad-snapshot';
  const [v, released] = d;
  if (jid !== undefined && bare(v.jid) !== bare(jid)) throw 'jid-mismatch';
  if (!released) throw 'session-in-use';
  return text;
}

/**
 * What a page shown again from the back-forward cache finds, compared with `mine` (what it wrote
 * at pagehide, or null): `['unchanged']`, `['adopt', text]` (a released snapshot of the same
 * session by another page), `['claimed']` (the same session, not released yet) or `['taken']`.
 */
export function onReturn(mine) {
  const own = mine === null ? null : decode(mine);
  const s = storage();
  if (!own || !s) return ['unchanged'];
  let text;
  try {
    text = s.getItem(KEY);
  } catch {
    return ['unchanged'];
  }
  if (text === null) return ['taken'];
  if (text === mine) return ['unchanged'];
  const d = decode(text);
  if (!d) return ['taken'];
  const [stored, released] = d;
  const [o] = own;
  // The same session: its BOSH sid or its stream management id (WebSocket).
  const id = (x) => x.session?.sid ?? x.sm?.id;
  if (stored.v !== o.v || stored.jid !== o.jid || id(stored) !== id(o)) return ['taken'];
  return released ? ['adopt', text] : ['claimed'];
}
