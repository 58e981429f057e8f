// A fault-injecting loopback HTTP proxy for the browser tests (tests/js/faults.test.mjs,
// tests/js/background.test.mjs). The page is loaded through it, so the BOSH URL is on the
// page's own origin (no CORS): POST /http-bind goes to the BOSH service `bosh`, everything else
// to the static site `site` (Prosody's http_files). Faults apply to BOSH POSTs only, and only
// while armed:
//
//   proxy.arm({ drop: 20, every: 7 })  from now on every 7th BOSH POST is forwarded, the server
//                                      processes it and answers, and the answer is thrown away:
//                                      the browser's connection is reset instead (20 times)
//   proxy.arm({ swallow: 10, every: 7 }) every 7th BOSH POST: forwarded, processed, and its answer
//                                      never sent: the connection stays open and silent (10 times)
//   proxy.arm({ status: 503 })         every BOSH POST is answered 503 at once, unforwarded
//   proxy.arm({ reset: 10, every: 5 }) every 5th BOSH POST: its connection is reset before
//                                      anything is forwarded (10 times)
//   proxy.arm({ truncate: 10, every: 7 }) every 7th BOSH POST: forwarded, processed, and its
//                                      answer cut short: the headers with the full Content-Length
//                                      (with `chunked: true`: Transfer-Encoding: chunked, without the
//                                      last chunk; `chunked: 'alternate'`: every other one), half the
//                                      body, then the connection closed (FIN) (10 times)
//   proxy.arm({ stall: 10, every: 7 }) the same, but the connection then stays open and silent:
//                                      a body that never ends (10 times)
//   proxy.arm({ dropRid: sid })        the first BOSH POST of session `sid` from now on, and every
//                                      resend of its rid: forwarded, answer thrown away as above
//   proxy.arm({ latency: ms })         each BOSH answer is held back `ms` (added to any fault)
//   proxy.arm(null)                    no fault
//
// It counts what it did (`proxy.stats`) and records each BOSH POST's arrival time and sid
// (`proxy.log`; a dropped one also the answer the browser never got), from which
// `maxRate(sid, windowMs)` is the most POSTs of one session within any window of that length.
//
// WebSocket (with `ws`: `proxy.wsUrl`, on the proxy's own origin): the upgrade is passed on to
// `ws` (the query `?u=NAME` names the socket's user in `proxy.wsLog`, for the open rate of one
// session), client bytes go up as they come, server bytes are cut into frames (RFC 6455 §5.2).
// Faults, from armWs() on, one or a list, each limited to one user with `tag: NAME`:
//
//   proxy.armWs({ latency: ms })       every frame and every client chunk held back `ms`, in order
//   proxy.armWs({ reset: 5, every: 60 }) instead of every 60th server frame: both TCP connections
//                                      reset (RST) (5 times)
//   proxy.armWs({ cut: 5, every: 60 }) every 60th server frame: its first half (header included)
//                                      sent, then both sockets closed (5 times); with `hang: true`
//                                      both are left open instead, silent both ways
//   proxy.armWs({ silent: 1 })         at the next server frame the socket goes silent both ways and
//                                      stays open (half-open: no close reaches either end)
//   proxy.armWs(null)                  no fault
import http from 'node:http';
import net from 'node:net';

/**
 * Starts the proxy on a free loopback port. `site` and `bosh` are absolute URLs; `ws`, when given,
 * the WebSocket endpoint (ws://…) that upgrades to the proxy's same path are passed to.
 */
