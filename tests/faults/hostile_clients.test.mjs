// Requests built to hurt the proxy (issue 13), one at a time: a header block past Beast's
// 16-bit offsets, a count_tokens body near the size limit, requests that arrive too slowly,
// JSON nested deeper than the parser's default, `Expect: 100-continue`, a 60 KB request
// target, settings out of range. None may crash the proxy, freeze it for its other clients,
// or hold a connection past its deadline; each gets an Anthropic error it can act on.
// (Thousands of connections at once, and the memory budgets: hostile_connections.test.mjs.)
//
// Run: CLAUDEGPT_BIN=… node --test tests/faults/hostile_clients.test.mjs

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { startFakeServer } from '../fake_upstream/fake_responses_server.mjs';
import { startProxy } from '../lib/proxy.mjs';
import { collectSse } from '../lib/sse.mjs';
import { makeSessionDirs, removeSessionDirs, runClaude } from '../e2e/claude_cli.mjs';
import { BIN as GIVEN_BIN, HEADERS, RawExchange, SKIP, expectAnthropicError, expectRawError, mb, memory,
         messagesBody, now, percentile, postMessages, rawExchange, resetPeak, stillServes,
         until } from './support.mjs';

const KiB = 1024;
const MiB = 1024 * KiB;
const HEADER_LIMIT = 64 * KiB;            // kMaxHeaderBytes (src/server/request_reader.h)
const MIN_BODY_RATE = 32 * KiB;           // kMinBodyBytesPerSecond, bytes a second
const KEY = 'hostile-clients-key';        // CLAUDEGPT_PROXY_KEY where one is required
const BIN = GIVEN_BIN && path.resolve(GIVEN_BIN);   // some are run from another directory

let fake;
before(async () => {
  if (SKIP) return;
  fake = await startFakeServer();
});
after(async () => { await fake?.close(); });

// A proxy of the test's own: some of these requests brought the old one down.
function ownProxy(env = {}) {
  return startProxy({ upstream: fake, env: { CLAUDEGPT_UPSTREAM_RETRIES: '0', CLAUDEGPT_LEDGER: '0',
                                             CLAUDEGPT_TRACE: '0', ...env } });
}

async function stopped(proxy, run) {
  try {
    return await run(proxy);
  } finally {
    await proxy.stop();
  }
}

const port = (proxy) => new URL(proxy.url).host;

// The text a streamed turn said.
const said = (events) => events.filter((e) => e.data?.delta?.type === 'text_delta')
  .map((e) => e.data.delta.text).join('');

// ---------------------------------------------------------------------------------------
// 1. Header blocks past the limit

// A GET whose headers hold one field `name: value` besides Host.
const withField = (proxy, name, value, extra = '') =>
  `GET /health HTTP/1.1\r\nHost: ${port(proxy)}\r\n${extra}${name}: ${value}\r\n\r\n`;

const OVERSIZED = {
  // 65,534 bytes: the largest value a 16-bit length holds, and the old proxy's crash.
  'one field value of 65,534 bytes': (proxy, extra) => withField(proxy, 'x-big', 'v'.repeat(65_534), extra),
  'one field name of 64 KiB (65.5 KB)': (proxy, extra) => withField(proxy, 'x'.repeat(64 * KiB), '1', extra),
};

// The answer to an oversized header block: 431 with an Anthropic error, the connection closed.
function expect431(exchange) {
  const [response, ...more] = exchange.responses;
  const error = expectRawError(response, 431, 'invalid_request_error');
  assert.equal(error.message, `Request header fields too large: at most ${HEADER_LIMIT / KiB} KiB of headers`);
  // Nothing about the body's limit: it was not the body (old: "the maximum allowed size of
  // 33554432 bytes").
  assert.doesNotMatch(error.message, /33554432|body|maximum allowed size/i);
  assert.equal(response.headers.connection?.toLowerCase(), 'close');
  assert.equal(more.length, 0);
  assert.ok(exchange.closed && !exchange.left, 'the proxy closed the connection');
}

