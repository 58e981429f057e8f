// The demo's web server: the static site (www/ + pkg/, as scripts/lib.sh's populate_site links
// them) gzip-compressed, and /http-bind forwarded to the BOSH service (the local Prosody), so the
// page and BOSH share one origin as they would behind a production web server. With --websocket,
// /xmpp-websocket is forwarded too (the WebSocket upgrade and then the bytes both ways, to the
// local Prosody started with PROSODY_WS=1). It also publishes both endpoints for XEP-0156
// discovery, as a production server would: /.well-known/host-meta.json and /.well-known/host-meta
// (XRD) list this origin's /xmpp-websocket (with --websocket) and /http-bind, so the page's
// `new Connection({ domain: location.host })` finds them.
//
//   node scripts/demo-server.mjs --site DIR --bosh http://127.0.0.1:PORT/http-bind \
//     [--websocket ws://127.0.0.1:PORT/xmpp-websocket] [--port N]
//
// Prints `listening http://127.0.0.1:N/` once it accepts connections. Prosody's own http_files
// serves without compression (the wasm is ~3x larger on the wire), hence this server.
// Also imported by tests/js/www.test.mjs (startDemoServer), which drives the page through it.
import { createReadStream, promises as fs } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';

const gzipAsync = promisify(gzip);

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.ts': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.wasm', '.ts', '.svg', '.txt']);

/** The XEP-0156 host-meta documents `{ json, xml }` listing `links` ([rel, href] pairs). */
export function hostMeta(links) {
  const xml = `<?xml version='1.0' encoding='utf-8'?>\n<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>\n${
    links.map(([rel, href]) => `  <Link rel='${rel}' href='${href}'/>\n`).join('')}</XRD>\n`;
  return { json: `${JSON.stringify({ links: links.map(([rel, href]) => ({ rel, href })) }, null, 1)}\n`, xml };
}

/**
 * Starts the server. `site`: the directory served at "/" (symlinks followed); `bosh`: the URL
 * that /http-bind is forwarded to; `websocket` (optional): the ws: URL /xmpp-websocket is forwarded
 * to; `port` 0 picks a free one. Resolves to `{ origin, close() }` once listening.
 */
