// XEP-0156 discovery: the WebSocket and BOSH URLs a domain publishes in its host-meta files.
//
// `discover(domain)` reads `<base>/.well-known/host-meta.json` (JSON links) and
// `<base>/.well-known/host-meta` (XRD XML) at the same time and returns
// `{ websocket: [...], bosh: [...] }`: the hrefs of the links with rel
// `urn:xmpp:alt-connections:websocket` and `urn:xmpp:alt-connections:xbosh`, in document order,
// the JSON file's first, without duplicates. `services(found)` is the list a connection tries, in
// order: WebSocket first, then BOSH.
//
// Where the files are read (`<base>`): `https://<domain>`, except `http://<domain>` when the
// domain is a loopback host (`localhost`, `*.localhost`, `127.x.x.x`, `[::1]`, optionally with a
// port; browsers treat loopback as a secure context and test servers have no certificate), or the
// `origin` option (an http(s) origin such as `http://127.0.0.1:8080`, for tests and for servers
// whose host-meta lives elsewhere).
//
// What is accepted: each file at most 64 KiB, read within `timeout` ms (default 10 s); links whose
// href is an absolute URL of the right kind (ws:/wss: for WebSocket, http:/https: for BOSH); from a
// host-meta read over https, insecure links (ws:, http:) are dropped (a downgrade, XEP-0156 §4).
// A file that is missing, not JSON/XML, of the wrong shape or too large is skipped; when neither
// file yields a link, the promise rejects with a `ConnectionError` of condition
// `discovery-failed` whose message names what was wrong with each file (also in `reasons`).
import * as check from './check.js';
import { ConnectionError, make } from './errors.js';

export const WEBSOCKET_REL = 'urn:xmpp:alt-connections:websocket';
export const BOSH_REL = 'urn:xmpp:alt-connections:xbosh';
/** The most bytes read of one host-meta file. */
export const MAX_BYTES = 65536;
const DEFAULT_TIMEOUT_MS = 10000;
const DOMAIN = 'a domain name, optionally with a port (example.com, localhost:5280)';

const LOOPBACK = /^(localhost|[^:]*\.localhost|127(\.\d{1,3}){3}|\[::1\])(:\d+)?$/i;

/** The origin the host-meta files are read from, for `domain` and the `origin` option. */
export function base(domain, origin, what) {
  check.string(domain, `${what}: domain`);
  let host;
  try {
    host = new URL(`https://${domain}`);
  } catch {
    throw check.bad(`${what}: domain`, DOMAIN, domain, true);
  }
  // Only a host (and port): no user, path, query or fragment.
  if (!domain || host.host !== domain.toLowerCase() || host.username || host.pathname !== '/' || host.search || host.hash) {
    throw check.bad(`${what}: domain`, DOMAIN, domain, true);
  }
  if (check.absent(origin)) return `${LOOPBACK.test(host.host) ? 'http' : 'https'}://${host.host}`;
  const WANT = 'an http(s) origin (scheme, host and optional port)';
  check.string(origin, `${what}: options.origin`);
  let o;
  try {
    o = new URL(origin);
  } catch {
    throw check.bad(`${what}: options.origin`, WANT, origin, true);
  }
  if ((o.protocol !== 'http:' && o.protocol !== 'https:') || o.origin === 'null') throw check.bad(`${what}: options.origin`, WANT, origin, true);
  return o.origin;
}

/** The body of `url` as text, at most MAX_BYTES; throws a string saying what went wrong. */
async function get(url, signal) {
  const chunks = [];
  try {
    const r = await fetch(url, { signal, credentials: 'omit', cache: 'no-cache' });
    if (!r.ok) return Promise.reject(`HTTP ${r.status}`);
    // Read in chunks, so a huge body is refused at the limit whatever its Content-Length says.
    const reader = r.body.getReader();
    for (let total = 0; ;) {
      const { done, value } = await reader.read();
      if (done) break;
      if ((total += value.length) > MAX_BYTES) {
        reader.cancel().catch(() => {});
        return Promise.reject(`larger than ${MAX_BYTES} bytes`);
      }
      chunks.push(value);
    }
  } catch {
    throw signal.aborted ? 'timed out' : 'unreachable (network error or not allowed by CORS)';
  }
  return new Blob(chunks).text();
}

