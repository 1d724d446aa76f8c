#!/usr/bin/env node
// A fake OpenAI Responses API for testing claudegpt from the outside.
//
//   node fake_responses_server.mjs [--port 0] [--host 127.0.0.1] [--api-key KEY]
//        [--gap-ms N] [--ttfb-ms N] [--max-records N] [--no-record] [--fixtures DIR]
// prints `listening on http://127.0.0.1:PORT`; point the proxy at OPENAI_BASE_URL=<that>/v1.
//
// Design
// - Faithful: streams are built event by event the way the recordings in
//   shared/fixtures/openai-responses/ show them (framing `event: <type>\ndata: <json>\n\n`,
//   sequence_number from 0, the `response` object echoing the request, usage with details,
//   `rs_`/`fc_`/`msg_` item ids, `call_` ids, `obfuscation` padding). See response_stream.mjs.
// - Strict: every request is checked like the real API checks it (unknown parameters,
//   sampling parameters on reasoning models, unpaired tool calls, item ids with store:false,
//   reasoning without encrypted_content, bad tool names, bad item/part types, missing auth)
//   and refused with OpenAI's error body. See request_rules.mjs.
// - Scripted: what it answers is a scenario (scenarios.mjs), chosen in this order:
//   a queued POST /_script entry; a `[[scenario:NAME k=v]]` marker in the last user
//   message; else a tiny "brain" (tool output → "done"; "write <path>" → a Write call; text).
//   POST /_script takes a JSON list of "name k=v" strings or {name, args} objects, one per
//   coming request (GET /_script shows what is still queued).
// - Observable: GET /_requests lists every request (headers, body, when it arrived, when its
//   connection closed and whether the client went away first, the scenario, the usage and
//   output it answered with); POST /_reset clears it and everything queued or remembered.
// - Fast: no dependencies, events batched per write, Nagle off; for benchmarks use
//   --no-record (or --max-records) to keep memory flat.
//
// Also usable in-process: `import { startFakeServer } from './fake_responses_server.mjs'`.

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';

import { validateRequest, RequestError } from './request_rules.mjs';
import { ResponseStream } from './response_stream.mjs';
import { SCENARIOS, chooseScenario, parseScenarioSpec } from './scenarios.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DEFAULT_FIXTURES = path.resolve(HERE, '../../../shared/fixtures/openai-responses');

const now = () => performance.timeOrigin + performance.now();

const MISSING_KEY_MESSAGE = "You didn't provide an API key. You need to provide your API key " +
  'in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as ' +
  'the password field (with blank username) if you\'re accessing the API from your browser and ' +
  'are prompted for a username and password. You can obtain an API key from ' +
  'https://platform.openai.com/account/api-keys.';
const BAD_JSON_MESSAGE = 'We could not parse the JSON body of your request. (HINT: This likely ' +
  "means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, " +
  'but what was sent was not valid JSON. If you have trouble figuring out how to fix this, ' +
  'please contact us through our help center at help.openai.com.)';

class ClientGone extends Error {}

// Where a scenario's events go for a streaming request: framed, batched until the next
// pause (or the end), optionally written in small pieces to exercise the client's parser.
class SseSink {
  constructor(res, { chunkBytes = 0 } = {}) {
    this.res = res;
    this.chunkBytes = chunkBytes;
    this.pending = '';
    this.written = Promise.resolve();
  }

  // `json`: the event already serialised (see ResponseStream.serializeWithResponse).
  event(e, json = JSON.stringify(e)) { this.pending += `event: ${e.type}\ndata: ${json}\n\n`; }
  raw(text) { this.pending += text; }

  async flush() {
    if (this.res.destroyed) throw new ClientGone();
    if (!this.pending) return;
    const data = this.pending;
    this.pending = '';
    const pieces = [];
    if (this.chunkBytes > 0) {
      const bytes = Buffer.from(data);
      for (let i = 0; i < bytes.length; i += this.chunkBytes) {
        pieces.push(bytes.subarray(i, i + this.chunkBytes));
      }
    } else {
      pieces.push(data);
    }
    for (const [i, piece] of pieces.entries()) {
      if (i > 0) await sleep(1);
      if (this.res.destroyed) throw new ClientGone();
      this.written = new Promise((resolve) => this.res.write(piece, resolve));
      if (this.res.writableNeedDrain) {
        await Promise.race([once(this.res, 'drain'), once(this.res, 'close')]);
      }
    }
  }

