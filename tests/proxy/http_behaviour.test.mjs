// claudegpt's HTTP surface, probed with raw requests: routes, error bodies, limits,
// keep-alive pings, cancellation of the upstream when the client goes away, and surviving
// every fault. The strict fake upstream (tests/fake_upstream/) sits behind it.
//
// Needs the proxy binary: CLAUDEGPT_BIN (CTest sets it) or build/release/claudegpt.

import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

import { startFakeUpstream } from '../lib/fake_upstream.mjs';
import { startProxy } from '../lib/proxy.mjs';
import { proxyBinary, fixturePath } from '../lib/paths.mjs';
import { readSse, collectSse } from '../lib/sse.mjs';

const BIN = proxyBinary();
const PING_MS = 200;
const SMALL_LIMIT = 64 * 1024;

let fake;
let proxy;          // default settings, short ping interval
let smallProxy;     // CLAUDEGPT_MAX_BODY_BYTES=64 KiB, a custom opus model

before(async () => {
  if (!BIN) return;
  fake = await startFakeUpstream();
  // No upstream retries here: each fault must reach the client as it is (the retries have
  // their own tests in tests/providers/).
  proxy = await startProxy({ upstream: fake,
                             env: { CLAUDEGPT_PING_INTERVAL_MS: String(PING_MS),
                                    CLAUDEGPT_UPSTREAM_RETRIES: '0' } });
  smallProxy = await startProxy({ upstream: fake, env: {
    CLAUDEGPT_MAX_BODY_BYTES: String(SMALL_LIMIT), CLAUDEGPT_OPENAI_OPUS: 'gpt-5.5-test-opus' } });
});
after(async () => {
  const exits = [await proxy?.stop(), await smallProxy?.stop()];
  await fake?.close();
  for (const [i, exit] of exits.entries()) {
    if (exit && exit.code !== 0 && exit.signal !== 'SIGTERM') {
      assert.fail(`proxy ${i} exited badly on SIGTERM: ${JSON.stringify(exit)}`);
    }
  }
});
beforeEach(async () => { await fake?.reset(); });

const HEADERS = { 'content-type': 'application/json', 'x-api-key': 'dummy',
                  'anthropic-version': '2023-06-01' };

function body(marker, extra = {}) {
  return {
    model: 'claude-sonnet-4-5',
    max_tokens: 1024,
    stream: true,
    messages: [{ role: 'user', content: `[[scenario:${marker}]] hi` }],
    ...extra,
  };
}

