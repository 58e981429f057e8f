//! `Builder` and `$build/$msg/$iq/$pres`, with Strophe.js's chaining API, and
//! the JID helpers, for JavaScript.

use super::{check, js};
use crate::xml::{Element, Node};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Builds a stanza by chaining, like Strophe.js:
/// `$msg({to, type: 'chat'}).c('body').t('hi').up().c('active', {xmlns})`.
/// Every method changes the builder it is called on and returns it, so
/// `b.c('body'); b.t('hi')` works too (in JavaScript, the returned object
/// is another handle on the same builder).
#[wasm_bindgen]
pub struct Builder {
    state: Rc<RefCell<State>>,
}

struct State {
    root: Element,
    /// Child indices from the root to the current element.
    path: Vec<usize>,
}

/// Reads `{name: value}` pairs; `null`/`undefined` values mean "remove".
fn read_attrs(attrs: &JsValue, what: &str) -> Result<Vec<(String, Option<String>)>, JsValue> {
    let Some(obj) = check::opt_object(attrs, what)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for entry in js_sys::Object::entries(&obj).iter() {
        let pair: js_sys::Array = entry.unchecked_into();
        let key = pair.get(0).as_string().unwrap_or_default();
        let v = pair.get(1);
        let value = if check::absent(&v) {
            None
        } else if v.as_string().is_some() || v.as_f64().is_some() || v.as_bool().is_some() {
            // JavaScript's own formatting (no float formatter in the wasm).
            Some(check::js_string(&v))
        } else {
            return Err(check::bad(
                &check::cat(&[what, ".", &key]),
                "a string, number, boolean, null or undefined",
                &v,
                false,
            ));
        };
        out.push((key, value));
    }
    Ok(out)
}

fn is_xml_name(name: &str) -> bool {
    !name.is_empty()
        && name.chars().enumerate().all(|(i, c)| {
            c.is_alphabetic()
                || c == '_'
                || (i > 0 && (c.is_alphanumeric() || matches!(c, '-' | '.' | ':')))
        })
}

/// An XML name given by JavaScript.
fn xml_name(v: &JsValue, what: &str) -> Result<String, JsValue> {
    let name = check::string(v, what)?;
    if is_xml_name(&name) {
        Ok(name)
    } else {
        Err(check::bad(what, "an XML name", v, true))
    }
}

fn apply(
    el: &mut Element,
    attrs: Vec<(String, Option<String>)>,
    what: &str,
) -> Result<(), JsValue> {
    for (k, v) in attrs {
        if !is_xml_name(&k) {
            return Err(check::bad(
                &check::cat(&[what, ": an attribute name"]),
                "an XML name",
                &JsValue::from_str(&k),
                true,
            ));
        }
        match v {
            Some(v) => el.set_attr(k, v),
            None => {
                el.remove_attr(&k);
            }
        }
    }
    Ok(())
}

