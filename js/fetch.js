// The BOSH transport: one HTTP POST with fetch, under an AbortController, with the response size
// limit. (A WebSocket driver would sit beside this file.)

/**
 * POSTs a request of the core (`{url, body, contentType, headers, withCredentials, keepalive}`).
 * Resolves `[status, text]`, or `null` when the response announced or had more than `max` bytes
 * (not copied into the wasm); rejects with the browser's error for a network failure or an abort.
 */
export async function post(t, signal, max) {
  const headers = new Headers();
  headers.set('Content-Type', t.contentType);
  for (const [k, v] of t.headers) headers.set(k, v);
  const init = {
    method: 'POST',
    body: t.body,
    mode: 'cors',
    credentials: t.withCredentials ? 'include' : 'same-origin',
    headers,
  };
  if (signal) init.signal = signal;
  if (t.keepalive) init.keepalive = true;
  const resp = await fetch(t.url, init);
  const declared = resp.headers.get('Content-Length');
  if (declared !== null && /^\s*\d+\s*$/.test(declared) && Number(declared) > max) return null;
  const text = await resp.text();
  // Without Content-Length (chunked, compressed), measured before it reaches the wasm: UTF-8 needs
  // at least one byte per UTF-16 unit.
  if (text.length > max) return null;
  return [resp.status, text];
}
