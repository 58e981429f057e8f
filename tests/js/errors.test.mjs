// JavaScript mistakes get clear errors, never a wasm trap: the built package (pkg/, --target web)
// against the local Prosody, in Debian's headless Chromium (driven by playwright-core) or, with
// `--firefox`, in Debian's firefox-esr driven over WebDriver by geckodriver (playwright-core's
// firefox.launch needs Playwright's own patched Firefox): the same cases in both.
//
//   HTTP_ORIGIN=http://127.0.0.1:PORT node tests/js/errors.test.mjs [--firefox]
//
// Every case of issue 9's list: the API before init(); wrong types (a real TypeError naming the
// argument, what was expected and what was given, in JavaScript terms) and wrong values (a
// RangeError) at every entry point; options checked without serde wording; unknown mechanisms;
// service URLs that are not http(s); a bare domain without ANONYMOUS; the error classes
// (`instanceof`); a failed connection's condition with its URL and HTTP status or network error.
import { chromium } from 'playwright-core';
import { CHROMIUM, openFirefox } from './harness.mjs';

const ORIGIN = process.env.HTTP_ORIGIN;
const DOMAIN = process.env.XMPP_DOMAIN || 'localhost';
const ANON = process.env.XMPP_ANON_DOMAIN || 'anon.localhost';
// The package under test, by its path on the origin (another build can be tried against it).
const PKG = process.env.ERRORS_PKG || '/pkg';
if (!ORIGIN) {
  console.error('errors.test: HTTP_ORIGIN is not set');
  process.exit(2);
}

let failed = 0;
function check(cond, what, detail) {
  if (cond) console.log(`ok   ${what}`);
  else {
    failed++;
    console.log(`FAIL ${what}${detail === undefined ? '' : `: ${JSON.stringify(detail)}`}`);
  }
}

const FIREFOX = process.argv.includes('--firefox');

/** A page at `url` with `evaluate(fn, arg)` (fn runs in the page; its result comes back as JSON). */
async function openChromium(url) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
  });
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.log(`  [page error] ${e.message}`));
  await page.goto(url);
  return { evaluate: (fn, arg) => page.evaluate(fn, arg), close: () => browser.close() };
}