describe('a header block past 64 KiB', { skip: SKIP }, () => {
  for (const [shape, request] of Object.entries(OVERSIZED)) {
    test(`${shape}: 431 with an Anthropic error, then close; the proxy lives on`, async (t) => {
      await stopped(await ownProxy(), async (proxy) => {
        const exchange = await rawExchange(proxy, request(proxy));
        t.diagnostic(`${exchange.responses[0]?.status ?? 'no answer'} after ` +
                     `${(exchange.closedAt - exchange.connectedAt).toFixed(1)} ms; proxy alive: ${proxy.alive}`);
        assert.ok(proxy.alive, `the proxy died:\n${proxy.stderr.slice(-1000)}`);
        expect431(exchange);
        await stillServes(proxy);
      });
    });
  }

  test('a key required and none sent: still 431 (the headers never finished), the proxy lives on',
       async () => {
    await stopped(await ownProxy({ CLAUDEGPT_PROXY_KEY: KEY }), async (proxy) => {
      for (const request of Object.values(OVERSIZED)) {
        const exchange = await rawExchange(proxy, request(proxy));
        assert.ok(proxy.alive, `the proxy died:\n${proxy.stderr.slice(-1000)}`);
        expect431(exchange);
      }
      const res = await fetch(`${proxy.url}/v1/messages`, {
        method: 'POST', headers: { ...HEADERS, 'x-api-key': KEY },
        body: JSON.stringify(messagesBody('text text=keyed')) });
      assert.equal(res.status, 200);
      assert.equal(said(await collectSse(res)), 'keyed');
    });
  });

  test('a stream in flight meanwhile goes on, whole', async (t) => {
    await stopped(await ownProxy(), async (proxy) => {
      // Four deltas 150 ms apart; the oversized requests land in the middle of it.
      const streaming = postMessages(proxy, messagesBody('slow gap_ms=150'))
        .then(async (res) => ({ status: res.status, events: await collectSse(res) }));
      streaming.catch(() => {});   // (awaited below, after the oversized requests)
      await new Promise((resolve) => setTimeout(resolve, 200));
      for (const request of Object.values(OVERSIZED)) expect431(await rawExchange(proxy, request(proxy)));
      const { status, events } = await streaming;
      t.diagnostic(`the stream: ${events.length} events, ending ${events.at(-1)?.event}`);
      assert.equal(status, 200);
      assert.equal(events.at(-1).event, 'message_stop');
      assert.equal(said(events), 'This answer arrives slowly.');
      assert.ok(proxy.alive);
    });
  });

  // The old launcher aborted (std::length_error, exit 134), and Claude Code lost its proxy.
  test('in launcher mode, Claude Code keeps its proxy: 431, then a normal request is served, and ' +
       'the launcher exits with Claude Code\'s exit code', async (t) => {
    const dirs = makeSessionDirs('claudegpt-hostile-');
    try {
      const probe = path.join(dirs.work, 'claude.mjs');
      fs.writeFileSync(probe, `#!${process.execPath}
import net from 'node:net';
const base = new URL(process.env.ANTHROPIC_BASE_URL);
const auth = 'Bearer ' + process.env.ANTHROPIC_AUTH_TOKEN;
// The oversized request, on a socket of its own; what came back, until the proxy closed it.
const oversized = await new Promise((resolve) => {
  const socket = net.connect(Number(base.port), base.hostname);
  let received = '';
  socket.on('data', (chunk) => { received += chunk.toString('latin1'); });
  socket.on('error', (error) => { received += '<' + error.code + '>'; });
  socket.on('close', () => resolve(received));
  socket.write('GET /v1/models HTTP/1.1\\r\\nHost: ' + base.host + '\\r\\nAuthorization: ' + auth +
               '\\r\\nX-Big: ' + 'v'.repeat(65534) + '\\r\\n\\r\\n');
  setTimeout(() => socket.destroy(), 5000);
});
let normal;
try {
  const res = await fetch(new URL('/v1/messages', base), { method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', authorization: auth },
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 100, stream: false,
                           messages: [{ role: 'user', content: '[[scenario:text text=still_here]] hi' }] }) });
  normal = { status: res.status, body: await res.json() };
} catch (error) {
  normal = { error: String(error.cause ?? error) };
}
console.log(JSON.stringify({ oversized, normal }));
process.exit(7);
`, { mode: 0o755 });
      const run = await runClaude({
        bin: BIN, proxyURL: 'http://127.0.0.1:9', prompt: 'unused', dirs, timeoutMs: 30_000,
        env: { CLAUDEGPT_CLAUDE_BIN: probe, CLAUDEGPT_PROVIDER: 'openai', OPENAI_BASE_URL: fake.baseURL,
               OPENAI_API_KEY: 'test-key', CLAUDEGPT_CLIENT_CONTEXT: '0', CLAUDEGPT_LEDGER: '0',
               CLAUDEGPT_TRACE: '0' },
      });
      const explain = `exit ${JSON.stringify({ code: run.code, signal: run.signal })}\n` +
                      `stdout: ${run.stdout.slice(-1500)}\nstderr: ${run.stderr.slice(-1500)}`;
      t.diagnostic(`the launcher: exit ${run.code ?? run.signal}`);
      const seen = JSON.parse(run.stdout.trim().split('\n').at(-1) || 'null');
      assert.ok(seen, explain);
      t.diagnostic(`the oversized request: ${JSON.stringify(seen.oversized.slice(0, 60))}; then ` +
                   `${JSON.stringify(seen.normal).slice(0, 160)}`);
      assert.match(seen.oversized, /^HTTP\/1\.1 431 /, explain);
      assert.match(seen.oversized, /"type":"invalid_request_error"/);
      assert.equal(seen.normal.status, 200, explain);
      assert.equal(seen.normal.body.content?.[0]?.text, 'still_here', explain);
      assert.equal(run.code, 7, explain);
    } finally {
      removeSessionDirs(dirs);
    }
  });
});

