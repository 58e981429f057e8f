// Log in with a typed options object, watch the status, log out.
// Checked by `tsc --strict --noEmit` (npm run check) against the package's xmpp_wasm.d.ts.
//
// The generated .d.ts (wasm-bindgen 0.2.130) marks no trailing parameter of these methods
// optional, so every argument is written out (`null`/`undefined` where JavaScript may omit it).
import { Connection, ConnectionError, Status } from 'xmpp-wasm';
import type { ConnectionOptions, StatusCallback } from 'xmpp-wasm';

const options: ConnectionOptions = {
  wait: 30,
  hold: 1,
  maxRetries: 3,
  contentType: 'text/plain; charset=utf-8', // no CORS preflight for a cross-origin BOSH service
  customHeaders: { 'X-App': 'example' },
};

export async function login(service: string, jid: string, password: string): Promise<Connection> {
  const conn = new Connection(service, options);
  conn.rawOutput = (xml: string) => console.debug('SENT', xml);
  conn.rawInput = (xml: string) => console.debug('RECV', xml);

  const onStatus: StatusCallback = (status, condition) => {
    // `status` is the Status enum; `Status[status]` is its name, as in Strophe.Status.
    console.log(`status ${Status[status]}${condition === undefined ? '' : ` (${condition})`}`);
  };
  try {
    const status: Status = await conn.connect(jid, password, onStatus);
    console.log(`${Status[status]} as ${conn.jid ?? '?'} with ${conn.mechanism ?? '?'}`);
  } catch (e: unknown) {
    if (e instanceof ConnectionError) {
      // AUTHFAIL for a wrong password, CONNFAIL with a condition such as `remote-connection-failed`
      // (then also the HTTP status or the network error, and the URL).
      const why = e.httpStatus !== undefined ? `HTTP ${e.httpStatus}` : e.networkError ?? '';
      throw new Error(`login failed: ${e.status === undefined ? 'refused' : Status[e.status]} ${e.condition} ${why} (${e.url})`);
    }
    throw e;
  }
  return conn;
}

export async function anonymous(service: string): Promise<boolean> {
  // A bare domain is an anonymous login, which must be asked for.
  const conn = new Connection(service, { mechanisms: ['ANONYMOUS'] });
  await conn.connect('anon.localhost', null, null);
  const ok = conn.connected && conn.authenticated && !conn.paused;
  await conn.disconnect(null);
  return ok && conn.status === Status.DISCONNECTED;
}