// Everything runs in one script in the page: in Firefox, each WebDriver script is a realm of its
// own (another `Error`, another module instance for `import()`).
async function inPage({ pkg, list, anon, origin, domain }) {
  const m = await import(`${pkg}/xmpp_wasm.js`);
  const before = await (async () => {
      const out = {};
      for (const [k, f] of Object.entries({
        Connection: () => new m.Connection('/http-bind'),
        msg: () => m.$msg({ to: 'a@b' }),
        jid: () => m.getBareJidFromJid('a@b/c'),
      })) {
        try { f(); out[k] = 'no throw'; } catch (e) { out[k] = e.message; }
      }
      return out;
  })();
  await m.default();
  const results = (() => {
      const conn = () => new m.Connection('/http-bind');
      return list.map(([code]) => {
        try {
          // eslint-disable-next-line no-new-func
          new Function('m', 'conn', 'Connection', code)(m, conn, m.Connection);
          return { threw: false };
        } catch (e) {
          return {
            threw: true,
            cls: e instanceof TypeError ? 'TypeError' : e instanceof RangeError ? 'RangeError' : e?.constructor?.name,
            name: e?.name,
            message: String(e?.message),
            wasm: e instanceof WebAssembly.RuntimeError,
          };
        }
      });
  })();
  const fine = await (async () => {
      const out = {};
      const b = m.$msg({ to: 'a@b', n: 1, flag: true, gone: null }).c('body', null, 42);
      b.c('x'); // Strophe style: the call changes the builder itself
      b.t('y');
      out.builder = b.toString();
      const c = new m.Connection('/http-bind', {
        wait: 30, hold: 1, mechanisms: ['PLAIN'], keepalive: false, route: undefined, lang: null,
        customHeaders: { 'X-A': 'b' },
      });
      out.service = c.service;
      // A cluster entry: its first node stands for it until a session picks one.
      out.cluster = new m.Connection([['/http-bind', 'https://n2.example/http-bind']]).service;
      c.rawInput = null;
      c.logLevel = m.LogLevel.DEBUG;
      out.logLevel = c.logLevel;
      out.deleted = c.deleteHandler(c.addHandler(() => true, null, 'message', ['chat', 'normal']));
      const anonConn = new m.Connection('/http-bind', { mechanisms: ['ANONYMOUS'] });
      await anonConn.connect(anon);
      out.anonymous = anonConn.mechanism;
      await anonConn.disconnect();
      return out;
  })();
  const classes = await (async () => {
      const out = { exported: ['ConnectionError', 'SessionError', 'StanzaError', 'PrebindError', 'TimeoutError', 'DisconnectedError'].filter((k) => typeof m[k] === 'function') };
      const grab = async (p) => { try { await p; return null; } catch (e) { return e; } };
      const describe = (e, cls) => e && ({
        isClass: e instanceof cls, isError: e instanceof Error, name: e.name, message: e.message,
        condition: e.condition, status: e.status, url: e.url, httpStatus: e.httpStatus,
        networkError: e.networkError, reason: e.reason, hasStack: typeof e.stack === 'string',
      });
      const c404 = new m.Connection(`${origin}/no-such-bosh`);
      out.notFound = describe(await grab(c404.connect(`alice@${domain}`, 'x')), m.ConnectionError);
      const cNet = new m.Connection('http://127.0.0.1:9/http-bind', { maxRetries: 0 });
      out.network = describe(await grab(cNet.connect(`alice@${domain}`, 'x')), m.ConnectionError);
      const cAuth = new m.Connection('/http-bind');
      out.auth = describe(await grab(cAuth.connect(`alice@${domain}`, 'wrong-password')), m.ConnectionError);
      sessionStorage.clear();
      let se = null;
      try { await new m.Connection('/http-bind').restore(`alice@${domain}`); } catch (e) { se = e; }
      out.session = describe(se, m.SessionError);
      out.prebind = describe(await grab(new m.Connection('/http-bind').prebind(`${origin}/no-such-prebind`)), m.PrebindError);
      const alice = new m.Connection('/http-bind');
      await alice.connect(`alice@${domain}`, 'alice-pass');
      out.stanza = describe(await grab(alice.sendIQAsync(m.$iq({ type: 'get', to: domain }).c('query', { xmlns: 'urn:example:nothing' }))), m.StanzaError);
      // Paused, the IQ stays queued: nothing can answer it within its 50 ms.
      alice.pause();
      const pending = grab(alice.sendIQAsync(m.$iq({ type: 'get', to: domain }).c('ping', { xmlns: 'urn:xmpp:ping' }), 50));
      out.timeout = describe(await pending, m.TimeoutError);
      alice.resume();
      const lost = grab(alice.sendIQAsync(m.$iq({ type: 'get', to: domain }).c('ping', { xmlns: 'urn:xmpp:ping' })));
      alice.disconnect();
      out.disconnected = describe(await lost, m.DisconnectedError);
      return out;
  })();
  return { before, results, fine, classes };
}