  // Resolves once everything written so far has been handed to the socket.
  async drained() {
    await this.flush();
    await this.written;
  }

  async pause(ms) {
    await this.flush();
    await sleep(ms);
    if (this.res.destroyed) throw new ClientGone();
  }
}

// For a non-streaming request: events are dropped, the final response is the body.
class CollectSink {
  constructor() { this.rawText = ''; }
  event() {}
  raw(text) { this.rawText += text; }
  async flush() {}
  async pause(ms) { await sleep(ms); }
}

function sendJson(res, status, body, headers = {}) {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', ...headers,
                          'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let stream = req;
    const encoding = (req.headers['content-encoding'] ?? '').toLowerCase();
    if (encoding === 'gzip') stream = req.pipe(zlib.createGunzip());
    else if (encoding === 'deflate') stream = req.pipe(zlib.createInflate());
    else if (encoding === 'br') stream = req.pipe(zlib.createBrotliDecompress());
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.on('error', reject);
  });
}

function commonPrefixLength(a, b) {
  const n = Math.min(a.length, b.length);
  let i = 0;
  // Compare in blocks first: much faster than char by char on long equal prefixes.
  const block = 4096;
  while (i + block <= n && a.slice(i, i + block) === b.slice(i, i + block)) i += block;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i += 1;
  return i;
}

