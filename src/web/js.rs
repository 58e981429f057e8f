//! The few browser APIs the shell binds, each used in one place.

use js_sys::{Function, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    pub fn performance_now() -> f64;

    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues)]
    pub fn get_random_values(buf: &Uint8Array);

    #[wasm_bindgen(js_name = setTimeout)]
    pub fn set_timeout(f: &Function, ms: i32) -> i32;

    #[wasm_bindgen(js_name = clearTimeout)]
    pub fn clear_timeout(handle: i32);

    #[wasm_bindgen(catch, js_name = fetch)]
    fn fetch_with_request(req: &web_sys::Request) -> Result<Promise, JsValue>;
}

/// The `location.href` of the page or worker, if there is one.
pub fn location_href() -> Option<String> {
    let location = js_sys::Reflect::get(&js_sys::global(), &"location".into()).ok()?;
    js_sys::Reflect::get(&location, &"href".into())
        .ok()?
        .as_string()
}

/// Serialises a DOM element to XML text.
pub fn serialize(el: &web_sys::Element) -> Result<String, JsValue> {
    web_sys::XmlSerializer::new()?.serialize_to_string(el)
}

/// Parses one stanza (namespace-complete XML text) into a DOM element.
pub fn to_dom(xml: &str) -> Result<web_sys::Element, JsValue> {
    let doc = web_sys::DomParser::new()?.parse_from_string(xml, web_sys::SupportedType::TextXml)?;
    doc.document_element()
        .ok_or_else(|| JsValue::from_str("DOMParser returned no element"))
}

/// POSTs `body` to `url`; returns the status and the response text, or the
/// JavaScript error for a network failure or an abort.
pub async fn post(
    t: &crate::bosh::Transmit,
    signal: Option<&web_sys::AbortSignal>,
    max_size: usize,
) -> Result<Answer, JsValue> {
    let (url, body, content_type, with_credentials) =
        (&t.url, &t.body, &t.content_type, t.with_credentials);
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&JsValue::from_str(body));
    init.set_mode(web_sys::RequestMode::Cors);
    init.set_credentials(if with_credentials {
        web_sys::RequestCredentials::Include
    } else {
        web_sys::RequestCredentials::SameOrigin
    });
    if let Some(s) = signal {
        init.set_signal(Some(s));
    }
    let headers = web_sys::Headers::new()?;
    headers.set("Content-Type", content_type)?;
    for (k, v) in &t.headers {
        headers.set(k, v)?;
    }
    init.set_headers(&headers);
    if t.keepalive {
        js_sys::Reflect::set(&init, &"keepalive".into(), &JsValue::TRUE)?;
    }
    let req = web_sys::Request::new_with_str_and_init(url, &init)?;
    let resp: web_sys::Response = JsFuture::from(fetch_with_request(&req)?)
        .await?
        .dyn_into()?;
    let status = resp.status();
    let declared = resp
        .headers()
        .get("Content-Length")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<usize>().ok());
    if declared.is_some_and(|n| n > max_size) {
        // Not read: the body is left to be discarded with the response.
        return Ok(Answer::Oversized);
    }
    let text = JsFuture::from(resp.text()?).await?;
    // A body without Content-Length (chunked, compressed) is measured
    // before it is copied into wasm memory: UTF-8 needs at least one byte
    // per UTF-16 unit.
    let len = text
        .dyn_ref::<js_sys::JsString>()
        .map_or(0, |s| s.length() as usize);
    if len > max_size {
        return Ok(Answer::Oversized);
    }
    Ok(Answer::Body(status, text.as_string().unwrap_or_default()))
}

/// What came back for a BOSH request.
pub enum Answer {
    /// The status and the body text.
    Body(u16, String),
    /// The body announced itself larger than allowed and was not read.
    Oversized,
}
