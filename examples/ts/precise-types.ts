// The public .d.ts is precise: each line marked @ts-expect-error must NOT compile. If the package's
// types loosened (an `any` or a `Function` in the surface), tsc would report the directive unused.
import { Builder, Connection, Status } from 'xmpp-wasm';
import type { ConnectionOptions, SessionError, StanzaHandler } from 'xmpp-wasm';

export function checks(conn: Connection): void {
  // @ts-expect-error: an unknown option
  const o1: ConnectionOptions = { wiat: 60 };
  // @ts-expect-error: a wrong option type
  const o2: ConnectionOptions = { wait: '60' };
  // @ts-expect-error: customHeaders values are strings
  new Connection('/http-bind', { customHeaders: { 'X-N': 1 } });
  // @ts-expect-error: a handler gets an Element, not a string
  const h: StanzaHandler = (s: string) => s.length > 0;
  // @ts-expect-error: a handler must say whether it stays
  conn.addHandler(() => {}, null, 'message', null, null, null, undefined);
  // @ts-expect-error: a status callback gets a Status, not a string
  void conn.connect('a@b', 'p', (s: string) => console.log(s));
  // @ts-expect-error: send takes an Element, a Builder or a string
  conn.send(42);
  // @ts-expect-error: attributes are strings, numbers or booleans
  new Builder('x', { a: {} });
  // @ts-expect-error: sendIQAsync resolves with an Element
  const p: Promise<string> = conn.sendIQAsync('<iq/>', null);
  // @ts-expect-error: the status is read-only
  conn.status = Status.CONNECTED;
  // @ts-expect-error: SessionError reasons are a closed set
  const r: SessionError['reason'] = 'expired';
  // @ts-expect-error: rawInput gets the body text
  conn.rawInput = (x: number) => x;
  void [o1, o2, h, p, r];
}
