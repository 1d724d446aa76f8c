// A tiny web site on loopback, for the proxy's own WebFetch to fetch (tests/sdk/web_tools,
// tests/e2e): ordinary pages, and pages that fail in each way a real site can.
//
//   const pages = await startWebPages();
//   pages.urlOf('/page.html')          // http://127.0.0.1:PORT/page.html
//   pages.requests                     // what it was asked, and how each connection ended
//   await pages.until((rs) => rs.find((r) => r.path === '/slow' && r.closed_at));
//   await pages.close();
//
// Routes:
//   /page.html   a short page (its text is under 4000 characters: no summariser needed):
//                the secret word PAGE_SECRET in a <main>, around it the chrome a converter
//                should drop (a <script>, a <style>, a <nav>, a <footer>), title PAGE_TITLE
//   /long.html   an article of about 9000 characters of text, so the proxy asks its
//                summariser; LONG_FIRST_LINE is its heading, LONG_SECRET is in the middle
//   /missing     404 (an HTML error page)
//   /slow        never answers (not even headers); the connection stays open until the
//                client gives up
//   /huge        200 text/html, 50 MB of paragraphs streamed as fast as the client reads
//                (stops when the client goes away; `bytes_sent` says how far it got)
//   /loop        302 to /loop?n=<n+1>, for ever
//   /image.png   an 8×8 PNG (image/png)
//   anything else: 404
// Each request is recorded as {id, method, path (with query), headers, opened_at, closed_at
// (ms, performance.timeOrigin + performance.now(), like the fake upstream's records),
// status, bytes_sent, aborted (the client closed before the answer was complete)}.

import http from 'node:http';
import { EventEmitter, once } from 'node:events';

export const PAGE_SECRET = 'periwinkle';
export const PAGE_TITLE = 'The Secret Page';
export const LONG_SECRET = 'marmalade';
export const LONG_FIRST_LINE = 'A long article about lighthouses';
// Words only in the chrome of /page.html: a page converted for a model must not contain them.
export const PAGE_CHROME = ['trackingPixelId', 'NAVIGATION-MENU', 'FOOTER-LEGALESE'];
export const HUGE_BYTES = 50 * 1024 * 1024;

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAG0lEQVR42mP43+AARwzIiJoS' +
                        'DA5wxICMqCcBAOUMP+GKa0ynAAAAAElFTkSuQmCC', 'base64');

const now = () => performance.timeOrigin + performance.now();

const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>${PAGE_TITLE}</title>
  <script>var trackingPixelId = "a1b2c3"; document.write("tracking");</script>
  <style>body { font-family: serif; } .menu { color: red; }</style>
</head>
<body>
  <nav class="menu"><a href="/">Home</a> | <a href="/about">About</a> | NAVIGATION-MENU</nav>
  <main>
    <h1>The secret page</h1>
    <p>This page keeps one secret. The secret word is <strong>${PAGE_SECRET}</strong>.</p>
    <p>There is also <a href="/long.html">a longer page</a>.</p>
  </main>
  <footer>FOOTER-LEGALESE: all rights reserved, 2026.</footer>
</body>
</html>
`;

function longHtml() {
  const paragraphs = [];
  for (let i = 1; i <= 40; i += 1) {
    paragraphs.push(`<p>Paragraph ${i}. Lighthouses stood on rocky coasts for centuries, ` +
                    'their keepers trimming wicks and winding clockwork through long nights; ' +
                    'the lenses they tended threw a beam many miles out to sea.</p>');
    if (i === 20) {
      paragraphs.push(`<p>Halfway through, a note: the secret word is ${LONG_SECRET}.</p>`);
    }
  }
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Lighthouses</title></head>
<body><article><h1>${LONG_FIRST_LINE}</h1>
${paragraphs.join('\n')}
</article></body></html>
`;
}
const LONG_HTML = longHtml();

const HUGE_CHUNK = Buffer.from('<p>filler filler filler filler filler filler filler filler ' +
                               'filler filler filler filler filler filler filler filler</p>\n'
                                 .repeat(512));

export async function startWebPages({ host = '127.0.0.1' } = {}) {
  const requests = [];
  const changes = new EventEmitter();
  let nextId = 1;

  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://pages');
    const record = { id: nextId++, method: req.method, path: req.url, headers: req.headers,
                     opened_at: now(), closed_at: null, status: null, bytes_sent: 0,
                     aborted: false };
    requests.push(record);
    res.on('close', () => {
      record.closed_at = now();
      record.aborted = !res.writableFinished;
      changes.emit('change');
    });
    changes.emit('change');
    const send = (status, type, body, headers = {}) => {
      record.status = status;
      record.bytes_sent = Buffer.byteLength(body);
      res.writeHead(status, { 'content-type': type, 'content-length': record.bytes_sent,
                              ...headers });
      res.end(body);
    };
    switch (url.pathname) {
      case '/page.html': return send(200, 'text/html; charset=utf-8', PAGE_HTML);
      case '/long.html': return send(200, 'text/html; charset=utf-8', LONG_HTML);
      case '/image.png': return send(200, 'image/png', PNG);
      case '/slow': return undefined;  // the answer never comes
      case '/loop': {
        const n = Number(url.searchParams.get('n') ?? 0) + 1;
        return send(302, 'text/html', `<a href="/loop?n=${n}">again</a>`,
                    { location: `/loop?n=${n}` });
      }
      case '/huge': return streamHuge(res, record);
      default:
        return send(404, 'text/html; charset=utf-8',
                    '<html><head><title>Not Found</title></head><body><h1>404 Not Found</h1>' +
                    '</body></html>');
    }
  });
  const sockets = new Set();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.listen(0, host);
  await once(server, 'listening');
  const { port } = server.address();
  const url = `http://${host}:${port}`;

  return {
    url,
    port,
    requests,
    urlOf: (path) => `${url}${path}`,
    // Resolves with predicate(requests) once it is truthy; rejects after timeoutMs.
    until(predicate, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const value = predicate(requests);
          if (!value) return false;
          changes.off('change', check);
          clearTimeout(timer);
          resolve(value);
          return true;
        };
        const timer = setTimeout(() => {
          changes.off('change', check);
          reject(new Error(`web pages: condition not met within ${timeoutMs} ms; requests: ` +
                           JSON.stringify(requests.map(({ headers, ...r }) => r))));
        }, timeoutMs);
        if (!check()) changes.on('change', check);
      });
    },
    reset() { requests.length = 0; },
    close: () => new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

// Writes HUGE_BYTES of HTML, waiting for the client to drain, until done or the client leaves.
async function streamHuge(res, record) {
  record.status = 200;
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8',
                       'content-length': HUGE_BYTES });
  const head = '<!doctype html><html><head><title>Huge</title></head><body>\n';
  res.write(head);
  let sent = head.length;
  while (sent < HUGE_BYTES && !res.destroyed) {
    const piece = HUGE_CHUNK.subarray(0, Math.min(HUGE_CHUNK.length, HUGE_BYTES - sent));
    sent += piece.length;
    record.bytes_sent = sent;
    if (!res.write(piece)) await drainedOrClosed(res);
  }
  if (!res.destroyed) res.end();
}

function drainedOrClosed(res) {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
