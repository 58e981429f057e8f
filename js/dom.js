// XML text ↔ DOM: DOMParser and XMLSerializer (one of each, made on first use).
let parser, serializer;

/** Parses namespace-complete XML text into a DOM element; throws if it is not well-formed. */
export function toDom(xml) {
  parser ??= new DOMParser();
  const el = parser.parseFromString(xml, 'text/xml').documentElement;
  if (!el || el.nodeName === 'parsererror') {
    throw new Error('DOMParser: not well-formed XML');
  }
  return el;
}

/** A DOM element as XML text. */
export function serialize(el) {
  serializer ??= new XMLSerializer();
  return serializer.serializeToString(el);
}

const XMLNS = 'http://www.w3.org/2000/xmlns/';
const XML = 'http://www.w3.org/XML/1998/namespace';
let doc;

/**
 * A DOM element from the core's tree `[name, [attribute name, value, …], [child…]]` (a child is a
 * tree or text), namespaces resolved from the `xmlns` declarations the core puts on every stanza:
 * what DOMParser would give for its XML, at a fraction of the cost.
 */
export function fromTree(tree) {
  doc ??= document.implementation.createDocument(null, null, null);
  return build(tree, new Map());
}

function build([name, attrs, kids], scope) {
  let sc = scope;
  for (let i = 0; i < attrs.length; i += 2) {
    const k = attrs[i];
    if (k === 'xmlns' || k.startsWith('xmlns:')) {
      if (sc === scope) sc = new Map(scope);
      sc.set(k === 'xmlns' ? '' : k.slice(6), attrs[i + 1]);
    }
  }
  const ns = (qname, dflt) => {
    const c = qname.indexOf(':');
    if (c < 0) return dflt ? sc.get('') || null : null;
    const p = qname.slice(0, c);
    return p === 'xmlns' ? XMLNS : p === 'xml' ? XML : sc.get(p) || null;
  };
  const el = doc.createElementNS(ns(name, true), name);
  for (let i = 0; i < attrs.length; i += 2) {
    const k = attrs[i];
    if (k === 'xmlns') el.setAttributeNS(XMLNS, k, attrs[i + 1]);
    else el.setAttributeNS(ns(k, false), k, attrs[i + 1]);
  }
  for (const kid of kids) el.appendChild(typeof kid === 'string' ? doc.createTextNode(kid) : build(kid, sc));
  return el;
}