// ---------------------------------------------------------------------------------------
// 2. count_tokens on its own threads

// ~31 MB of text in one user message, as three shapes a tokenizer may find hard.
const COUNT_BYTES = 31_000_000;
function englishLike(bytes) {
  const words = ['the', 'proxy', 'counts', 'tokens', 'of', 'a', 'request', 'while', 'other',
                 'clients', 'wait,', 'and', 'nobody', 'should', 'notice.', 'Meanwhile', 'it',
                 'streams', 'answers', 'from', 'upstream;', 'numbers', 'like', '1234', 'too.'];
  const parts = [];
  let length = 0;
  let seed = 13;
  while (length < bytes) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const word = words[seed % words.length];
    parts.push(word);
    length += word.length + 1;
  }
  return parts.join(' ').slice(0, bytes);
}
const COUNT_SHAPES = {
  'all spaces': () => ' '.repeat(COUNT_BYTES),
  'one 30 MiB word': () => 'a'.repeat(30 * MiB),
  'English-like text': () => englishLike(COUNT_BYTES),
};
const COUNT_SECONDS = 2;
const ANSWER_MS = 50;   // /health and a streamed turn, while a count runs

const countBody = (text) => JSON.stringify({ model: 'claude-sonnet-4-5',
                                             messages: [{ role: 'user', content: text }] });
const countTokens = (proxy, body) => fetch(`${proxy.url}/v1/messages/count_tokens`,
                                           { method: 'POST', headers: HEADERS, body });

