// Writes the seed corpora of the fuzz targets, one directory per target, from the recorded
// traffic in ../shared/fixtures (read, never copied into the repo) and tests/data/pages, plus
// small hand-made samples where nothing is recorded (.env files, auth.json, HTTP framing).
//
//   node fuzz/seeds.mjs <fixtures dir> <repo dir> <output dir>
//
// Besides each recording as it is, every target gets shrunk variants (long strings cut, long
// arrays shortened): libFuzzer mutates small inputs much faster, and the structure is what
// matters.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [fixtures, repo, out] = process.argv.slice(2);
if (!out) {
  console.error('usage: node fuzz/seeds.mjs <fixtures dir> <repo dir> <output dir>');
  process.exit(2);
}

const counts = {};
function seed(target, bytes) {
  const dir = join(out, target);
  mkdirSync(dir, { recursive: true });
  const data = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes, 'utf8');
  // Named by content, as libFuzzer names corpus files: duplicates collapse.
  writeFileSync(join(dir, createHash('sha1').update(data).digest('hex')), data);
  counts[target] = (counts[target] ?? 0) + 1;
}

const files = (dir, suffix) =>
  readdirSync(dir).filter((name) => name.endsWith(suffix)).sort().map((name) => join(dir, name));

// A copy with strings cut to `max` characters and arrays to `items` elements.
function shrunk(value, max = 120, items = 4) {
  if (typeof value === 'string') return value.length > max ? value.slice(0, max) : value;
  if (Array.isArray(value)) return value.slice(0, items).map((v) => shrunk(v, max, items));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shrunk(v, max, items)]));
  return value;
}

const sse = (events, eol = '\n') =>
  events.map((e) => `event: ${e.type}${eol}data: ${JSON.stringify(e)}${eol}${eol}`).join('');
const chunkLines = (path) =>
  readFileSync(path, 'utf8').split('\n').filter((line) => line.trim()).map((line) => JSON.parse(line));

rmSync(out, { recursive: true, force: true });

// ---- request_translator_fuzz: Anthropic request bodies -------------------------------------
const requests = [];
for (const path of files(join(fixtures, 'claude-code-requests'), '.json')) {
  if (path.endsWith('.headers.json')) continue;
  requests.push(JSON.parse(readFileSync(path, 'utf8')));
}
for (const line of readFileSync(join(fixtures, 'claude-code-requests/cc1.0.6-session-traffic.jsonl'), 'utf8').split('\n')) {
  if (line.trim()) requests.push(JSON.parse(line).request.body);
}
for (const request of requests) {
  const text = JSON.stringify(request);
  if (text.length <= 100_000) seed('request_translator_fuzz', text);
  seed('json_parse_fuzz', JSON.stringify(shrunk(request)));  // (the parser and writer: same shapes)
  seed('request_translator_fuzz', JSON.stringify(shrunk(request)));
  seed('request_translator_fuzz', JSON.stringify(shrunk(request, 40, 2)));
  // The messages alone, every block kept: all the content shapes, little else.
  if (Array.isArray(request.messages))
    seed('request_translator_fuzz', JSON.stringify({ model: request.model, max_tokens: 1024, messages: shrunk(request.messages, 60, 1000) }));
}

// ---- responses_stream_fuzz: Responses streams, SSE-framed -----------------------------------
for (const path of files(join(fixtures, 'openai-responses'), '.chunks.txt')) {
  const streams = [];
  for (const event of chunkLines(path)) {
    if (!streams.length || event.type === 'response.created') streams.push([]);
    streams.at(-1).push(event);
  }
  for (const events of streams) {
    seed('responses_stream_fuzz', sse(events));
    seed('responses_stream_fuzz', sse(shrunk(events, 80, 3)));
  }
  // The wire's other habits: CRLF, keep-alive comments, [DONE], no `event:` lines, a cut.
  const small = shrunk(streams[0], 60, 2);
  seed('responses_stream_fuzz', sse(small, '\r\n'));
  seed('responses_stream_fuzz', ': keep-alive\n\n' + sse(small) + 'data: [DONE]\n\n');
  seed('responses_stream_fuzz', small.map((e) => `data: ${JSON.stringify(e)}\n\n`).join(''));
  const whole = sse(small);
  seed('responses_stream_fuzz', whole.slice(0, Math.floor(whole.length / 2)));
}

