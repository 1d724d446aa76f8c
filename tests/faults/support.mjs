// What the fault tests share: requests as Claude Code sends them, the Anthropic error shapes a
// failed turn may end with, the proxy process as /proc shows it (open fds, resident memory),
// and raw-socket clients for the cycles that must be cheap.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { proxyBinary } from '../lib/paths.mjs';
import { collectSse } from '../lib/sse.mjs';

export const BIN = proxyBinary();
export const SKIP = BIN ? false : 'no claudegpt binary (set CLAUDEGPT_BIN or build build/release)';
// Under ctest a missing binary is a failure, not a skip: a green run must mean it ran.
if (SKIP && process.env.CLAUDEGPT_REQUIRE_CLIENTS) throw new Error(SKIP);

export const now = () => performance.timeOrigin + performance.now();   // the fakes' clock

export const HEADERS = { 'content-type': 'application/json', 'x-api-key': 'dummy',
                         'anthropic-version': '2023-06-01' };

// A streamed Messages request whose last user message carries a fake-upstream marker. Its
// max_tokens is the model's whole output limit, as Claude Code's main loop asks: the upstream
// gets no room above it, so the proxy does not cut the floods these tests send.
export function messagesBody(marker, extra = {}) {
  return {
    model: 'claude-sonnet-4-5',
    max_tokens: 128_000,
    stream: true,
    messages: [{ role: 'user', content: `[[scenario:${marker}]] hi` }],
    ...extra,
  };
}

export function postMessages(proxy, payload, { signal } = {}) {
  return fetch(`${proxy.url}/v1/messages`, {
    method: 'POST', headers: HEADERS, signal,
    body: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
}

// The error types of the Anthropic API (https://docs.anthropic.com/en/api/errors).
export const ANTHROPIC_ERROR_TYPES = new Set([
  'invalid_request_error', 'authentication_error', 'permission_error', 'not_found_error',
  'request_too_large', 'rate_limit_error', 'api_error', 'overloaded_error', 'timeout_error',
]);

function checkErrorObject(json, where) {
  assert.equal(json.type, 'error', `${where}: ${JSON.stringify(json)}`);
  assert.ok(ANTHROPIC_ERROR_TYPES.has(json.error?.type), `${where}: type ${json.error?.type}`);
  assert.equal(typeof json.error.message, 'string');
  assert.ok(json.error.message.length > 0, `${where}: an empty message`);
}

// Reads the whole answer to a streamed request that must fail, and checks it failed as the
// Anthropic API fails: either an HTTP error with the JSON error body, or (once the stream
// had started) a 200 event stream that follows the stream grammar up to a final `error`
// event, never reaches message_stop, and ends cleanly (the last chunk is sent: the body
// is not cut). Returns {kind: 'http'|'sse', status, type, message, events}.
export async function expectAnthropicError(res) {
  if (res.status !== 200) {
    assert.ok(res.status >= 400, `status ${res.status}`);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const text = await res.text();
    const json = JSON.parse(text);
    checkErrorObject(json, `HTTP ${res.status}`);
    for (const key of Object.keys(json)) {
      assert.ok(['type', 'error', 'request_id'].includes(key), `unexpected key ${key}`);
    }
    return { kind: 'http', status: res.status, type: json.error.type,
             message: json.error.message, events: [] };
  }
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  const events = await collectSse(res);   // rejects if the body is cut (no last chunk)
  assert.ok(events.length > 0, 'a 200 stream with no events');
  const names = events.map((e) => e.event);
  assert.equal(names[0], 'message_start', names.join(','));
  assert.equal(names.at(-1), 'error', `the stream ends with an error event: ${names.join(',')}`);
  assert.equal(names.includes('message_stop'), false);
  for (const e of events) assert.equal(e.data?.type, e.event, `event ${e.event}'s data type`);
  checkErrorObject(events.at(-1).data, 'error event');
  // Blocks open and close in order before the error (the error may cut one open block).
  let open = null;
  let next = 0;
  for (const e of events.slice(1, -1)) {
    if (e.event === 'content_block_start') {
      assert.equal(open, null);
      assert.equal(e.data.index, next);
      open = e.data.index;
    } else if (e.event === 'content_block_delta') {
      assert.equal(e.data.index, open);
    } else if (e.event === 'content_block_stop') {
      assert.equal(e.data.index, open);
      open = null;
      next += 1;
    } else {
      assert.ok(['ping', 'message_delta'].includes(e.event), `unexpected ${e.event}`);
    }
  }
  const error = events.at(-1).data.error;
  return { kind: 'sse', status: 200, type: error.type, message: error.message, events };
}

// A normal streamed turn still works.
export async function stillServes(proxy, text = 'alive') {
  const res = await postMessages(proxy, messagesBody(`text text=${text}`));
  assert.equal(res.status, 200);
  const events = await collectSse(res);
  assert.equal(events.at(-1).event, 'message_stop');
  const said = events.filter((e) => e.data?.delta?.type === 'text_delta')
    .map((e) => e.data.delta.text).join('');
  assert.equal(said, text);
  assert.ok(proxy.alive, 'the proxy process is alive');
}

// ---------------------------------------------------------------------------------------
// The proxy process, as /proc shows it

export function openFds(pid) { return fs.readdirSync(`/proc/${pid}/fd`).length; }

// The sockets among its fds.
export function openSockets(pid) {
  let n = 0;
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) n += 1;
    } catch { /* closed meanwhile */ }
  }
  return n;
}

