//! XML namespaces used by the client, one named constant each.

/// XEP-0124: the `<body/>` wrapper of BOSH.
pub const HTTPBIND: &str = "http://jabber.org/protocol/httpbind";
/// XEP-0206: the `xmpp:` attributes of the BOSH `<body/>`.
pub const XBOSH: &str = "urn:xmpp:xbosh";
/// RFC 6120: the default namespace of client stanzas.
pub const CLIENT: &str = "jabber:client";
/// RFC 6120: the stream namespace (`stream:features`, `stream:error`).
pub const STREAM: &str = "http://etherx.jabber.org/streams";
/// RFC 6120: SASL negotiation.
pub const SASL: &str = "urn:ietf:params:xml:ns:xmpp-sasl";
/// RFC 6120: resource binding.
pub const BIND: &str = "urn:ietf:params:xml:ns:xmpp-bind";
/// RFC 3921: the legacy session establishment IQ.
pub const SESSION: &str = "urn:ietf:params:xml:ns:xmpp-session";
/// RFC 6120: stanza error conditions.
pub const STANZAS: &str = "urn:ietf:params:xml:ns:xmpp-stanzas";
/// RFC 6120: stream error conditions.
pub const STREAMS: &str = "urn:ietf:params:xml:ns:xmpp-streams";
/// XEP-0199: XMPP Ping.
pub const PING: &str = "urn:xmpp:ping";
/// RFC 7395: the WebSocket framing elements `<open/>` and `<close/>`.
pub const FRAMING: &str = "urn:ietf:params:xml:ns:xmpp-framing";
/// XEP-0388: Extensible SASL Profile (SASL2).
pub const SASL2: &str = "urn:xmpp:sasl:2";
/// XEP-0386: Bind 2.
pub const BIND2: &str = "urn:xmpp:bind:0";
/// XEP-0198: Stream Management.
pub const SM: &str = "urn:xmpp:sm:3";