function postMessages(target, payload, { path = '/v1/messages', signal, headers = {} } = {}) {
  return fetch(`${target.url}${path}`, {
    method: 'POST', headers: { ...HEADERS, ...headers }, signal,
    body: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
}

// The Anthropic error body: {"type":"error","error":{"type","message"},"request_id"?}.
async function expectError(res, status, type) {
  assert.equal(res.status, status);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  const json = await res.json();
  assert.equal(json.type, 'error');
  assert.equal(json.error.type, type);
  assert.equal(typeof json.error.message, 'string');
  assert.ok(json.error.message.length > 0);
  for (const key of Object.keys(json)) {
    assert.ok(['type', 'error', 'request_id'].includes(key), `unexpected key ${key}`);
  }
  if ('request_id' in json) assert.equal(typeof json.request_id, 'string');
  return json;
}

// A normal streamed turn still works (after each fault).
async function stillServes(target = proxy) {
  const res = await postMessages(target, body('text text=alive'));
  assert.equal(res.status, 200);
  const events = await collectSse(res);
  assert.equal(events.at(-1).event, 'message_stop');
  assert.ok(target.alive, 'the proxy process is alive');
}

// Sends a body of `size` bytes over a raw socket while reading the answer, as curl does
// (node:http and fetch give up on the request when the server answers early and closes;
// the proxy may rightly stop reading). Resolves with {status, text} of the response.
function postLarge(target, size) {
  return new Promise((resolve, reject) => {
    const url = new URL(target.url);
    const socket = net.connect(Number(url.port), url.hostname);
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (c) => { received += c; });
    socket.on('error', () => {});   // EPIPE / ECONNRESET once the proxy has answered
    socket.on('close', () => {
      const m = /^HTTP\/1\.[01] (\d{3})[^\r]*\r\n[\s\S]*?\r\n\r\n([\s\S]*)$/.exec(received);
      if (!m) {
        return reject(new Error(`no HTTP response: ${JSON.stringify(received.slice(0, 200))}`));
      }
      resolve({ status: Number(m[1]), text: Buffer.from(m[2], 'latin1').toString('utf8') });
    });
    const prefix = '{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user",' +
                   '"content":"';
    const suffix = '"}]}';
    socket.write(`POST /v1/messages HTTP/1.1\r\nHost: ${url.host}\r\n` +
                 'content-type: application/json\r\nx-api-key: dummy\r\n' +
                 `anthropic-version: 2023-06-01\r\ncontent-length: ${size}\r\n` +
                 'connection: close\r\n\r\n' + prefix);
    const chunk = 'x'.repeat(1 << 20);
    let left = size - prefix.length - suffix.length;
    const pump = () => {
      while (left > 0 && !socket.destroyed) {
        const piece = left >= chunk.length ? chunk : chunk.slice(0, left);
        left -= piece.length;
        if (!socket.write(piece)) return socket.once('drain', pump);
      }
      if (!socket.destroyed) socket.write(suffix);
    };
    pump();
  });
}

const skip = !BIN && 'no claudegpt binary';

describe('routes', { skip }, () => {
  test('POST /v1/messages?beta=true streams a turn', async () => {
    const res = await postMessages(proxy, body('text text="beta works"'),
                                   { path: '/v1/messages?beta=true' });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/event-stream/);
    const events = await collectSse(res);
    assert.equal(events[0].event, 'message_start');
    assert.equal(events.at(-1).event, 'message_stop');
    for (const e of events) assert.equal(e.event, e.data.type, 'event name = data.type');
    const textOut = events.filter((e) => e.data.delta?.type === 'text_delta')
      .map((e) => e.data.delta.text).join('');
    assert.equal(textOut, 'beta works');
  });

  for (const path of ['/health', '/healthz']) {
    test(`GET ${path} is 200 JSON naming the provider`, async () => {
      const res = await fetch(`${proxy.url}${path}`);
      assert.equal(res.status, 200);
      const json = await res.json();
      assert.equal(json.provider, 'openai');
    });
  }

  for (const [method, path] of [['HEAD', '/'], ['GET', '/'], ['HEAD', '/api/hello']]) {
    test(`${method} ${path} is 200 (Claude Code's connectivity checks)`, async () => {
      const res = await fetch(`${proxy.url}${path}`, { method });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    });
  }

  test('an unknown path is 404 not_found_error', async () => {
    await expectError(await fetch(`${proxy.url}/v1/nothing-here`, { method: 'POST',
                                                                    headers: HEADERS, body: '{}' }),
                      404, 'not_found_error');
    await expectError(await fetch(`${proxy.url}/v2/messages`), 404, 'not_found_error');
  });

  test('the upstream gets the configured key, a Responses body, and the routed model',
       async () => {
    const res = await postMessages(proxy, body('text'));
    await res.arrayBuffer();
    const [upstream] = await fake.requests();
    assert.equal(upstream.path, '/v1/responses');
    assert.equal(upstream.headers.authorization, 'Bearer test-key');
    assert.equal(upstream.status, 200, JSON.stringify(upstream.error));
    assert.equal(upstream.body.stream, true);
    assert.equal(upstream.body.store, false);
    assert.equal(upstream.body.model, 'gpt-5.4-mini');
  });

  test('models are routed by tier word, with env overrides', async () => {
    const cases = [[proxy, 'claude-opus-5-5', 'gpt-5.5'],
                   [proxy, 'claude-sonnet-5-5', 'gpt-5.4-mini'],
                   [proxy, 'claude-haiku-5-5', 'gpt-5.4-mini'],
                   [proxy, 'claude-3-opus-20240229', 'gpt-5.5'],
                   [smallProxy, 'claude-opus-4-8', 'gpt-5.5-test-opus']];
    for (const [target, requested, routed] of cases) {
      await fake.reset();
      const res = await postMessages(target, body('text', { model: requested }));
      const events = await collectSse(res);
      assert.equal(events[0].data.message.model, requested, 'the client model is echoed');
      assert.equal((await fake.lastRequest()).body.model, routed, `${requested} → ${routed}`);
    }
  });
});