// Counts `body` from a child process: sending 31 MB holds up the sender's event loop for tens
// of ms, and this process's loop times the /health round trips. Resolves with {status, json,
// ms} (ms: from sending the request to its answer).
const COUNTER_SOURCE = `
import fs from 'node:fs';
const [url, file] = process.argv.slice(1);
const body = fs.readFileSync(file);
const sent = performance.now();
const res = await fetch(url, { method: 'POST', body,
                               headers: { 'content-type': 'application/json', 'x-api-key': 'dummy' } });
const json = await res.json();
console.log(JSON.stringify({ status: res.status, json, ms: performance.now() - sent }));
`;
// The body is written to a file first, so that this process can let go of it before it
// times anything (a 31 MB string here means garbage-collection pauses in the /health times).
function writeCountBody(body) {
  const file = path.join(os.tmpdir(), `claudegpt-count-${process.pid}.json`);
  fs.writeFileSync(file, body);
  return { file, length: Buffer.byteLength(body) };
}
function countInChild(proxy, file) {
  const child = spawn(process.execPath, ['--input-type=module', '-e', COUNTER_SOURCE,
                                         `${proxy.url}/v1/messages/count_tokens`, file],
                      { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => { out += chunk; });
  return new Promise((resolve, reject) => child.once('close', (code) => {
    fs.rmSync(file, { force: true });
    if (code === 0) resolve(JSON.parse(out));
    else reject(new Error(`the counting client exited ${code}: ${out}`));
  }));
}

describe('count_tokens runs on the counting threads, in bounded time and memory', { skip: SKIP }, () => {
  let proxy;
  before(async () => {
    if (SKIP) return;
    proxy = await ownProxy();
    // The o200k vocabulary (~11 MB) is built shortly after start: not part of the figures.
    const warm = await countTokens(proxy, countBody('warm up'));
    assert.equal(warm.status, 200);
    await warm.arrayBuffer();
    // And a few turns: the first ones (a new upstream connection, this process's JIT) take
    // 20-130 ms; a turn here takes ~5 ms.
    for (let i = 0; i < 5; i += 1) await stillServes(proxy);
  });
  after(async () => { await proxy?.stop(); });

  for (const [shape, make] of Object.entries(COUNT_SHAPES)) {
    test(`~31 MB of ${shape}: counted in ≤ ${COUNT_SECONDS} s and ≤ 3× its size; meanwhile ` +
         `/health and a streamed turn answer within ${ANSWER_MS} ms`, { timeout: 180_000 }, async (t) => {
      const body = writeCountBody(countBody(make()));
      const pid = proxy.child.pid;
      const base = memory(pid);
      resetPeak(pid);
      const started = now();
      let countedAt = null;
      const counting = countInChild(proxy, body.file).finally(() => { countedAt = now(); });
      counting.catch(() => {});   // (awaited below)
      // /health every 25 ms until the count is done (each sent while it runs, however long
      // its answer takes); one streamed turn 150 ms in (the counting client takes ~50 ms to
      // start).
      const health = [];
      let turn = null;
      while (countedAt === null) {
        if (turn === null && now() - started >= 150) {
          const sent = now();
          turn = postMessages(proxy, messagesBody('text text=meanwhile')).then(async (res) => {
            const events = await collectSse(res);
            return { status: res.status, events, ms: now() - sent };
          });
        }
        const sent = now();
        const res = await fetch(`${proxy.url}/health`);
        await res.arrayBuffer();
        health.push(now() - sent);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      const counted = await counting;
      const seconds = counted.ms / 1000;
      const growthKb = memory(pid).peakKb - base.rssKb;
      const turned = await turn;
      t.diagnostic(`${(body.length / 1e6).toFixed(1)} MB counted in ${seconds.toFixed(2)} s: ` +
                   `${JSON.stringify(counted.json)}; peak RSS +${mb(growthKb)} MB ` +
                   `(${(growthKb * 1024 / body.length).toFixed(2)}× the body)`);
      t.diagnostic(`meanwhile /health ×${health.length}: median ${percentile(health, 50).toFixed(1)} ms, ` +
                   `max ${Math.max(...health).toFixed(1)} ms; a streamed turn: ` +
                   `${turned ? `${turned.ms.toFixed(1)} ms` : 'none (the count was done first)'}`);
      assert.equal(counted.status, 200, JSON.stringify(counted.json));
      assert.ok(counted.json.input_tokens > 0);
      assert.ok(Math.max(...health) <= ANSWER_MS, `/health took up to ${Math.max(...health).toFixed(1)} ms`);
      assert.ok(health.length >= 3, `only ${health.length} /health round trips during the count`);
      assert.ok(turned, 'a turn was sent during the count');
      assert.equal(turned.status, 200);
      assert.equal(said(turned.events), 'meanwhile');
      assert.ok(turned.ms <= ANSWER_MS, `the turn took ${turned.ms.toFixed(1)} ms`);
      assert.ok(seconds <= COUNT_SECONDS, `counted in ${seconds.toFixed(2)} s`);
      assert.ok(growthKb * 1024 <= 3 * body.length, `peak RSS grew by ${mb(growthKb)} MB`);
    });
  }

  // counting_threads = clamp(hardware threads, 2, 5) - 1 (src/server/http_server.cc).
  test('beyond 4 jobs a counting thread, queued or running: 503 overloaded_error with retry-after',
       { timeout: 180_000 }, async (t) => {
    const threads = Math.min(Math.max(os.availableParallelism(), 2), 5) - 1;
    const requests = 4 * threads + 2;
    // 8 MB each: long enough to count that all have arrived before the first is done.
    const body = countBody(englishLike(8_000_000));
    const answers = await Promise.all(Array.from({ length: requests }, () =>
      countTokens(proxy, body).then(async (res) => ({ res, text: await res.text() }))));
    const busy = answers.filter(({ res }) => res.status === 503);
    const counted = answers.filter(({ res }) => res.status === 200);
    t.diagnostic(`${requests} at once on ${threads} counting thread(s): ${counted.length} counted, ` +
                 `${busy.length} × 503`);
    assert.equal(counted.length + busy.length, requests,
                 answers.map(({ res, text }) => `${res.status} ${text.slice(0, 100)}`).join('\n'));
    assert.ok(busy.length >= 1, 'no request was turned away');
    assert.ok(counted.length >= 4 * threads, `only ${counted.length} counted`);
    for (const { res, text } of busy) {
      const json = JSON.parse(text);
      assert.equal(json.error.type, 'overloaded_error');
      assert.ok(Number(res.headers.get('retry-after')) >= 1, 'retry-after');
    }
    const again = await countTokens(proxy, countBody('and now?'));
    assert.equal(again.status, 200);
    await again.arrayBuffer();
  });
});

// ---------------------------------------------------------------------------------------
// 3. Requests that arrive too slowly (slowloris, one connection at a time; thousands at
// once: hostile_connections.test.mjs)

const HEADER_TIMEOUT_S = 2;   // CLAUDEGPT_HEADER_TIMEOUT for these tests
const SLACK_MS = 500;         // the proxy's timer, the scheduler, this process

describe(`requests that arrive too slowly (CLAUDEGPT_HEADER_TIMEOUT=${HEADER_TIMEOUT_S})`,
         { skip: SKIP, concurrency: true }, () => {
  let proxy;
  before(async () => {
    if (SKIP) return;
    proxy = await ownProxy({ CLAUDEGPT_HEADER_TIMEOUT: String(HEADER_TIMEOUT_S) });
  });
  after(async () => { await proxy?.stop(); });

  const deadlineMs = HEADER_TIMEOUT_S * 1000;
  const within = (ms, expected) => ms >= expected - 50 && ms <= expected + SLACK_MS;

  test('half a request line: 408 timeout_error at the header deadline, then close', async (t) => {
    const client = new RawExchange(proxy);
    await client.connected;
    client.write('GET /hea');
    await client.closedWithin(deadlineMs + 5000).catch(() => {});
    const ms = (client.closedAt ?? now()) - client.connectedAt;
    t.diagnostic(`closed ${client.closed ? `after ${ms.toFixed(0)} ms` : 'never'}; received ` +
                 `${JSON.stringify(client.received.slice(0, 120))}`);
    if (!client.closed) client.leave();
    assert.ok(client.closed && !client.left, 'the proxy closed the connection');
    assert.ok(within(ms, deadlineMs), `closed after ${ms.toFixed(0)} ms`);
    const [response] = client.responses;
    expectRawError(response, 408, 'timeout_error');
    assert.equal(response.headers.connection?.toLowerCase(), 'close');
  });

  test('a fresh connection that sends nothing is closed at the deadline, silently', async (t) => {
    const client = new RawExchange(proxy);
    await client.connected;
    await client.closedWithin(deadlineMs + 5000).catch(() => {});
    const ms = (client.closedAt ?? now()) - client.connectedAt;
    t.diagnostic(`closed ${client.closed ? `after ${ms.toFixed(0)} ms` : 'never'}`);
    if (!client.closed) client.leave();
    assert.ok(client.closed && !client.left, 'the proxy closed the connection');
    assert.ok(within(ms, deadlineMs), `closed after ${ms.toFixed(0)} ms`);
    assert.equal(client.received, '', 'nothing was asked, nothing is answered');
  });

  // The deadline of a fresh connection runs from its accept (request_reader.h: "whole within
  // header_timeout of their first byte (a fresh connection: of its accept)").
  test('a fresh connection\'s first byte sent late buys it no time: 408 at the deadline from accept',
       async (t) => {
    const client = new RawExchange(proxy);
    await client.connected;
    await new Promise((resolve) => setTimeout(resolve, deadlineMs * 0.75));
    client.write('G');
    await client.closedWithin(deadlineMs + 5000).catch(() => {});
    const ms = (client.closedAt ?? now()) - client.connectedAt;
    t.diagnostic(`first byte at ${deadlineMs * 0.75} ms; closed ${client.closed ? `after ` +
                 `${ms.toFixed(0)} ms` : 'never'}; received ${JSON.stringify(client.received.slice(0, 120))}`);
    if (!client.closed) client.leave();
    assert.ok(client.closed && !client.left, 'the proxy closed the connection');
    assert.ok(within(ms, deadlineMs), `closed ${ms.toFixed(0)} ms after accept`);
    expectRawError(client.responses[0], 408, 'timeout_error');
  });

  // deadline = body start + header timeout + content-length / 32 KiB s
  test('a body: at 64 KiB/s it is served; stopped after 1 KB, 408 at its deadline', async (t) => {
    const head = (length) => `POST /v1/messages/count_tokens HTTP/1.1\r\nHost: ${port(proxy)}\r\n` +
      `content-type: application/json\r\nx-api-key: dummy\r\ncontent-length: ${length}\r\n\r\n`;
    // 192 KiB at 64 KiB/s: 3 s, inside its deadline of 2 + 6 s. (Trailing spaces are JSON.)
    const paced = Buffer.from(countBody('paced').padEnd(192 * KiB, ' '));
    const pacedClient = new RawExchange(proxy);
    // 64 KiB declared, 1 KB sent: its deadline is 2 + 2 s after its headers.
    const stalled = 64 * KiB;
    const stalledClient = new RawExchange(proxy);
    await Promise.all([pacedClient.connected, stalledClient.connected]);
    pacedClient.write(head(paced.length));
    stalledClient.write(head(stalled) + ' '.repeat(1000));
    const bodyStart = now();
    for (let sent = 0; sent < paced.length; sent += 8 * KiB) {
      pacedClient.write(paced.subarray(sent, sent + 8 * KiB));
      await until(() => now() - bodyStart >= ((sent + 8 * KiB) / (64 * KiB)) * 1000, { everyMs: 10 });
    }
    const stalledDeadline = deadlineMs + (stalled / MIN_BODY_RATE) * 1000;
    await Promise.all([pacedClient.waitForWithin('input_tokens', 5000),
                       stalledClient.closedWithin(stalledDeadline + 5000).catch(() => {})]);
    const ms = (stalledClient.closedAt ?? now()) - bodyStart;
    t.diagnostic(`paced: ${pacedClient.responses[0]?.status} after ${((now() - bodyStart) / 1000).toFixed(1)} s; ` +
                 `stalled: closed ${stalledClient.closed ? `${ms.toFixed(0)} ms after its headers` : 'never'}, ` +
                 `received ${JSON.stringify(stalledClient.received.slice(0, 120))}`);
    pacedClient.leave();
    if (!stalledClient.closed) stalledClient.leave();
    assert.equal(pacedClient.responses[0].status, 200);
    assert.ok(stalledClient.closed && !stalledClient.left, 'the proxy closed the stalled connection');
    assert.ok(within(ms, stalledDeadline), `closed ${ms.toFixed(0)} ms after the headers`);
    const error = expectRawError(stalledClient.responses[0], 408, 'timeout_error');
    assert.match(error.message, /body/i);
  });
});

// ---------------------------------------------------------------------------------------
// 5. The edges of a request

// A value nested `depth` containers deep: {"level":1,"next":{"level":2,…{"leaf":true}}}.
function nested(depth) {
  let value = { leaf: true };
  for (let level = depth - 1; level >= 1; level -= 1) value = { level, next: value };
  return value;
}

// A turn whose history holds a tool_use of `input` (a JSON config, say) and its result.
const withToolHistory = (input) => ({
  model: 'claude-sonnet-4-5', max_tokens: 1024, stream: true,
  tools: [{ name: 'Configure', description: 'Applies a configuration.',
            input_schema: { type: 'object', additionalProperties: true } }],
  messages: [
    { role: 'user', content: 'Apply the nested configuration.' },
    { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_nested', name: 'Configure', input }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_nested', content: 'applied' },
                              { type: 'text', text: '[[scenario:text text=configured]] thanks' }] },
  ],
});

