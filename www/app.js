// Demo chat page for xmpp-wasm. Plain ES module, no framework, no build step; the package is
// served beside this file at ./pkg/ (wasm-pack build --target web).
//
// What it shows of the library:
//   * three ways in: connect(jid, password), connect(domain) (SASL ANONYMOUS) and
//     prebind(url) (a server-side service logs in and hands the BOSH session over);
//   * two transports: WebSocket (RFC 7395) or BOSH, or "auto": `new Connection({ domain })`, which
//     finds both in the server's XEP-0156 host-meta (scripts/demo-server.mjs publishes them) and
//     tries WebSocket first; the status bar shows the one in use (`conn.transport`);
//   * keepalive: the connection is created with {keepalive: true}, and on load the page first
//     calls restore(); a reload continues the session (ATTACHED) without logging in again, on
//     whichever transport it was on;
//   * sendIQAsync for the roster, handlers for messages, presence and roster pushes;
//   * rawInput/rawOutput for the XML console and for counting the login's HTTP requests.
import * as xmpp from './pkg/xmpp_wasm.js';

const { default: init, Connection, Status, Builder, getBareJidFromJid, getResourceFromJid } = xmpp;

// Strophe.js-style stanza builders. `new Builder(name, attrs)` is what $msg/$iq/$pres return
// (top-level stanzas get xmlns='jabber:client' when sent); use the package's own when exported.
const $msg = xmpp.$msg ?? ((attrs) => new Builder('message', attrs));
const $iq = xmpp.$iq ?? ((attrs) => new Builder('iq', attrs));
const $pres = xmpp.$pres ?? ((attrs) => new Builder('presence', attrs));

const NS_ROSTER = 'jabber:iq:roster';
const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const params = new URLSearchParams(location.search);
const BOSH_URL = params.get('bosh') || '/http-bind'; // ?bosh=URL: another BOSH service
// ?ws=URL: another WebSocket service (default: this origin's /xmpp-websocket, as make demo serves it)
const WS_URL = params.get('ws') || `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/xmpp-websocket`;
const TRANSPORT_KEY = 'xmpp-wasm-demo:transport'; // the transport chosen last (sessionStorage)
const STATE_KEY = 'xmpp-wasm-demo:state'; // this page's own view state, per tab (sessionStorage)
const TO_KEY = 'xmpp-wasm-demo:to'; // the To field, kept across reloads and logins (sessionStorage)
const CONSOLE_MAX_ENTRIES = 400;
const MESSAGES_KEPT = 200;

const $ = (id) => document.getElementById(id);

// Status numbers as in Strophe.js; the package's Status maps names to numbers.
const STATUS_NAMES = [];
for (const [name, value] of Object.entries(Status)) {
  if (typeof value === 'number') STATUS_NAMES[value] = name;
}
const statusName = (n) => STATUS_NAMES[n] ?? `STATUS_${n}`;
const LIVE = new Set([Status.CONNECTED, Status.ATTACHED]);
const FAILED = new Set([Status.CONNFAIL, Status.AUTHFAIL, Status.ATTACHFAIL, Status.CONNTIMEOUT, Status.ERROR]);

let conn = null;     // the current Connection
let requests = 0;    // rawOutput calls (HTTP requests) on the current connection
let live = false;    // CONNECTED or ATTACHED
let roster = new Map(); // bare JID -> {jid, name, subscription, ask}
let state = emptyState();

function emptyState() {
  // presence: bare JID -> {resource -> {show, status}}; unread: bare JID -> count
  return { jid: null, messages: [], presence: {}, unread: {}, requests: [], show: '' };
}

function loadState() {
  try {
    return { ...emptyState(), ...JSON.parse(sessionStorage.getItem(STATE_KEY) || 'null') };
  } catch {
    return emptyState();
  }
}