export async function startFakeServer(options = {}) {
  const config = {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    apiKey: options.apiKey ?? null,          // null: any non-empty bearer token is accepted
    gapMs: options.gapMs ?? 0,               // default pause between deltas
    ttfbMs: options.ttfbMs ?? 0,             // default wait before the response headers
    record: options.record ?? true,
    maxRecords: options.maxRecords ?? 10000,
    fixturesDir: options.fixturesDir ??
                 (process.env.CLAUDEGPT_FIXTURES_DIR
                   ? path.join(process.env.CLAUDEGPT_FIXTURES_DIR, 'openai-responses')
                   : DEFAULT_FIXTURES),
  };
  const state = {
    records: [],
    nextId: 1,
    script: [],
    knownItemIds: new Set(),
    knownResponseIds: new Set(),
    cachePrefixes: new Map(),   // prompt_cache_key → last request's prefix text
  };

  function reset() {
    state.records = [];
    state.script = [];
    state.knownItemIds.clear();
    state.knownResponseIds.clear();
    state.cachePrefixes.clear();
  }

  function fixtureLines(name) {
    if (!name) throw new Error('replay needs file=<fixture>');
    const base = path.basename(name.endsWith('.txt') ? name : `${name}.chunks.txt`);
    const text = fs.readFileSync(path.join(config.fixturesDir, base), 'utf8');
    return text.split('\n').filter((l) => l.trim() !== '');
  }

  // Token figures for usage: ~4 characters of request body a token; a cached prefix like
  // the real prompt cache (same prompt_cache_key, the same leading bytes, at least 1024
  // tokens, in 128-token steps).
  function tokenFigures(body, prefix) {
    const input = Math.max(1, Math.ceil(prefix.length / 4));
    const key = body.prompt_cache_key ?? '';
    const previous = state.cachePrefixes.get(key);
    state.cachePrefixes.set(key, prefix);
    let cached = 0;
    if (previous) {
      const tokens = Math.floor(commonPrefixLength(previous, prefix) / 4);
      if (tokens >= 1024) cached = Math.min(input, Math.floor(tokens / 128) * 128);
    }
    return { input, cached };
  }

  async function handleControl(req, res, url) {
    if (req.method === 'GET' && url.pathname === '/_requests') {
      return sendJson(res, 200, state.records);
    }
    if (req.method === 'POST' && url.pathname === '/_reset') {
      reset();
      return sendJson(res, 200, { ok: true });
    }
    if (url.pathname === '/_script') {
      if (req.method === 'GET') return sendJson(res, 200, state.script);
      let body;
      try {
        const text = await readBody(req);
        body = text.trim().startsWith('[') || text.trim().startsWith('{') ? JSON.parse(text) : text;
      } catch (e) {
        return sendJson(res, 400, { error: `bad script: ${e.message}` });
      }
      const list = Array.isArray(body) ? body : (body?.scenarios ?? [body]);
      const entries = [];
      for (const entry of list) {
        const parsed = typeof entry === 'string' ? parseScenarioSpec(entry)
                                                 : { name: entry?.name, args: entry?.args ?? {} };
        if (!parsed || !SCENARIOS[parsed.name]) {
          return sendJson(res, 400, { error: `unknown scenario: ${JSON.stringify(entry)}` });
        }
        parsed.args = Object.fromEntries(Object.entries(parsed.args).map(([k, v]) =>
          [k, typeof v === 'string' ? v : JSON.stringify(v)]));
        entries.push(parsed);
      }
      state.script.push(...entries);
      return sendJson(res, 200, { queued: entries.length, pending: state.script.length });
    }
    if (url.pathname === '/_health') return sendJson(res, 200, { ok: true });
    return sendJson(res, 404, { error: `no control endpoint ${req.method} ${url.pathname}` });
  }

  function openAiError(res, record, err, headers = {}) {
    record.status = err.status;
    record.error = err.body.error;
    sendJson(res, err.status, err.body, headers);
  }

  async function handleApi(req, res, url) {
    const record = { id: state.nextId++, method: req.method, path: req.url,
                     headers: req.headers, body: null, received_at: now(), closed_at: null,
                     aborted: false, server_closed: false, status: null, scenario: null,
                     usage: null, output: null };
    if (config.record) {
      state.records.push(record);
      if (state.records.length > config.maxRecords) state.records.shift();
    }
    res.on('close', () => {
      record.closed_at = now();
      record.aborted = !res.writableFinished && !record.server_closed;
    });
    const requestId = `req_${randomBytes(16).toString('hex')}`;
    res.setHeader('x-request-id', requestId);
    res.setHeader('openai-version', '2020-10-01');
    res.setHeader('openai-processing-ms', '42');

    let text;
    try {
      text = await readBody(req);
    } catch {
      res.destroy();
      return;
    }
    const auth = req.headers.authorization ?? '';
    const token = /^Bearer\s+(\S+)$/i.exec(auth)?.[1];
    if (!token) {
      return openAiError(res, record, new RequestError(401, MISSING_KEY_MESSAGE, null, null));
    }
    if (config.apiKey !== null && token !== config.apiKey) {
      const masked = `${token.slice(0, 3)}*****${token.slice(-4)}`;
      return openAiError(res, record, new RequestError(
        401, `Incorrect API key provided: ${masked}. You can find your API key at ` +
             'https://platform.openai.com/account/api-keys.', null, 'invalid_api_key'));
    }
    if (req.method !== 'POST' || url.pathname !== '/v1/responses') {
      return openAiError(res, record, new RequestError(
        404, `Invalid URL (${req.method} ${url.pathname})`, null, null));
    }
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      record.body = text;
      return openAiError(res, record, new RequestError(400, BAD_JSON_MESSAGE, null, null));
    }
    record.body = body;
    try {
      validateRequest(body, state);
    } catch (err) {
      if (err instanceof RequestError) return openAiError(res, record, err);
      throw err;
    }

    const choice = chooseScenario(body, state.script.shift() ?? null);
    record.scenario = { name: choice.name, args: choice.args, source: choice.source };
    const scenario = SCENARIOS[choice.name];
    if (!scenario) {
      return sendJson(res, 500, { error: { message: `fake upstream: unknown scenario ` +
                                  `'${choice.name}'`, type: 'server_error', param: null,
                                  code: null } });
    }
    await runScenario(scenario, choice.args, body, text, res, record);
  }

  async function runScenario(scenario, args, body, bodyText, res, record) {
    const streaming = body.stream === true;
    const ttfb = Number(args.ttfb_ms ?? config.ttfbMs);
    const usage = {};
    for (const key of ['input_tokens', 'cached_tokens', 'output_tokens', 'reasoning_tokens']) {
      if (args[key] !== undefined) usage[key] = Number(args[key]);
    }
    const figures = tokenFigures(body, bodyText);
    let sink = null;
    let stream = null;
    const ctx = {
      request: body,
      args: { ...args },
      open(openOptions = {}) {
        if (res.destroyed) throw new ClientGone();
        if (streaming) {
          res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8',
                               'cache-control': 'no-cache', connection: 'keep-alive' });
          res.flushHeaders();
          sink = new SseSink(res, { chunkBytes: Number(args.chunk_bytes ?? 0) });
        } else {
          sink = new CollectSink();
        }
        record.status = 200;
        if (openOptions.raw) return null;
        stream = new ResponseStream(body, {
          sink, gapMs: Number(openOptions.gapMs ?? args.gap_ms ?? config.gapMs), usage,
          inputTokens: figures.input, cachedTokens: figures.cached,
        });
        return stream;
      },
      raw(text) { sink.raw(text); },
      async pause(ms) { await sink.pause(ms); },
      fixture: fixtureLines,
      finish() { ctx.finished = true; },
      reply(status, headers, errorBody) {
        record.status = status;
        record.error = errorBody.error ?? errorBody;
        sendJson(res, status, errorBody, headers);
      },
      async destroy() {
        await sink?.drained?.();
        record.server_closed = true;
        res.destroy();
      },
      async hang() {
        await sink?.flush();
        if (!res.destroyed) await once(res, 'close');
      },
    };
    try {
      if (ttfb > 0) await sleep(ttfb);
      await scenario(ctx);
      if (!ctx.finished) return;
      if (stream?.response) {
        record.usage = stream.response.usage;
        record.output = stream.response.output;
        if (stream.response.store !== false) {
          state.knownResponseIds.add(stream.response.id);
          for (const item of stream.response.output) state.knownItemIds.add(item.id);
        }
      }
      if (streaming) {
        await sink.flush();
        res.end();
      } else if (stream?.response) {
        finishNonStreaming(res, record, stream.response);
      } else {
        // A raw scenario (replay, garbage) answering a non-streaming request: as it is.
        res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
        res.end(sink.rawText);
      }
    } catch (err) {
      if (err instanceof ClientGone || res.destroyed) return;
      // A bug in a scenario: say so loudly instead of hanging the client.
      console.error(`fake upstream: scenario failed: ${err.stack}`);
      if (!res.headersSent) {
        sendJson(res, 500, { error: { message: `fake upstream scenario error: ${err.message}`,
                                      type: 'server_error', param: null, code: null } });
      } else {
        res.destroy();
      }
    }
  }

  // Without streaming, a failed response is an HTTP error like the real API's.
  function finishNonStreaming(res, record, response) {
    if (response.status !== 'failed') return sendJson(res, 200, response);
    const { code, message } = response.error;
    const status = code === 'context_length_exceeded' ? 400
                 : (code === 'insufficient_quota' || code === 'rate_limit_exceeded') ? 429 : 500;
    record.status = status;
    sendJson(res, status, { error: { message, type: status === 500 ? 'server_error'
                                                                   : 'invalid_request_error',
                                     param: null, code } });
  }

  const server = http.createServer({ keepAliveTimeout: 65_000, requestTimeout: 0,
                                     headersTimeout: 60_000, noDelay: true },
                                   (req, res) => {
    const url = new URL(req.url, 'http://fake');
    const handler = url.pathname.startsWith('/_') ? handleControl : handleApi;
    handler(req, res, url).catch((err) => {
      console.error(`fake upstream: ${err.stack}`);
      if (!res.headersSent) sendJson(res, 500, { error: String(err) });
      else res.destroy();
    });
  });
  server.maxHeadersCount = 0;
  server.listen(config.port, config.host);
  await once(server, 'listening');
  const { port } = server.address();
  const url = `http://${config.host}:${port}`;
  return {
    url,
    port,
    baseURL: `${url}/v1`,
    state,
    reset,
    requests: () => state.records,
    script: (...entries) => {
      for (const e of entries) {
        const parsed = typeof e === 'string' ? parseScenarioSpec(e) : { args: {}, ...e };
        state.script.push(parsed);
      }
    },
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

function parseCli(argv) {
  const options = {};
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const value = () => argv[++i];
    switch (arg) {
      case '--port': options.port = Number(value()); break;
      case '--host': options.host = value(); break;
      case '--api-key': options.apiKey = value(); break;
      case '--gap-ms': options.gapMs = Number(value()); break;
      case '--ttfb-ms': options.ttfbMs = Number(value()); break;
      case '--max-records': options.maxRecords = Number(value()); break;
      case '--no-record': options.record = false; break;
      case '--fixtures': options.fixturesDir = value(); break;
      case '--help':
        console.log('usage: fake_responses_server.mjs [--port N] [--host H] [--api-key K] ' +
                    '[--gap-ms N] [--ttfb-ms N] [--max-records N] [--no-record] [--fixtures DIR]');
        process.exit(0);
        break;
      default:
        console.error(`unknown option ${arg}`);
        process.exit(2);
    }
  }
  return options;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const fake = await startFakeServer(parseCli(process.argv.slice(2)));
  console.log(`listening on ${fake.url}`);
  const stop = () => fake.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
