// Argument checks at the JavaScript boundary: a wrong type throws a TypeError, a wrong value of the
// right type a RangeError, both with one message shape, "<where>: <arg> must be <expected>, got
// <given>", in JavaScript terms (`got number 42`, `got string "30"`, `got undefined`).

/** What `v` is: `number 42`, `string "30"`, `null`, `undefined`, `an array`, `an object`… */
export function describe(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  const t = typeof v;
  if (t === 'string') {
    const q = [...JSON.stringify(v)];
    return `string ${q.length > 60 ? `${q.slice(0, 60).join('')}…` : q.join('')}`;
  }
  if (t === 'number' || t === 'boolean' || t === 'bigint') return `${t} ${String(v)}`;
  if (t === 'object') return 'an object';
  if (t === 'function') return 'a function';
  if (t === 'symbol') return 'a symbol';
  return t;
}

/** The error `"<what> must be <expected>, got <v>"`: a RangeError when `range`, else a TypeError. */
export function bad(what, expected, v, range) {
  const message = `${what} must be ${expected}, got ${describe(v)}`;
  return range ? new RangeError(message) : new TypeError(message);
}

/** `undefined` or `null`: an omitted optional argument. */
export const absent = (v) => v === undefined || v === null;

export function string(v, what) {
  if (typeof v !== 'string') throw bad(what, 'a string', v, false);
  return v;
}

export function optString(v, what) {
  if (absent(v)) return undefined;
  if (typeof v !== 'string') throw bad(what, 'a string, null or undefined', v, false);
  return v;
}

export function fn(v, what) {
  if (typeof v !== 'function') throw bad(what, 'a function', v, false);
  return v;
}

export function optFn(v, what) {
  if (absent(v)) return undefined;
  if (typeof v !== 'function') throw bad(what, 'a function, null or undefined', v, false);
  return v;
}

/** An integer from 0 to `max`, or absent; never wrapped or truncated. */
export function optUint(v, what, expected, max) {
  if (absent(v)) return undefined;
  if (typeof v !== 'number') throw bad(what, expected, v, false);
  if (!(Number.isInteger(v) && v >= 0 && v <= max)) throw bad(what, expected, v, true);
  return v;
}

/** A finite number of at least 0, or absent. */
export function optNonneg(v, what, expected) {
  if (absent(v)) return undefined;
  if (typeof v !== 'number') throw bad(what, expected, v, false);
  if (!(Number.isFinite(v) && v >= 0)) throw bad(what, expected, v, true);
  return v;
}

/** An object (not an array, not a function), or absent. */
export function optObject(v, what) {
  if (absent(v)) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw bad(what, 'an object, null or undefined', v, false);
  return v;
}