/// Text given by JavaScript: a string, or a number or boolean as JavaScript
/// writes it.
fn text(v: &JsValue, what: &str) -> Result<String, JsValue> {
    if v.as_string().is_some() || v.as_f64().is_some() || v.as_bool().is_some() {
        Ok(check::js_string(v))
    } else {
        Err(check::bad(what, "a string", v, false))
    }
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

impl State {
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
}

/// The Rust API (the JavaScript one, with its argument checks, follows).
impl Builder {
    fn handle(&self) -> Builder {
        Builder {
            state: self.state.clone(),
        }
    }

    fn with_root(root: Element) -> Builder {
        Builder {
            state: Rc::new(RefCell::new(State {
                root,
                path: Vec::new(),
            })),
        }
    }

    /// A builder whose root is `<name attrs…/>`.
    pub fn new(name: &str, attrs: JsValue) -> Result<Builder, JsValue> {
        Builder::js_new(JsValue::from_str(name), attrs)
    }

    /// Adds a child `<name attrs…>` (with `text` inside, if given) and moves
    /// into it — unless `text` is given, as in Strophe.js.
    pub fn c(self, name: &str, attrs: JsValue, text: Option<String>) -> Result<Builder, JsValue> {
        self.js_c(
            JsValue::from_str(name),
            attrs,
            text.map(JsValue::from).unwrap_or(JsValue::UNDEFINED),
        )
    }

    /// Adds text (escaped when serialised) to the current element.
    pub fn t(self, text: &str) -> Builder {
        self.state.borrow_mut().current().push_text(text);
        self
    }

    /// Moves to the parent of the current element.
    pub fn up(self) -> Builder {
        self.state.borrow_mut().path.pop();
        self
    }

    /// Moves to the root.
    pub fn root(self) -> Builder {
        self.state.borrow_mut().path.clear();
        self
    }

    /// A copy of the built element.
    pub fn element(&self) -> Element {
        self.state.borrow().root.clone()
    }
}

#[wasm_bindgen]
impl Builder {
    /// A builder whose root is `<name attrs…/>`.
    #[wasm_bindgen(constructor)]
    pub fn js_new(
        #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Attrs")] attrs: JsValue,
    ) -> Result<Builder, JsValue> {
        let mut root = Element::new(xml_name(&name, "Builder: name")?);
        apply(&mut root, read_attrs(&attrs, "Builder: attrs")?, "Builder")?;
        Ok(Builder::with_root(root))
    }

    /// Adds a child `<name attrs…>` (with `text` inside, if given) and moves
    /// into it — unless `text` is given, as in Strophe.js.
    #[wasm_bindgen(js_name = c)]
    pub fn js_c(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Attrs | null")] attrs: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string | number | null")] text: JsValue,
    ) -> Result<Builder, JsValue> {
        let mut child = Element::new(xml_name(&name, "Builder.c: name")?);
        apply(
            &mut child,
            read_attrs(&attrs, "Builder.c: attrs")?,
            "Builder.c",
        )?;
        let mut st = self.state.borrow_mut();
        if check::absent(&text) {
            st.push_and_enter(child);
        } else {
            child.push_text(self::text(&text, "Builder.c: text")?);
            st.current().children.push(Node::Element(child));
        }
        drop(st);
        Ok(self.handle())
    }

    /// Adds a copy of a DOM element as a child and moves into it.
    pub fn cnode(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Element")] node: JsValue,
    ) -> Result<Builder, JsValue> {
        let Some(el) = node.dyn_ref::<web_sys::Element>() else {
            return Err(check::bad(
                "Builder.cnode: node",
                "a DOM Element",
                &node,
                false,
            ));
        };
        let child = crate::xml::parse_standalone(&js::serialize(el)?).map_err(|e| {
            super::error("TypeError", &format!("Builder.cnode: {e}"), e.condition())
        })?;
        self.state.borrow_mut().push_and_enter(child);
        Ok(self.handle())
    }

    /// Adds text (escaped when serialised) to the current element.
    #[wasm_bindgen(js_name = t)]
    pub fn js_t(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | number")] text: JsValue,
    ) -> Result<Builder, JsValue> {
        let text = self::text(&text, "Builder.t: text")?;
        self.state.borrow_mut().current().push_text(text);
        Ok(self.handle())
    }

    /// Sets attributes of the current element; `null`/`undefined` removes.
    pub fn attrs(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Attrs")] attrs: JsValue,
    ) -> Result<Builder, JsValue> {
        let list = read_attrs(&attrs, "Builder.attrs: attrs")?;
        apply(self.state.borrow_mut().current(), list, "Builder.attrs")?;
        Ok(self.handle())
    }

    /// Moves to the parent of the current element.
    #[wasm_bindgen(js_name = up)]
    pub fn js_up(&self) -> Builder {
        self.state.borrow_mut().path.pop();
        self.handle()
    }

    /// Moves to the root.
    #[wasm_bindgen(js_name = root)]
    pub fn js_root(&self) -> Builder {
        self.state.borrow_mut().path.clear();
        self.handle()
    }

    /// The stanza as a DOM element.
    pub fn tree(&self) -> Result<web_sys::Element, JsValue> {
        js::to_dom(&self.state.borrow().root.to_xml())
    }

    /// The stanza as XML text.
    #[wasm_bindgen(js_name = toString)]
    pub fn to_xml_string(&self) -> String {
        self.state.borrow().root.to_xml()
    }
}

// `$build`, `$msg`, `$iq` and `$pres` are these four under Strophe's names:
// wasm-bindgen 0.2.130 drops exports whose name starts with `$`, so
// `scripts/dollar-exports.mjs` adds the aliases to the generated package.