export async function startDemoServer({ site, bosh, websocket, port = 0, host = '127.0.0.1' }) {
  const root = resolve(site);
  const upstream = new URL(bosh);
  const wsUpstream = websocket ? new URL(websocket) : null;
  const sockets = new Set();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const cache = new Map(); // file path -> { mtimeMs, size, gz }

  async function compressed(file, stat) {
    const hit = cache.get(file);
    if (hit && hit.mtimeMs === stat.mtimeMs && hit.size === stat.size) return hit.gz;
    const gz = await gzipAsync(await fs.readFile(file), { level: 9 });
    cache.set(file, { mtimeMs: stat.mtimeMs, size: stat.size, gz });
    return gz;
  }

  function forward(req, res) {
    const headers = { ...req.headers, host: upstream.host };
    const out = http.request({
      agent, host: upstream.hostname, port: upstream.port, method: req.method,
      path: upstream.pathname + (req.url.slice('/http-bind'.length) || ''), headers,
    }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`demo-server: BOSH service ${upstream.href}: ${err.message}\n`);
    });
    req.on('aborted', () => out.destroy());
    req.pipe(out);
  }

  async function serveFile(req, res) {
    let path;
    try {
      path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    if (path.endsWith('/')) path += 'index.html';
    const file = join(root, path);
    if (file !== root && !file.startsWith(root + sep)) {
      res.writeHead(403).end();
      return;
    }
    let stat;
    try {
      stat = await fs.stat(file);
      if (!stat.isFile()) throw new Error('not a file');
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const ext = extname(file);
    const headers = {
      'content-type': TYPES[ext] ?? 'application/octet-stream',
      'cache-control': 'no-cache', // a rebuilt pkg/ or an edited page shows on reload
      'last-modified': stat.mtime.toUTCString(),
      vary: 'accept-encoding',
    };
    if (req.headers['if-modified-since'] === headers['last-modified']) {
      res.writeHead(304, headers).end();
      return;
    }
    const gzipOk = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
    if (COMPRESSIBLE.has(ext) && gzipOk) {
      const gz = await compressed(file, stat);
      res.writeHead(200, { ...headers, 'content-encoding': 'gzip', 'content-length': gz.length });
      res.end(req.method === 'HEAD' ? undefined : gz);
      return;
    }
    res.writeHead(200, { ...headers, 'content-length': stat.size });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  }

  /** host-meta for the origin the browser used (its Host header, if it is a plain host[:port]). */
  function serveHostMeta(req, res, kind) {
    const h = /^[\w.-]+(:\d+)?$|^\[[\d:a-f]+\](:\d+)?$/i.test(req.headers.host ?? '') ? req.headers.host : `${host}:${server.address().port}`;
    const links = [['urn:xmpp:alt-connections:xbosh', `http://${h}/http-bind`]];
    if (wsUpstream) links.unshift(['urn:xmpp:alt-connections:websocket', `ws://${h}/xmpp-websocket`]);
    const body = hostMeta(links)[kind];
    res.writeHead(200, {
      'content-type': kind === 'json' ? 'application/json' : 'application/xrd+xml',
      'access-control-allow-origin': '*', // XEP-0156 §3: host-meta is read cross-origin
      'cache-control': 'no-cache',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  const server = http.createServer((req, res) => {
    const path = req.url.split('?')[0];
    if (path === '/.well-known/host-meta.json' && (req.method === 'GET' || req.method === 'HEAD')) {
      serveHostMeta(req, res, 'json');
    } else if (path === '/.well-known/host-meta' && (req.method === 'GET' || req.method === 'HEAD')) {
      serveHostMeta(req, res, 'xml');
    } else if (req.url === '/http-bind' || req.url.startsWith('/http-bind/') || req.url.startsWith('/http-bind?')) {
      forward(req, res);
    } else if (req.method === 'GET' || req.method === 'HEAD') {
      serveFile(req, res).catch((err) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`demo-server: ${err.message}\n`);
      });
    } else {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    }
  });
  // /xmpp-websocket: the upgrade request is passed on as it came (Host rewritten), then the two
  // sockets are joined; either side closing closes the other.
  server.on('upgrade', (req, sock, head) => {
    if (!wsUpstream || req.url.split('?')[0] !== '/xmpp-websocket') {
      sock.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    const up = net.connect(Number(wsUpstream.port || 80), wsUpstream.hostname, () => {
      const lines = [`${req.method} ${wsUpstream.pathname}${req.url.slice('/xmpp-websocket'.length)} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const name = req.rawHeaders[i];
        lines.push(`${name}: ${name.toLowerCase() === 'host' ? wsUpstream.host : req.rawHeaders[i + 1]}`);
      }
      up.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head?.length) up.write(head);
      up.pipe(sock);
      sock.pipe(up);
    });
    sockets.add(sock);
    sockets.add(up);
    const done = () => {
      sock.destroy();
      up.destroy();
      sockets.delete(sock);
      sockets.delete(up);
    };
    up.on('error', done).on('close', done);
    sock.on('error', done).on('close', done);
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, ok);
  });
  const origin = `http://${host}:${server.address().port}`;
  return {
    origin,
    close: () => new Promise((ok) => {
      agent.destroy();
      for (const s of sockets) s.destroy();
      server.closeAllConnections?.();
      server.close(() => ok());
    }),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = {};
  for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
  if (!args.site || !args.bosh) {
    console.error('usage: node scripts/demo-server.mjs --site DIR --bosh URL [--websocket URL] [--port N]');
    process.exit(2);
  }
  const { origin, close } = await startDemoServer({ site: args.site, bosh: args.bosh, websocket: args.websocket, port: Number(args.port ?? 0) });
  console.log(`listening ${origin}/`);
  const stop = () => close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
