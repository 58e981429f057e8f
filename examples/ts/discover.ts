// XEP-0156 discovery: what a domain publishes, and a connection that finds its service itself.
// Checked by `tsc --strict --noEmit` (npm run check) against the package's xmpp_wasm.d.ts.
import { Connection, ConnectionError } from 'xmpp-wasm';
import type { DiscoveredServices, DomainService } from 'xmpp-wasm';

/** The endpoints of `domain`, or null when it publishes none (the reasons go to the console). */
export async function endpoints(domain: string): Promise<DiscoveredServices | null> {
  try {
    return await Connection.discover(domain, { timeout: 5000 });
  } catch (e) {
    if (e instanceof ConnectionError && e.condition === 'discovery-failed') {
      console.warn(`no XMPP endpoints for ${e.domain ?? domain}:`, e.reasons ?? []);
      return null;
    }
    throw e;
  }
}

/** Logs in to `jid`'s domain wherever its host-meta points (WebSocket first, then BOSH). */
export async function loginByDomain(jid: string, password: string): Promise<Connection> {
  const service: DomainService = { domain: jid.slice(jid.indexOf('@') + 1) };
  const conn = new Connection(service, { keepalive: true });
  await conn.connect(jid, password);
  console.info(`connected via ${conn.service}`);
  return conn;
}
