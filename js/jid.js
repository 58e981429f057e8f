// Strophe.js's JID string helpers and XEP-0106 node escaping.
import { string } from './check.js';
import { core } from './wasm.js';

const arg = (v, what) => {
  core();
  return string(v, what);
};

/** `node@domain/resource` → `node@domain`. */
export function getBareJidFromJid(jid) {
  const s = arg(jid, 'getBareJidFromJid: jid');
  const i = s.indexOf('/');
  return i < 0 ? s : s.slice(0, i);
}

/** `node@domain/resource` → `node`, or `undefined` for a bare domain. */
export function getNodeFromJid(jid) {
  const s = arg(jid, 'getNodeFromJid: jid');
  const i = s.indexOf('@');
  return i < 0 ? undefined : s.slice(0, i);
}

/** `node@domain/resource` → `domain`. */
export function getDomainFromJid(jid) {
  const bare = getBareJidFromJid(arg(jid, 'getDomainFromJid: jid'));
  const i = bare.indexOf('@');
  return i < 0 ? bare : bare.slice(i + 1);
}

/** `node@domain/resource` → `resource`, or `undefined` without one. */
export function getResourceFromJid(jid) {
  const s = arg(jid, 'getResourceFromJid: jid');
  const i = s.indexOf('/');
  return i < 0 ? undefined : s.slice(i + 1);
}

const CODES = { ' ': '20', '"': '22', '&': '26', "'": '27', '/': '2f', ':': '3a', '<': '3c', '>': '3e', '@': '40', '\\': '5c' };
const CHARS = Object.fromEntries(Object.entries(CODES).map(([c, code]) => [code, c]));

/**
 * XEP-0106 escaping of a node: trimmed as Strophe.js does, then space `"` `&` `'` `/` `:` `<` `>`
 * `@` become `\20`…`\40`; a backslash becomes `\5c` only where it would start an escape sequence.
 */
export function escapeNode(node) {
  const s = arg(node, 'escapeNode: node').trim();
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    const esc = c === '\\' ? Object.hasOwn(CHARS, s.slice(i + 1, i + 3)) : Object.hasOwn(CODES, c);
    out += esc ? `\\${CODES[c]}` : c;
  }
  return out;
}

/** XEP-0106 unescaping: each of the ten sequences becomes its character, in one pass. */
export function unescapeNode(node) {
  return arg(node, 'unescapeNode: node').replace(/\\(20|22|26|27|2f|3a|3c|3e|40|5c)/g, (_, code) => CHARS[code]);
}