describe('the edges of a request', { skip: SKIP }, () => {
  test('a tool_use input nested 500 levels reaches the upstream intact; 600 levels is a 400 ' +
       'saying why', async (t) => {
    await stopped(await ownProxy(), async (proxy) => {
      const deep = nested(500);
      const res = await postMessages(proxy, withToolHistory(deep));
      const answer = res.status === 200 ? said(await collectSse(res)) : await res.text();
      assert.equal(res.status, 200, answer.slice(0, 300));
      assert.equal(answer, 'configured');
      const call = fake.requests().at(-1).body.input.find((item) => item.type === 'function_call');
      assert.equal(call.name, 'Configure');
      assert.deepEqual(JSON.parse(call.arguments), deep);

      const tooDeep = await postMessages(proxy, withToolHistory(nested(600)));
      const error = await expectAnthropicError(tooDeep);
      t.diagnostic(`500 levels: 200, the arguments arrived whole; 600 levels: ${error.status} ` +
                   `${JSON.stringify(error.message)}`);
      assert.equal(error.status, 400);
      assert.equal(error.type, 'invalid_request_error');
      assert.match(error.message, /too deep|depth|nest/i);
      await stillServes(proxy);
    });
  });

  test('Expect: 100-continue gets "100 Continue" before the body is sent; without the key, the ' +
       '401 comes with no 100', async () => {
    await stopped(await ownProxy({ CLAUDEGPT_PROXY_KEY: KEY }), async (proxy) => {
      const body = countBody('expecting');
      const head = (key) => `POST /v1/messages/count_tokens HTTP/1.1\r\nHost: ${port(proxy)}\r\n` +
        `content-type: application/json\r\n${key ? `x-api-key: ${key}\r\n` : ''}` +
        `expect: 100-continue\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n`;

      const keyed = new RawExchange(proxy);
      await keyed.connected;
      keyed.write(head(KEY));
      await keyed.waitForWithin('\r\n\r\n', 2000);
      assert.deepEqual(keyed.responses.map((r) => r.status), [100], 'only the interim answer so far');
      assert.match(keyed.received, /^HTTP\/1\.1 100 Continue\r\n/);
      keyed.write(body);
      await keyed.waitForWithin('input_tokens', 2000);
      const [interim, final] = keyed.responses;
      assert.equal(interim.status, 100);
      assert.equal(final.status, 200);
      assert.ok(JSON.parse(final.body).input_tokens > 0);
      keyed.leave();

      const unkeyed = new RawExchange(proxy);
      await unkeyed.connected;
      unkeyed.write(head(null));
      await unkeyed.waitForWithin('"request_id"', 2000);
      assert.match(unkeyed.received, /^HTTP\/1\.1 401 /, 'the 401 is the first thing sent');
      expectRawError(unkeyed.responses[0], 401, 'authentication_error');
      assert.equal(unkeyed.responses.length, 1);
      unkeyed.leave();
    });
  });

  test('a 60 KB request target: 404, and the log line stays short', async (t) => {
    await stopped(await ownProxy(), async (proxy) => {
      const target = `/${'x'.repeat(60_000)}`;
      const exchange = await rawExchange(proxy,
        `GET ${target} HTTP/1.1\r\nHost: ${port(proxy)}\r\nconnection: close\r\n\r\n`);
      expectRawError(exchange.responses[0], 404, 'not_found_error');
      const line = await until(() => proxy.stderr.split('\n').find((l) => l.includes('GET /xxxxxxxx')),
                               { what: 'the request logged' });
      t.diagnostic(`logged as ${line.length} bytes: ${JSON.stringify(line.slice(0, 60))}…` +
                   `${JSON.stringify(line.slice(-40))}`);
      assert.ok(line.length < 400, `a ${line.length}-byte log line`);
      assert.match(line, /60001 bytes/, 'the line says how long the target was');
      assert.ok(proxy.stderr.split('\n').every((l) => l.length < 400), 'no line repeats the target');
    });
  });
});

