// Many hostile connections at once (issue 13): any local process may open connections until
// the proxy runs out of file descriptors, send headers slowly, or send large unfinished
// requests, and the user's Claude Code must still be served. The proxy caps its connections
// below the open-file limit and sheds idle and unauthenticated ones, oldest first, to make
// room; it bounds what it buffers from requests being read (CLAUDEGPT_REQUEST_MEMORY_MB), and
// the unauthenticated headers' share of that.
//
// The attackers run in child processes (the hard limit on open files is per process; the
// issue's 20,000 connections take three of them), reopening each connection the proxy closes,
// as a real slowloris does. CLAUDEGPT_HOSTILE_CONNECTIONS sets how many (default 3,000, three
// times the cap these tests give the proxy); the figures at 20,000 are in README.md.
//
// Run: CLAUDEGPT_BIN=… node --test tests/faults/hostile_connections.test.mjs
//      CLAUDEGPT_HOSTILE_CONNECTIONS=20000 CLAUDEGPT_BIN=… node --test tests/faults/hostile_connections.test.mjs

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';

import { startFakeServer } from '../fake_upstream/fake_responses_server.mjs';
import { startProxy } from '../lib/proxy.mjs';
import { BIN, HEADERS, RawClient, SKIP, expectRawError, freshRequest, mb, memory, messagesBody, now,
         openFds, openFileLimit, openSockets, parseResponses, rawExchange, rawRequest, resetPeak, settled,
         until, withOpenFileLimit } from './support.mjs';

const KEY = 'hostile-connections-key';   // CLAUDEGPT_PROXY_KEY
const KEYED = { ...HEADERS, 'x-api-key': KEY };
const ATTACKERS = Number(process.env.CLAUDEGPT_HOSTILE_CONNECTIONS ?? 3000);
const PER_PROCESS = 8000;                // attackers a child process holds (hard limit 20,000)
const SERVED_MS = 1000;                  // what a keyed client may wait while under attack

let fake;
before(async () => {
  if (SKIP) return;
  fake = await startFakeServer();
});
after(async () => { await fake?.close(); });

// The log lines of a proxy that match `pattern`.
const logLines = (proxy, pattern) => proxy.stderr.split('\n').filter((line) => pattern.test(line));

// The text a streamed answer (its whole body) said; null if it did not reach message_stop.
function said(body) {
  const events = body.split('\n\n').map((raw) => ({
    event: /^event: (.*)$/m.exec(raw)?.[1],
    data: JSON.parse(/^data: (.*)$/m.exec(raw)?.[1] ?? 'null') }));
  if (!events.some((e) => e.event === 'message_stop')) return null;
  return events.filter((e) => e.data?.delta?.type === 'text_delta').map((e) => e.data.delta.text).join('');
}

// The bytes of a keyed POST /v1/messages.
const keyedRequest = (proxy, payload) =>
  Buffer.from(rawRequest(proxy, payload).toString('latin1').replace('x-api-key: dummy', `x-api-key: ${KEY}`),
              'latin1');

// What a keyed client does, each on a connection of its own: GET /health, then a streamed
// turn (to its message_stop). Returns the times of both, in ms.
async function keyedClient(proxy, text) {
  const health = await freshRequest(proxy, { path: '/health', headers: { 'x-api-key': KEY } });
  assert.equal(health.status, 200, health.body);
  const turn = await freshRequest(proxy, { method: 'POST', path: '/v1/messages', headers: KEYED,
                                           body: messagesBody(`text text=${text}`) });
  assert.equal(turn.status, 200, turn.body.slice(0, 300));
  assert.equal(said(turn.body), text, turn.body.slice(0, 600));
  return { healthMs: health.ms, turnMs: turn.ms };
}

// What a proxy allocates once is not the attack's: the o200k vocabulary (~11 MB, built shortly
// after start; a count waits for it) and a first turn's.
async function warm(proxy, headers = KEYED) {
  const counted = await freshRequest(proxy, { method: 'POST', path: '/v1/messages/count_tokens', headers,
                                              body: messagesBody('warm up') });
  assert.equal(counted.status, 200, counted.body);
  const turn = await freshRequest(proxy, { method: 'POST', path: '/v1/messages', headers,
                                           body: messagesBody('text text=warm') });
  assert.equal(said(turn.body), 'warm');
  await settled(proxy.child.pid);
}