/// `new Builder(name, attrs)` (also exported as `$build`).
#[wasm_bindgen(js_name = "build")]
pub fn build(
    #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "Attrs")] attrs: JsValue,
) -> Result<Builder, JsValue> {
    Builder::js_new(name, attrs)
}

fn stanza(name: &str, what: &str, attrs: JsValue) -> Result<Builder, JsValue> {
    let mut root = Element::new(name);
    apply(&mut root, read_attrs(&attrs, what)?, what)?;
    if root.attr("xmlns").is_none() {
        root.set_attr("xmlns", crate::ns::CLIENT);
    }
    Ok(Builder::with_root(root))
}

/// A `<message xmlns='jabber:client'/>` builder (also exported as `$msg`).
#[wasm_bindgen(js_name = "msg")]
pub fn msg(
    #[wasm_bindgen(unchecked_optional_param_type = "Attrs")] attrs: JsValue,
) -> Result<Builder, JsValue> {
    stanza("message", "$msg: attrs", attrs)
}

/// An `<iq xmlns='jabber:client'/>` builder (also exported as `$iq`).
#[wasm_bindgen(js_name = "iq")]
pub fn iq(
    #[wasm_bindgen(unchecked_optional_param_type = "Attrs")] attrs: JsValue,
) -> Result<Builder, JsValue> {
    stanza("iq", "$iq: attrs", attrs)
}

/// A `<presence xmlns='jabber:client'/>` builder (also exported as `$pres`).
#[wasm_bindgen(js_name = "pres")]
pub fn pres(
    #[wasm_bindgen(unchecked_optional_param_type = "Attrs")] attrs: JsValue,
) -> Result<Builder, JsValue> {
    stanza("presence", "$pres: attrs", attrs)
}

/// Applies a JID string helper to a string argument.
fn jid_helper<T>(v: &JsValue, what: &str, f: fn(&str) -> T) -> Result<T, JsValue> {
    Ok(f(&check::string(v, what)?))
}

/// `node@domain/resource` → `node@domain`.
#[wasm_bindgen(js_name = getBareJidFromJid)]
pub fn get_bare_jid_from_jid(
    #[wasm_bindgen(unchecked_param_type = "string")] jid: JsValue,
) -> Result<String, JsValue> {
    jid_helper(
        &jid,
        "getBareJidFromJid: jid",
        crate::jid::get_bare_jid_from_jid,
    )
}

/// `node@domain/resource` → `node`, or `undefined` for a bare domain.
#[wasm_bindgen(js_name = getNodeFromJid)]
pub fn get_node_from_jid(
    #[wasm_bindgen(unchecked_param_type = "string")] jid: JsValue,
) -> Result<Option<String>, JsValue> {
    jid_helper(&jid, "getNodeFromJid: jid", crate::jid::get_node_from_jid)
}

/// `node@domain/resource` → `domain`.
#[wasm_bindgen(js_name = getDomainFromJid)]
pub fn get_domain_from_jid(
    #[wasm_bindgen(unchecked_param_type = "string")] jid: JsValue,
) -> Result<String, JsValue> {
    jid_helper(
        &jid,
        "getDomainFromJid: jid",
        crate::jid::get_domain_from_jid,
    )
}

/// `node@domain/resource` → `resource`, or `undefined`.
#[wasm_bindgen(js_name = getResourceFromJid)]
pub fn get_resource_from_jid(
    #[wasm_bindgen(unchecked_param_type = "string")] jid: JsValue,
) -> Result<Option<String>, JsValue> {
    jid_helper(
        &jid,
        "getResourceFromJid: jid",
        crate::jid::get_resource_from_jid,
    )
}

/// Escapes a node part per XEP-0106 (`d'artagnan` → `d\27artagnan`).
#[wasm_bindgen(js_name = escapeNode)]
pub fn escape_node(
    #[wasm_bindgen(unchecked_param_type = "string")] node: JsValue,
) -> Result<String, JsValue> {
    jid_helper(&node, "escapeNode: node", crate::jid::escape_node)
}

/// Reverses [`escape_node`].
#[wasm_bindgen(js_name = unescapeNode)]
pub fn unescape_node(
    #[wasm_bindgen(unchecked_param_type = "string")] node: JsValue,
) -> Result<String, JsValue> {
    jid_helper(&node, "unescapeNode: node", crate::jid::unescape_node)
}