// ---------------------------------------------------------------------------------------
// 5. Settings out of range, or that would open the proxy up

// `claudegpt serve --port 0 [args]` with `env`, which must exit within `timeoutMs`: {code,
// signal, stderr, ms}. One still running then is killed and reported as such.
function serveMustExit(env, args = [], timeoutMs = 5000) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'claudegpt-serve-'));
  const inherited = Object.fromEntries(Object.entries(process.env)
    .filter(([name]) => !/^(CLAUDEGPT_|OPENAI_|AZURE_|ANTHROPIC_)/.test(name)));
  const started = now();
  const child = spawn(BIN, ['serve', '--port', '0', ...args], {
    cwd: home, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...inherited, HOME: home, XDG_STATE_HOME: home, XDG_CONFIG_HOME: home,
           CLAUDEGPT_PROVIDER: 'openai', OPENAI_API_KEY: 'test-key', OPENAI_BASE_URL: fake.baseURL, ...env },
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  child.stdout.resume();
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) => child.once('close', (code, signal) => {
    clearTimeout(timer);
    fs.rmSync(home, { recursive: true, force: true });
    resolve({ code, signal, stderr, ms: now() - started, killed: signal === 'SIGKILL' });
  }));
}

describe('settings checked before serving', { skip: SKIP }, () => {
  test('CLAUDEGPT_PING_INTERVAL_MS=0: serve exits at once, naming the variable', async (t) => {
    const run = await serveMustExit({ CLAUDEGPT_PING_INTERVAL_MS: '0' });
    t.diagnostic(`exit ${run.code ?? run.signal} after ${run.ms.toFixed(0)} ms: ${JSON.stringify(run.stderr.trim())}`);
    assert.equal(run.killed, false, 'it served instead of exiting');
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /CLAUDEGPT_PING_INTERVAL_MS/);
    assert.match(run.stderr, /between 100 and 600000 ms/);
  });

  test('--host 0.0.0.0 without a key: serve refuses to start', async (t) => {
    const run = await serveMustExit({ CLAUDEGPT_PROXY_KEY: '' }, ['--host', '0.0.0.0']);
    t.diagnostic(`exit ${run.code ?? run.signal}: ${JSON.stringify(run.stderr.trim())}`);
    assert.equal(run.killed, false, 'it served instead of exiting');
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /would let anyone who reaches it spend your quota/);
  });
});
