// A tiny forward proxy, to check that a client honours HTTPS_PROXY / HTTP_PROXY: it tunnels
// CONNECT requests (what a client sends for an https:// URL through a proxy) and forwards
// plain absolute-URI requests (http:// through a proxy), recording each target.
//
//   const proxy = await startConnectProxy();
//   ... HTTPS_PROXY=proxy.url ...
//   proxy.connects   // ['127.0.0.1:43210', …]  the CONNECT targets, in order
//   proxy.forwards   // ['http://127.0.0.1:43210/v1/responses', …]
//   await proxy.close();
// `refuse: true` answers every CONNECT with 403 instead (a proxy that denies the tunnel).

import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';

export async function startConnectProxy({ host = '127.0.0.1', refuse = false } = {}) {
  const connects = [];
  const forwards = [];
  const sockets = new Set();
  const track = (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  const server = http.createServer((req, res) => {
    forwards.push(req.url);
    let target;
    try {
      target = new URL(req.url);
    } catch {
      res.writeHead(400).end('absolute URI expected');
      return;
    }
    const upstream = http.request({
      host: target.hostname, port: target.port || 80, method: req.method,
      path: `${target.pathname}${target.search}`, headers: req.headers,
    }, (answer) => {
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end(); });
    req.pipe(upstream);
  });
  server.on('connection', track);
  server.on('connect', (req, client, head) => {
    connects.push(req.url);
    client.on('error', () => {});
    if (refuse) {
      client.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    const [targetHost, targetPort] = splitHostPort(req.url);
    const upstream = net.connect(Number(targetPort), targetHost);
    track(upstream);
    upstream.on('error', () => {
      client.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n');
    });
    upstream.once('connect', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head?.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
  });
  server.listen(0, host);
  await once(server, 'listening');
  const { port } = server.address();
  return {
    url: `http://${host}:${port}`,
    port,
    connects,
    forwards,
    close: () => new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

// "host:port" or "[v6]:port" → [host, port].
function splitHostPort(authority) {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(authority) ?? /^([^:]+):(\d+)$/.exec(authority);
  return m ? [m[1], m[2]] : [authority, '443'];
}