// ---------------------------------------------------------------------------------------
// The attackers: a child process holding `count` connections to `port`, each having sent
// `payload`; when the proxy closes one, it opens another at once. It reports its figures
// when sent 'report', and closes everything when sent 'stop'.
const ATTACKER_SOURCE = `
import net from 'node:net';
const { PORT, COUNT, PAYLOAD } = process.env;
const stats = { open: 0, opened: 0, closedByProxy: 0, refused: 0, answered: 0, failedConnects: 0 };
const sockets = new Set();
let stopping = false;
function attack() {
  if (stopping) return;
  const socket = net.connect(Number(PORT), '127.0.0.1');
  sockets.add(socket);
  let connected = false;
  let received = '';
  socket.on('connect', () => { connected = true; stats.open += 1; stats.opened += 1; socket.write(PAYLOAD); });
  socket.on('data', (chunk) => { received += chunk.toString('latin1'); });
  socket.on('error', () => {});
  socket.on('close', () => {
    sockets.delete(socket);
    if (connected) {
      stats.open -= 1;
      if (stopping) return;
      if (received.startsWith('HTTP/1.1 503')) stats.refused += 1;
      else if (received) stats.answered += 1;
      else stats.closedByProxy += 1;
    } else {
      stats.failedConnects += 1;
    }
    setImmediate(attack);
  });
}
// Opened 250 at a time, 5 ms apart, so that the listen queue is not the first thing to fill.
let started = 0;
const ramp = setInterval(() => {
  for (let i = 0; i < 250 && started < Number(COUNT); i += 1, started += 1) attack();
  if (started >= Number(COUNT)) clearInterval(ramp);
}, 5);
process.on('message', (message) => {
  if (message === 'stop') {
    stopping = true;
    clearInterval(ramp);
    for (const socket of sockets) socket.destroy();
  }
  process.send({ ...stats, started, connecting: sockets.size - stats.open });
  if (message === 'stop') process.disconnect();
});
`;

class Attack {
  // `count` connections to the proxy, spread over child processes, each sending `payload`.
  constructor(proxy, count, payload) {
    const processes = Math.ceil(count / PER_PROCESS);
    this.children = Array.from({ length: processes }, (_, i) => {
      const share = Math.floor(count / processes) + (i < count % processes ? 1 : 0);
      return spawn(process.execPath, ['--input-type=module', '-e', ATTACKER_SOURCE], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        env: { ...process.env, PORT: new URL(proxy.url).port, COUNT: String(share), PAYLOAD: payload },
      });
    });
  }

  // The children's figures, summed.
  async report(message = 'report') {
    const each = await Promise.all(this.children.map((child) => new Promise((resolve) => {
      child.once('message', resolve);
      child.send(message);
    })));
    const total = {};
    for (const stats of each) for (const [k, v] of Object.entries(stats)) total[k] = (total[k] ?? 0) + v;
    return total;
  }

  async stop() {
    const last = await this.report('stop');
    await Promise.all(this.children.map((child) => child.exitCode !== null ||
      new Promise((resolve) => child.once('exit', resolve))));
    return last;
  }

  kill() { for (const child of this.children) if (child.exitCode === null) child.kill('SIGKILL'); }
}

// ---------------------------------------------------------------------------------------
// Issue 13.3: the connection cap, and shedding at it

const OPEN_FILES = 2048;                      // the proxy's open-file limit in these tests
const CAP = Math.floor((OPEN_FILES - 64) / 2);   // connection_cap() (src/server/http_server.cc)
const SHEDDING_STARTS = new RegExp(`at the connection limit \\(${CAP}\\): closing idle and ` +
                                   'unauthenticated connections, oldest first');
const SHEDDING_ENDS = /connection shedding over: /;

