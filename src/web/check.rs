//! Argument checks at the JavaScript boundary: a wrong type throws a
//! `TypeError`, a wrong value of the right type a `RangeError`, both with
//! one message shape, `"<where>: <arg> must be <expected>, got <given>"`,
//! in JavaScript terms (`got number 42`, `got string "30"`, `got undefined`).

use js_sys::Function;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    /// JavaScript's `String(v)`.
    #[wasm_bindgen(js_name = String)]
    pub fn js_string(v: &JsValue) -> String;
}

/// What `v` is, in JavaScript terms: `number 42`, `string "30"`, `null`,
/// `undefined`, `an array`, `an object`, `a function`.
pub fn describe(v: &JsValue) -> String {
    if v.is_null() {
        return "null".into();
    }
    if js_sys::Array::is_array(v) {
        return "an array".into();
    }
    let t = v.js_typeof().as_string().unwrap_or_default();
    match t.as_str() {
        "string" => {
            let quoted = quote(v);
            match quoted.char_indices().nth(60) {
                Some((i, _)) => cat(&["string ", &quoted[..i], "…"]),
                None => cat(&["string ", &quoted]),
            }
        }
        "number" | "boolean" | "bigint" => cat(&[&t, " ", &js_string(v)]),
        "object" => "an object".into(),
        "function" => "a function".into(),
        "symbol" => "a symbol".into(),
        _ => t,
    }
}

/// The pieces, concatenated (cheaper in the wasm than `format!`).
pub fn cat(pieces: &[&str]) -> String {
    let mut s = String::new();
    for p in pieces {
        s.push_str(p);
    }
    s
}

/// `prefix` then `items` separated by `, `.
pub fn list<'a>(prefix: &str, items: impl Iterator<Item = &'a str>) -> String {
    let mut s = String::from(prefix);
    for (i, item) in items.enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(item);
    }
    s
}

/// A string value as a JavaScript string literal (`"X-A"`).
pub fn quote(v: &JsValue) -> String {
    js_sys::JSON::stringify(v)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}

/// `"{what} must be {expected}, got {describe(got)}"`: a `RangeError` when
/// `range` (the type is right, the value is not), else a `TypeError`.
pub fn bad(what: &str, expected: &str, got: &JsValue, range: bool) -> JsValue {
    let message = cat(&[what, " must be ", expected, ", got ", &describe(got)]);
    if range {
        js_sys::RangeError::new(&message).into()
    } else {
        js_sys::TypeError::new(&message).into()
    }
}

/// Whether `v` is `undefined` or `null` (an omitted optional argument).
pub fn absent(v: &JsValue) -> bool {
    v.is_undefined() || v.is_null()
}

/// A string.
pub fn string(v: &JsValue, what: &str) -> Result<String, JsValue> {
    v.as_string().ok_or_else(|| bad(what, "a string", v, false))
}

/// A string, `undefined` or `null`.
pub fn opt_string(v: &JsValue, what: &str) -> Result<Option<String>, JsValue> {
    if absent(v) {
        return Ok(None);
    }
    v.as_string()
        .map(Some)
        .ok_or_else(|| bad(what, "a string, null or undefined", v, false))
}

/// A function.
pub fn function(v: &JsValue, what: &str) -> Result<Function, JsValue> {
    v.dyn_ref::<Function>()
        .cloned()
        .ok_or_else(|| bad(what, "a function", v, false))
}

/// A function, `undefined` or `null`.
pub fn opt_function(v: &JsValue, what: &str) -> Result<Option<Function>, JsValue> {
    if absent(v) {
        return Ok(None);
    }
    v.dyn_ref::<Function>()
        .cloned()
        .map(Some)
        .ok_or_else(|| bad(what, "a function, null or undefined", v, false))
}

/// An integer from 0 to `max` (`expected` says so in words), or absent.
/// A non-number is a `TypeError`; NaN, a fraction or a number out of range a
/// `RangeError` (never wrapped or truncated).
pub fn opt_uint(v: &JsValue, what: &str, expected: &str, max: f64) -> Result<Option<f64>, JsValue> {
    if absent(v) {
        return Ok(None);
    }
    let x = v.as_f64().ok_or_else(|| bad(what, expected, v, false))?;
    if x.is_finite() && x.fract() == 0.0 && (0.0..=max).contains(&x) {
        Ok(Some(x))
    } else {
        Err(bad(what, expected, v, true))
    }
}

/// A finite number of at least 0, or absent.
pub fn opt_nonneg(v: &JsValue, what: &str, expected: &str) -> Result<Option<f64>, JsValue> {
    if absent(v) {
        return Ok(None);
    }
    let x = v.as_f64().ok_or_else(|| bad(what, expected, v, false))?;
    if x.is_finite() && x >= 0.0 {
        Ok(Some(x))
    } else {
        Err(bad(what, expected, v, true))
    }
}

/// An object (not an array, not a function), or absent.
pub fn opt_object(v: &JsValue, what: &str) -> Result<Option<js_sys::Object>, JsValue> {
    if absent(v) {
        return Ok(None);
    }
    if v.is_object() && !js_sys::Array::is_array(v) {
        Ok(Some(v.clone().unchecked_into()))
    } else {
        Err(bad(what, "an object, null or undefined", v, false))
    }
}
