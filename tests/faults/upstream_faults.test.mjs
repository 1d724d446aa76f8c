// Every way the upstream can fail, one after the other against one proxy: each ends for the
// client as a well-formed Anthropic error (an HTTP error body, or an `error` event closing a
// stream that had started) within the configured timeout; the failed upstream request is
// closed; nothing is retried once output reached the client; and the proxy keeps serving.
// Then the largest single event the proxy relays (10 MB), and one beyond its limit.
//
// Timeouts are shortened to 1 s (CLAUDEGPT_STREAM_FIRST_EVENT_TIMEOUT, _IDLE_TIMEOUT); the
// retries stay at their default (2). Figures go to the test diagnostics (t.diagnostic).
//
// Run: CLAUDEGPT_BIN=… node --test tests/faults/upstream_faults.test.mjs

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';

import { startFakeServer } from '../fake_upstream/fake_responses_server.mjs';
import { patternText } from '../fake_upstream/scenarios.mjs';
import { startProxy } from '../lib/proxy.mjs';
import { makeTestCertificates } from '../lib/tls.mjs';
import { collectSse } from '../lib/sse.mjs';
import { SKIP, expectAnthropicError, memory, mb, messagesBody, now, postMessages, resetPeak,
         stillServes, until } from './support.mjs';

const TIMEOUT_MS = 1000;      // the first-event and idle timeouts the proxies run with
const RETRIES = 2;            // the default
// The longest the retries may add: backoff is base/2 + random(base), base 250 ms doubling.
const BACKOFF_MAX_MS = 375 + 750;
const SLACK_MS = 600;         // process scheduling on a busy 2-core machine
const PING_MS = 200;

let fake;        // the strict fake upstream, in-process (its records are read directly)
let proxy;       // no pings before the first event: a stall before output is an HTTP error
let pinging;     // pings every 200 ms: the stream starts before the upstream says anything
let refusedProxy;
let tlsProxy;
let tlsFake;
let certs;

const timeouts = { CLAUDEGPT_STREAM_FIRST_EVENT_TIMEOUT: '1', CLAUDEGPT_STREAM_IDLE_TIMEOUT: '1',
                   CLAUDEGPT_UPSTREAM_RETRIES: String(RETRIES) };

