// Survive a page reload: keepalive stores the session in sessionStorage; the next page restores it
// and falls back to a fresh login when restore() throws a SessionError.
import { Connection, SessionError, Status } from 'xmpp-wasm';
import type { ConnectionError, StatusCallback } from 'xmpp-wasm';

function isSessionError(e: unknown): e is SessionError {
  return e instanceof SessionError;
}

export async function open(jid: string, password: string): Promise<Connection> {
  const conn = new Connection('/http-bind', { keepalive: true });
  const onStatus: StatusCallback = (status) => {
    if (status === Status.ATTACHED) conn.send('<presence/>'); // rides in the first request
  };
  try {
    await conn.restore(jid, onStatus, null, null, null);
    return conn;
  } catch (e: unknown) {
    if (!isSessionError(e)) throw e;
    // e.reason: 'no-storage' | 'no-session' | 'bad-snapshot' | 'jid-mismatch' | 'session-in-use' | 'not-bosh'
    if (e.reason === 'session-in-use') console.warn('another tab owns the stored session');
  }
  await conn.connect(jid, password, onStatus);
  return conn;
}

export async function viaPrebind(url: string): Promise<Connection | null> {
  const conn = new Connection('/http-bind', undefined);
  try {
    await conn.prebind(url, null, { json: true, wait: 60 });
    return conn;
  } catch (e: unknown) {
    const err = e as ConnectionError; // PrebindError or ConnectionError: both carry `condition`
    console.log(`prebind failed: ${err.name} ${err.condition}`);
    return null;
  }
}

export async function attach(jid: string, sid: string, rid: number): Promise<Status> {
  const conn = new Connection('/http-bind', { wait: 60 });
  return conn.attach(jid, sid, rid, null, null, null, null);
}
