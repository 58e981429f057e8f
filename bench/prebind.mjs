// A prebound session for the attach benchmark, opened in node over plain BOSH
// (XEP-0124/0206): session creation, SASL PLAIN, stream restart, resource
// binding. Returns { jid, sid, rid } with rid the next one to use, which is
// what both xmpp-wasm's and Strophe's attach() take.
const NS = "xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh'";

export async function prebind(boshUrl, { user, domain, password, resource }) {
  let rid = 1 + Math.floor(Math.random() * 1e9);
  let sid = '';
  const post = async (attrs, payload = '') => {
    const body = `<body ${NS} rid='${rid++}'${sid ? ` sid='${sid}'` : ''} ${attrs}>${payload}</body>`;
    const res = await fetch(boshUrl, { method: 'POST', headers: { 'Content-Type': 'text/xml; charset=utf-8' }, body });
    const text = await res.text();
    if (!res.ok || /type=['"]terminate['"]/.test(text)) throw new Error(`prebind: ${res.status} ${text}`);
    return text;
  };
  // Poll with empty bodies until the answer holds what we wait for.
  const until = async (text, re) => {
    for (let i = 0; !re.test(text); i++) {
      if (i > 20) throw new Error(`prebind: no ${re} in ${text}`);
      text = await post('');
    }
    return text;
  };
  let r = await post(`content='text/xml; charset=utf-8' hold='1' to='${domain}' ver='1.6' wait='60' xml:lang='en' xmpp:version='1.0'`);
  sid = /\bsid=['"]([^'"]+)['"]/.exec(r)?.[1];
  if (!sid) throw new Error(`prebind: no sid in ${r}`);
  await until(r, /<(\w+:)?mechanisms/);
  const cred = Buffer.from(`\0${user}\0${password}`).toString('base64');
  r = await post('', `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${cred}</auth>`);
  r = await until(r, /<success|<failure/);
  if (!/<success/.test(r)) throw new Error(`prebind: SASL failed: ${r}`);
  r = await post(`to='${domain}' xml:lang='en' xmpp:restart='true'`);
  await until(r, /urn:ietf:params:xml:ns:xmpp-bind/);
  r = await post('', `<iq type='set' id='bind1' xmlns='jabber:client'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`);
  r = await until(r, /<jid>/);
  const jid = /<jid>([^<]+)<\/jid>/.exec(r)[1];
  return { jid, sid, rid };
}