export async function startFaultProxy({ site, bosh, ws }) {
  const siteUrl = new URL(site);
  const boshUrl = new URL(bosh);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const stats = { posts: 0, forwarded: 0, dropped: 0, swallowed: 0, reset: 0, status: 0, truncated: 0, stalled: 0 };
  const stalled = new Set(); // sockets of stalled answers, left open
  Object.assign(stats, { wsOpens: 0, wsFrames: 0, wsReset: 0, wsCut: 0, wsSilent: 0 });
  const wsUrl = ws ? new URL(ws) : null;
  const wsLog = []; // { at, tag }: each WebSocket opened through the proxy
  const wsPairs = new Set(); // { client, up }, silent ones included (closed by close())
  let wsFaults = []; // the armed WebSocket faults, each with its own count
  const wsFaultsOf = (tag) => wsFaults.filter((f) => !f.tag || f.tag === tag);
  const log = []; // { at, sid, rid }
  let fault = null;
  let counter = 0;
  let hits = 0; // faults of the current arm() done

  const forward = (target, req, body, res, after) => {
    const up = http.request({
      host: target.hostname, port: target.port, method: req.method, agent,
      path: target === boshUrl ? boshUrl.pathname : req.url,
      headers: { ...req.headers, host: target.host },
    }, (upRes) => {
      const chunks = [];
      upRes.on('data', (c) => chunks.push(c));
      upRes.on('end', () => after(upRes, Buffer.concat(chunks)));
      upRes.on('error', () => res.socket?.destroy());
    });
    up.on('error', () => { if (!res.headersSent) res.writeHead(502).end(); });
    up.end(body);
  };

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const isBosh = req.method === 'POST' && req.url.split('?')[0] === boshUrl.pathname;
      const pass = (upRes, answer) => {
        if (res.destroyed) return;
        const headers = { ...upRes.headers };
        delete headers['transfer-encoding'];
        delete headers.connection;
        headers['content-length'] = String(answer.length);
        res.writeHead(upRes.statusCode, headers).end(answer);
      };
      if (!isBosh) {
        forward(siteUrl, req, body, res, pass);
        return;
      }
      stats.posts++;
      const text = body.toString();
      log.push({ at: performance.now(), sid: /\bsid='([^']*)'/.exec(text)?.[1] ?? '', rid: /\brid='(\d+)'/.exec(text)?.[1] });
      const f = fault;
      const nth = f && f.every ? (++counter % f.every === 0) : true;
      if (f?.status) {
        stats.status++;
        res.writeHead(f.status, { 'Content-Type': 'text/plain', 'Content-Length': '0' }).end();
        return;
      }
      if (f?.reset && nth && hits < f.reset) {
        hits++;
        stats.reset++;
        req.socket.resetAndDestroy?.() ?? req.socket.destroy();
        return;
      }
      const entry = log[log.length - 1];
      if (f?.dropRid && entry.sid === f.dropRid && !f.rid) f.rid = entry.rid;
      const drop = (f?.drop && nth && hits < f.drop) || (f?.rid && entry.sid === f.dropRid && entry.rid === f.rid);
      if (drop) { hits++; stats.dropped++; entry.dropped = true; }
      const swallow = !drop && f?.swallow && nth && hits < f.swallow;
      if (swallow) { hits++; stats.swallowed++; entry.swallowed = true; }
      const cut = !drop && !swallow && (f?.truncate || f?.stall) && nth && hits < (f.truncate || f.stall);
      if (cut) { hits++; stats[f.truncate ? 'truncated' : 'stalled']++; entry[f.truncate ? 'truncated' : 'stalled'] = true; }
      const latency = f?.latency ?? 0;
      stats.forwarded++;
      forward(boshUrl, req, body, res, (upRes, answer) => {
        if (swallow) return; // the browser waits; it gives up on the request itself
        if (cut) {
          // The headers (the full Content-Length, or chunked), then the first half of the body;
          // then a truncated answer's connection is closed (FIN), a stalled one stays open, silent.
          const half = answer.subarray(0, answer.length >> 1);
          const chunked = f.chunked === 'alternate' ? hits % 2 === 0 : f.chunked;
          const head = `HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\n${chunked
            ? 'Transfer-Encoding: chunked\r\n\r\n' + half.length.toString(16) + '\r\n'
            : `Content-Length: ${answer.length}\r\n\r\n`}`;
          req.socket.write(head);
          req.socket.write(half);
          if (chunked) req.socket.write('\r\n');
          if (f.truncate) setTimeout(() => req.socket.end(), 5);
          else stalled.add(req.socket.on('close', () => stalled.delete(req.socket)));
          return;
        }
        if (drop) {
          entry.answer = answer.toString(); // what the browser never got
          // The server has processed the request; its answer never reaches the browser: the
          // headers go out, then the connection is reset before the body. (Chromium silently
          // retries a request whose reused connection closes before the answer's headers: the
          // page would never see that fault.)
          req.socket.write(`HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: ${answer.length + 1}\r\n\r\n`,
            () => setTimeout(() => req.socket.resetAndDestroy?.() ?? req.socket.destroy(), 5));
          return;
        }
        if (latency) setTimeout(() => pass(upRes, answer), latency);
        else pass(upRes, answer);
      });
    });
  });
  // WebSocket: the upgrade is passed on as it came (Host rewritten, the query dropped: `?u=TAG`
  // only names the socket's user in `wsLog`), then bytes flow both ways; the server→client side is
  // cut into frames (RFC 6455 §5.2) so that a fault can fall between or inside frames.
  server.on('upgrade', (req, client, head) => {
    const u = new URL(req.url, 'http://x');
    if (!wsUrl || u.pathname !== wsUrl.pathname) {
      client.destroy();
      return;
    }
    stats.wsOpens++;
    const tag = u.searchParams.get('u') ?? '';
    wsLog.push({ at: performance.now(), tag });
    const up = net.connect(Number(wsUrl.port || 80), wsUrl.hostname);
    const pair = { client, up, silent: false, dead: false };
    wsPairs.add(pair);
    const end = (reset) => {
      if (pair.dead) return;
      pair.dead = true;
      wsPairs.delete(pair);
      for (const sock of [client, up]) {
        if (reset) sock.resetAndDestroy?.() ?? sock.destroy();
        else sock.destroy();
      }
    };
    // A silent pair stays open whatever either end does (a half-open connection: neither side
    // hears of the other's close); close() ends it.
    for (const sock of [client, up]) {
      sock.on('error', () => { if (!pair.silent) end(false); });
      sock.on('close', () => { if (!pair.silent) end(false); });
    }
    client.setNoDelay(true);
    up.setNoDelay(true);
    // In order, each chunk `latency` ms late (the latency armed when it arrived).
    const writer = (sock) => {
      const q = [];
      let timer = null;
      const pump = () => {
        timer = null;
        const now = performance.now();
        while (q.length && q[0].at <= now) {
          const { buf, then, last } = q.shift();
          if (!pair.dead && (!pair.silent || last)) sock.write(buf, then);
        }
        if (q.length) timer = setTimeout(pump, q[0].at - now);
      };
      // `last`: written even though the pair has gone silent meanwhile (a cut frame's half).
      return (buf, then, last = false) => {
        const latency = wsFaultsOf(tag).find((f) => f.latency)?.latency ?? 0;
        const at = Math.max(performance.now() + latency, q.length ? q[q.length - 1].at : 0);
        q.push({ at, buf, then, last });
        if (!timer) pump();
      };
    };
    const toUp = writer(up);
    const toClient = writer(client);
    const lines = [`${req.method} ${wsUrl.pathname} HTTP/1.1`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const k = req.rawHeaders[i];
      lines.push(`${k}: ${k.toLowerCase() === 'host' ? wsUrl.host : req.rawHeaders[i + 1]}`);
    }
    up.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length) up.write(head);
    client.on('data', (c) => { if (!pair.dead && !pair.silent) toUp(c); });
    const onFrame = (frame) => {
      stats.wsFrames++;
      // The first armed fault of this socket's user whose turn it is (every `every`th frame of that
      // user's sockets, at most `reset`/`cut`/`silent` times) acts on this frame.
      const f = wsFaultsOf(tag).find((x) => (x.reset || x.cut || x.silent) && x.hits < (x.reset || x.cut || x.silent)
        && (!x.every || ++x.counter % x.every === 0));
      if (f?.reset) {
        f.hits++;
        stats.wsReset++;
        end(true);
      } else if (f?.cut) {
        // Part of the frame (its header and half its payload at most), then the sockets closed.
        f.hits++;
        stats.wsCut++;
        // With `hang`, the sockets are left open instead, silent both ways.
        toClient(frame.subarray(0, Math.max(1, frame.length >> 1)), () => { if (!f.hang) end(false); }, true);
        pair.silent = true; // nothing more either way
      } else if (f?.silent) {
        f.hits++;
        stats.wsSilent++;
        pair.silent = true;
      } else {
        toClient(frame);
      }
    };
    let buf = Buffer.alloc(0);
    let handshake = true;
    up.on('data', (c) => {
      if (pair.dead || pair.silent) return;
      buf = buf.length ? Buffer.concat([buf, c]) : c;
      if (handshake) {
        const i = buf.indexOf('\r\n\r\n');
        if (i < 0) return;
        toClient(buf.subarray(0, i + 4));
        buf = buf.subarray(i + 4);
        handshake = false;
      }
      for (;;) {
        const n = frameLength(buf);
        if (n === null || buf.length < n) break;
        const frame = buf.subarray(0, n);
        buf = buf.subarray(n);
        onFrame(frame);
        if (pair.dead || pair.silent) break;
      }
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    boshUrl: `${origin}${boshUrl.pathname}`,
    stats,
    log,
    wsUrl: wsUrl && `ws://127.0.0.1:${server.address().port}${wsUrl.pathname}`,
    wsLog,
    arm(f) { fault = f && { ...f }; counter = 0; hits = 0; },
    /** Arms WebSocket faults (one, or a list; see the top of the file); null: none. */
    armWs(f) { wsFaults = [f ?? []].flat().map((x) => ({ ...x, counter: 0, hits: 0 })); },
    /** WebSocket faults done since the last armWs(). */
    get wsHits() { return wsFaults.reduce((n, f) => n + f.hits, 0); },
    /** The most WebSockets opened for `tag` within any `windowMs` window between `from` and `to`. */
    maxOpenRate(tag, windowMs = 1000, from = 0, to = Infinity) {
      return most(wsLog.filter((e) => e.tag === tag && e.at >= from && e.at <= to).map((e) => e.at), windowMs);
    },
    /** Faults done since the last arm(). */
    get hits() { return hits; },
    /** The most BOSH POSTs of session `sid` within any `windowMs` window between `from` and `to`. */
    maxRate(sid, windowMs = 1000, from = 0, to = Infinity) {
      return most(log.filter((e) => e.sid === sid && e.at >= from && e.at <= to).map((e) => e.at), windowMs);
    },
    async close() {
      for (const sock of stalled) sock.destroy();
      for (const { client, up } of wsPairs) {
        client.destroy();
        up.destroy();
      }
      server.closeAllConnections?.();
      await new Promise((r) => server.close(r));
      agent.destroy();
    },
  };
}

/** The most of the sorted times `ts` within any window of `windowMs` (ends included). */
function most(ts, windowMs) {
  let best = 0;
  for (let i = 0, j = 0; i < ts.length; i++) {
    while (ts[i] - ts[j] > windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

/** The length of the WebSocket frame at the start of `b` (RFC 6455 §5.2), or null if its header is incomplete. */
function frameLength(b) {
  if (b.length < 2) return null;
  const masked = b[1] & 0x80 ? 4 : 0;
  let len = b[1] & 0x7f;
  let head = 2;
  if (len === 126) {
    if (b.length < 4) return null;
    len = b.readUInt16BE(2);
    head = 4;
  } else if (len === 127) {
    if (b.length < 10) return null;
    len = Number(b.readBigUInt64BE(2));
    head = 10;
  }
  return head + masked + len;
}
