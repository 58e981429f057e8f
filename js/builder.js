// `Builder` and `$build/$msg/$iq/$pres`, with Strophe.js's chaining API. A builder is a small tree
// of plain objects, serialised the way the core writes XML (single-quoted attributes); `tree()`
// parses that text with DOMParser when a DOM element is asked for.
import { absent, bad, optObject, string } from './check.js';
import { core } from './wasm.js';
import { serialize, toDom } from './dom.js';

const NAME = /^[\p{Alphabetic}_][\p{Alphabetic}\p{N}_.:-]*$/u;
const isName = (s) => NAME.test(s);

function xmlName(v, what) {
  const name = string(v, what);
  if (!isName(name)) throw bad(what, 'an XML name', v, true);
  return name;
}

/** `{name: value}` → [[name, value or undefined (remove)]]. */
function readAttrs(attrs, what) {
  const obj = optObject(attrs, what);
  if (!obj) return [];
  return Object.entries(obj).map(([k, v]) => {
    if (absent(v)) return [k, undefined];
    const t = typeof v;
    if (t === 'string' || t === 'number' || t === 'boolean') return [k, String(v)];
    throw bad(`${what}.${k}`, 'a string, number, boolean, null or undefined', v, false);
  });
}

function apply(el, list, what) {
  for (const [k, v] of list) {
    if (!isName(k)) throw bad(`${what}: an attribute name`, 'an XML name', k, true);
    const i = el.a.findIndex((p) => p[0] === k);
    if (v === undefined) {
      if (i >= 0) el.a.splice(i, 1);
    } else if (i >= 0) el.a[i][1] = v;
    else el.a.push([k, v]);
  }
}

function text(v, what) {
  const t = typeof v;
  if (t === 'string' || t === 'number' || t === 'boolean') return String(v);
  throw bad(what, 'a string', v, false);
}

const elem = (n) => ({ n, a: [], c: [] });

function pushText(el, s) {
  if (!s) return;
  const last = el.c.length - 1;
  if (typeof el.c[last] === 'string') el.c[last] += s;
  else el.c.push(s);
}

const ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\t': '&#x9;', '\n': '&#xA;', '\r': '&#xD;' };
const escText = (s) => s.replace(/[&<>\r]/g, (c) => ESC[c]);
const escAttr = (s) => s.replace(/[&<>"'\t\n\r]/g, (c) => ESC[c]);

function write(el) {
  let s = `<${el.n}`;
  for (const [k, v] of el.a) s += ` ${k}='${escAttr(v)}'`;
  if (!el.c.length) return `${s}/>`;
  s += '>';
  for (const c of el.c) s += typeof c === 'string' ? escText(c) : write(c);
  return `${s}</${el.n}>`;
}

/** A DOM element as a builder element (its serialisation re-parsed: namespaces as attributes). */
function fromDom(node) {
  const walk = (d) => {
    const el = elem(d.nodeName);
    for (const at of d.attributes) el.a.push([at.name, at.value]);
    for (const ch of d.childNodes) {
      if (ch.nodeType === 1) el.c.push(walk(ch));
      else if (ch.nodeType === 3 || ch.nodeType === 4) pushText(el, ch.data);
    }
    return el;
  };
  return walk(toDom(serialize(node)));
}

/**
 * Builds a stanza by chaining, like Strophe.js:
 * `$msg({to, type: 'chat'}).c('body').t('hi').up().c('active', {xmlns})`.
 * Every method changes the builder and returns it.
 */
export class Builder {
  constructor(name, attrs) {
    core();
    const root = elem(xmlName(name, 'Builder: name'));
    apply(root, readAttrs(attrs, 'Builder: attrs'), 'Builder');
    this.r = root;
    this.p = [root];
  }

  /** Adds a child `<name attrs…>` (with `text` inside, if given) and moves into it — unless `text` is given. */
  c(name, attrs, txt) {
    const child = elem(xmlName(name, 'Builder.c: name'));
    apply(child, readAttrs(attrs, 'Builder.c: attrs'), 'Builder.c');
    const cur = this.p[this.p.length - 1];
    if (absent(txt)) {
      cur.c.push(child);
      this.p.push(child);
    } else {
      pushText(child, text(txt, 'Builder.c: text'));
      cur.c.push(child);
    }
    return this;
  }

  /** Adds a copy of a DOM element as a child and moves into it. */
  cnode(node) {
    if (typeof Element === 'undefined' || !(node instanceof Element)) {
      throw bad('Builder.cnode: node', 'a DOM Element', node, false);
    }
    const child = fromDom(node);
    this.p[this.p.length - 1].c.push(child);
    this.p.push(child);
    return this;
  }

  /** Adds text (escaped when serialised) to the current element. */
  t(txt) {
    pushText(this.p[this.p.length - 1], text(txt, 'Builder.t: text'));
    return this;
  }

  /** Sets attributes of the current element; `null`/`undefined` removes. */
  attrs(attrs) {
    apply(this.p[this.p.length - 1], readAttrs(attrs, 'Builder.attrs: attrs'), 'Builder.attrs');
    return this;
  }

  /** Moves to the parent of the current element. */
  up() {
    if (this.p.length > 1) this.p.pop();
    return this;
  }

  /** Moves to the root. */
  root() {
    this.p.length = 1;
    return this;
  }

  /** The stanza as a DOM element. */
  tree() {
    return toDom(write(this.r));
  }

  /** The stanza as XML text. */
  toString() {
    return write(this.r);
  }
}

/** `new Builder(name, attrs)`. */
export const $build = (name, attrs) => new Builder(name, attrs);

function stanza(name, what, attrs) {
  core();
  const b = Object.create(Builder.prototype);
  const root = elem(name);
  apply(root, readAttrs(attrs, what), what);
  if (!root.a.some((p) => p[0] === 'xmlns')) root.a.push(['xmlns', 'jabber:client']);
  b.r = root;
  b.p = [root];
  return b;
}

/** A `<message xmlns='jabber:client'/>` builder. */
export const $msg = (attrs) => stanza('message', '$msg: attrs', attrs);
/** An `<iq xmlns='jabber:client'/>` builder. */
export const $iq = (attrs) => stanza('iq', '$iq: attrs', attrs);
/** A `<presence xmlns='jabber:client'/>` builder. */
export const $pres = (attrs) => stanza('presence', '$pres: attrs', attrs);