console.log(`errors.test: ${FIREFOX ? 'firefox-esr (geckodriver)' : 'chromium (playwright-core)'}`);
const page = await (FIREFOX ? openFirefox : openChromium)(`${ORIGIN}/__test/errors.html`);
try {

  // 1. Before init(): one sentence that says to call init().

  // 2. After init: each mistake, in the page. `expect` is [class, message regexp].
  const cases = [
    ['new Connection(42)', 'TypeError', /^new Connection: service must be a string, got number 42$/],
    ['new Connection()', 'TypeError', /service must be a string, got undefined$/],
    ['new Connection("ftp://example.com/x")', 'RangeError', /service must be a BOSH \(http, https\) or WebSocket \(ws, wss\) URL, absolute or relative to the page, got string "ftp:\/\/example.com\/x"$/],
    ['new Connection("http://")', 'RangeError', /service must be a BOSH \(http, https\) or WebSocket.*got string "http:\/\/"$/],
    ['new Connection("")', 'RangeError', /service must be a BOSH \(http, https\) or WebSocket.*got string ""$/],
    ['new Connection("ws://")', 'RangeError', /service must be a BOSH \(http, https\) or WebSocket.*got string "ws:\/\/"$/],
    ['new Connection([])', 'RangeError', /^new Connection: service must be a URL or a non-empty array of URLs, got/],
    ['new Connection(["wss://example.com/ws", 5])', 'TypeError', /^new Connection: service\[1\] must be a string, got number 5$/],
    ['new Connection(["wss://example.com/ws", "ftp://x/"])', 'RangeError', /^new Connection: service\[1\] must be a BOSH \(http, https\) or WebSocket/],
    ['new Connection([[]])', 'RangeError', /^new Connection: service\[0\] must be a non-empty array of at most 16 distinct BOSH \(http, https\) node URLs, got/],
    ['new Connection([["https://a/h", "https://a/h"]])', 'RangeError', /^new Connection: service\[0\] must be a non-empty array of at most 16 distinct BOSH/],
    ['new Connection([Array.from({ length: 17 }, (_, i) => `https://n${i}/h`)])', 'RangeError', /^new Connection: service\[0\] must be a non-empty array of at most 16/],
    ['new Connection(["wss://x/ws", ["https://a/h", 7]])', 'TypeError', /^new Connection: service\[1\]\[1\] must be a string, got number 7$/],
    ['new Connection([["https://a/h", "wss://b/ws"]])', 'RangeError', /^new Connection: service\[0\]\[1\] must be a BOSH \(http, https\) URL: cluster nodes speak BOSH, got string "wss:\/\/b\/ws"$/],
    ['new Connection("/http-bind", "x")', 'TypeError', /options must be an object, null or undefined, got string "x"$/],
    ['new Connection("/http-bind", { wait: "30" })', 'TypeError', /^new Connection: options.wait must be a non-negative integer number of seconds, got string "30"$/],
    ['new Connection("/http-bind", { wait: -1 })', 'RangeError', /options.wait must be a non-negative integer number of seconds, got number -1$/],
    ['new Connection("/http-bind", { hold: 1.5 })', 'RangeError', /options.hold must be a non-negative integer, got number 1.5$/],
    ['new Connection("/http-bind", { keepalive: "yes" })', 'TypeError', /options.keepalive must be a boolean, got string "yes"$/],
    ['new Connection("/http-bind", { customHeaders: { "X-A": 1 } })', 'TypeError', /options.customHeaders\["X-A"\] must be a string, got number 1$/],
    ['new Connection("/http-bind", { wiat: 30 })', 'RangeError', /^new Connection: options.wiat is not an option \(the options are mechanisms, wait, hold, .*customHeaders, maxScramIterations, streamManagement, reconnect\)$/],
    ['new Connection("/http-bind", { reconnect: "yes" })', 'TypeError', /^new Connection: options.reconnect must be a boolean or an object \{ initialDelay, maxDelay, maxAttempts, prebind \}, got string "yes"$/],
    ['new Connection("/http-bind", { reconnect: { tries: 3 } })', 'RangeError', /^new Connection: options.reconnect.tries is not a reconnect limit \(the limits are initialDelay, maxDelay, maxAttempts, prebind\)$/],
    ['new Connection("/http-bind", { reconnect: { prebind: 5 } })', 'TypeError', /^new Connection: options.reconnect.prebind must be a function or a prebind URL, got number 5$/],
    ['new Connection("/http-bind", { reconnect: { prebind: "ftp://x/" } })', 'RangeError', /^new Connection: options.reconnect.prebind must be an http\(s\) URL/],
    ['new Connection([["http://a.example/b", "http://c.example/d"]]).attach("a@b/c", "sid", 5)', 'TypeError', /^Connection.attach: url must be the URL of the node that bound the session \(the service is a cluster of several nodes\), got undefined$/],
    ['new Connection([["http://a.example/b", "http://c.example/d"]]).attach("a@b/c", "sid", 5, null, null, null, null, "http://e.example/b")', 'RangeError', /^Connection.attach: url must be one of the service's BOSH URLs \(http:\/\/a.example\/b, http:\/\/c.example\/d\), got string "http:\/\/e.example\/b"$/],
    ['new Connection("/http-bind", { reconnect: { maxDelay: -5 } })', 'RangeError', /^new Connection: options.reconnect.maxDelay must be a non-negative integer number of milliseconds, got number -5$/],
    ['new Connection("/http-bind", { maxScramIterations: 100 })', 'RangeError', /options.maxScramIterations must be an integer from 4096 \(the least SCRAM allows\), got number 100$/],
    ['new Connection("/http-bind", { maxScramIterations: "1e6" })', 'TypeError', /options.maxScramIterations must be an integer from 4096 \(the least SCRAM allows\), got string "1e6"$/],
    ['new Connection("/http-bind", { mechanisms: ["FOO"] })', 'RangeError', /options.mechanisms\[0\] must be one of SCRAM-SHA-512, SCRAM-SHA-256, SCRAM-SHA-1, PLAIN, OAUTHBEARER, EXTERNAL, ANONYMOUS, got string "FOO"$/],
    ['new Connection("/http-bind", { mechanisms: "PLAIN" })', 'TypeError', /options.mechanisms must be a non-empty array of SASL mechanism names, got string "PLAIN"$/],
    ['conn().connect(42)', 'TypeError', /^Connection.connect: jid must be a string, got number 42$/],
    ['conn().connect()', 'TypeError', /^Connection.connect: jid must be a string, got undefined$/],
    ['conn().connect("a@b", 42)', 'TypeError', /password must be a string, null or undefined, got number 42$/],
    ['conn().connect("a@b", "pw", "cb")', 'TypeError', /callback must be a function, null or undefined, got string "cb"$/],
    ['conn().connect("alice")', 'RangeError', /jid must be a JID with "@" \(a bare domain means an anonymous login: to ask for one, pass the option mechanisms: \['ANONYMOUS'\]\), got string "alice"$/],
    ['conn().connect("alice", "pw")', 'RangeError', /a bare domain means an anonymous login/],
    ['conn().connect("alice@")', 'RangeError', /^Connection.connect: jid must be a JID \(node@domain or node@domain\/resource\), got string "alice@"$/],
    ['conn().connect("")', 'RangeError', /^Connection.connect: jid must be a JID .*got string ""$/],
    ['conn().attach("a@@b", "sid", 5)', 'RangeError', /^Connection.attach: jid must be a JID .*got string "a@@b"$/],
    ['conn().attach(1, "sid", 5)', 'TypeError', /^Connection.attach: jid must be a string, got number 1$/],
    ['conn().attach("a@b/c", "sid", "x1")', 'RangeError', /rid must be a positive integer \(a number or a string of digits\), got string "x1"$/],
    ['conn().attach("a@b/c", "sid", {})', 'TypeError', /rid must be a positive integer.*got an object$/],
    ['conn().attach("a@b/c", "sid", 5, null, "60")', 'TypeError', /Connection.attach: wait must be a non-negative integer number of seconds, got string "60"$/],
    ['conn().attach("a@b/c", "sid", 5, null, 60, 70000)', 'RangeError', /Connection.attach: hold must be an integer from 0 to 65535, got number 70000$/],
    ['conn().restore(5)', 'TypeError', /^Connection.restore: jid must be a string, null or undefined, got number 5$/],
    ['conn().prebind(5)', 'TypeError', /^Connection.prebind: url must be a string, got number 5$/],
    ['conn().prebind("ftp://x/")', 'RangeError', /prebind: url must be an http\(s\) URL/],
    ['conn().prebind("/p", null, { wait: "x" })', 'TypeError', /prebind: options.wait must be a non-negative integer number of seconds, got string "x"$/],
    ['conn().send(42)', 'TypeError', /^Connection.send: stanza must be an Element, a Builder or a string of XML, got number 42$/],
    ['conn().send("<a")', 'TypeError', /^Connection.send: /],
    ['conn().sendIQ(42)', 'TypeError', /^Connection.sendIQ: stanza must be an Element, a Builder or a string of XML, got number 42$/],
    ['conn().sendIQ("<iq type=\'get\'/>", "cb")', 'TypeError', /sendIQ: callback must be a function, null or undefined, got string "cb"$/],
    ['conn().sendIQ("<iq type=\'get\'/>", null, null, "1000")', 'TypeError', /sendIQ: timeout must be a non-negative number of milliseconds, got string "1000"$/],
    ['conn().sendIQAsync("<iq type=\'get\'/>", -5)', 'RangeError', /sendIQAsync: timeout must be a non-negative number of milliseconds, got number -5$/],
    ['conn().sendIQAsync(null)', 'TypeError', /^Connection.sendIQAsync: stanza must be .*got null$/],
    ['conn().sendPresence("<message/>")', 'TypeError', /sendPresence: stanza must be an <presence\/> stanza, got <message\/>$/],
    ['conn().sendPresenceAsync(7)', 'TypeError', /^Connection.sendPresenceAsync: stanza must be .*got number 7$/],
    ['conn().addHandler("x")', 'TypeError', /^Connection.addHandler: handler must be a function, got string "x"$/],
    ['conn().addHandler(() => true, 5)', 'TypeError', /addHandler: ns must be a string, null or undefined, got number 5$/],
    ['conn().addHandler(() => true, null, "message", [1])', 'TypeError', /addHandler: type must be a string, an array of strings, null or undefined, got an array$/],
    ['conn().addHandler(() => true, null, null, null, null, null, "x")', 'TypeError', /addHandler: options must be an object, null or undefined, got string "x"$/],
    ['conn().deleteHandler("1")', 'TypeError', /deleteHandler: handlerRef must be a reference returned by addHandler or addTimedHandler, got string "1"$/],
    ['conn().addTimedHandler("100", () => true)', 'TypeError', /addTimedHandler: period must be a non-negative number of milliseconds, got string "100"$/],
    ['conn().addTimedHandler(100, "f")', 'TypeError', /addTimedHandler: handler must be a function, got string "f"$/],
    ['conn().deleteTimedHandler(-1)', 'RangeError', /deleteTimedHandler: handlerRef must be a reference .*got number -1$/],
    ['conn().bind(5)', 'TypeError', /^Connection.bind: resource must be a string, null or undefined, got number 5$/],
    ['conn().disconnect(5)', 'TypeError', /^Connection.disconnect: reason must be a string, null or undefined, got number 5$/],
    ['conn().rawInput = "x"', 'TypeError', /^Connection.rawInput must be a function, null or undefined, got string "x"$/],
    ['conn().rawOutput = 1', 'TypeError', /^Connection.rawOutput must be a function/],
    ['conn().xmlInput = {}', 'TypeError', /^Connection.xmlInput must be a function.*got an object$/],
    ['conn().xmlOutput = true', 'TypeError', /^Connection.xmlOutput must be a function.*got boolean true$/],
    ['conn().log = "console"', 'TypeError', /^Connection.log must be a function/],
    ['conn().logLevel = 9', 'RangeError', /^Connection.logLevel must be a LogLevel \(an integer from 0 to 4\), got number 9$/],
    ['conn().logLevel = "DEBUG"', 'TypeError', /^Connection.logLevel must be a LogLevel.*got string "DEBUG"$/],
    ['m.$build(42)', 'TypeError', /^Builder: name must be a string, got number 42$/],
    ['m.$build("bad name")', 'RangeError', /^Builder: name must be an XML name, got string "bad name"$/],
    ['new m.Builder()', 'TypeError', /^Builder: name must be a string, got undefined$/],
    ['m.$msg("to")', 'TypeError', /^\$msg: attrs must be an object, null or undefined, got string "to"$/],
    ['m.$iq({ type: {} })', 'TypeError', /^\$iq: attrs.type must be a string, number, boolean, null or undefined, got an object$/],
    ['m.$pres({ "a b": 1 })', 'RangeError', /^\$pres: attrs: an attribute name must be an XML name, got string "a b"$/],
    ['m.$msg().c(42)', 'TypeError', /^Builder.c: name must be a string, got number 42$/],
    ['m.$msg().c("body", "x")', 'TypeError', /^Builder.c: attrs must be an object/],
    ['m.$msg().c("body", null, {})', 'TypeError', /^Builder.c: text must be a string, got an object$/],
    ['m.$msg().t(undefined)', 'TypeError', /^Builder.t: text must be a string, got undefined$/],
    ['m.$msg().attrs(5)', 'TypeError', /^Builder.attrs: attrs must be an object/],
    ['m.$msg().cnode("<a/>")', 'TypeError', /^Builder.cnode: node must be a DOM Element, got string "<a\/>"$/],
    ['m.getBareJidFromJid(42)', 'TypeError', /^getBareJidFromJid: jid must be a string, got number 42$/],
    ['m.getNodeFromJid()', 'TypeError', /^getNodeFromJid: jid must be a string, got undefined$/],
    ['m.getDomainFromJid(null)', 'TypeError', /^getDomainFromJid: jid must be a string, got null$/],
    ['m.getResourceFromJid([])', 'TypeError', /^getResourceFromJid: jid must be a string, got an array$/],
    ['m.escapeNode(1)', 'TypeError', /^escapeNode: node must be a string, got number 1$/],
    ['m.unescapeNode(Symbol("s"))', 'TypeError', /^unescapeNode: node must be a string, got a symbol$/],
  ];
  const { before, results, fine, classes } = await page.evaluate(inPage, {
    pkg: PKG, list: cases.map(([code]) => [code]), anon: ANON, origin: ORIGIN, domain: DOMAIN,
  });
  for (const [k, msg] of Object.entries(before)) {
    check(/not initialised: call `await init\(\)`/.test(msg), `before init(): ${k} throws "${msg}"`, msg);
  }
  cases.forEach(([code, cls, re], i) => {
    const r = results[i];
    check(r.threw && r.cls === cls && r.name === cls && re.test(r.message),
      `${code} throws ${cls}: ${r.message}`, r);
  });

  // 3. What must still work: the checks refuse nothing valid.
  check(fine.builder === "<message to='a@b' n='1' flag='true' xmlns='jabber:client'><body>42</body><x>y</x></message>",
    `valid arguments still work: builder ${fine.builder}`, fine);
  check(fine.cluster === `${ORIGIN}/http-bind`, `a cluster of relative and absolute nodes: ${fine.cluster}`, fine);
  check(fine.service === `${ORIGIN}/http-bind` && fine.logLevel === 0 && fine.deleted === true,
    'valid arguments still work: options, relative service URL, setters, handlers', fine);
  check(fine.anonymous === 'ANONYMOUS', `a bare domain with mechanisms: ['ANONYMOUS'] logs in anonymously`, fine);

  // 4. The error classes: exported, `instanceof` works, fields kept; a failed connection tells
  //    its URL and HTTP status (404 keeps its condition, item-not-found) or network error.
  check(classes.exported.length === 6, `the error classes are exported: ${classes.exported.join(', ')}`, classes.exported);
  const nf = classes.notFound;
  check(nf?.isClass && nf.isError && nf.hasStack && nf.name === 'ConnectionError' && nf.status === 2
    && nf.condition === 'item-not-found' && nf.httpStatus === 404 && nf.url === `${ORIGIN}/no-such-bosh`
    && nf.message.includes('HTTP 404') && nf.message.includes(nf.url),
  `a 404: ConnectionError CONNFAIL item-not-found with httpStatus 404 and the URL: ${nf?.message}`, nf);
  const net = classes.network;
  check(net?.isClass && net.condition === 'remote-connection-failed' && net.httpStatus === undefined
    && typeof net.networkError === 'string' && net.networkError.length > 0 && net.url === 'http://127.0.0.1:9/http-bind'
    && net.message.includes(net.url),
  `an unreachable service: remote-connection-failed with the network error and the URL: ${net?.message}`, net);
  const au = classes.auth;
  check(au?.isClass && au.status === 4 && au.condition === 'not-authorized' && au.httpStatus === undefined,
    `a wrong password: ConnectionError AUTHFAIL not-authorized: ${au?.message}`, au);
  const s = classes.session;
  check(s?.isClass && s.isError && s.name === 'SessionError' && s.reason === 'no-session' && s.condition === 'no-session',
    `restore() without a stored session: SessionError no-session: ${s?.message}`, s);
  const pb = classes.prebind;
  check(pb?.isClass && pb.isError && pb.name === 'PrebindError' && pb.condition === 'prebind-failed',
    `prebind from a missing service: PrebindError prebind-failed: ${pb?.message}`, pb);
  const st = classes.stanza;
  check(st?.isClass && st.isError && st.name === 'StanzaError' && typeof st.condition === 'string' && st.condition.length > 0,
    `an error answer: StanzaError ${st?.condition}`, st);
  const to = classes.timeout;
  check(to?.isClass && to.isError && to.name === 'TimeoutError' && to.condition === 'timeout',
    `no answer within the timeout: TimeoutError: ${to?.message}`, to);
  const dc = classes.disconnected;
  check(dc?.isClass && dc.isError && dc.name === 'DisconnectedError' && dc.condition === 'disconnected',
    `the session ended first: DisconnectedError: ${dc?.message}`, dc);
} finally {
  await page.close();
}
console.log(failed ? `errors.test: ${failed} FAILED` : 'errors.test: all passed');
process.exit(failed ? 1 : 0);
