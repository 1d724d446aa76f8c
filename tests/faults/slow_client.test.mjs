// A client that reads slowly, or not at all, while the upstream streams as fast as it can
// (the fake's `flood` scenario: text deltas until hundreds of MB, each flush waiting for the
// socket). The proxy must not buffer without bound: its reading of the upstream stops when
// the client stops (the fake's writes block), its memory stays bounded, and a client that
// never reads is dropped after the client write timeout (60 s, kClientWriteTimeout in
// src/server/relay.cc), the upstream aborted, with the reason logged.
//
// The tests run concurrently (the 60 s one beside the others), each with a proxy of its own
// so that each proxy's memory is its own test's. Figures go to the test diagnostics.
//
// Run: CLAUDEGPT_BIN=… node --test tests/faults/slow_client.test.mjs

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startFakeServer } from '../fake_upstream/fake_responses_server.mjs';
import { patternText } from '../fake_upstream/scenarios.mjs';
import { startProxy } from '../lib/proxy.mjs';
import { RawClient, SKIP, mb, memory, messagesBody, now, rawRequest, resetPeak,
         until } from './support.mjs';

const MB = 1024 * 1024;
const CLIENT_WRITE_TIMEOUT_MS = 60_000;   // kClientWriteTimeout (src/server/relay.cc)
// What may sit between the fake and a client that stopped reading: the kernel's socket
// buffers on loopback (both connections, both ends: a few MB each once autotuned), the
// proxy's upstream inbox (4 MiB, UpstreamInbox::kHighWater), the batch being written to the
// client. More than this written means nothing held the upstream back.
const IN_FLIGHT_LIMIT = 48 * MB;
// The proxy's own growth while a client does not keep up: the inbox, one batch taken from
// it (up to 4 MiB of events, parsed) and its translation being written; with traces on, the
// trace's share of the stream too (up to 8 MiB of upstream events and 8 MiB of the message
// sent, relay.cc kTracedEventBytes). Nothing that grows with the stream's length.
const RSS_LIMIT_KB = 64 * 1024;

let fake;
before(async () => {
  if (SKIP) return;
  fake = await startFakeServer();
});
after(async () => { await fake?.close(); });

const recordOf = (tag) => fake.requests().find((r) => r.scenario?.args?.tag === tag);

// Traces off unless asked for: with them on (the default) the relay keeps what the client was
// sent for the trace (src/server/relay.cc, sent_), so a stream's memory grows with its length,
// whatever the reader does. The last test measures that.
// Started and warm: the proxy builds its o200k vocabulary (~11 MB) shortly after start, and a
// count_tokens request waits for it, so the memory figures below measure the streams alone.
async function ownProxy({ trace = false } = {}) {
  const proxy = await startProxy({ upstream: fake, env: { CLAUDEGPT_UPSTREAM_RETRIES: '0',
                                                          CLAUDEGPT_LEDGER: '0',
                                                          CLAUDEGPT_TRACE: trace ? '1' : '0' } });
  const counted = await fetch(`${proxy.url}/v1/messages/count_tokens`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'dummy' },
    body: JSON.stringify(messagesBody('warm up')) });
  assert.equal(counted.status, 200);
  await counted.arrayBuffer();
  return proxy;
}

// Starts a flood of `bytes` to a raw client (which reads or not) and waits until the fake
// streams. Returns {client, record}.
async function flood(proxy, tag, bytes, { read }) {
  const client = new RawClient(proxy, { read });
  await client.connected;
  client.write(rawRequest(proxy, messagesBody(`flood bytes=${bytes} tag=${tag}`)));
  const record = await until(() => recordOf(tag)?.notes && recordOf(tag),
                             { what: 'the flood started' });
  return { client, record };
}

// Waits until the fake's flood has not moved for `quietMs` while a flush is waiting for the
// socket: the writer is held back. Returns the bytes written by then.
async function heldBack(record, quietMs = 1000, timeoutMs = 20_000) {
  let last = -1;
  let since = now();
  await until(() => {
    const { written, waiting_since: waiting } = record.notes;
    if (written !== last) {
      last = written;
      since = now();
    }
    return waiting !== null && now() - since >= quietMs && now() - waiting >= quietMs;
  }, { timeoutMs, everyMs: 50, what: 'the upstream writer held back' });
  return record.notes.written;
}

