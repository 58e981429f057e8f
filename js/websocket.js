// The WebSocket transport (RFC 7395): the socket the core asks for (`[6, 0, url]`), with the `xmpp`
// subprotocol; its events are the core's inputs. fetch.js is the BOSH transport beside it.

/**
 * Opens a WebSocket to `url` and reports to `on`: `open()`, `frame(text)` for each message,
 * `closed()` once (also when it cannot be opened, or when the server did not agree to `xmpp`).
 * Returns a handle for `send` and `close`.
 */
export function open(url, on) {
  const s = { ws: null, on };
  const closed = () => {
    if (!s.on) return;
    const o = s.on;
    s.on = null;
    o.closed();
  };
  try {
    s.ws = new WebSocket(url, 'xmpp');
  } catch {
    // A URL the browser refuses (bad port, mixed content): closed, in a later task like a failure.
    setTimeout(closed, 0);
    return s;
  }
  s.ws.onopen = () => {
    if (!s.on) return;
    // RFC 7395 §3.2: a server that did not choose `xmpp` is not an XMPP endpoint.
    if (s.ws.protocol !== 'xmpp') {
      close(s);
      return closed();
    }
    s.on.open();
  };
  // A binary message is not XMPP (§3.3.1): the core gets nothing it can parse and ends the stream.
  s.ws.onmessage = (e) => s.on?.frame(typeof e.data === 'string' ? e.data : '');
  s.ws.onclose = closed;
  return s;
}

/** Sends one text frame; a socket closing meanwhile drops it (its close event follows). */
export function send(s, text) {
  if (s.ws?.readyState === 1) s.ws.send(text);
}

/** Closes the socket (normal closure); nothing more is reported. */
export function close(s) {
  s.on = null;
  try {
    s.ws?.close(1000);
  } catch {}
}