before(async () => {
  if (SKIP) return;
  fake = await startFakeServer();
  proxy = await startProxy({ upstream: fake, env: timeouts });
  pinging = await startProxy({ upstream: fake,
                               env: { ...timeouts, CLAUDEGPT_PING_INTERVAL_MS: String(PING_MS) } });
  // A port nothing listens on: connections are refused.
  const closed = net.createServer();
  await new Promise((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const { port } = closed.address();
  await new Promise((resolve) => closed.close(resolve));
  refusedProxy = await startProxy({ upstream: `http://127.0.0.1:${port}/v1`, env: timeouts });
  // HTTPS signed by a CA the proxy is not told about: the handshake fails.
  certs = makeTestCertificates();
  tlsFake = await startFakeServer({ tls: { cert: certs.cert, key: certs.key } });
  tlsProxy = await startProxy({ upstream: tlsFake, env: { ...timeouts, SSL_CERT_FILE: undefined,
                                                          CLAUDEGPT_CA_BUNDLE: undefined } });
});

after(async () => {
  const exits = [];
  for (const p of [proxy, pinging, refusedProxy, tlsProxy]) exits.push(await p?.stop());
  await fake?.close();
  await tlsFake?.close();
  certs?.remove();
  for (const exit of exits) {
    if (exit && exit.code !== 0 && exit.signal !== 'SIGTERM') {
      assert.fail(`a proxy exited badly on SIGTERM: ${JSON.stringify(exit)}`);
    }
  }
});

// The fake's records of the requests whose marker carried tag=<tag>.
const tagged = (server, tag) => server.requests().filter((r) => r.scenario?.args?.tag === tag);

// Each fault: the marker the fake answers (tag=<name> is added), which proxy, what the client
// must get, how long it may take at most (and at least), how many upstream requests it may
// cost (1: nothing retried).
const FAULTS = [
  { name: 'refused connection', target: () => refusedProxy, marker: 'text',
    expect: { status: 502, type: 'api_error' }, maxMs: BACKOFF_MAX_MS, upstream: null },
  { name: 'TLS failure (certificate not trusted)', target: () => tlsProxy, marker: 'text',
    expect: { status: 502, type: 'api_error' }, maxMs: 0, upstream: null },
  { name: 'HTTP 500 on every attempt', marker: 'http_500',
    expect: { kind: 'http', type: 'api_error' }, maxMs: BACKOFF_MAX_MS, attempts: 1 + RETRIES },
  { name: 'HTTP 503 on every attempt', marker: 'http_error status=503',
    expect: { status: 529, type: 'overloaded_error' }, maxMs: BACKOFF_MAX_MS,
    attempts: 1 + RETRIES },
  { name: 'HTTP 429', marker: 'rate_limit retry_after=3',
    expect: { status: 429, type: 'rate_limit_error' }, maxMs: 0, attempts: 1 },
  // curl itself tries a request once more when a reused keep-alive connection dies without
  // an answer (it cannot tell that from a stale pooled connection): up to twice per attempt.
  { name: 'connection dropped before any byte, every attempt', marker: 'drop',
    expect: { status: 502, type: 'api_error' }, maxMs: BACKOFF_MAX_MS,
    attempts: [1 + RETRIES, 2 * (1 + RETRIES)] },
  { name: 'stall before the first byte (no response headers)', marker: 'text ttfb_ms=4000',
    expect: { status: 504, type: 'timeout_error' }, minMs: TIMEOUT_MS, maxMs: TIMEOUT_MS,
    attempts: 1 },
  { name: 'stall after the response headers', marker: 'stall',
    expect: { status: 504, type: 'timeout_error' }, minMs: TIMEOUT_MS, maxMs: TIMEOUT_MS,
    attempts: 1 },
  { name: 'stall after response.created', marker: 'stall after=created',
    expect: { type: 'timeout_error' }, minMs: TIMEOUT_MS, maxMs: TIMEOUT_MS, attempts: 1 },
  { name: 'stall before the first byte, the client already pinged', target: () => pinging,
    marker: 'text ttfb_ms=4000', expect: { kind: 'sse', type: 'timeout_error' },
    minMs: TIMEOUT_MS, maxMs: TIMEOUT_MS, attempts: 1 },
  { name: 'stall mid-stream', marker: 'text text="one two three" deltas=3 gap_ms=4000',
    expect: { kind: 'sse', type: 'timeout_error' }, minMs: TIMEOUT_MS, maxMs: TIMEOUT_MS,
    attempts: 1, output: true },
  { name: 'cut mid-stream', marker: 'cut', expect: { kind: 'sse', type: 'api_error' }, maxMs: 0,
    attempts: 1, output: true },
  { name: 'response.failed mid-stream', marker: 'failed_midstream',
    expect: { kind: 'sse', type: 'api_error' }, maxMs: 0, attempts: 1, output: true },
  { name: 'malformed SSE before any output', marker: 'garbage',
    expect: { type: 'api_error' }, maxMs: 0, attempts: 1 },
  { name: 'malformed SSE mid-stream', marker: 'garbage_midstream',
    expect: { kind: 'sse', type: 'api_error' }, maxMs: 0, attempts: 1, output: true },
];

describe('each upstream fault ends as a well-formed Anthropic error, in time', { skip: SKIP },
         () => {
  for (const fault of FAULTS) {
    test(fault.name, async (t) => {
      const target = fault.target?.() ?? proxy;
      const server = target === tlsProxy ? tlsFake : fake;
      const tag = fault.name.replace(/\W+/g, '-');
      const started = now();
      const res = await postMessages(target, messagesBody(`${fault.marker} tag=${tag}`));
      const failure = await expectAnthropicError(res);
      const elapsed = now() - started;
      t.diagnostic(`${failure.kind} ${failure.status} ${failure.type} after ` +
                   `${elapsed.toFixed(0)} ms: ${failure.message.slice(0, 120)}`);
      if (fault.expect.kind) assert.equal(failure.kind, fault.expect.kind);
      if (fault.expect.status) assert.equal(failure.status, fault.expect.status);
      assert.equal(failure.type, fault.expect.type);
      if (fault.expect.status === 429) assert.equal(res.headers.get('retry-after'), '3');
      // Within the configured timeout (plus the retries' backoff, where there are retries).
      assert.ok(elapsed >= (fault.minMs ?? 0) - 50, `ended after only ${elapsed.toFixed(0)} ms`);
      assert.ok(elapsed <= fault.maxMs + SLACK_MS,
                `ended after ${elapsed.toFixed(0)} ms (limit ${fault.maxMs} + ${SLACK_MS})`);
      if (fault.output) {
        assert.ok(failure.events.some((e) => e.data?.delta?.type === 'text_delta'),
                  'some output reached the client before the failure');
      }
      if (fault.upstream === null) {
        // The proxy never got an HTTP answer: nothing reached the fake API.
        assert.equal(tagged(server, tag).length, 0);
      } else {
        // Nothing retried after output reached the client; every attempt closed.
        const records = tagged(server, tag);
        const [least, most] = Array.isArray(fault.attempts) ? fault.attempts
                                                          : [fault.attempts, fault.attempts];
        assert.ok(records.length >= least && records.length <= most,
                  `${records.length} upstream attempts, expected ${fault.attempts}`);
        await until(() => records.every((r) => r.closed_at !== null),
                    { timeoutMs: 1000, what: 'every upstream request closed' });
        const last = Math.max(...records.map((r) => r.closed_at));
        t.diagnostic(`upstream closed ${(last - (started + elapsed)).toFixed(1)} ms after the ` +
                     'client had its answer');
      }
      assert.ok(target.alive, 'the proxy is alive');
      await stillServes(target === refusedProxy || target === tlsProxy ? proxy : target);
      assert.ok(target.alive);
    });
  }

  test('the proxies that met an unreachable upstream still answer', async () => {
    for (const target of [refusedProxy, tlsProxy]) {
      const res = await fetch(`${target.url}/health`);
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    }
  });
});

describe('a single 10 MB event', { skip: SKIP }, () => {
  const TEN_MB = 10 * 1024 * 1024;
  // A proxy of its own, with the default timeouts: on a busy machine the fake may take more
  // than a second to build events this large, and its memory figures start clean.
  let proxy;
  before(async () => {
    proxy = await startProxy({ upstream: fake, env: { CLAUDEGPT_UPSTREAM_RETRIES: '0' } });
  });
  after(async () => { await proxy?.stop(); });
  const MEMORY_BOUND_KB = 200 * 1024;   // measured: ~120 MB for 10 MB, ~96 MB for 20 MB

  test('is relayed whole, as one text delta, in bounded memory',
       async (t) => {
    const pid = proxy.child.pid;
    await stillServes(proxy);
    const before = memory(pid);
    resetPeak(pid);
    const started = now();
    const res = await postMessages(proxy, messagesBody(`big_event bytes=${TEN_MB} tag=big`));
    assert.equal(res.status, 200);
    const events = await collectSse(res);
    const elapsed = now() - started;
    const names = events.map((e) => e.event);
    assert.equal(names.at(-1), 'message_stop', names.join(','));
    const deltas = events.filter((e) => e.data?.delta?.type === 'text_delta');
    const text = deltas.map((e) => e.data.delta.text).join('');
    assert.equal(text.length, TEN_MB);
    assert.ok(text === patternText(TEN_MB), 'every byte arrived, in order');
    assert.equal(deltas.length, 1, 'one event in, one delta out');
    const during = memory(pid);
    await stillServes(proxy);
    const afterwards = memory(pid);
    t.diagnostic(`10 MB event: ${elapsed.toFixed(0)} ms; proxy RSS ${mb(before.rssKb)} MB ` +
                 `before, peak ${mb(during.peakKb)} MB, ${mb(afterwards.rssKb)} MB after`);
    // The event is held several times over (the SSE reader's buffer, its JSON, the Anthropic
    // event and its serialisation, the text kept to match the done events, which follow as
    // 10 MB events of their own): bounded by a multiple of the reader's 16 MiB event limit.
    assert.ok(during.peakKb - before.rssKb < MEMORY_BOUND_KB,
              `peak grew by ${mb(during.peakKb - before.rssKb)} MB`);
    assert.equal(tagged(fake, 'big').length, 1);
  });

  test('one beyond the reader\'s 16 MiB limit is a well-formed error, not a crash',
       async (t) => {
    const pid = proxy.child.pid;
    const before = memory(pid);
    resetPeak(pid);
    const started = now();
    const res = await postMessages(proxy, messagesBody(`big_event bytes=${20 * 1024 * 1024} ` +
                                                       'tag=huge'));
    const failure = await expectAnthropicError(res);
    const elapsed = now() - started;
    const peak = memory(pid).peakKb;
    t.diagnostic(`20 MB event: ${failure.kind} ${failure.status} ${failure.type} after ` +
                 `${elapsed.toFixed(0)} ms (${failure.message}); peak RSS ${mb(peak)} MB ` +
                 `(from ${mb(before.rssKb)} MB)`);
    assert.equal(failure.type, 'api_error');
    assert.match(failure.message, /larger than/);
    assert.ok(elapsed < 5000);
    assert.ok(peak - before.rssKb < MEMORY_BOUND_KB, `peak grew by ${mb(peak - before.rssKb)} MB`);
    const [record] = tagged(fake, 'huge');
    await until(() => record.closed_at !== null, { what: 'the upstream request closed' });
    assert.equal(tagged(fake, 'huge').length, 1, 'not retried');
    await stillServes(proxy);
  });
});
