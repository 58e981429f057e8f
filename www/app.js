// Demo page for xmpp-wasm: log in, watch the status changes and the raw BOSH traffic,
// send and receive chat messages. Plain ES module, no build step; the package is in ./pkg/.
import init, { Connection, Status } from './pkg/xmpp_wasm.js';

const $ = (id) => document.getElementById(id);

// Status numbers as in Strophe.js; names taken from the package's Status where it has them.
const STATUS_NAMES = [
  'ERROR', 'CONNECTING', 'CONNFAIL', 'AUTHENTICATING', 'AUTHFAIL', 'CONNECTED', 'DISCONNECTED',
  'DISCONNECTING', 'ATTACHED', 'REDIRECT', 'CONNTIMEOUT', 'BINDREQUIRED', 'ATTACHFAIL', 'RECONNECTING',
];
for (const [name, value] of Object.entries(Status ?? {})) {
  if (typeof value === 'number') STATUS_NAMES[value] = name;
}
const statusName = (n) => STATUS_NAMES[n] ?? `STATUS_${n}`;
const ST = Object.fromEntries(STATUS_NAMES.map((name, n) => [name, n]));

const BOSH_URL = new URLSearchParams(location.search).get('bosh') || '/http-bind';
const CONSOLE_MAX_ENTRIES = 300;

let conn = null;

function time() {
  return new Date().toISOString().slice(11, 23);
}

function logLine(text) {
  const li = document.createElement('li');
  li.textContent = `${time()} ${text}`;
  $('log').append(li);
}

function setStatus(name, condition) {
  $('status').textContent = name;
  $('status').dataset.status = name;
  logLine(`${name}${condition ? ` (${condition})` : ''}`);
}

function logConsole(direction, xml) {
  const entry = document.createElement('span');
  entry.className = `xml ${direction}`;
  entry.textContent = `${direction === 'in' ? '◀ IN ' : '▶ OUT'} ${time()}\n${xml}\n`;
  const pre = $('console');
  pre.append(entry);
  while (pre.childElementCount > CONSOLE_MAX_ENTRIES) pre.firstElementChild.remove();
  pre.scrollTop = pre.scrollHeight;
}

function showMessage(direction, peer, text) {
  const li = document.createElement('li');
  li.className = direction;
  const who = document.createElement('span');
  who.className = 'peer';
  who.textContent = `${time()} ${direction === 'in' ? 'from' : 'to'} ${peer}`;
  const body = document.createElement('span');
  body.className = 'text';
  body.textContent = text;
  li.append(who, body);
  $('messages').append(li);
}

function setConnected(connected) {
  $('login').disabled = connected;
  $('logout').disabled = !connected;
  $('send').disabled = !connected;
}

function escapeXml(s) {
  return s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]);
}

function onMessage(el) {
  const body = el.getElementsByTagName('body')[0];
  if (body) showMessage('in', el.getAttribute('from') || '(server)', body.textContent);
  return true; // keep the handler
}

async function login(event) {
  event.preventDefault();
  const jid = $('user').value.trim();
  const password = $('password').value;
  const mechanism = $('mechanism').value;
  setConnected(true);
  $('logout').disabled = true;
  $('jid').textContent = '';
  try {
    conn = new Connection(BOSH_URL, mechanism ? { mechanisms: [mechanism] } : undefined);
    conn.rawInput = (xml) => logConsole('in', xml);
    conn.rawOutput = (xml) => logConsole('out', xml);
    conn.addHandler(onMessage, null, 'message', null, null, null);
    await conn.connect(jid, password, (status, condition) => {
      const name = statusName(status);
      setStatus(name, condition);
      if (status === ST.CONNECTED) {
        $('jid').textContent = conn.jid;
      } else if ([ST.DISCONNECTED, ST.CONNFAIL, ST.AUTHFAIL, ST.CONNTIMEOUT, ST.ERROR].includes(status)) {
        setConnected(false);
      }
    });
    $('jid').textContent = conn.jid;
    $('logout').disabled = false;
    if (!$('to').value) $('to').value = conn.jid.split('/')[0];
    conn.send('<presence/>'); // become available, so messages to the bare JID reach us
  } catch (err) {
    // The status callback has already shown AUTHFAIL/CONNFAIL/...; here only log the rejection
    // (an Error with .status and .condition), unless no status was reported at all.
    logLine(`connect() rejected: ${err?.message ?? err}`);
    if (['READY', 'CONNECTING', 'AUTHENTICATING'].includes($('status').textContent)) {
      setStatus('FAILED', err?.condition);
    }
    setConnected(false);
    console.warn('connect() rejected', err?.status, err?.condition, err);
  }
}

async function logout() {
  if (!conn) return;
  $('logout').disabled = true;
  try {
    await conn.disconnect();
  } catch (err) {
    logLine(`disconnect() rejected: ${err?.message ?? err}`);
    console.warn('disconnect() rejected', err);
  }
  setConnected(false);
}

function send(event) {
  event.preventDefault();
  const to = $('to').value.trim();
  const text = $('body').value;
  if (!conn || !to || !text) return;
  conn.send(`<message to="${escapeXml(to)}" type="chat"><body>${escapeXml(text)}</body></message>`);
  showMessage('out', to, text);
}

$('login-form').addEventListener('submit', login);
$('logout').addEventListener('click', logout);
$('send-form').addEventListener('submit', send);
$('clear-console').addEventListener('click', () => { $('console').textContent = ''; });

try {
  await init();
  setStatus('READY');
  $('login').disabled = false;
} catch (err) {
  setStatus('FAILED', `could not load the wasm package: ${err?.message ?? err}`);
  console.error(err);
}