// ---- anthropic_sse_round_trip_fuzz: Anthropic streams, SSE-framed ---------------------------
for (const path of files(join(fixtures, 'anthropic-sse'), '.chunks.txt')) {
  const events = chunkLines(path);
  seed('anthropic_sse_round_trip_fuzz', sse(events));
  seed('anthropic_sse_round_trip_fuzz', sse(shrunk(events, 60, 3)));
}
for (const path of files(join(fixtures, 'anthropic-sse'), '.txt')) {
  if (!path.endsWith('.chunks.txt')) seed('anthropic_sse_round_trip_fuzz', readFileSync(path));
}
for (const line of readFileSync(join(fixtures, 'claude-code-requests/cc1.0.6-session-traffic.jsonl'), 'utf8').split('\n')) {
  const raw = line.trim() && JSON.parse(line).response.body_raw;
  if (raw && raw.length <= 32_000) seed('anthropic_sse_round_trip_fuzz', raw);
}

// ---- dotenv_fuzz: .env files (none recorded: the dialect's cases, written here) -------------
for (const text of [
  'OPENAI_API_KEY=sk-test-123\nCLAUDEGPT_MODEL=gpt-5.5\n',
  '# claudegpt settings\nexport CLAUDEGPT_PORT=8082\n\nCLAUDEGPT_EFFORT=high # inline comment\n',
  "SINGLE='literal $HOME \\n stays'\nDOUBLE=\"line one\\nline two\\t\\\"quoted\\\" \\\\ end\"\n",
  'MULTI="first\nsecond\nthird"\nAFTER=1\n',
  'WINDOWS=crlf\r\nQUOTED="a\r\nb"\r\n',
  'EMPTY=\nSPACES=   padded value   \nHASH=a#not-a-comment\nDOTTED.KEY=x\n_UNDER=y\n',
  'DUP=first\nDUP=second\n',
  'BROKEN LINE WITHOUT EQUALS\n',
  'UNTERMINATED="never closed\n',
  "TRAILING='x' junk\n",
  // The writer's half: key, NUL, value, NUL, …
  'KEY\0plain\0OTHER\0with \'single\' and "double" quotes\0NL\0a\nb\r\nc\\d\0',
  'K\0#starts with hash\0E\0\0T\0\ttab\0',
]) seed('dotenv_fuzz', text);

// ---- codex_auth_file_fuzz: auth.json, shaped like the Codex CLI's ---------------------------
// (modelled on tests/integration/codex_auth_test.cc: a JWT with `exp` and the account claim)
const b64url = (text) => Buffer.from(text).toString('base64url');
const jwt = (payload) =>
  `${b64url('{"alg":"RS256","typ":"JWT"}')}.${b64url(JSON.stringify(payload))}.c2lnbmF0dXJl`;
const claims = (exp, account = 'acct-jwt') => ({ exp, 'https://api.openai.com/auth': { chatgpt_account_id: account } });
const fresh = jwt(claims(4_102_444_800));  // 2100-01-01
const expired = jwt(claims(1_700_000_000));
for (const document of [
  { OPENAI_API_KEY: null, tokens: { id_token: jwt(claims(4_102_444_800, 'acct-id')), access_token: fresh, refresh_token: 'rt-1', account_id: 'acct-file' }, last_refresh: '2026-11-24T10:00:00.000000Z' },
  { tokens: { access_token: fresh, refresh_token: 'rt-1' } },
  { tokens: { id_token: jwt(claims(4_102_444_800, 'acct-from-id')), access_token: 'not-a-jwt', refresh_token: 'rt-2' } },
  { tokens: { access_token: expired, refresh_token: 'rt-3', account_id: 'acct' } },
  { tokens: { access_token: jwt({ exp: 1.5e9 }), refresh_token: '' } },
  { tokens: { access_token: jwt({ exp: '4102444800' }), refresh_token: 'rt' } },
  { tokens: { access_token: jwt({ exp: 18446744073709551615 }) } },
  { tokens: { refresh_token: 'only-refresh' } },
  { OPENAI_API_KEY: 'sk-api-key-login' },
  { tokens: 'not an object' },
  [],
]) seed('codex_auth_file_fuzz', JSON.stringify(document, null, 2));
seed('codex_auth_file_fuzz', fresh);