function saveState() {
  try {
    sessionStorage.setItem(STATE_KEY, JSON.stringify(state));
  } catch { /* private mode or full: the page still works, a reload just forgets the view */ }
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function clock(at = Date.now()) {
  return new Date(at).toTimeString().slice(0, 8);
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') node.className = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null) node[k] = v;
  }
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

function childText(stanza, name) {
  const child = [...stanza.children].find((c) => c.localName === name);
  return child ? child.textContent : null;
}

function stanzaErrorCondition(stanza) {
  const error = [...stanza.children].find((c) => c.localName === 'error');
  const cond = error && [...error.children].find((c) => c.namespaceURI === NS_STANZAS && c.localName !== 'text');
  return cond ? cond.localName : 'undefined-condition';
}

function myBareJid() {
  return conn?.jid ? getBareJidFromJid(conn.jid) : state.jid;
}

// A stable hue per JID for the avatars.
function hue(s) {
  let h = 0;
  for (const ch of s) h = (h * 31 + ch.codePointAt(0)) % 360;
  return h;
}

function avatar(jid) {
  const letter = (jid.match(/[\p{L}\p{N}]/u)?.[0] ?? '?').toUpperCase();
  return el('span', { class: 'avatar', textContent: letter, style: `--h:${hue(jid)}` });
}

// ---------------------------------------------------------------------------------------------
// Status line and status log

// The status log survives reloads (sessionStorage), so a restored page still shows the login.
const LOG_KEY = 'xmpp-wasm-demo:log';
const LOG_KEPT = 60;
let logLines = [];

function logItem({ at, text, kind }) {
  return el('li', { class: kind }, el('time', { textContent: clock(at) }), ` ${text}`);
}

function logLine(text, kind = '') {
  const line = { at: Date.now(), text, kind };
  logLines.push(line);
  if (logLines.length > LOG_KEPT) logLines.splice(0, logLines.length - LOG_KEPT);
  try { sessionStorage.setItem(LOG_KEY, JSON.stringify(logLines)); } catch { /* see saveState */ }
  const log = $('log');
  log.append(logItem(line));
  while (log.childElementCount > LOG_KEPT) log.firstElementChild.remove();
  log.scrollTop = log.scrollHeight;
}

function loadLog() {
  try { logLines = JSON.parse(sessionStorage.getItem(LOG_KEY) || '[]'); } catch { logLines = []; }
  $('log').replaceChildren(...logLines.map(logItem));
  if (logLines.length) logLine('— page loaded —', 'sep');
}

// The pill shows the page's state; the log below it lists every status the library reported.
// `pill` overrides the pill's text (e.g. PREBIND FAILED for an ATTACHFAIL that never reached
// the XMPP server); `null` leaves the pill as it is (only the log line is added).
function setStatus(name, condition, pill = name) {
  if (pill !== null) {
    $('status').textContent = pill;
    $('status').dataset.status = pill;
    $('statusbar').dataset.status = pill;
    $('status').title = condition ? `${name} (${condition})` : name;
  }
  logLine(`${name}${condition ? ` (${condition})` : ''}`, FAILED.has(Status[name]) ? 'bad' : '');
}

function showError(text) {
  $('login-error').textContent = text;
  $('login-error').hidden = !text;
}

function setBusy(busy) {
  $('login').disabled = busy;
  for (const input of $('login-form').querySelectorAll('input, select')) input.disabled = busy;
}

// How the session was obtained: how long, and how many HTTP requests (rawOutput calls) it took.
function showLoginStats(how, ms, count, extra = '') {
  $('login-how').textContent = how;
  $('login-time').textContent = `${ms.toFixed(1)} ms`;
  $('login-time').dataset.ms = ms.toFixed(1);
  const unit = transportOf(conn) === 'websocket' ? 'WebSocket frame' : 'HTTP request';
  $('login-requests').textContent = `${count} ${unit}${count === 1 ? '' : 's'}${extra}`;
  $('login-requests').dataset.count = String(count);
  $('login-stats').hidden = false;
}

function setLive(on) {
  live = on;
  $('account').hidden = on;
  $('roster').hidden = !on;
  $('logout').disabled = !on;
  $('logout').hidden = !on;
  for (const id of ['send', 'raw-send', 'add-contact-btn']) $(id).disabled = !on;
  $('jid').textContent = on ? conn.jid : '';
  $('transport').textContent = on ? transportOf(conn) : '';
  $('transport').dataset.transport = on ? transportOf(conn) : '';
  $('transport').hidden = !on;
  $('service').textContent = on ? conn.service : describeChoice();
  if (!on) {
    $('login-stats').hidden = true;
    setBusy(false);
  }
}

// ---------------------------------------------------------------------------------------------
// The connection

// The service for the transport chosen in the form: a WebSocket URL, a BOSH URL, or (auto) this
// origin's domain, for XEP-0156 discovery (WebSocket first, then BOSH).
function serviceFor(transport) {
  if (transport === 'websocket') return WS_URL;
  if (transport === 'bosh') return BOSH_URL;
  return { domain: location.host };
}

// The transport a connection uses: `conn.transport` where the package has it, else the scheme.
function transportOf(c) {
  return c.transport ?? (/^wss?:/.test(c.service) ? 'websocket' : 'bosh');
}

function newConnection(options = {}, service = serviceFor($('transport-choice').value)) {
  if (conn) {
    try { conn.free(); } catch { /* already gone */ }
  }
  const c = new Connection(service, { keepalive: true, ...options });
  requests = 0;
  c.rawInput = (xml) => logConsole('in', xml);
  c.rawOutput = (xml) => {
    requests++;
    logConsole('out', xml);
  };
  c.addHandler(onMessage, null, 'message', null, null, null);
  c.addHandler(onPresence, null, 'presence', null, null, null);
  c.addHandler(onRosterPush, NS_ROSTER, 'iq', 'set', null, null);
  conn = c;
  return c;
}

// The status callback shared by connect, prebind and restore. A failure (AUTHFAIL, CONNFAIL, …)
// is followed by DISCONNECTED: the pill keeps the failure, which says what happened; the log
// shows both.
let failure = null; // the failure status name of the current attempt, if any
function onStatus(status, condition) {
  const name = statusName(status);
  if (FAILED.has(status)) failure = name;
  else if (status !== Status.DISCONNECTED) failure = null;
  setStatus(name, condition, status === Status.DISCONNECTED && failure ? null : name);
  if (status === Status.DISCONNECTED) {
    if (live) logLine('session ended');
    setLive(false);
  }
}

// Once CONNECTED or ATTACHED. `fresh`: a new session (not a restored one), which starts with an
// empty view and announces its presence.
function onLive(fresh) {
  const bare = getBareJidFromJid(conn.jid);
  if (fresh || state.jid !== bare) {
    state = { ...emptyState(), jid: bare };
    renderMessages();
  }
  saveState();
  setLive(true);
  showError('');
  if (!$('to').value) {
    $('to').value = bare;
    saveTo();
  }
  renderRequests();
  fetchRoster();
  if (fresh) sendMyPresence();
}

async function loginWithPassword(jid, password, mechanism) {
  const c = newConnection(mechanism ? { mechanisms: [mechanism] } : {});
  const t0 = performance.now();
  await c.connect(jid, password, (status, condition) => {
    if (status === Status.CONNECTED) {
      showLoginStats(`${c.mechanism ?? 'SASL'} login`, performance.now() - t0, requests);
    }
    onStatus(status, condition);
  });
  onLive(true);
}

// PrebindError conditions: the service (not the XMPP server) failed.
const PREBIND_SERVICE_FAILED = new Set(['prebind-unreachable', 'prebind-failed', 'bad-format']);

async function loginWithPrebind(url) {
  const c = newConnection({}, BOSH_URL); // prebind hands over a BOSH session
  const t0 = performance.now();
  // {json: true}: the service answers {jid, sid, rid}. The page never sees a password.
  await c.prebind(url, (status, condition) => {
    if (status === Status.ATTACHED) {
      showLoginStats('prebind', performance.now() - t0, requests, ' + 1 to the prebind service');
      onStatus(status, condition);
      onLive(true); // the roster query and presence ride in the first request
      return;
    }
    if (status === Status.ATTACHFAIL && PREBIND_SERVICE_FAILED.has(condition)) {
      // The prebind service gave no session: nothing was attached, the XMPP server was never
      // asked. ATTACHFAIL would suggest a session that broke; the pill says what happened.
      failure = 'PREBIND FAILED';
      setStatus(statusName(status), condition, failure);
      return;
    }
    onStatus(status, condition);
  }, { json: true });
  logLine('the server answered the attached session');
}

// On load: continue the session a previous page of this tab kept (keepalive). restore() throws
// a SessionError at once when there is nothing to continue; the promise rejects (ATTACHFAIL)
// when the server no longer knows the session.
function tryRestore() {
  // The { domain } form: restore() continues on the service the stored session was on, WebSocket
  // or BOSH, whatever the form shows now.
  const c = newConnection({}, { domain: location.host });
  const t0 = performance.now();
  state = loadState();
  let promise;
  try {
    promise = c.restore(null, (status, condition) => {
      if (status === Status.ATTACHED) {
        showLoginStats('restored', performance.now() - t0, requests);
        onStatus(status, condition);
        renderMessages();
        onLive(false); // stanzas sent here ride in the first request
        return;
      }
      onStatus(status, condition);
    });
  } catch (err) {
    if (err?.name !== 'SessionError') throw err;
    // A fresh load (nothing stored) is the normal case and not worth a line; say why only when
    // a stored session was there but cannot be continued.
    if (err.reason !== 'no-session') logLine(`the stored session cannot be continued (${err.reason})`);
    return false;
  }
  promise.then(() => {
    const ms = performance.now() - t0;
    $('login-requests').textContent += ` · server confirmed in ${ms.toFixed(0)} ms`;
  }, (err) => {
    setLive(false);
    showError(`The stored session could not be continued (${err?.condition || err?.message}). Please log in again.`);
  });
  return true;
}

async function onLoginSubmit(event) {
  event.preventDefault();
  const mode = new FormData($('login-form')).get('mode') ?? 'password';
  showError('');
  setBusy(true);
  $('jid').textContent = '';
  try {
    if (mode === 'password') {
      await loginWithPassword($('user').value.trim(), $('password').value, $('mechanism').value);
    } else if (mode === 'anonymous') {
      // A bare domain as the JID, no password, and ANONYMOUS asked for (a bare
      // domain without it is refused as a likely mistake).
      await loginWithPassword($('anon-domain').value.trim(), null, 'ANONYMOUS');
    } else {
      await loginWithPrebind($('prebind-url').value.trim());
    }
  } catch (err) {
    // The status callback has shown AUTHFAIL/CONNFAIL/...; explain it in words here.
    console.warn('login failed', err?.name, err?.status, err?.condition, err);
    showError(explain(mode, err));
    if (!live) setBusy(false);
  }
}

function explain(mode, err) {
  const cond = err?.condition;
  if (mode === 'prebind') {
    const url = $('prebind-url').value.trim();
    const why = cond === 'prebind-unreachable'
      ? `nothing answered at ${url} (is the prebind example running? make demo starts it)`
      : `${err?.message ?? err}`;
    return `Prebind failed: ${why}.`;
  }
  if (cond === 'not-authorized') return 'Wrong JID or password (not-authorized).';
  if (cond === 'jid-malformed') return `That is not a valid JID: ${err?.message ?? ''}`;
  return `Login failed: ${err?.message ?? err}`;
}

async function logout() {
  if (!conn) return;
  $('logout').disabled = true;
  try {
    await conn.disconnect();
  } catch (err) {
    logLine(`disconnect() rejected: ${err?.message ?? err}`, 'bad');
  }
  state = emptyState();
  sessionStorage.removeItem(STATE_KEY);
  roster = new Map();
  renderRoster();
  renderRequests();
  setLive(false);
}

// ---------------------------------------------------------------------------------------------
// Roster and presence

async function fetchRoster() {
  $('roster-list').replaceChildren(el('li', { class: 'empty', textContent: 'Loading the roster…' }));
  try {
    const result = await conn.sendIQAsync($iq({ type: 'get' }).c('query', { xmlns: NS_ROSTER }), 15000);
    roster = new Map();
    for (const item of result.getElementsByTagNameNS(NS_ROSTER, 'item')) updateRosterItem(item);
    renderRoster();
  } catch (err) {
    $('roster-list').replaceChildren(el('li', { class: 'empty error', textContent: `Roster: ${err?.name ?? 'error'} ${err?.condition ?? err?.message ?? ''}` }));
  }
}

function updateRosterItem(item) {
  const jid = getBareJidFromJid(item.getAttribute('jid') || '');
  if (!jid) return;
  if (item.getAttribute('subscription') === 'remove') {
    roster.delete(jid);
    return;
  }
  roster.set(jid, {
    jid,
    name: item.getAttribute('name') || '',
    subscription: item.getAttribute('subscription') || 'none',
    ask: item.getAttribute('ask') || '',
  });
}

// Roster push (RFC 6121 §2.1.6): from our own server only; always acknowledged.
function onRosterPush(iq) {
  const from = iq.getAttribute('from');
  if (from && from !== myBareJid()) return true;
  for (const item of iq.getElementsByTagNameNS(NS_ROSTER, 'item')) updateRosterItem(item);
  conn.send($iq({ type: 'result', id: iq.getAttribute('id') }));
  renderRoster();
  return true;
}

function onPresence(pres) {
  const from = pres.getAttribute('from');
  if (!from) return true;
  const bare = getBareJidFromJid(from);
  const resource = getResourceFromJid(from) ?? '';
  const type = pres.getAttribute('type') || 'available';
  const resources = (state.presence[bare] ??= {});
  switch (type) {
    case 'available':
      resources[resource] = { show: childText(pres, 'show') || 'available', status: childText(pres, 'status') || '' };
      break;
    case 'unavailable':
      delete resources[resource];
      break;
    case 'subscribe':
      if (!state.requests.includes(bare)) state.requests.push(bare);
      logLine(`${bare} asks to see your presence`);
      renderRequests();
      break;
    case 'subscribed':
      logLine(`${bare} accepted your presence subscription`);
      break;
    case 'unsubscribed':
      logLine(`${bare} declined or cancelled your subscription`);
      break;
    case 'error':
      logLine(`presence error from ${from}: ${stanzaErrorCondition(pres)}`, 'bad');
      break;
    default:
      break;
  }
  saveState();
  renderRoster();
  return true;
}

const SHOW_ORDER = ['chat', 'available', 'away', 'xa', 'dnd'];
const SHOW_LABEL = { chat: 'free for chat', available: 'online', away: 'away', xa: 'extended away', dnd: 'do not disturb' };

// The most available resource's presence, or null when offline.
function bestPresence(bare) {
  const list = Object.values(state.presence[bare] ?? {});
  if (!list.length) return null;
  return list.sort((a, b) => SHOW_ORDER.indexOf(a.show) - SHOW_ORDER.indexOf(b.show))[0];
}

function renderRoster() {
  const list = $('roster-list');
  const items = [...roster.values()].sort((a, b) => {
    const oa = bestPresence(a.jid) ? 0 : 1, ob = bestPresence(b.jid) ? 0 : 1;
    return oa - ob || (a.name || a.jid).localeCompare(b.name || b.jid);
  });
  if (!items.length) {
    const other = myBareJid() === 'bob@localhost' ? 'alice@localhost' : 'bob@localhost';
    list.replaceChildren(el('li', { class: 'empty', textContent: `No contacts yet. Add one below (try ${other}).` }));
    return;
  }
  const selected = getBareJidFromJid($('to').value.trim());
  list.replaceChildren(...items.map((item) => {
    const p = bestPresence(item.jid);
    const show = p ? p.show : 'offline';
    const pending = item.ask === 'subscribe' ? 'request sent' : (item.subscription === 'none' || item.subscription === 'from') ? 'presence not shared' : '';
    const unread = state.unread[item.jid] || 0;
    return el('li', {
      class: `contact ${show}${item.jid === selected ? ' selected' : ''}`,
      dataset: { jid: item.jid, show },
      title: `${item.jid} · subscription: ${item.subscription}${item.ask ? ` (ask: ${item.ask})` : ''}`,
      onclick: () => selectContact(item.jid),
    },
    avatar(item.jid),
    el('span', { class: 'who' },
      el('span', { class: 'name', textContent: item.name || item.jid }),
      el('span', { class: 'presence', textContent: [p ? SHOW_LABEL[show] ?? show : 'offline', p?.status, pending].filter(Boolean).join(' · ') })),
    unread ? el('span', { class: 'badge', textContent: String(unread) }) : null,
    el('button', {
      class: 'remove', type: 'button', textContent: '×', title: `remove ${item.jid}`,
      onclick: (e) => { e.stopPropagation(); removeContact(item.jid); },
    }));
  }));
}

function renderRequests() {
  $('requests').replaceChildren(...state.requests.map((jid) => el('li', { class: 'request' },
    el('span', { textContent: `${jid} wants to see your presence` }),
    el('button', { type: 'button', class: 'small', textContent: 'Accept', onclick: () => answerRequest(jid, true) }),
    el('button', { type: 'button', class: 'small ghost', textContent: 'Decline', onclick: () => answerRequest(jid, false) }))));
}

function answerRequest(jid, accept) {
  conn.send($pres({ to: jid, type: accept ? 'subscribed' : 'unsubscribed' }));
  const item = roster.get(jid);
  if (accept && (!item || (item.subscription !== 'to' && item.subscription !== 'both' && !item.ask))) {
    conn.send($pres({ to: jid, type: 'subscribe' })); // and ask for theirs
  }
  state.requests = state.requests.filter((j) => j !== jid);
  saveState();
  renderRequests();
}

function saveTo() {
  try { sessionStorage.setItem(TO_KEY, $('to').value); } catch { /* see saveState */ }
}

function selectContact(jid) {
  $('to').value = jid;
  saveTo();
  delete state.unread[jid];
  saveState();
  renderRoster();
  $('body').focus();
}

async function addContact(event) {
  event.preventDefault();
  const jid = getBareJidFromJid($('contact-jid').value.trim());
  if (!conn || !jid) return;
  $('add-contact-btn').disabled = true;
  try {
    // RFC 6121: a roster set (the server pushes the new item back), then a subscription request.
    await conn.sendIQAsync($iq({ type: 'set' }).c('query', { xmlns: NS_ROSTER }).c('item', { jid }), 15000);
    conn.send($pres({ to: jid, type: 'subscribe' }));
    $('contact-jid').value = '';
    logLine(`added ${jid}; presence subscription requested`);
  } catch (err) {
    logLine(`could not add ${jid}: ${err?.condition ?? err?.message ?? err}`, 'bad');
  } finally {
    $('add-contact-btn').disabled = !live;
  }
}

async function removeContact(jid) {
  try {
    await conn.sendIQAsync($iq({ type: 'set' }).c('query', { xmlns: NS_ROSTER }).c('item', { jid, subscription: 'remove' }), 15000);
    logLine(`removed ${jid}`);
  } catch (err) {
    logLine(`could not remove ${jid}: ${err?.condition ?? err?.message ?? err}`, 'bad');
  }
}

function sendMyPresence() {
  const show = $('my-show').value;
  state.show = show;
  saveState();
  let p = $pres();
  if (show) p = p.c('show', null, show);
  conn.send(p);
}

// ---------------------------------------------------------------------------------------------
// Messages

function onMessage(message) {
  const from = message.getAttribute('from') || myBareJid()?.split('@').pop() || 'server';
  const type = message.getAttribute('type') || 'normal';
  const body = childText(message, 'body');
  if (type === 'error') {
    addMessage({ dir: 'error', peer: from, text: `not delivered: ${stanzaErrorCondition(message)}${body ? ` — “${body}”` : ''}` });
  } else if (body !== null) {
    addMessage({ dir: 'in', peer: from, text: body });
    const bare = getBareJidFromJid(from);
    if (bare !== getBareJidFromJid($('to').value.trim()) && roster.has(bare)) {
      state.unread[bare] = (state.unread[bare] || 0) + 1;
      saveState();
      renderRoster();
    }
  }
  return true; // keep the handler
}

function addMessage(m) {
  m.at ??= Date.now();
  state.messages.push(m);
  if (state.messages.length > MESSAGES_KEPT) state.messages.splice(0, state.messages.length - MESSAGES_KEPT);
  saveState();
  const list = $('messages');
  list.querySelector('.empty')?.remove();
  list.append(messageItem(m));
  list.scrollTop = list.scrollHeight;
}

function messageItem(m) {
  const label = m.dir === 'out' ? `to ${m.peer}` : m.dir === 'in' ? m.peer : `from ${m.peer}`;
  return el('li', { class: m.dir },
    avatar(m.dir === 'out' ? (myBareJid() ?? m.peer) : getBareJidFromJid(m.peer)),
    el('div', { class: 'bubble' },
      el('span', { class: 'peer', textContent: `${label} · ${clock(m.at)}` }),
      el('span', { class: 'text', textContent: m.text })));
}

function renderMessages() {
  const list = $('messages');
  if (!state.messages.length) {
    list.replaceChildren(el('li', { class: 'empty', textContent: 'No messages yet. Pick a contact or type a JID below; you can also message yourself.' }));
    return;
  }
  list.replaceChildren(...state.messages.map(messageItem));
  list.scrollTop = list.scrollHeight;
}

function sendMessage(event) {
  event.preventDefault();
  const to = $('to').value.trim();
  const text = $('body').value;
  if (!conn || !live || !to || !text) return;
  try {
    conn.send($msg({ to, type: 'chat' }).c('body', null, text));
  } catch (err) {
    logLine(`not sent: ${err?.message ?? err}`, 'bad');
    return;
  }
  addMessage({ dir: 'out', peer: to, text });
  $('body').value = '';
  $('body').focus();
}

// ---------------------------------------------------------------------------------------------
// XML console

function indentXml(xml) {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  if (doc.getElementsByTagName('parsererror').length) return xml;
  const out = [];
  const attrs = (node) => [...node.attributes].map((a) => ` ${a.name}='${a.value.replace(/&/g, '&amp;').replace(/'/g, '&apos;').replace(/</g, '&lt;')}'`).join('');
  const escape = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const walk = (node, depth) => {
    const pad = '  '.repeat(depth);
    const kids = [...node.childNodes].filter((c) => c.nodeType === 1 || (c.nodeType === 3 && c.data.trim()));
    if (!kids.length) out.push(`${pad}<${node.nodeName}${attrs(node)}/>`);
    else if (kids.every((c) => c.nodeType === 3)) out.push(`${pad}<${node.nodeName}${attrs(node)}>${escape(node.textContent)}</${node.nodeName}>`);
    else {
      out.push(`${pad}<${node.nodeName}${attrs(node)}>`);
      for (const c of kids) {
        if (c.nodeType === 1) walk(c, depth + 1);
        else out.push(`${pad}  ${escape(c.data.trim())}`);
      }
      out.push(`${pad}</${node.nodeName}>`);
    }
  };
  walk(doc.documentElement, 0);
  return out.join('\n');
}

function logConsole(direction, xml) {
  // An empty <body/> (a long poll or its empty answer), not one carrying type='terminate'.
  const empty = /^<body\b[^>]*\/>$/.test(xml.trim()) && !/\stype=/.test(xml);
  const entry = el('div', { class: `xml ${direction}${empty ? ' empty-body' : ''}` },
    el('span', { class: 'head', textContent: `${direction === 'in' ? '◀ in ' : '▶ out'} ${clock()}` }),
    el('span', { class: 'raw', textContent: xml }),
    el('span', { class: 'pretty', textContent: indentXml(xml) }));
  const pre = $('console');
  const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 8;
  pre.append(entry);
  while (pre.childElementCount > CONSOLE_MAX_ENTRIES) pre.firstElementChild.remove();
  if (atBottom) pre.scrollTop = pre.scrollHeight;
}

function sendRaw(event) {
  event.preventDefault();
  const xml = $('raw-xml').value.trim();
  if (!conn || !live || !xml) return;
  try {
    conn.send(xml); // exactly one well-formed element, or it throws and nothing is sent
    $('raw-xml').value = '';
  } catch (err) {
    logLine(`raw XML not sent: ${err?.message ?? err}`, 'bad');
  }
}

// ---------------------------------------------------------------------------------------------
// Wiring

function syncMode() {
  const mode = new FormData($('login-form')).get('mode') ?? 'password';
  $('login-form').dataset.mode = mode;
  try { sessionStorage.setItem(TRANSPORT_KEY, $('transport-choice').value); } catch { /* see saveState */ }
  if (!live) $('service').textContent = describeChoice();
  $('login').textContent = { password: 'Log in', anonymous: 'Log in anonymously', prebind: 'Attach via prebind' }[mode];
}

// The footer's words for the transport chosen (before a login shows the service in use).
function describeChoice() {
  const t = $('transport-choice').value;
  if (t === 'websocket') return new URL(WS_URL, location.href).href;
  if (t === 'bosh') return new URL(BOSH_URL, location.href).href;
  return `discovered from ${location.origin}/.well-known/host-meta (WebSocket, then BOSH)`;
}

function syncConsoleOptions() {
  $('console').classList.toggle('hide-empty', $('hide-empty').checked);
  $('console').classList.toggle('indent', $('pretty').checked);
}

$('login-form').addEventListener('submit', onLoginSubmit);
$('login-form').addEventListener('change', syncMode);
$('logout').addEventListener('click', logout);
$('send-form').addEventListener('submit', sendMessage);
$('add-contact').addEventListener('submit', addContact);
$('raw-form').addEventListener('submit', sendRaw);
$('my-show').addEventListener('change', () => { if (live) sendMyPresence(); });
$('to').addEventListener('change', renderRoster);
$('to').addEventListener('input', saveTo);
$('hide-empty').addEventListener('change', syncConsoleOptions);
$('pretty').addEventListener('change', syncConsoleOptions);
$('clear-console').addEventListener('click', () => $('console').replaceChildren());
try {
  const t = sessionStorage.getItem(TRANSPORT_KEY) ?? params.get('transport'); // ?transport=websocket|bosh|auto
  if (['websocket', 'bosh', 'auto'].includes(t)) $('transport-choice').value = t;
} catch { /* see saveState */ }
if (params.get('prebind')) $('prebind-url').value = params.get('prebind'); // ?prebind=URL
syncMode();
syncConsoleOptions();
loadLog();
try { $('to').value = sessionStorage.getItem(TO_KEY) ?? ''; } catch { /* see saveState */ }

try {
  await init();
  setStatus('READY');
  if (!tryRestore()) {
    state = emptyState();
    sessionStorage.removeItem(STATE_KEY);
    setLive(false);
  }
  $('my-show').value = state.show || '';
} catch (err) {
  setStatus('FAILED', `could not load the wasm package: ${err?.message ?? err}`);
  showError(`Could not start: ${err?.message ?? err}`);
  console.error(err);
}
window.xmppDemo = { get conn() { return conn; } }; // for the console and the tests