// Resident memory now and at its peak (VmHWM), in KiB.
export function memory(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  return { rssKb: kb('VmRSS'), peakKb: kb('VmHWM') };
}

// Starts a new peak (VmHWM) from the current resident size.
export function resetPeak(pid) { fs.writeFileSync(`/proc/${pid}/clear_refs`, '5'); }

// The soft limit on open files ("Max open files").
export function openFileLimit(pid) {
  const line = fs.readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n')
    .find((l) => l.startsWith('Max open files'));
  const [soft, hard] = line.slice('Max open files'.length).trim().split(/\s+/);
  return { soft: soft === 'unlimited' ? Infinity : Number(soft),
           hard: hard === 'unlimited' ? Infinity : Number(hard) };
}

export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export const mb = (kb) => (kb / 1024).toFixed(1);

// Polls `check` (sync or async) every `everyMs` until it returns a truthy value; fails after
// `timeoutMs` with `what`.
export async function until(check, { timeoutMs = 5000, everyMs = 5, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

// ---------------------------------------------------------------------------------------
// Raw sockets

// The bytes of a POST /v1/messages with `payload` (an object or a string).
export function rawRequest(proxy, payload, { path = '/v1/messages' } = {}) {
  const body = Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
  const { host } = new URL(proxy.url);
  const head = `POST ${path} HTTP/1.1\r\nHost: ${host}\r\n` +
               Object.entries(HEADERS).map(([k, v]) => `${k}: ${v}\r\n`).join('') +
               `content-length: ${body.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head), body]);
}

// A client on a raw socket: it writes what it is told and keeps what it receives (as latin1
// text, enough to look for markers). `waitFor(text)` resolves once the received bytes hold
// `text`; `leave()` destroys the socket and returns when (on the fakes' clock).
export class RawClient {
  constructor(proxy, { read = true } = {}) {
    const { port, hostname } = new URL(proxy.url);
    this.socket = net.connect(Number(port), hostname);
    this.received = '';
    this.bytes = 0;
    this.closed = false;
    this.waiters = [];
    this.socket.on('error', () => {});
    this.socket.on('close', () => {
      this.closed = true;
      for (const w of this.waiters) w.reject(new Error(`closed before ${JSON.stringify(w.text)}`));
      this.waiters = [];
    });
    if (!read) this.socket.pause();
    this.socket.on('data', (chunk) => {
      this.bytes += chunk.length;
      if (this.received.length < 1 << 20) this.received += chunk.toString('latin1');
      this.waiters = this.waiters.filter((w) => {
        if (!this.received.includes(w.text)) return true;
        w.resolve();
        return false;
      });
    });
    this.connected = new Promise((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('error', reject);
    });
  }

  write(bytes) { this.socket.write(bytes); }

  waitFor(text) {
    if (this.received.includes(text)) return Promise.resolve();
    if (this.closed) return Promise.reject(new Error(`closed before ${JSON.stringify(text)}`));
    return new Promise((resolve, reject) => this.waiters.push({ text, resolve, reject }));
  }

  get headersReceived() { return this.received.includes('\r\n\r\n'); }

  leave() {
    const at = now();
    this.socket.destroy();
    return at;
  }
}

// ---------------------------------------------------------------------------------------
// Raw HTTP exchanges: requests no HTTP client would send (oversized headers, half a request
// line, a body that stops), and the answers as they come off the wire

// The HTTP/1.1 responses in `text` (what a RawClient received, latin1), interim ones (100
// Continue) included, in order: [{status, reason, headers (names lower-case), body (UTF-8
// text), complete}]. A body without a content-length runs to the end of what was received.
export function parseResponses(text) {
  const responses = [];
  let rest = text;
  while (rest.startsWith('HTTP/')) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const [statusLine, ...lines] = rest.slice(0, end).split('\r\n');
    const [, status, reason] = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(statusLine) ?? [];
    const headers = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const interim = Number(status) < 200;
    const length = interim ? 0 : Number(headers['content-length'] ?? rest.length - end - 4);
    const body = rest.slice(end + 4, end + 4 + length);
    responses.push({ status: Number(status), reason, headers, complete: body.length === length,
                     body: Buffer.from(body, 'latin1').toString('utf8') });
    rest = rest.slice(end + 4 + length);
  }
  return responses;
}

// A RawClient that also notes when it connected and when the proxy closed the connection
// (on the fakes' clock), and reads what it received as HTTP responses.
export class RawExchange extends RawClient {
  constructor(proxy, options) {
    super(proxy, options);
    this.connectedAt = null;
    this.closedAt = null;
    this.left = false;   // closed by us, not by the proxy
    this.socket.once('connect', () => { this.connectedAt = now(); });
    this.ended = new Promise((resolve) => this.socket.once('close', () => {
      this.closedAt = now();
      resolve(this.closedAt);
    }));
  }

  get responses() { return parseResponses(this.received); }

  // Resolves with the time the proxy closed the connection; rejects after `timeoutMs`.
  closedWithin(timeoutMs, what = 'the proxy closed the connection') {
    let timer;
    const late = new Promise((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: not within ${timeoutMs} ms; ` +
                                                `received ${JSON.stringify(this.received.slice(0, 300))}`)),
                         timeoutMs);
    });
    return Promise.race([this.ended, late]).finally(() => clearTimeout(timer));
  }

  // Resolves once the received bytes hold `text`; rejects after `timeoutMs`.
  waitForWithin(text, timeoutMs) {
    let timer;
    const late = new Promise((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`${JSON.stringify(text)} not received within ` +
                                                `${timeoutMs} ms; received ` +
                                                `${JSON.stringify(this.received.slice(0, 300))}`)),
                         timeoutMs);
    });
    return Promise.race([this.waitFor(text), late]).finally(() => clearTimeout(timer));
  }

  leave() {
    this.left = true;
    return super.leave();
  }
}

