// The error classes of the API: `err instanceof ConnectionError`, each also an `Error` with a
// `stack`, a `name` and a `condition`. Their declarations are in xmpp_wasm.d.ts.

function define(name) {
  const cls = class extends Error {};
  Object.defineProperty(cls, 'name', { value: name });
  return cls;
}
export const ConnectionError = define('ConnectionError');
export const SessionError = define('SessionError');
export const StanzaError = define('StanzaError');
export const PrebindError = define('PrebindError');
export const TimeoutError = define('TimeoutError');
export const DisconnectedError = define('DisconnectedError');

/** An error of class `cls` (or a TypeError) with `message`, `condition` and more fields. */
export function make(cls, message, condition, fields) {
  const e = new cls(message);
  e.name = cls.name;
  e.condition = condition;
  return Object.assign(e, fields);
}