// ---- page_text_fuzz: web pages ---------------------------------------------------------------
for (const path of files(join(repo, 'tests/data/pages'), '.html')) seed('page_text_fuzz', readFileSync(path));
for (const page of [
  '<!doctype html><title>T</title><main><h1>Head</h1><p>Para with <a href="/rel?q=1">a link</a>, <em>em</em> and <code>x</code>.</p>' +
    '<ul><li>one<ul><li>nested</li></ul></li><li>two</li></ul><pre><code class="language-js">let a = 1;\n  indented</code></pre>' +
    '<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2|3</td></tr></table><blockquote>quoted</blockquote>' +
    '<dl><dt>term</dt><dd>definition</dd></dl><img alt="an image" src="i.png"></main>',
  '<html><head><base href="https://other.example/dir/"><meta charset="windows-1252"></head><body><nav>menu</nav>' +
    '<article><p>caf\u00e9</p><sup><a href="#fn1">[1]</a></sup></article><footer>foot</footer></body></html>',
  '<html><body><noscript>You need to enable JavaScript to run this app.</noscript><script>var x = "<p>";</script></body></html>',
  '<?xml version="1.0" encoding="ISO-8859-1"?><html xmlns="http://www.w3.org/1999/xhtml"><body><p>x</p></body></html>',
  '{"json": ["not", "html"], "n": 1}',
  'plain text\r\nwith lines\n\n\n\nand gaps',
]) seed('page_text_fuzz', page);
seed('page_text_fuzz', Buffer.from([0x3c, 0x70, 0x3e, 0x63, 0x61, 0x66, 0xe9, 0x3c, 0x2f, 0x70, 0x3e]));  // <p>caf\xE9</p>
seed('page_text_fuzz', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<p>utf-16</p>', 'utf16le')]));
seed('page_text_fuzz', Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1'));
seed('page_text_fuzz', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]));

// ---- http_request_fuzz: whole HTTP requests, as Claude Code sends them and otherwise -------
// The first byte picks the server: '0' the open one, '1' the one that needs the access token.
const proxyKey = 'fuzz-proxy-key-7f3a';  // http_request_fuzz.cc's kAccessToken
const http = (bytes, servers = '01') => {
  for (const server of servers) seed('http_request_fuzz', Buffer.concat([Buffer.from(server), Buffer.from(bytes)]));
};
// Claude Code's own headers (2.1.330), less the framing and the key, which each seed sets.
const ccHeaders = JSON.parse(readFileSync(join(fixtures, 'claude-code-requests/cc2.1.330-first-turn.headers.json'), 'utf8'))
  .headers.filter(([name]) => !/^(content-length|x-api-key|host|connection)$/i.test(name));
