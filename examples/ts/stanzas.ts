// Handlers get DOM Elements; stanzas are built with Builder or written as XML; waiting calls have
// callback and Promise forms, whose errors are told apart by class (`instanceof`).
import {
  $iq, $msg, Builder, Connection, DisconnectedError, StanzaError, TimeoutError,
  getBareJidFromJid, getResourceFromJid, escapeNode, unescapeNode,
} from 'xmpp-wasm';
import type { HandlerOptions, NoAnswerError, Stanza, StanzaHandler } from 'xmpp-wasm';

/** Every error the package rejects or throws with, told apart by `name`. */
type XmppError = StanzaError | NoAnswerError;

function asXmppError(e: unknown): XmppError | undefined {
  return e instanceof StanzaError || e instanceof TimeoutError || e instanceof DisconnectedError
    ? e
    : undefined;
}

export function listen(conn: Connection, onChat: (from: string, text: string) => void): number {
  const handler: StanzaHandler = (msg: Element) => {
    const body = msg.getElementsByTagName('body')[0];
    if (body?.textContent) onChat(getBareJidFromJid(msg.getAttribute('from') ?? ''), body.textContent);
    return true; // keep the handler; `false` removes it
  };
  const opts: HandlerOptions = { matchBareFromJid: true };
  // addHandler(handler, ns, name, type, id, from, options), as in Strophe.js.
  return conn.addHandler(handler, null, 'message', ['chat', 'normal'], null, null, opts);
}

export function chat(to: string, text: string): Builder {
  // <message to=… type='chat' xmlns='jabber:client'><body>text</body><active xmlns=…/></message>;
  // text is escaped.
  return $msg({ to, type: 'chat' })
    .c('body', null, null).t(text).up()
    .c('active', { xmlns: 'http://jabber.org/protocol/chatstates' }, null);
}

export function sendAll(conn: Connection, to: string): void {
  const asText: Stanza = `<message to='${to}'><body>as a string</body></message>`;
  const asElement: Stanza = chat(to, 'as an Element').tree();
  const asBuilder: Stanza = chat(to, 'as a Builder <&>');
  for (const s of [asText, asElement, asBuilder]) conn.send(s); // all leave in one BOSH body
  try {
    conn.send('<message/><message/>'); // two elements: throws, nothing is sent
  } catch (e: unknown) {
    // A TypeError with a `condition` ('bad-format').
    console.assert(e instanceof TypeError, 'send refuses what is not exactly one element');
  }
}

export function pingWithCallbacks(conn: Connection, domain: string): string {
  const iq = $iq({ type: 'get', to: domain }).c('ping', { xmlns: 'urn:xmpp:ping' }, null);
  return conn.sendIQ(
    iq,
    (result: Element) => console.log('pong', result.getAttribute('id')),
    (error: Element | null) => console.log(error === null ? 'no answer' : 'error', error?.getAttribute('type')),
    5000,
  );
}

export async function version(conn: Connection, jid: string): Promise<string | null> {
  try {
    const result: Element = await conn.sendIQAsync(
      `<iq type='get' to='${jid}'><query xmlns='jabber:iq:version'/></iq>`, 10_000);
    return result.getElementsByTagName('name')[0]?.textContent ?? null;
  } catch (e: unknown) {
    const err = asXmppError(e);
    switch (err?.name) {
      case 'StanzaError':
        console.log(`error answer: ${err.condition}`, err.stanza?.outerHTML);
        return null;
      case 'TimeoutError':
      case 'DisconnectedError':
        console.log(`no answer: ${err.condition}`); // 'timeout' | 'disconnected'
        return null;
      default:
        throw e;
    }
  }
}

export async function presence(conn: Connection): Promise<Element> {
  return conn.sendPresenceAsync(new Builder('presence', { xmlns: 'jabber:client' }).c('show', null, 'chat'), 5000);
}

export function keepAlive(conn: Connection): number {
  let n = 0;
  // Every 30 s while it returns true.
  return conn.addTimedHandler(30_000, () => {
    conn.send("<iq type='get'><ping xmlns='urn:xmpp:ping'/></iq>");
    return ++n < 10;
  });
}

export function jids(): string[] {
  const full = 'd\\27artagnan@example.org/musketeer';
  const node: string = unescapeNode(escapeNode("d'artagnan"));
  const resource: string | undefined = getResourceFromJid(full);
  return [node, resource ?? ''];
}