describe('request errors', { skip }, () => {
  test('malformed JSON is 400 invalid_request_error', async () => {
    await expectError(await postMessages(proxy, '{"model": "claude-sonnet-4-5", '), 400,
                      'invalid_request_error');
    assert.equal((await fake.requests()).length, 0, 'nothing reached upstream');
    await stillServes();
  });

  test('a body without messages is 400 invalid_request_error', async () => {
    await expectError(await postMessages(proxy, { model: 'claude-sonnet-4-5', max_tokens: 10 }),
                      400, 'invalid_request_error');
    await expectError(await postMessages(proxy, '[1, 2, 3]'), 400, 'invalid_request_error');
  });

  test('a body over CLAUDEGPT_MAX_BODY_BYTES is 413 request_too_large', async () => {
    const res = await postLarge(smallProxy, SMALL_LIMIT + 1024);
    assert.equal(res.status, 413);
    const json = JSON.parse(res.text);
    assert.equal(json.type, 'error');
    assert.equal(json.error.type, 'request_too_large');
    const ok = await postLarge(smallProxy, SMALL_LIMIT - 1024);
    assert.notEqual(ok.status, 413, 'a body under the limit is accepted');
    await stillServes(smallProxy);
  });

  test('the default limit is 32 MiB', async () => {
    const res = await postLarge(proxy, 32 * 1024 * 1024 + 4096);
    assert.equal(res.status, 413);
    assert.equal(JSON.parse(res.text).error.type, 'request_too_large');
    await stillServes();
  });
});

describe('streaming behaviour', { skip }, () => {
  test('ping events arrive while the upstream is slow', async () => {
    const res = await postMessages(proxy, body('slow gap_ms=1200 deltas=2'));
    const events = await collectSse(res);
    const pings = events.filter((e) => e.event === 'ping');
    assert.ok(pings.length >= 4, `${pings.length} pings in ~2.4 s at ${PING_MS} ms`);
    for (const p of pings) assert.deepEqual(p.data, { type: 'ping' });
    assert.equal(events[0].event, 'message_start', 'message_start comes before any ping');
    assert.equal(events.at(-1).event, 'message_stop');
    // No gap longer than a few ping intervals.
    for (let i = 1; i < events.length; i += 1) {
      assert.ok(events[i].at - events[i - 1].at < PING_MS * 4,
                `gap of ${events[i].at - events[i - 1].at} ms before ${events[i].event}`);
    }
  });

  test('pings also keep a stalled upstream\'s client connection alive', async () => {
    const controller = new AbortController();
    const res = await postMessages(proxy, body('stall'), { signal: controller.signal });
    assert.equal(res.status, 200);
    const seen = [];
    const started = performance.now();
    try {
      for await (const e of readSse(res)) {
        seen.push(e.event);
        if (seen.filter((t) => t === 'ping').length >= 3) break;
        if (performance.now() - started > 3000) break;
      }
    } finally {
      controller.abort();
    }
    assert.equal(seen[0], 'message_start');
    assert.ok(seen.filter((t) => t === 'ping').length >= 3, `events: ${seen.join(',')}`);
    await sleep(200);
    await stillServes();
  });

  test('a client disconnect closes the upstream connection within 100 ms', async () => {
    const controller = new AbortController();
    const res = await postMessages(proxy, body('slow gap_ms=3000 deltas=3'),
                                   { signal: controller.signal });
    const reader = readSse(res);
    const first = await reader.next();
    assert.equal(first.value.event, 'message_start');
    await sleep(100);
    const abortedAt = performance.timeOrigin + performance.now();
    controller.abort();
    await sleep(400);
    const [upstream] = await fake.requests();
    assert.ok(upstream.closed_at, 'the upstream connection was closed');
    assert.equal(upstream.aborted, true, 'closed by the proxy before the stream finished');
    const delay = upstream.closed_at - abortedAt;
    assert.ok(delay < 100, `upstream closed ${delay.toFixed(1)} ms after the client left`);
    await stillServes();
  });

  test('a client disconnect during a stalled upstream also cancels it', async () => {
    const controller = new AbortController();
    const res = await postMessages(proxy, body('stall after=created'),
                                   { signal: controller.signal });
    assert.equal(res.status, 200);
    await sleep(150);
    const abortedAt = performance.timeOrigin + performance.now();
    controller.abort();
    await sleep(400);
    const [upstream] = await fake.requests();
    assert.ok(upstream.closed_at && upstream.closed_at - abortedAt < 100,
              `closed_at ${upstream.closed_at && (upstream.closed_at - abortedAt).toFixed(1)} ms`);
    await stillServes();
  });

  test('many concurrent streams all complete', async () => {
    const results = await Promise.all(Array.from({ length: 32 }, async (_, i) => {
      const res = await postMessages(proxy, body(`text text="stream ${i}" deltas=4`));
      const events = await collectSse(res);
      return events.filter((e) => e.data.delta?.type === 'text_delta')
        .map((e) => e.data.delta.text).join('');
    }));
    assert.deepEqual(results, Array.from({ length: 32 }, (_, i) => `stream ${i}`));
  });
});

