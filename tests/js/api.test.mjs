// The public API against the local Prosody, in a real browser: the built package (pkg/, --target
// web) in Debian's headless Chromium (playwright-core) or, with `--firefox`, firefox-esr over
// WebDriver (geckodriver). These are the tests that were tests/web.rs (wasm-pack test of the Rust
// shell API) before the shell became the JavaScript layer of js/: each keeps what it proved.
//
//   HTTP_ORIGIN=http://127.0.0.1:PORT node tests/js/api.test.mjs [--firefox]
import { chromium } from 'playwright-core';
import { launchChromium, openFirefox } from './harness.mjs';

const ORIGIN = process.env.HTTP_ORIGIN;
const DOMAIN = process.env.XMPP_DOMAIN || 'localhost';
const ANON = process.env.XMPP_ANON_DOMAIN || 'anon.localhost';
if (!ORIGIN) {
  console.error('api.test: HTTP_ORIGIN is not set');
  process.exit(2);
}
const FIREFOX = process.argv.includes('--firefox');

async function openChromium(url) {
  const browser = await launchChromium(chromium);
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.log(`  [page error] ${e.message}`));
  await page.goto(url);
  return { evaluate: (fn, arg) => page.evaluate(fn, arg), close: () => browser.close() };
}

// Every test runs in the page, in one script (in Firefox each WebDriver script is a realm of its
// own). Each returns [name, ok, detail].
async function inPage({ bosh, domain, anon }) {
  const m = await import('/pkg/xmpp_wasm.js');
  await m.default();
  const { Connection, Status } = m;
  const KEY = 'xmpp-wasm:session';
  const results = [];
  const test = async (name, fn) => {
    try {
      const detail = await fn();
      results.push([name, detail === true || detail?.ok === true, detail]);
    } catch (e) {
      results.push([name, false, String(e?.stack || e)]);
    }
  };
  const grab = async (p) => {
    try {
      await p;
      return null;
    } catch (e) {
      return e;
    }
  };
  /** Resolves with the outer XML of the first message whose text contains `body`. */
  const waitForMessage = (conn, body) => new Promise((resolve) => {
    conn.addHandler((el) => {
      if (el.textContent.includes(body)) {
        resolve(new XMLSerializer().serializeToString(el));
        return false;
      }
      return true;
    }, null, 'message');
  });
  const connected = async (jid, options) => {
    const conn = new Connection(bosh, options);
    await conn.connect(jid, 'alice-pass');
    return conn;
  };

  async function loginRoundtrip(mechanism, expected) {
    const conn = new Connection(bosh, { mechanisms: [mechanism] });
    const sent = [];
    conn.rawOutput = (b) => sent.push(b);
    const log = [];
    let atConnected = null;
    const status = await conn.connect(`alice@${domain}/wasm-test`, 'alice-pass', (s, c) => {
      log.push([s, c]);
      if (s === Status.CONNECTED) atConnected = sent.length;
    });
    const { jid, authenticated } = conn;
    const token = `ping-${mechanism}-${Math.random()}`;
    const waiting = waitForMessage(conn, token);
    conn.send(`<message to='${jid}' type='chat'><body>${token} &amp; &lt;ok&gt;</body></message>`);
    const echoed = await waiting;
    await conn.disconnect();
    const statuses = log.map(([s]) => s).join(',');
    return {
      ok: status === Status.CONNECTED && jid === `alice@${domain}/wasm-test` && conn.mechanism === mechanism
        && authenticated && atConnected === expected && echoed.includes('&amp; &lt;ok&gt;')
        && statuses === '1,3,5,7,6' && sent[sent.length - 1].includes("type='terminate'"),
      status, jid, mechanism: conn.mechanism, atConnected, echoed, statuses, last: sent[sent.length - 1],
    };
  }
  await test('PLAIN login (4 requests), a message to self with escaping, disconnect', () => loginRoundtrip('PLAIN', 4));
  await test('SCRAM-SHA-1 login (5 requests), a message to self with escaping, disconnect', () => loginRoundtrip('SCRAM-SHA-1', 5));

  await test('a wrong password is AUTHFAIL not-authorized', async () => {
    const conn = new Connection(bosh, { mechanisms: ['PLAIN'] });
    const e = await grab(conn.connect(`alice@${domain}`, 'wrong-pass'));
    return { ok: e?.name === 'ConnectionError' && e.status === Status.AUTHFAIL && e.condition === 'not-authorized' && !conn.authenticated, e: e && [e.name, e.status, e.condition] };
  });

  await test('an unreachable service is CONNFAIL remote-connection-failed, after CONNECTING', async () => {
    const conn = new Connection('http://127.0.0.1:9/http-bind', { maxRetries: 1 });
    const log = [];
    const e = await grab(conn.connect(`alice@${domain}`, 'alice-pass', (s) => log.push(s)));
    return { ok: e?.name === 'ConnectionError' && e.status === Status.CONNFAIL && e.condition === 'remote-connection-failed' && log[0] === Status.CONNECTING, e: e && [e.status, e.condition], log };
  });

  await test('bad options and bad stanzas throw, nothing is queued', async () => {
    const throws = (f) => {
      try {
        f();
        return false;
      } catch {
        return true;
      }
    };
    const conn = new Connection(bosh);
    const r = [
      throws(() => new Connection(bosh, { wiat: 60 })),
      throws(() => new Connection(bosh, { wait: 'long' })),
      throws(() => conn.send('<a/><b/>')),
      throws(() => conn.send('<message>')),
      throws(() => conn.send(3)),
    ];
    return { ok: r.every(Boolean), r };
  });

  await test('an anonymous login on the anonymous host gets a server-assigned JID', async () => {
    const conn = new Connection(bosh, { mechanisms: ['ANONYMOUS'] });
    await conn.connect(anon);
    const { jid, mechanism } = conn;
    await conn.disconnect();
    return { ok: mechanism === 'ANONYMOUS' && jid.includes(`@${anon}/`), jid, mechanism };
  });

  await test('IQ result, error, timeout, callback form and the unhandled-IQ answer', async () => {
    const conn = await connected(`alice@${domain}/iq-test`);
    const jid = conn.jid;
    const out = {};
    const pong = await conn.sendIQAsync(`<iq type='get' to='${domain}'><ping xmlns='urn:xmpp:ping'/></iq>`, 10000);
    out.pong = pong.getAttribute('type');
    const err = await grab(conn.sendIQAsync(`<iq type='get' to='${domain}'><query xmlns='urn:example:nothing'/></iq>`, 10000));
    out.error = [err?.name, err?.condition];
    // A timeout: an IQ to ourselves that a handler swallows without answering.
    conn.addHandler(() => true, 'urn:example:silence', 'iq');
    const t0 = performance.now();
    const to = await grab(conn.sendIQAsync(`<iq type='get' to='${jid}'><q xmlns='urn:example:silence'/></iq>`, 300));
    out.timeout = [to?.name, Math.round(performance.now() - t0)];
    let id;
    const answered = await new Promise((resolve) => {
      id = conn.sendIQ(`<iq type='get' to='${domain}' id='cb-1'><ping xmlns='urn:xmpp:ping'/></iq>`, (el) => resolve(el.getAttribute('id')), null, 10000);
    });
    out.callback = [id, answered];
    const un = await grab(conn.sendIQAsync(`<iq type='get' to='${jid}'><query xmlns='jabber:iq:version'/></iq>`, 10000));
    out.unhandled = un?.condition;
    await conn.disconnect();
    out.ok = out.pong === 'result' && out.error[0] === 'StanzaError'
      && ['service-unavailable', 'feature-not-implemented'].includes(out.error[1])
      && out.timeout[0] === 'TimeoutError' && out.timeout[1] >= 290
      && id === 'cb-1' && answered === 'cb-1' && out.unhandled === 'service-unavailable';
    return out;
  });

  await test('a throwing handler is reported to the log hook and does not stop the others; xmlInput/xmlOutput see bodies', async () => {
    const conn = await connected(`alice@${domain}/throw-test`);
    const jid = conn.jid;
    const logged = [];
    conn.log = (level, msg) => logged.push([level, msg]);
    let ins = 0, outs = 0;
    conn.xmlInput = (el) => { if (el.localName === 'body') ins++; };
    conn.xmlOutput = (el) => { if (el.localName === 'body') outs++; };
    conn.addHandler(() => { throw new Error('handler bug (expected by the test)'); }, null, 'message');
    const waiting = waitForMessage(conn, 'after-throw');
    conn.send(`<message to='${jid}' type='chat'><body>after-throw</body></message>`);
    const got = await waiting;
    await conn.disconnect();
    const reported = logged.some(([l, msg]) => l === 3 && msg.includes('exception in a stanza handler') && msg.includes('handler bug'));
    return { ok: got.includes('after-throw') && reported && ins >= 1 && outs >= 1, logged, ins, outs };
  });

  await test('stanzas reach handlers as DOM elements with their namespaces, prefixes and text', async () => {
    const conn = await connected(`alice@${domain}/dom`);
    let raw = '';
    conn.rawInput = (b) => { if (b.includes('urn:example:dom')) raw = b; };
    const got = new Promise((resolve) => conn.addHandler((el) => { resolve(el); return false; }, 'urn:example:dom', 'message'));
    conn.send(`<message to='${conn.jid}' type='chat'><body>a &lt;b&gt; &amp; c</body><x:thing xmlns:x='urn:example:dom' x:a='1' xml:lang='de'><x:inner>t</x:inner><plain/></x:thing></message>`);
    const el = await got;
    await conn.disconnect();
    const thing = el.getElementsByTagNameNS('urn:example:dom', 'thing')[0];
    const r = {
      ns: el.namespaceURI, name: el.localName, body: el.getElementsByTagName('body')[0]?.textContent,
      thing: thing && [thing.prefix, thing.getAttributeNS('urn:example:dom', 'a'), thing.getAttributeNS('http://www.w3.org/XML/1998/namespace', 'lang'),
        thing.firstElementChild.namespaceURI, thing.lastElementChild.namespaceURI, thing.textContent],
      // The same as DOMParser makes of the stanza's text (what the handlers got before): names,
      // namespaces, attributes (with theirs) and text, node by node.
      same: (() => {
        const text = raw.slice(raw.indexOf('<message'), raw.lastIndexOf('</body>'));
        const parsed = new DOMParser().parseFromString(text, 'text/xml').documentElement;
        const key = (n) => (n.nodeType === 3 ? `#${n.data}` : `${n.namespaceURI} ${n.localName} ${[...n.attributes]
          .map((a) => `${a.namespaceURI} ${a.localName}=${a.value}`).sort().join(' ')} [${[...n.childNodes].map(key).join(', ')}]`);
        return key(parsed) === key(el) || [key(parsed), key(el)];
      })(),
    };
    r.ok = r.ns === 'jabber:client' && r.name === 'message' && r.body === 'a <b> & c'
      && JSON.stringify(r.thing) === JSON.stringify([null, '1', 'de', 'urn:example:dom', 'jabber:client', 't']) && r.same === true;
    return r;
  });

  await test('keepalive writes the snapshot (the long poll unanswered) and disconnect removes it', async () => {
    sessionStorage.removeItem(KEY);
    const conn = await connected(`alice@${domain}/keep`, { keepalive: true });
    // The long poll leaves one task after CONNECTED (what the reaction sends would go first).
    await new Promise((r) => setTimeout(r, 0));
    const stored = sessionStorage.getItem(KEY);
    const v = JSON.parse(stored);
    const un = v.session.unanswered;
    await conn.disconnect();
    return {
      ok: v.v === 1 && v.jid === `alice@${domain}/keep` && v.released === false && un.length === 1
        && un[0].rid === v.session.next_rid - 1 && sessionStorage.getItem(KEY) === null,
      stored,
    };
  });

  await test('restore refuses what it cannot continue: no-session, bad-snapshot, session-in-use, jid-mismatch; wss: throws', async () => {
    sessionStorage.removeItem(KEY);
    const conn = new Connection(bosh, { keepalive: true });
    const reason = (jid) => {
      try {
        conn.restore(jid);
        return 'no error';
      } catch (e) {
        return e.name === 'SessionError' ? e.reason : `${e.name}: ${e.message}`;
      }
    };
    const r = [reason()];
    sessionStorage.setItem(KEY, '{not json');
    r.push(reason());
    const live = await connected(`alice@${domain}/dup`, { keepalive: true });
    r.push(reason(), reason(`bob@${domain}`));
    await live.disconnect();
    r.push(reason());
    // A WebSocket connection reads the same storage (nothing stored now).
    const wsConn = new Connection('wss://example.org/xmpp-websocket', { keepalive: true });
    let ws = null;
    try {
      wsConn.restore();
    } catch (e) {
      ws = e;
    }
    return {
      ok: r.join() === 'no-session,bad-snapshot,session-in-use,jid-mismatch,no-session'
        && wsConn.transport === 'websocket' && ws?.name === 'SessionError' && ws.reason === 'no-session',
      r, ws: String(ws),
    };
  });

  await test('restore of a session the server dropped is ATTACHED, ATTACHFAIL, DISCONNECTED; the snapshot goes', async () => {
    const stored = `{"v":1,"jid":"alice@${domain}/gone","released":true,"session":{"url":"${bosh}","to":"${domain}","sid":"no-such-sid","next_rid":1000,"wait":60,"hold":1,"requests":2,"polling":null,"inactivity":null,"maxpause":null,"unanswered":[],"queued":[]}}`;
    sessionStorage.setItem(KEY, stored);
    const conn = new Connection(bosh, { keepalive: true });
    const log = [];
    const e = await grab(conn.restore(null, (s) => log.push(s)));
    return { ok: e?.status === 12 && log.join() === '8,12,6' && sessionStorage.getItem(KEY) === null, status: e?.status, log };
  });

  await test('the Builder chains and escapes like Strophe; send() takes it', async () => {
    const b = m.$msg({ to: `bob@${domain}`, type: 'chat', id: 'a"b\'c' })
      .c('body').t('1 < 2 & "quotes" \'too\'').up()
      .c('active', { xmlns: 'http://jabber.org/protocol/chatstates' });
    const xml = b.toString();
    const tree = b.tree();
    const b2 = new m.Builder('iq', { type: 'get' })
      .c('query', { xmlns: 'jabber:iq:version' }).c('name', null, 'x').c('version', null, '1')
      .root().attrs({ type: null, to: domain });
    const throws = (f) => {
      try {
        f();
        return null;
      } catch (e) {
        return e;
      }
    };
    const bad = [throws(() => new m.Builder('bad name')), throws(() => new m.Builder('x', { a: { nested: 1 } }))];
    const notYet = throws(() => new Connection(bosh).send(b2));
    return {
      ok: xml === `<message to='bob@${domain}' type='chat' id='a&quot;b&apos;c' xmlns='jabber:client'><body>1 &lt; 2 &amp; "quotes" 'too'</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>`
        && tree.tagName === 'message' && tree.getAttribute('id') === 'a"b\'c'
        && tree.firstElementChild.textContent === '1 < 2 & "quotes" \'too\''
        && b2.toString() === `<iq to='${domain}'><query xmlns='jabber:iq:version'><name>x</name><version>1</version></query></iq>`
        && bad.every((e) => e !== null) && notYet?.condition === 'invalid-state',
      xml, b2: b2.toString(), notYet: notYet && [notYet.name, notYet.condition],
    };
  });

  await test('a storage error never breaks the connection', async () => {
    const setItem = Storage.prototype.setItem;
    Storage.prototype.setItem = () => { throw new DOMException('full', 'QuotaExceededError'); };
    let ok = false, echoed = '';
    try {
      const conn = new Connection(bosh, { keepalive: true });
      conn.log = () => {};
      await conn.connect(`alice@${domain}/full`, 'alice-pass');
      const token = `storage-${Math.random()}`;
      const waiting = waitForMessage(conn, token);
      conn.send(`<message to='${conn.jid}' type='chat'><body>${token}</body></message>`);
      echoed = await waiting;
      ok = echoed.includes(token);
      await conn.disconnect();
    } finally {
      Storage.prototype.setItem = setItem;
    }
    return { ok, echoed };
  });

  await test('a relative service URL is resolved against the page', async () => {
    const conn = new Connection('/http-bind');
    return { ok: conn.service === `${location.origin}/http-bind`, service: conn.service };
  });

  await test('connect again from the DISCONNECTED callback (the reconnect pattern)', async () => {
    const conn = new Connection(bosh);
    let again = null;
    await conn.connect(`alice@${domain}/again1`, 'alice-pass', (s) => {
      if (s === Status.DISCONNECTED && !again) again = conn.connect(`alice@${domain}/again2`, 'alice-pass');
    });
    await conn.disconnect();
    const status = await again;
    const jid = conn.jid;
    await conn.disconnect();
    return { ok: status === Status.CONNECTED && jid === `alice@${domain}/again2`, status, jid };
  });

  await test('a second IQ with a waiting id is refused; sendIQ takes an IQ, sendPresence a presence; bad numbers throw', async () => {
    const conn = await connected(`alice@${domain}/ids`);
    const iq = `<iq type='get' to='${domain}' id='same'><ping xmlns='urn:xmpp:ping'/></iq>`;
    const first = conn.sendIQAsync(iq, 10000);
    let second = null;
    try {
      conn.sendIQAsync(iq, 10000);
    } catch (e) {
      second = e;
    }
    const pong = await first;
    const refuse = (f) => {
      try {
        f();
        return false;
      } catch {
        return true;
      }
    };
    const kinds = [refuse(() => conn.sendIQ('<presence/>')), refuse(() => conn.sendPresence(iq))];
    const other = new Connection(bosh);
    const numbers = [[NaN, 1], [60, -1], [60.5, 1], [1e12, 1]].map(([w, h]) => {
      try {
        other.attach('a@b/c', 'sid', 5, null, w, h);
        return 'no throw';
      } catch (e) {
        return e.name;
      }
    });
    await conn.disconnect();
    return {
      ok: second?.condition === 'conflict' && pong.getAttribute('type') === 'result' && kinds.every(Boolean)
        && numbers.every((n) => n === 'RangeError'),
      second: second && second.condition, kinds, numbers,
    };
  });
  return results;
}

console.log(`api.test: ${FIREFOX ? 'firefox-esr (geckodriver)' : 'chromium (playwright-core)'}`);
const page = await (FIREFOX ? openFirefox : openChromium)(`${ORIGIN}/__test/errors.html`);
let failed = 0;
try {
  const results = await page.evaluate(inPage, { bosh: `${ORIGIN}/http-bind`, domain: DOMAIN, anon: ANON });
  for (const [name, ok, detail] of results) {
    if (ok) console.log(`ok   ${name}`);
    else {
      failed++;
      console.log(`FAIL ${name}: ${JSON.stringify(detail)}`);
    }
  }
} finally {
  await page.close();
}
console.log(failed ? `api.test: ${failed} FAILED` : 'api.test: all passed');
process.exit(failed ? 1 : 0);