// Sends `bytes` on a connection of its own and waits for the proxy to close it (at most
// `timeoutMs`). Returns the RawExchange: its `responses`, `closedAt - connectedAt`.
export async function rawExchange(proxy, bytes, { timeoutMs = 5000 } = {}) {
  const exchange = new RawExchange(proxy);
  await exchange.connected;
  exchange.write(bytes);
  try {
    await exchange.closedWithin(timeoutMs);
  } finally {
    if (!exchange.closed) exchange.leave();
  }
  return exchange;
}

// Checks that a parsed raw response is an Anthropic error of this status and type (the JSON
// body, nothing else in it). Returns the error object.
export function expectRawError(response, status, type) {
  assert.ok(response, 'no response');
  assert.equal(response.status, status, `status ${response.status}: ${response.body.slice(0, 300)}`);
  assert.ok(response.complete, 'the whole body arrived');
  assert.match(response.headers['content-type'] ?? '', /^application\/json/);
  const json = JSON.parse(response.body);
  checkErrorObject(json, `HTTP ${status}`);
  for (const key of Object.keys(json)) {
    assert.ok(['type', 'error', 'request_id'].includes(key), `unexpected key ${key}`);
  }
  assert.equal(json.error.type, type, json.error.message);
  return json.error;
}

// ---------------------------------------------------------------------------------------
// The proxy process under load

// CPU time it has used (user + system), in clock ticks (1/100 s).
export function cpuTicks(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);   // utime, stime (fields 14 and 15)
}

// Waits until the process has used no CPU for `quietMs`: it has read and handled what it was
// sent. Fails after `timeoutMs`.
export async function settled(pid, { quietMs = 300, timeoutMs = 20_000 } = {}) {
  let last = cpuTicks(pid);
  let since = Date.now();
  await until(() => {
    const ticks = cpuTicks(pid);
    if (ticks !== last) {
      last = ticks;
      since = Date.now();
    }
    return Date.now() - since >= quietMs;
  }, { timeoutMs, everyMs: 50, what: `process ${pid} quiet for ${quietMs} ms` });
}

// A wrapper that starts the proxy with both open-file limits at `files` (the proxy raises
// its soft limit to the hard one, so both are set). `remove()` deletes it.
export function withOpenFileLimit(bin, files) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'claudegpt-nofile-'));
  const wrapper = path.join(dir, 'claudegpt');
  fs.writeFileSync(wrapper, `#!/bin/sh\nulimit -n ${files}\nexec '${path.resolve(bin)}' "$@"\n`, { mode: 0o755 });
  return { bin: wrapper, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

// One request on a connection of its own (no pooled keep-alive connection, which a proxy
// shedding idle connections may close under it): {status, headers, body, ms}, the time until
// the whole answer arrived. Rejects after `timeoutMs`.
export function freshRequest(proxy, { method = 'GET', path: target = '/', headers = {}, body,
                                      timeoutMs = 10_000 } = {}) {
  const { port, hostname } = new URL(proxy.url);
  const started = now();
  let timer;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port: Number(port), method, path: target,
                               headers: { connection: 'close', ...headers }, agent: false },
                             (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
                                    body: Buffer.concat(chunks).toString('utf8'),
                                    ms: now() - started }));
      res.on('error', reject);
    });
    // From the start, connecting included (a full listen queue drops the SYN).
    timer = setTimeout(() => req.destroy(new Error(`${method} ${target}: no answer within ` +
                                                   `${timeoutMs} ms`)), timeoutMs);
    req.on('error', reject);
    req.end(body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
  }).finally(() => clearTimeout(timer));
}