// A body in uneven chunks (tiny ones, a large one), with an extension on one: the framing
// is what is under test.
function chunked(body) {
  const data = Buffer.from(body);
  const parts = [];
  const sizes = [1, 7, 300, 4096, 2];
  for (let at = 0, i = 0; at < data.length; i++) {
    const part = data.subarray(at, at + sizes[i % sizes.length]);
    parts.push(Buffer.from(`${part.length.toString(16)}${i === 1 ? ';ext=1' : ''}\r\n`), part, Buffer.from('\r\n'));
    at += part.length;
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}
function request({ method = 'POST', path = '/v1/messages?beta=true', headers = ccHeaders, body = null,
                   key = proxyKey, framing = 'length', version = '1.1', extra = [] } = {}) {
  const lines = [`${method} ${path} HTTP/${version}`, 'Host: 127.0.0.1:3210'];
  for (const [name, value] of headers) lines.push(`${name}: ${value}`);
  if (key) lines.push(`x-api-key: ${key}`);
  lines.push(...extra);
  let payload = Buffer.alloc(0);
  if (body !== null && framing === 'length') {
    payload = Buffer.from(body);
    lines.push(`Content-Length: ${payload.length}`);
  } else if (body !== null) {
    payload = chunked(body);
    lines.push('Transfer-Encoding: chunked');
  }
  return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n'), payload]);
}
const probe = (method, path, extra = []) => request({ method, path, headers: [], key: null, extra });

// The recorded requests: one whole (49 KB, as sent), the others shrunk, by Content-Length to
// one server and chunked to the other.
const firstTurn = readFileSync(join(fixtures, 'claude-code-requests/cc2.1.330-first-turn.json'));
http(request({ body: firstTurn }));
let odd = false;
for (const path of files(join(fixtures, 'claude-code-requests'), '.json')) {
  if (path.endsWith('.headers.json')) continue;
  const body = JSON.stringify(shrunk(JSON.parse(readFileSync(path, 'utf8')), 60, 2));
  const target = path.includes('count-tokens') ? '/v1/messages/count_tokens?beta=true' : '/v1/messages?beta=true';
  http(request({ path: target, body }), odd ? '0' : '1');
  http(request({ path: target, body, framing: 'chunked' }), odd ? '1' : '0');
  odd = !odd;
}
// Claude Code 1.0.6's headers (a Bearer token instead of x-api-key), the first turns of a session.
const session = readFileSync(join(fixtures, 'claude-code-requests/cc1.0.6-session-traffic.jsonl'), 'utf8')
  .split('\n').filter((line) => line.trim()).slice(0, 6).map((line) => JSON.parse(line).request);
for (const recorded of session) {
  const headers = Object.entries(recorded.headers)
    .filter(([name]) => !/^(content-length|host|authorization)$/i.test(name));
  headers.push(['authorization', `Bearer ${proxyKey}`]);
  const url = new URL(recorded.url);
  http(request({ path: url.pathname + url.search, headers, key: null, body: JSON.stringify(shrunk(recorded.body, 60, 2)) }));
}

const small = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 64, stream: true,
                               messages: [{ role: 'user', content: 'say hi' }] });
const count = JSON.stringify({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }] });
// Pipelined: two or three requests on one connection, written at once.
http(Buffer.concat([request({ path: '/v1/messages/count_tokens?beta=true', body: count }),
                    request({ body: small })]));
http(Buffer.concat([probe('GET', '/health', [`x-api-key: ${proxyKey}`]), request({ body: small, framing: 'chunked' })]));
http(Buffer.concat([probe('HEAD', '/'), probe('GET', '/health', [`x-api-key: ${proxyKey}`]), probe('HEAD', '/api/hello')]));
http(Buffer.concat([probe('HEAD', '/health', [`x-api-key: ${proxyKey}`]), probe('GET', '/nowhere', [`x-api-key: ${proxyKey}`])]));
http(Buffer.concat([request({ path: '/v1/messages/count_tokens', body: count, framing: 'chunked' }),
                    request({ path: '/v1/messages/count_tokens', body: '{"model":' })]));
// Probes and other routes.
for (const [method, path] of [['GET', '/health'], ['GET', '/healthz?x=1'], ['HEAD', '/'], ['GET', '/'],
                              ['HEAD', '/api/hello'], ['OPTIONS', '/v1/messages'], ['OPTIONS', '*'],
                              ['GET', '/v1/models'], ['DELETE', '/v1/messages'], ['GET', 'http://127.0.0.1:3210/health']])
  http(probe(method, path, [`x-api-key: ${proxyKey}`]));
