// Writes the seed corpora of the fuzz targets, one directory per target, from the recorded
// traffic in ../shared/fixtures (read, never copied into the repo) and tests/data/pages, plus
// small hand-made samples where nothing is recorded (.env files, auth.json).
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

for (const [target, count] of Object.entries(counts)) {
  const written = readdirSync(join(out, target)).length;
  console.log(`seeds: ${target}: ${written} files (${count - written} duplicates)`);
}
