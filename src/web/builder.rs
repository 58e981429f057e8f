//! `Builder` and `$build/$msg/$iq/$pres`, with Strophe.js's chaining API, and
//! the JID helpers, for JavaScript.

use super::{error, js};
use crate::xml::{Element, Node};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Builds a stanza by chaining, like Strophe.js:
/// `$msg({to, type: 'chat'}).c('body').t('hi').up().c('active', {xmlns})`.
#[wasm_bindgen]
pub struct Builder {
    root: Element,
    /// Child indices from the root to the current element.
    path: Vec<usize>,
}

/// Reads `{name: value}` pairs; `null`/`undefined` values mean "remove".
fn read_attrs(attrs: &JsValue) -> Result<Vec<(String, Option<String>)>, JsValue> {
    if attrs.is_undefined() || attrs.is_null() {
        return Ok(Vec::new());
    }
    if !attrs.is_object() {
        return Err(error(
            "TypeError",
            "attributes must be an object",
            "bad-options",
        ));
    }
    let mut out = Vec::new();
    for entry in js_sys::Object::entries(attrs.unchecked_ref()).iter() {
        let pair: js_sys::Array = entry.unchecked_into();
        let key = pair.get(0).as_string().unwrap_or_default();
        let v = pair.get(1);
        let value = if v.is_undefined() || v.is_null() {
            None
        } else if let Some(s) = v.as_string() {
            Some(s)
        } else if v.as_f64().is_some() {
            // JavaScript's own number formatting (no float formatter in the wasm).
            Some(String::from(
                js_sys::Number::from(v.clone())
                    .to_string_with_radix(10)
                    .unwrap_or_default(),
            ))
        } else if let Some(b) = v.as_bool() {
            Some(b.to_string())
        } else {
            return Err(error(
                "TypeError",
                &format!("attribute {key:?} must be a string, number or boolean"),
                "bad-options",
            ));
        };
        out.push((key, value));
    }
    Ok(out)
}

fn check_name(name: &str) -> Result<(), JsValue> {
    let ok = !name.is_empty()
        && name.chars().enumerate().all(|(i, c)| {
            c.is_alphabetic()
                || c == '_'
                || (i > 0 && (c.is_alphanumeric() || matches!(c, '-' | '.' | ':')))
        });
    if ok {
        Ok(())
    } else {
        Err(error(
            "TypeError",
            &format!("{name:?} is not an XML name"),
            "bad-format",
        ))
    }
}

fn apply(el: &mut Element, attrs: Vec<(String, Option<String>)>) -> Result<(), JsValue> {
    for (k, v) in attrs {
        check_name(&k)?;
        match v {
            Some(v) => el.set_attr(k, v),
            None => {
                el.remove_attr(&k);
            }
        }
    }
    Ok(())
}

/// The element at `path` (child indices) below `el`.
fn at_path<'a>(mut el: &'a mut Element, path: &[usize]) -> Option<&'a mut Element> {
    for &i in path {
        el = match el.children.get_mut(i)? {
            Node::Element(child) => child,
            Node::Text(_) => return None,
        };
    }
    Some(el)
}

impl Builder {
    fn current(&mut self) -> &mut Element {
        if at_path(&mut self.root, &self.path).is_none() {
            self.path.clear();
        }
        at_path(&mut self.root, &self.path).expect("the path was just checked, or is empty")
    }

    fn push_and_enter(&mut self, child: Element) {
        let cur = self.current();
        cur.children.push(Node::Element(child));
        let idx = cur.children.len() - 1;
        self.path.push(idx);
    }

    /// The built element.
    pub fn element(&self) -> &Element {
        &self.root
    }
}