describe('at the connection limit', { skip: SKIP }, () => {
  test(`${ATTACKERS} slowloris connections (half a request line each, reopened when closed; the ` +
       `cap ${CAP}): a keyed client is served within ${SERVED_MS} ms, and the log says so twice`,
       { timeout: 180_000 }, async (t) => {
    const limited = withOpenFileLimit(BIN, OPEN_FILES);
    const proxy = await startProxy({ upstream: fake, bin: limited.bin,
                                     env: { CLAUDEGPT_PROXY_KEY: KEY, CLAUDEGPT_LEDGER: '0',
                                            CLAUDEGPT_TRACE: '0' } });
    let attack;
    try {
      const pid = proxy.child.pid;
      assert.equal(openFileLimit(pid).soft, OPEN_FILES);
      await warm(proxy);
      const base = memory(pid);
      resetPeak(pid);
      const started = now();
      attack = new Attack(proxy, ATTACKERS, `GET /v1/messages HTT`);
      // As many connections opened as there are attackers (a proxy that stops accepting
      // never gets there: then on after 30 s).
      const ramped = await until(async () => {
        const stats = await attack.report();
        return (stats.opened >= ATTACKERS || now() - started >= 30_000) && stats;
      }, { timeoutMs: 60_000, everyMs: 200, what: `${ATTACKERS} attackers connected` });
      const rampSeconds = (now() - started) / 1000;
      t.diagnostic(`${ATTACKERS} attackers in ${attack.children.length} process(es) opened ` +
                   `${ramped.opened} connections in ${rampSeconds.toFixed(1)} s; ${ramped.open} open ` +
                   `(client side), ${ramped.closedByProxy} closed by the proxy so far`);

      // Under attack, three times over: the keyed client's /health and turn.
      const times = [];
      for (let i = 0; i < 3; i += 1) {
        times.push(await keyedClient(proxy, `served_${i}`));
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      const sockets = openSockets(pid);
      const fds = openFds(pid);
      const during = await attack.report();
      const attackSeconds = (now() - started) / 1000 - rampSeconds;
      t.diagnostic(`keyed /health: ${times.map((x) => x.healthMs.toFixed(0)).join(', ')} ms; keyed turn: ` +
                   `${times.map((x) => x.turnMs.toFixed(0)).join(', ')} ms`);
      t.diagnostic(`proxy: ${sockets} sockets, ${fds} fds (limit ${OPEN_FILES}); attackers: ${during.open} ` +
                   `open, ${during.opened} opened, ${during.closedByProxy} closed by the proxy, ` +
                   `${during.refused} refused (503), ${during.failedConnects} failed connects; ` +
                   `${((during.opened - ramped.opened) / attackSeconds).toFixed(0)} connections/s ` +
                   `after the ramp; proxy RSS ${mb(base.rssKb)} MB before, peak ${mb(memory(pid).peakKb)} MB`);
      for (const { healthMs, turnMs } of times) {
        assert.ok(healthMs <= SERVED_MS, `/health took ${healthMs.toFixed(0)} ms`);
        assert.ok(turnMs <= SERVED_MS, `the turn took ${turnMs.toFixed(0)} ms`);
      }
      assert.ok(sockets <= CAP + 16, `${sockets} sockets held`);
      assert.ok(during.closedByProxy > 0, 'the proxy shed attackers');
      assert.equal(during.refused, 0, 'unauthenticated connections are shed, never the newcomer refused');

      // The episode: one line when it started, one when it has been over for 5 s.
      const final = await attack.stop();
      attack = null;
      const stoppedAt = now();
      await until(() => logLines(proxy, SHEDDING_ENDS).length > 0,
                  { timeoutMs: 15_000, everyMs: 100, what: 'the end of the shedding logged' });
      const starts = logLines(proxy, SHEDDING_STARTS);
      const ends = logLines(proxy, SHEDDING_ENDS);
      const acceptFailures = logLines(proxy, /accept failed/);
      t.diagnostic(`attack over after ${final.opened} connections opened, ${final.closedByProxy} shed; ` +
                   `the end logged ${((now() - stoppedAt) / 1000).toFixed(1)} s later`);
      t.diagnostic(`log: ${JSON.stringify(starts)} … ${JSON.stringify(ends)}; ` +
                   `${proxy.stderr.split('\n').length} lines in all`);
      assert.equal(starts.length, 1, proxy.stderr.slice(-3000));
      assert.match(starts[0], / warn /);
      assert.equal(ends.length, 1);
      assert.match(ends[0], / info /);
      assert.ok(acceptFailures.length <= 1, `${acceptFailures.length} "accept failed" lines`);
      assert.ok(proxy.stderr.split('\n').length < 100, 'no line per connection');
      assert.ok(proxy.alive);
    } finally {
      attack?.kill();
      await proxy.stop();
      limited.remove();
    }
  });

  test('none of them idle or unauthenticated: a new connection gets the canned 503 and is closed',
       async (t) => {
    const MAX = 16;   // CLAUDEGPT_MAX_CONNECTIONS's least
    const proxy = await startProxy({ upstream: fake, env: { CLAUDEGPT_PROXY_KEY: KEY,
                                                            CLAUDEGPT_MAX_CONNECTIONS: String(MAX),
                                                            CLAUDEGPT_LEDGER: '0', CLAUDEGPT_TRACE: '0' } });
    const streams = [];
    try {
      // 16 keyed turns whose upstream stalls: authorized and being served, never shed.
      for (let i = 0; i < MAX; i += 1) {
        const stream = new RawClient(proxy);
        await stream.connected;
        stream.write(keyedRequest(proxy, messagesBody(`stall tag=held-${i}`)));
        streams.push(stream);
      }
      await until(() => fake.requests().filter((r) => /held-/.test(JSON.stringify(r.body.input))).length >= MAX,
                  { what: `${MAX} stalled upstream requests` });
      const exchange = await rawExchange(proxy, `GET /health HTTP/1.1\r\nHost: x\r\nx-api-key: ${KEY}\r\n\r\n`);
      const [response] = exchange.responses;
      t.diagnostic(`the 17th connection: ${JSON.stringify(exchange.received.slice(0, 200))}`);
      expectRawError(response, 503, 'overloaded_error');
      assert.ok(Number(response.headers['retry-after']) >= 1, 'retry-after');
      assert.equal(response.headers.connection?.toLowerCase(), 'close');
      assert.ok(exchange.closed && !exchange.left, 'then closed');
      const refusing = logLines(proxy, /at the connection limit \(16\).*none left to close, so new connections are refused/);
      assert.equal(refusing.length, 1, proxy.stderr.slice(-2000));

      for (const stream of streams) stream.leave();
      // Room again once they are gone.
      const health = await until(async () => {
        const res = await freshRequest(proxy, { path: '/health', headers: { 'x-api-key': KEY } }).catch(() => null);
        return res?.status === 200 && res;
      }, { timeoutMs: 5000, everyMs: 100, what: 'served again' });
      assert.equal(health.status, 200);
    } finally {
      for (const stream of streams) stream.leave();
      await proxy.stop();
    }
  });
});

// ---------------------------------------------------------------------------------------
// Issue 13.4: one budget for bytes of requests being read

const HEADER_ATTACKERS = 3000;
const HEADER_BYTES = 60_000;             // of unfinished headers each
const HEADERS_GROWTH_LIMIT_KB = 64 * 1024;

// Opens `count` connections, `batch` at a time, each writing what `bytesOf(i)` gives. Resolves
// with the sockets once each has connected and handed its bytes to the kernel (or been closed).
async function openMany(proxy, count, bytesOf, batch = 200) {
  const { port } = new URL(proxy.url);
  const sockets = [];
  for (let first = 0; first < count; first += batch) {
    await Promise.all(Array.from({ length: Math.min(batch, count - first) }, (_, k) => new Promise((resolve) => {
      const socket = net.connect(Number(port), '127.0.0.1');
      socket.received = '';
      socket.on('data', (chunk) => { socket.received += chunk.toString('latin1'); });
      socket.on('error', () => {});
      socket.once('close', resolve);
      socket.once('connect', () => socket.write(bytesOf(first + k), () => resolve()));
      sockets.push(socket);
    })));
  }
  return sockets;
}

describe('the request memory budget', { skip: SKIP }, () => {
  test(`${HEADER_ATTACKERS} unauthenticated connections with ${HEADER_BYTES / 1000} KB of unfinished ` +
       `headers each: memory stays bounded, and a keyed client is served within ${SERVED_MS} ms`,
       { timeout: 120_000 }, async (t) => {
    const proxy = await startProxy({ upstream: fake, env: { CLAUDEGPT_PROXY_KEY: KEY, CLAUDEGPT_LEDGER: '0',
                                                            CLAUDEGPT_TRACE: '0' } });
    let sockets = [];
    try {
      const pid = proxy.child.pid;
      await warm(proxy);
      const base = memory(pid);
      resetPeak(pid);
      // 60 lines of 1,000 bytes after the request line: the headers never end.
      const line = (i) => `x-filler-${String(i).padStart(2, '0')}: ${'f'.repeat(1000 - 17)}\r\n`;
      const unfinished = `POST /v1/messages HTTP/1.1\r\nHost: x\r\n` +
                         Array.from({ length: HEADER_BYTES / 1000 }, (_, i) => line(i)).join('');
      const started = now();
      sockets = await openMany(proxy, HEADER_ATTACKERS, () => unfinished);
      await settled(pid);
      const peakKb = memory(pid).peakKb;
      const open = sockets.filter((s) => !s.destroyed && !s.readableEnded).length;
      const answered = sockets.filter((s) => s.received).length;
      t.diagnostic(`${HEADER_ATTACKERS} × ${HEADER_BYTES} bytes sent in ${((now() - started) / 1000).toFixed(1)} s; ` +
                   `${open} connections still open, ${HEADER_ATTACKERS - open} shed, ${answered} answered`);
      t.diagnostic(`proxy RSS ${mb(base.rssKb)} MB before, peak ${mb(peakKb)} MB ` +
                   `(+${mb(peakKb - base.rssKb)} MB; ${HEADER_ATTACKERS * HEADER_BYTES / 1e6} MB sent)`);
      const { healthMs, turnMs } = await keyedClient(proxy, 'served');
      t.diagnostic(`then a keyed client: /health ${healthMs.toFixed(0)} ms, a turn ${turnMs.toFixed(0)} ms`);
      // One line when the shedding starts, not one per connection shed.
      const warned = logLines(proxy, /unauthenticated request headers hold \d+ KiB, their limit: closing idle and /);
      t.diagnostic(`log: ${JSON.stringify(warned)}; ${proxy.stderr.split('\n').length} lines in all`);
      assert.equal(warned.length, 1, proxy.stderr.slice(-2000));
      assert.ok(proxy.stderr.split('\n').length < 100, 'no line per connection');
      assert.ok(peakKb - base.rssKb <= HEADERS_GROWTH_LIMIT_KB, `RSS grew by ${mb(peakKb - base.rssKb)} MB`);
      assert.ok(healthMs <= SERVED_MS && turnMs <= SERVED_MS);
      assert.ok(proxy.alive);
    } finally {
      for (const socket of sockets) socket.destroy();
      await proxy.stop();
    }
  });

  test('stalled 20 MB bodies (CLAUDEGPT_REQUEST_MEMORY_MB=64): the 4th gets 503 overloaded_error ' +
       'with retry-after; memory stays bounded; once they are gone a request is served', async (t) => {
    const proxy = await startProxy({ upstream: fake, env: { CLAUDEGPT_REQUEST_MEMORY_MB: '64', CLAUDEGPT_LEDGER: '0',
                                                            CLAUDEGPT_TRACE: '0' } });
    let sockets = [];
    try {
      const pid = proxy.child.pid;
      await warm(proxy, HEADERS);
      const base = memory(pid);
      resetPeak(pid);
      const DECLARED = 20_000_000;
      const stalled = Buffer.concat([
        Buffer.from(`POST /v1/messages HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n` +
                    `x-api-key: dummy\r\ncontent-length: ${DECLARED}\r\n\r\n`),
        Buffer.alloc(1_000_000, ' ')]);   // 1 MB of it (leading spaces are JSON), then nothing
      // One after another, so that "the 4th" is well defined.
      for (let i = 0; i < 4; i += 1) {
        sockets.push(...await openMany(proxy, 1, () => stalled));
        await settled(pid, { quietMs: 200 });
      }
      const answers = sockets.map((s) => parseResponses(s.received)[0]);
      const peakKb = memory(pid).peakKb;
      t.diagnostic(`answers: ${answers.map((a) => a?.status ?? 'none (waiting for the body)').join(', ')}; ` +
                   `proxy RSS ${mb(base.rssKb)} MB before, peak ${mb(peakKb)} MB (+${mb(peakKb - base.rssKb)} MB)`);
      assert.deepEqual(answers.slice(0, 3), [undefined, undefined, undefined], 'the first three are reading');
      const error = expectRawError(answers[3], 503, 'overloaded_error');
      t.diagnostic(`the 4th: ${JSON.stringify(error.message)}, retry-after ${answers[3].headers['retry-after']}`);
      assert.ok(Number(answers[3].headers['retry-after']) >= 1, 'retry-after');
      assert.ok(peakKb - base.rssKb <= 64 * 1024, `RSS grew by ${mb(peakKb - base.rssKb)} MB`);

      for (const socket of sockets) socket.destroy();
      await settled(pid, { quietMs: 200 });
      const res = await freshRequest(proxy, { method: 'POST', path: '/v1/messages', headers: HEADERS,
                                              body: messagesBody('text text=room_again') });
      assert.equal(res.status, 200, res.body.slice(0, 300));
      assert.equal(said(res.body), 'room_again');
    } finally {
      for (const socket of sockets) socket.destroy();
      await proxy.stop();
    }
  });
});