describe('a slow or absent reader', { skip: SKIP, concurrency: true }, () => {
  test('a client that reads nothing: the upstream is back-pressured, the proxy\'s memory ' +
       'stays bounded', async (t) => {
    const proxy = await ownProxy();
    try {
      const pid = proxy.child.pid;
      const base = memory(pid);
      resetPeak(pid);
      const { client, record } = await flood(proxy, 'reads-nothing', 500 * MB, { read: false });
      const written = await heldBack(record, 1500);
      const peak = memory(pid).peakKb;
      t.diagnostic(`the fake got ${mb(written / 1024)} MB out, then its writes blocked ` +
                   `(${(now() - record.notes.waiting_since).toFixed(0)} ms so far); proxy RSS ` +
                   `${mb(base.rssKb)} MB before, peak ${mb(peak)} MB`);
      assert.ok(written < IN_FLIGHT_LIMIT, `${mb(written / 1024)} MB written`);
      assert.ok(peak - base.rssKb < RSS_LIMIT_KB, `RSS grew by ${mb(peak - base.rssKb)} MB`);
      const left = client.leave();
      await until(() => record.closed_at !== null, { what: 'the upstream closed' });
      t.diagnostic(`client gone → upstream closed: ${(record.closed_at - left).toFixed(1)} ms`);
      assert.ok(record.closed_at - left <= 100);
      assert.equal(record.aborted, true);
    } finally {
      await proxy.stop();
    }
  });

  test('a client that reads slowly: the upstream goes at the client\'s pace, memory stays ' +
       'bounded', async (t) => {
    const RATE = 2 * MB;   // bytes a second
    const SECONDS = 6;
    const proxy = await ownProxy();
    try {
      const pid = proxy.child.pid;
      const base = memory(pid);
      resetPeak(pid);
      const { client, record } = await flood(proxy, 'reads-slowly', 500 * MB, { read: true });
      // A token bucket: pause the socket when ahead of RATE, resume when behind.
      const started = now();
      const socket = client.socket;
      const pace = () => {
        const ahead = client.bytes - (RATE * (now() - started)) / 1000;
        if (ahead > 0) {
          socket.pause();
          setTimeout(() => { if (!socket.destroyed) { socket.resume(); pace(); } },
                     (ahead / RATE) * 1000);
        }
      };
      socket.on('data', pace);
      const samples = [];
      for (let s = 1; s <= SECONDS; s += 1) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        samples.push({ read: client.bytes, written: record.notes.written,
                       rssKb: memory(pid).rssKb });
      }
      const last = samples.at(-1);
      const peak = memory(pid).peakKb;
      t.diagnostic(`after ${SECONDS} s at ${mb(RATE / 1024)} MB/s: client read ` +
                   `${mb(last.read / 1024)} MB, the fake wrote ${mb(last.written / 1024)} MB ` +
                   `of 500; proxy RSS ${mb(base.rssKb)} MB before, peak ${mb(peak)} MB`);
      for (const s of samples) {
        assert.ok(s.written - s.read < IN_FLIGHT_LIMIT,
                  `the fake is ${mb((s.written - s.read) / 1024)} MB ahead of the client`);
      }
      assert.ok(last.read < (RATE * (SECONDS + 1)), 'the client kept to its pace');
      assert.ok(last.read > RATE * (SECONDS - 2), `the client read ${last.read} bytes`);
      assert.ok(peak - base.rssKb < RSS_LIMIT_KB,
                `RSS grew by ${mb(peak - base.rssKb)} MB`);
      const left = client.leave();
      await until(() => record.closed_at !== null, { what: 'the upstream closed' });
      assert.ok(record.closed_at - left <= 100, `${(record.closed_at - left).toFixed(1)} ms`);
    } finally {
      await proxy.stop();
    }
  });

  // Its figures with traces off and on (the default) show what the trace costs.
  for (const trace of [false, true]) {
    test(`a fast client gets all of a 50 MB flood, every byte in order (traces ` +
         `${trace ? 'on' : 'off'})`, async (t) => {
      const BYTES = 50 * MB;
      const proxy = await ownProxy({ trace });
      try {
        const pid = proxy.child.pid;
        const base = memory(pid);
        resetPeak(pid);
        const started = now();
        const res = await fetch(`${proxy.url}/v1/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': 'dummy',
                     'anthropic-version': '2023-06-01' },
          body: JSON.stringify(messagesBody(`flood bytes=${BYTES} tag=fast-${trace}`)),
        });
        assert.equal(res.status, 200);
        // Checked as it comes, against the pattern at its offset (no 50 MB copy kept).
        const decoder = new TextDecoder();
        let buffer = '';
        let length = 0;
        let mismatches = 0;
        let last = null;
        const period = patternText(64 * 1024 + 64);
        for await (const chunk of res.body) {
          buffer += decoder.decode(chunk, { stream: true });
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const raw = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            last = /^event: (\S+)/.exec(raw)?.[1] ?? last;
            if (!raw.includes('"text_delta"')) continue;
            const text = JSON.parse(raw.slice(raw.indexOf('data: ') + 6)).delta.text;
            const at = length % 64;
            for (let i = 0; i < text.length; i += 65536) {
              const piece = text.slice(i, i + 65536);
              if (piece !== period.slice((at + i) % 64, (at + i) % 64 + piece.length)) {
                mismatches += 1;
              }
            }
            length += text.length;
          }
        }
        const seconds = (now() - started) / 1000;
        const peak = memory(pid).peakKb;
        t.diagnostic(`50 MB in ${seconds.toFixed(2)} s (${(BYTES / MB / seconds).toFixed(0)} ` +
                     `MB/s); proxy RSS ${mb(base.rssKb)} MB before, peak ${mb(peak)} MB`);
        assert.equal(last, 'message_stop');
        assert.equal(length, BYTES);
        assert.equal(mismatches, 0);
        // Done, or closed by the proxy once it had response.completed (before the fake's last
        // flush returned): either way the upstream's part is over.
        await until(() => recordOf(`fast-${trace}`).notes.done ||
                          recordOf(`fast-${trace}`).closed_at !== null, { what: 'the flood done' });
        // Bounded by what is in flight (and the trace's budget), not by the stream's length.
        await t.test('the proxy holds what is in flight, no more', () => {
          assert.ok(peak - base.rssKb < RSS_LIMIT_KB,
                    `RSS grew by ${mb(peak - base.rssKb)} MB for a ${BYTES / MB} MB stream`);
        });
      } finally {
        await proxy.stop();
      }
    });
  }

  test('a client that never reads is dropped after the client write timeout, the upstream ' +
       'aborted', { timeout: CLIENT_WRITE_TIMEOUT_MS + 60_000 }, async (t) => {
    const proxy = await ownProxy();
    try {
      const { client, record } = await flood(proxy, 'never-reads', 500 * MB, { read: false });
      const started = now();
      await heldBack(record, 500);
      await until(() => record.closed_at !== null,
                  { timeoutMs: CLIENT_WRITE_TIMEOUT_MS + 30_000, everyMs: 100,
                    what: 'the upstream closed' });
      const dropped = record.closed_at - started;
      t.diagnostic(`the upstream was aborted ${(dropped / 1000).toFixed(1)} s after the ` +
                   'client stopped reading');
      assert.equal(record.aborted, true);
      assert.ok(dropped >= CLIENT_WRITE_TIMEOUT_MS - 1000 &&
                dropped <= CLIENT_WRITE_TIMEOUT_MS + 15_000, `${dropped} ms`);
      assert.ok(proxy.alive);
      // The client's side of the connection is gone too: reading now, it meets the end.
      client.socket.resume();
      await until(() => client.closed, { timeoutMs: 10_000, what: 'the client connection closed' });
      // The request's log line says it ended, and why: the client did not take what it was
      // sent within the client write timeout (not that it disconnected).
      assert.match(proxy.stderr, /POST \/v1\/messages \d+ms/);
      assert.match(proxy.stderr, /client not reading: a write timed out after 60 s; dropped, upstream aborted/,
                   `stderr:\n${proxy.stderr.slice(-2000)}`);
      t.diagnostic(`stderr after the drop: ${JSON.stringify(proxy.stderr.slice(-600))}`);
    } finally {
      await proxy.stop();
    }
  });
});