#[wasm_bindgen]
impl Builder {
    /// A builder whose root is `<name attrs…/>`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        name: &str,
        #[wasm_bindgen(unchecked_optional_param_type = "Attrs")] attrs: JsValue,
    ) -> Result<Builder, JsValue> {
        check_name(name)?;
        let mut root = Element::new(name);
        apply(&mut root, read_attrs(&attrs)?)?;
        Ok(Builder {
            root,
            path: Vec::new(),
        })
    }

    /// Adds a child `<name attrs…>` (with `text` inside, if given) and moves
    /// into it — unless `text` is given, as in Strophe.js.
    pub fn c(
        mut self,
        name: &str,
        #[wasm_bindgen(unchecked_optional_param_type = "Attrs | null")] attrs: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string | null")] text: Option<String>,
    ) -> Result<Builder, JsValue> {
        check_name(name)?;
        let mut child = Element::new(name);
        apply(&mut child, read_attrs(&attrs)?)?;
        match text {
            Some(t) => {
                child.push_text(t);
                self.current().children.push(Node::Element(child));
            }
            None => self.push_and_enter(child),
        }
        Ok(self)
    }

    /// Adds a copy of a DOM element (or of another builder's tree) as a
    /// child and moves into it.
    pub fn cnode(
        mut self,
        #[wasm_bindgen(unchecked_param_type = "Element")] node: JsValue,
    ) -> Result<Builder, JsValue> {
        let text = if let Some(el) = node.dyn_ref::<web_sys::Element>() {
            js::serialize(el)?
        } else {
            return Err(error(
                "TypeError",
                "cnode() takes a DOM Element",
                "bad-format",
            ));
        };
        let child = crate::xml::parse_standalone(&text)
            .map_err(|e| error("TypeError", &e.to_string(), e.condition()))?;
        self.push_and_enter(child);
        Ok(self)
    }

    /// Adds text (escaped when serialised) to the current element.
    pub fn t(mut self, text: &str) -> Builder {
        self.current().push_text(text);
        self
    }

    /// Sets attributes of the current element; `null`/`undefined` removes.
    pub fn attrs(
        mut self,
        #[wasm_bindgen(unchecked_param_type = "Attrs")] attrs: JsValue,
    ) -> Result<Builder, JsValue> {
        let list = read_attrs(&attrs)?;
        apply(self.current(), list)?;
        Ok(self)
    }

    /// Moves to the parent of the current element.
    pub fn up(mut self) -> Builder {
        self.path.pop();
        self
    }

    /// Moves to the root.
    pub fn root(mut self) -> Builder {
        self.path.clear();
        self
    }

    /// The stanza as a DOM element.
    pub fn tree(&self) -> Result<web_sys::Element, JsValue> {
        js::to_dom(&self.root.to_xml())
    }

    /// The stanza as XML text.
    #[wasm_bindgen(js_name = toString)]
    pub fn to_xml_string(&self) -> String {
        self.root.to_xml()
    }
}

// `$build`, `$msg`, `$iq` and `$pres` are these four under Strophe's names:
// wasm-bindgen 0.2.130 drops exports whose name starts with `$`, so
// `scripts/dollar-exports.mjs` adds the aliases to the generated package.

/// `new Builder(name, attrs)` (also exported as `$build`).
#[wasm_bindgen(js_name = "build")]
pub fn build(
    name: &str,
    #[wasm_bindgen(unchecked_optional_param_type = "Attrs")] attrs: JsValue,
) -> Result<Builder, JsValue> {
    Builder::new(name, attrs)
}

fn stanza(name: &str, attrs: JsValue) -> Result<Builder, JsValue> {
    let mut b = Builder::new(name, attrs)?;
    if b.root.attr("xmlns").is_none() {
        b.root.set_attr("xmlns", crate::ns::CLIENT);
    }
    Ok(b)
}

/// A `<message xmlns='jabber:client'/>` builder (also exported as `$msg`).
#[wasm_bindgen(js_name = "msg")]
pub fn msg(
    #[wasm_bindgen(unchecked_optional_param_type = "Attrs")] attrs: JsValue,
) -> Result<Builder, JsValue> {
    stanza("message", attrs)
}

/// An `<iq xmlns='jabber:client'/>` builder (also exported as `$iq`).
#[wasm_bindgen(js_name = "iq")]
pub fn iq(
    #[wasm_bindgen(unchecked_optional_param_type = "Attrs")] attrs: JsValue,
) -> Result<Builder, JsValue> {
    stanza("iq", attrs)
}

/// A `<presence xmlns='jabber:client'/>` builder (also exported as `$pres`).
#[wasm_bindgen(js_name = "pres")]
pub fn pres(
    #[wasm_bindgen(unchecked_optional_param_type = "Attrs")] attrs: JsValue,
) -> Result<Builder, JsValue> {
    stanza("presence", attrs)
}

/// `node@domain/resource` → `node@domain`.
#[wasm_bindgen(js_name = getBareJidFromJid)]
pub fn get_bare_jid_from_jid(jid: &str) -> String {
    crate::jid::get_bare_jid_from_jid(jid)
}

/// `node@domain/resource` → `node`, or `undefined` for a bare domain.
#[wasm_bindgen(js_name = getNodeFromJid)]
pub fn get_node_from_jid(jid: &str) -> Option<String> {
    crate::jid::get_node_from_jid(jid)
}

/// `node@domain/resource` → `domain`.
#[wasm_bindgen(js_name = getDomainFromJid)]
pub fn get_domain_from_jid(jid: &str) -> String {
    crate::jid::get_domain_from_jid(jid)
}

/// `node@domain/resource` → `resource`, or `undefined`.
#[wasm_bindgen(js_name = getResourceFromJid)]
pub fn get_resource_from_jid(jid: &str) -> Option<String> {
    crate::jid::get_resource_from_jid(jid)
}

/// Escapes a node part per XEP-0106 (`d'artagnan` → `d\27artagnan`).
#[wasm_bindgen(js_name = escapeNode)]
pub fn escape_node(node: &str) -> String {
    crate::jid::escape_node(node)
}

/// Reverses [`escape_node`].
#[wasm_bindgen(js_name = unescapeNode)]
pub fn unescape_node(node: &str) -> String {
    crate::jid::unescape_node(node)
}