/** `[rel, href]` pairs of host-meta.json (RFC 6415 JRD); throws a string when it is not one. */
function jsonLinks(text) {
  let v;
  try {
    v = JSON.parse(text);
  } catch {
    throw 'not JSON';
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw 'not a JSON object';
  if (!Array.isArray(v.links)) throw '"links" is not an array';
  return v.links.filter((l) => typeof l === 'object' && l !== null && typeof l.rel === 'string' && typeof l.href === 'string').map((l) => [l.rel, l.href]);
}

/** `[rel, href]` pairs of host-meta (XRD); throws a string when it is not one. */
function xmlLinks(text) {
  if (typeof DOMParser === 'undefined') throw 'no DOMParser here to read XML';
  const doc = new DOMParser().parseFromString(text, 'application/xml');
  const root = doc.documentElement;
  if (doc.getElementsByTagName('parsererror').length) throw 'not well-formed XML';
  if (root.localName !== 'XRD') throw 'not an XRD document';
  const out = [];
  for (const l of root.children) {
    if (l.localName === 'Link' && l.hasAttribute('rel') && l.hasAttribute('href')) out.push([l.getAttribute('rel'), l.getAttribute('href')]);
  }
  return out;
}

/** Whether `href` is an absolute URL with one of `schemes`. */
function usable(href, schemes) {
  try {
    const u = new URL(href);
    return schemes.includes(u.protocol) && !!u.host;
  } catch {
    return false;
  }
}

/**
 * The WebSocket and BOSH URLs `domain` publishes (XEP-0156). Options: `origin` (where to read
 * host-meta, see above), `timeout` (ms, default 10000).
 */
export async function discover(domain, opts) {
  const what = 'Connection.discover';
  const o = check.optObject(opts, `${what}: options`) ?? {};
  for (const k of Object.keys(o)) {
    if (k !== 'origin' && k !== 'timeout') throw new RangeError(`${what}: options.${k} is not an option (the options are origin, timeout)`);
  }
  const from = base(domain, o.origin, what);
  const timeout = check.optUint(o.timeout, `${what}: options.timeout`, 'a non-negative integer number of milliseconds', 4294967295) ?? DEFAULT_TIMEOUT_MS;
  const secure = from.startsWith('https:');
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeout);
  const reasons = [];
  let found;
  try {
    const files = [['host-meta.json', jsonLinks], ['host-meta', xmlLinks]];
    const results = await Promise.allSettled(files.map(async ([name, parse]) => parse(await get(`${from}/.well-known/${name}`, ctl.signal))));
    found = { websocket: [], bosh: [] };
    results.forEach((r, i) => {
      const name = files[i][0];
      if (r.status === 'rejected') {
        reasons.push(`${name}: ${typeof r.reason === 'string' ? r.reason : 'unreadable'}`);
        return;
      }
      let n = 0;
      for (const [rel, href] of r.value) {
        const kind = rel === WEBSOCKET_REL ? 'websocket' : rel === BOSH_REL ? 'bosh' : null;
        if (!kind) continue;
        const schemes = kind === 'websocket' ? (secure ? ['wss:'] : ['wss:', 'ws:']) : (secure ? ['https:'] : ['https:', 'http:']);
        if (!usable(href, schemes)) continue;
        n++;
        if (!found[kind].includes(href)) found[kind].push(href);
      }
      if (!n) reasons.push(`${name}: no usable ${secure ? 'secure ' : ''}WebSocket or BOSH link`);
    });
  } finally {
    clearTimeout(timer);
  }
  if (!found.websocket.length && !found.bosh.length) {
    throw make(ConnectionError, `${what}: no XMPP connection method found for ${domain} at ${from}/.well-known/ (${reasons.join('; ')})`, 'discovery-failed', { domain, reasons });
  }
  return found;
}

/** The services a connection tries, in order: WebSocket first, then BOSH. */
export const services = (found) => [...found.websocket, ...found.bosh];

/**
 * The `{ domain, origin? }` form of `new Connection`'s first argument: `[domain, origin]`, or null
 * when `v` is not an object (a service URL).
 */
export function domainSpec(v) {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const what = 'new Connection';
  for (const k of Object.keys(v)) {
    if (k !== 'domain' && k !== 'origin') throw new RangeError(`${what}: service.${k} is not a member of the discovery form (it takes domain and origin)`);
  }
  base(v.domain, v.origin, what); // checked now: a mistake throws here, not at connect()
  return [v.domain, v.origin ?? undefined];
}