describe('upstream faults leave the proxy serving', { skip }, () => {
  for (const [marker, check] of [
    ['cut', 'stream'], ['failed_midstream', 'stream'], ['garbage', 'any'],
    ['http_500', 'http'], ['rate_limit', 'http'], ['context_overflow', 'http'],
    ['error_before_output', 'any'],
  ]) {
    test(`after upstream ${marker}`, async () => {
      const res = await postMessages(proxy, body(marker));
      if (res.status === 200) {
        assert.notEqual(check, 'http', 'an upstream HTTP error is an HTTP error');
        const events = await collectSse(res).catch(() => []);
        assert.equal(events.some((e) => e.event === 'message_stop'), false,
                     'a failed upstream turn does not end normally');
        const error = events.find((e) => e.event === 'error');
        if (error) {
          assert.equal(error.data.type, 'error');
          assert.equal(typeof error.data.error.type, 'string');
        }
      } else {
        assert.ok(res.status >= 400);
        const json = await res.json();
        assert.equal(json.type, 'error');
      }
      await stillServes();
    });
  }

  test('an unreachable upstream is a 5xx error, and the proxy survives', async () => {
    const dead = net.createServer();
    await new Promise((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const { port } = dead.address();
    await new Promise((resolve) => dead.close(resolve));
    const lonely = await startProxy({ upstream: `http://127.0.0.1:${port}/v1` });
    try {
      const res = await postMessages(lonely, body('text'));
      if (res.status === 200) {
        const events = await collectSse(res);
        assert.equal(events.some((e) => e.event === 'message_stop'), false);
        assert.ok(events.some((e) => e.event === 'error'));
      } else {
        assert.ok(res.status >= 500, `status ${res.status}`);
        assert.equal((await res.json()).type, 'error');
      }
      assert.ok(lonely.alive);
    } finally {
      await lonely.stop();
    }
  });
});

describe('recorded Claude Code requests', { skip }, () => {
  const dir = fixturePath('claude-code-requests');
  const files = BIN ? fs.readdirSync(dir).filter((f) => /^cc2\.1\.\d+-.*\.json$/.test(f) &&
                                                        !f.endsWith('.headers.json')) : [];
  for (const file of files) {
    test(`${file} is accepted by the strict upstream`, async () => {
      const payload = fs.readFileSync(`${dir}/${file}`, 'utf8');
      const counting = file.includes('count-tokens');
      const res = await postMessages(proxy, payload, {
        path: counting ? '/v1/messages/count_tokens?beta=true' : '/v1/messages?beta=true',
        headers: { 'anthropic-beta': 'claude-code-20250219', 'x-app': 'cli',
                   'X-Claude-Code-Session-Id': '04d2493e-f832-475a-a806-1a9e7e58dbab' } });
      const upstream = await fake.requests();
      assert.equal(res.status, 200, `${res.status} ${await res.clone().text()}\n` +
                                    `upstream: ${JSON.stringify(upstream.at(-1)?.error)}`);
      if (counting) {
        const json = await res.json();
        assert.ok(json.input_tokens > 0);
        assert.equal(upstream.length, 0);
        return;
      }
      const text = await res.text();
      assert.equal(upstream.length, 1);
      assert.equal(upstream[0].status, 200, JSON.stringify(upstream[0].error));
      if (JSON.parse(payload).stream) assert.match(text, /event: message_stop/);
      else assert.equal(JSON.parse(text).type, 'message');
    });
  }
});

describe('a proxy with an access token (CLAUDEGPT_PROXY_KEY, as the launcher runs it)', { skip }, () => {
  const TOKEN = 'a'.repeat(31) + 'b';
  let guarded;
  before(async () => {
    guarded = await startProxy({ upstream: fake, env: { CLAUDEGPT_PROXY_KEY: TOKEN } });
  });
  after(async () => { await guarded?.stop(); });
  beforeEach(async () => { await fake.reset(); });

  // Like postMessages, but with only the credentials given here (HEADERS has a dummy key).
  const post = (credentials, path = '/v1/messages') => fetch(`${guarded.url}${path}`, {
    method: 'POST', body: JSON.stringify(body('text')),
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...credentials },
  });

  test('a request without the token is refused with 401 and never reaches the upstream', async () => {
    await expectError(await post({}), 401, 'authentication_error');
    assert.equal((await fake.requests()).length, 0);
  });

  test('a wrong token is refused with 401, also on count_tokens', async () => {
    for (const path of ['/v1/messages', '/v1/messages/count_tokens']) {
      await expectError(await post({ 'x-api-key': TOKEN.slice(0, -1) + 'c' }, path), 401,
                        'authentication_error');
    }
    await expectError(await post({ authorization: 'Bearer nope' }), 401, 'authentication_error');
    await expectError(await post({ authorization: `Basic ${TOKEN}` }), 401, 'authentication_error');
    assert.equal((await fake.requests()).length, 0);
  });

  test('the right token as x-api-key is served', async () => {
    const res = await post({ 'x-api-key': TOKEN });
    assert.equal(res.status, 200);
    assert.equal((await collectSse(res)).at(-1).event, 'message_stop');
  });

  test('the right token as a Bearer token is served', async () => {
    const res = await post({ authorization: `Bearer ${TOKEN}` });
    assert.equal(res.status, 200);
    assert.equal((await collectSse(res)).at(-1).event, 'message_stop');
  });

  test('the probes need no token', async () => {
    for (const [method, path] of [['GET', '/'], ['HEAD', '/'], ['HEAD', '/api/hello']]) {
      const res = await fetch(`${guarded.url}${path}`, { method });
      assert.equal(res.status, 200, `${method} ${path}`);
      await res.arrayBuffer();
    }
  });

  test('/health does: it names the backend and its models', async () => {
    for (const path of ['/health', '/healthz']) {
      const res = await fetch(`${guarded.url}${path}`);
      assert.equal(res.status, 401, path);
      await res.arrayBuffer();
      const ok = await fetch(`${guarded.url}${path}`, { headers: { 'x-api-key': TOKEN } });
      assert.equal(ok.status, 200, path);
      await ok.arrayBuffer();
    }
  });
});

// Off loopback, anyone who reaches the port could spend the quota: serve refuses to start
// there without a key, and starts with one.
describe('binding beyond loopback', { skip: !proxyBinary() }, () => {
  test('without CLAUDEGPT_PROXY_KEY it refuses to start, saying why', () => {
    const run = spawnSync(proxyBinary(), ['serve', '--host', '0.0.0.0', '--port', '0'], {
      env: { ...process.env, CLAUDEGPT_PROXY_KEY: '', OPENAI_API_KEY: 'test-key' },
      encoding: 'utf8', timeout: 10_000,
    });
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, /CLAUDEGPT_PROXY_KEY/);
  });

  test('with one it serves, and requires it', async () => {
    const key = 'k'.repeat(32);
    const open = await startProxy({ upstream: fake, args: ['--host', '0.0.0.0'],
                                    env: { CLAUDEGPT_PROXY_KEY: key } });
    try {
      const url = open.url.replace('0.0.0.0', '127.0.0.1');
      const refused = await fetch(`${url}/health`);
      assert.equal(refused.status, 401);
      await refused.arrayBuffer();
      const served = await fetch(`${url}/health`, { headers: { 'x-api-key': key } });
      assert.equal(served.status, 200);
      await served.arrayBuffer();
    } finally {
      await open.stop();
    }
  });
});
