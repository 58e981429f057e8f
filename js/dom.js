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