// The access token: missing, wrong, as a Bearer token (any case).
for (const extra of [[], ['x-api-key: wrong'], [`Authorization: Bearer ${proxyKey}`], [`authorization: bearer ${proxyKey}`],
                     [`x-api-key: ${proxyKey}x`], ['Authorization: Bearer ']])
  http(request({ path: '/v1/messages/count_tokens', body: count, key: null, headers: [], extra }), '1');
// Expect: 100-continue, with the body right behind the head (as curl sends it after a pause).
http(request({ body: small, extra: ['Expect: 100-continue'] }));
http(request({ path: '/v1/messages/count_tokens', body: count, extra: ['Expect: 100-continue'], framing: 'chunked' }));
http(request({ path: '/v1/messages/count_tokens', body: null, extra: ['Expect: 100-continue', 'Content-Length: 50'] }));
// Limits: a body over max_body_bytes (64 KiB) announced, and sent chunked; a huge chunk size.
http(request({ body: null, extra: ['Content-Length: 1000000'] }) + '{}');
http(request({ body: JSON.stringify({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'x'.repeat(70_000) }] }),
               framing: 'chunked' }), '0');
http(request({ body: null, extra: ['Transfer-Encoding: chunked'] }) + 'ffffffffffffffff\r\nab\r\n0\r\n\r\n');
// Header blocks past the server's 64 KiB (431): one long field (Beast keeps field offsets in 16
// bits and threw past them), and many short ones.
http(probe('GET', '/health', [`x-api-key: ${proxyKey}`, `X-Pad: ${'a'.repeat(66_000)}`]), '1');
http(probe('GET', '/', Array(9_000).fill('X-P: a')), '0');
// HTTP/1.0, Connection: close (the server must not answer what follows), keep-alive.
http(request({ path: '/v1/messages/count_tokens', body: count, version: '1.0' }) + 'GET /health HTTP/1.1\r\n\r\n');
http(request({ path: '/v1/messages/count_tokens', body: count, extra: ['Connection: close'] }) + 'GET / HTTP/1.1\r\n\r\n');
http(request({ path: '/v1/messages/count_tokens', body: count, version: '1.0', extra: ['Connection: keep-alive'] }) +
     'HEAD / HTTP/1.0\r\n\r\n');
// Chunked with trailers; both framings at once; two lengths; a cut head; a cut body.
http(request({ body: null, extra: ['Transfer-Encoding: chunked', 'Trailer: X-T'] }) + '2\r\n{}\r\n0\r\nX-T: 1\r\n\r\n');
http(request({ body: null, extra: ['Transfer-Encoding: chunked', 'Content-Length: 2'] }) + '2\r\n{}\r\n0\r\n\r\n');
http(request({ body: null, extra: ['Content-Length: 2', 'Content-Length: 3'] }) + '{}');
http(request({ path: '/v1/messages/count_tokens', body: count }).subarray(0, 200));
const whole = request({ path: '/v1/messages/count_tokens', body: count });
http(whole.subarray(0, whole.length - 5));
http(request({ path: '/v1/messages/count_tokens', body: count, framing: 'chunked' }).subarray(0, whole.length - 3));
// Not quite HTTP: bare LF line ends, a header line without a colon, a bad chunk size, a
// TLS ClientHello (an https client on the plain port), nothing at all.
http(probe('GET', '/health', [`x-api-key: ${proxyKey}`]).toString().replaceAll('\r\n', '\n'));
http('GET / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n');
http(request({ body: null, extra: ['Transfer-Encoding: chunked'] }) + 'zz\r\n{}\r\n0\r\n\r\n');
http(Buffer.from('16030100a5010000a10303' + '00'.repeat(32) + '000813021303130100ff01', 'hex'));
http('');

for (const [target, count] of Object.entries(counts)) {
  const written = readdirSync(join(out, target)).length;
  console.log(`seeds: ${target}: ${written} files (${count - written} duplicates)`);
}
