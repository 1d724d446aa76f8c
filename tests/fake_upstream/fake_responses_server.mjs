#!/usr/bin/env node
// A fake OpenAI Responses API for testing claudegpt from the outside.
//
//   node fake_responses_server.mjs [--port 0] [--host 127.0.0.1] [--api-key KEY]
//        [--gap-ms N] [--ttfb-ms N] [--max-records N] [--no-record] [--fixtures DIR]
//        [--azure-api-key KEY] [--azure-deployments A,B] [--codex-token-ttl S]
//        [--tls-cert FILE --tls-key FILE] [--unverified-org [openai,azure]]
//        [--model-capabilities]
// prints `listening on http://127.0.0.1:PORT` (https:// with --tls-*); point the proxy at
// OPENAI_BASE_URL=<that>/v1, AZURE_OPENAI_ENDPOINT=<that>, or
// CLAUDEGPT_CODEX_BASE_URL=<that>/backend-api/codex (with CLAUDEGPT_CODEX_TOKEN_URL=
// <that>/oauth/token).
//
// Design
// - Faithful: streams are built event by event the way the recordings in
//   shared/fixtures/openai-responses/ show them (framing `event: <type>\ndata: <json>\n\n`,
//   sequence_number from 0, the `response` object echoing the request, usage with details,
//   `rs_`/`fc_`/`msg_` item ids, `call_` ids, `obfuscation` padding). See response_stream.mjs.
//   Reasoning tokens count against max_output_tokens as on the real API: a response whose
//   reasoning plus text would pass it (when the request sets it) ends `incomplete`, reason
//   max_output_tokens, with the text that fitted (response_stream.mjs says how).
// - Strict: every request is checked like the real API checks it (unknown parameters,
//   sampling parameters on reasoning models, unpaired tool calls, item ids with store:false,
//   reasoning without encrypted_content, bad tool names, bad item/part types, missing auth)
//   and refused with OpenAI's error body. See request_rules.mjs.
// - Scripted: what it answers is a scenario (scenarios.mjs), chosen in this order:
//   a queued POST /_script entry; a `[[scenario:NAME k=v]]` marker in the last user
//   message; else a tiny "brain" (tool output → "done", a WebFetch output quoted; claudegpt's
//   page summariser answered; the hosted web_search offered → a search; "write <path>" → a
//   Write call; text: see scenarios.mjs).
//   POST /_script takes a JSON list of "name k=v" strings or {name, args} objects, one per
//   coming request (GET /_script shows what is still queued).
// - Observable: GET /_requests lists every request (headers, body, when it arrived, when its
//   connection closed and whether the client went away first, the scenario, the usage and
//   output it answered with, and `notes` a scenario reported); POST /_reset clears it and
//   everything queued or remembered. GET /_connections counts the connections that carried
//   API requests: {open, total} (POST /_reset leaves them).
// - Fast: no dependencies, events batched per write, Nagle off; for benchmarks use
//   --no-record (or --max-records) to keep memory flat.
// - Three backends at once (backends.mjs): OpenAI at /v1/responses, Azure OpenAI at
//   /openai/v1/responses and /openai/responses?api-version=…, the Codex backend at
//   /backend-api/codex/responses with its sign-in authority at /oauth/token
//   (codex_tokens.mjs). Each has its own auth, extra body rules and error shapes; the
//   scenarios are shared. Each record says its `provider` and `route`, and `api_version`.
//   Codex controls: POST /_codex/login {account_id?, ttl_s?} issues a token set (what
//   auth.json's "tokens" holds); POST /_codex/expire {access_token?} ends access tokens now
//   (all when none is named); POST /_codex {reject_refresh, refresh_delay_ms, token_ttl_s}
//   sets knobs; GET /_codex shows them and refresh_calls. POST /_reset restores the knobs
//   but keeps the tokens valid (a proxy holding one keeps working); POST /_codex/forget
//   forgets every token.
// - Real-service switches (service_switches.mjs), off by default, each reproducing one refusal
//   a real service gives today, from its cited source: unverified_org (no reasoning
//   summaries for an unverified OpenAI organisation) and model_capabilities (per-model
//   effort values, summaries, non-reasoning models). POST /_config {unverified_org: true,
//   model_capabilities: true} turns them on (GET /_config shows them); POST /_reset restores
//   the values given at start (options unverifiedOrg/modelCapabilities, or the CLI flags).
//   A request a switch refuses is recorded with status 400 and `refused_by`: the switch.
//   codex_refresh_needs_scope: the token refresh without `scope` is refused (401, recorded
//   with `refused_by` too).
//   codex_usage_limit, usage_not_included (Codex 429s) and cloudflare_challenge (a 403 HTML
//   page before anything else is checked): codex_limits.mjs; recorded with `refused_by`.
//   cache_writes (option cacheWrites; cache_writes.mjs) refuses nothing: usage reports
//   input_tokens_details.cache_write_tokens, as GPT-5.6 does.
//   reasoning_key (reasoning_keys.mjs): a key rotation; reasoning issued under the old key is
//   refused with 400 invalid_encrypted_content.
//   judge (option judge; judge.mjs): what claudegpt's safety judge and Claude Code's own
//   classifier are answered (by default: allow everything); such requests take no /_script
//   entry and are recorded with `kind` "judge" or "client_classifier".
// - HTTPS with --tls-cert/--tls-key (or options.tls = {cert, key} PEM text), to test a
//   client's CA bundle and proxy settings (tests/lib/tls.mjs makes throwaway certificates).
//
// Also usable in-process: `import { startFakeServer } from './fake_responses_server.mjs'`.

import http from 'node:http';
import https from 'node:https';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';

import { validateRequest, RequestError } from './request_rules.mjs';
import { ROUTES, BackendError, authenticate, checkBackendRules, bodyForRules, errorFor,
         serviceHeaders } from './backends.mjs';
import { CodexTokens } from './codex_tokens.mjs';
import { ResponseStream } from './response_stream.mjs';
import { SCENARIOS, chooseScenario, parseScenarioSpec } from './scenarios.mjs';
import { defaultSwitches, configureSwitches, describeSwitches,
         checkSwitches } from './service_switches.mjs';
import { edgeRefusal, checkCodexPlan } from './codex_limits.mjs';
import { reportCacheWrites } from './cache_writes.mjs';
import { judgeChoice } from './judge.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DEFAULT_FIXTURES = path.resolve(HERE, '../../../shared/fixtures/openai-responses');

const now = () => performance.timeOrigin + performance.now();

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
        // The listener of the event that did not come goes too (a long stream flushes often).
        const done = new AbortController();
        await Promise.race([once(this.res, 'drain', { signal: done.signal }),
                            once(this.res, 'close', { signal: done.signal })]);
        done.abort();
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

// A body that is not JSON (an HTML page); `headers` names its content type.
function sendText(res, status, text, headers = {}) {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'text/plain', ...headers,
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

async function readJsonBody(req) {
  const text = (await readBody(req)).trim();
  return text === '' ? {} : JSON.parse(text);
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
    azureApiKey: options.azureApiKey ?? null,        // null: any non-empty api-key header
    azureAdToken: options.azureAdToken ?? null,      // null: any bearer token (Entra ID)
    azureDeployments: options.azureDeployments ? new Set(options.azureDeployments) : null,
    azureModel: options.azureModel ?? 'gpt-5.5',     // what every deployment runs
    tls: options.tls ?? null,                // {cert, key} PEM text: serve HTTPS
    gapMs: options.gapMs ?? 0,               // default pause between deltas
    ttfbMs: options.ttfbMs ?? 0,             // default wait before the response headers
    record: options.record ?? true,
    maxRecords: options.maxRecords ?? 10000,
    fixturesDir: options.fixturesDir ??
                 (process.env.CLAUDEGPT_FIXTURES_DIR
                   ? path.join(process.env.CLAUDEGPT_FIXTURES_DIR, 'openai-responses')
                   : DEFAULT_FIXTURES),
  };
  // The connections that carried API requests (the proxy's), open now and ever: what a
  // test counts to see that no upstream connection is left behind. Control requests (the
  // test's own) are not counted.
  const apiSockets = new Set();
  let apiConnectionsTotal = 0;
  const connections = () => ({ open: apiSockets.size, total: apiConnectionsTotal });
  // The real-service switches as started (what POST /_reset restores).
  const startSwitches = configureSwitches(defaultSwitches(), {
    ...(options.unverifiedOrg !== undefined && { unverified_org: options.unverifiedOrg }),
    ...(options.modelCapabilities !== undefined &&
        { model_capabilities: options.modelCapabilities }),
    ...(options.cacheWrites !== undefined && { cache_writes: options.cacheWrites }),
    ...(options.judge !== undefined && { judge: options.judge }),
  });
  const state = {
    switches: { ...startSwitches },
    records: [],
    nextId: 1,
    script: [],
    knownItemIds: new Set(),
    knownResponseIds: new Set(),
    cachePrefixes: new Map(),   // prompt_cache_key → last request's prefix text
    // The sign-in authority; options.codexTokens shares another fake's (the authority on
    // one host, the Codex backend on another).
    tokens: options.codexTokens ??
            new CodexTokens({ tokenTtlSeconds: options.codexTokenTtlSeconds ?? 3600 }),
  };

  function reset() {
    state.records = [];
    state.script = [];
    state.knownItemIds.clear();
    state.knownResponseIds.clear();
    state.cachePrefixes.clear();
    state.switches = { ...startSwitches };
    state.tokens.resetKnobs();
  }

  // Sets real-service switches ({unverified_org, model_capabilities}); returns them all.
  function configure(knobs) {
    configureSwitches(state.switches, knobs);
    return describeSwitches(state.switches);
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
    if (url.pathname === '/_config') {
      if (req.method === 'GET') return sendJson(res, 200, describeSwitches(state.switches));
      try {
        return sendJson(res, 200, configure(await readJsonBody(req)));
      } catch (e) {
        return sendJson(res, 400, { error: `bad config: ${e.message}` });
      }
    }
    if (url.pathname === '/_health') return sendJson(res, 200, { ok: true });
    if (req.method === 'GET' && url.pathname === '/_connections') {
      return sendJson(res, 200, connections());
    }
    if (url.pathname.startsWith('/_codex')) return handleCodexControl(req, res, url);
    return sendJson(res, 404, { error: `no control endpoint ${req.method} ${url.pathname}` });
  }

  async function handleCodexControl(req, res, url) {
    let body;
    try {
      body = req.method === 'POST' ? await readJsonBody(req) : {};
    } catch (e) {
      return sendJson(res, 400, { error: `bad JSON: ${e.message}` });
    }
    const tokens = state.tokens;
    if (url.pathname === '/_codex') {
      return sendJson(res, 200, req.method === 'POST' ? tokens.configure(body) : tokens.status());
    }
    if (req.method === 'POST' && url.pathname === '/_codex/login') {
      return sendJson(res, 200, tokens.issue({
        ...(body.account_id !== undefined && { accountId: body.account_id }),
        ...(body.ttl_s !== undefined && { ttlSeconds: body.ttl_s }) }));
    }
    if (req.method === 'POST' && url.pathname === '/_codex/forget') {
      tokens.reset();
      return sendJson(res, 200, tokens.status());
    }
    if (req.method === 'POST' && url.pathname === '/_codex/expire') {
      return sendJson(res, 200, { expired: tokens.expire(body.access_token) });
    }
    return sendJson(res, 404, { error: `no control endpoint ${req.method} ${url.pathname}` });
  }

  // A refusal: a RequestError (OpenAI's shape, reshaped for the record's provider) or a
  // BackendError (already in its service's shape).
  function refuse(res, record, err) {
    const shaped = err instanceof BackendError ? { body: err.body, headers: err.headers }
                                               : errorFor(record.provider, err.status, err.body);
    record.status = err.status;
    if (err.refusedBy) record.refused_by = err.refusedBy;
    if (typeof shaped.body === 'string') {  // a page (Cloudflare's), not JSON
      record.error = shaped.body.slice(0, 200);
      return sendText(res, err.status, shaped.body, shaped.headers);
    }
    record.error = shaped.body.error ?? shaped.body;
    sendJson(res, err.status, shaped.body, shaped.headers);
  }

  // POST /oauth/token: the sign-in authority's token refresh (JSON or form body).
  async function handleTokenRefresh(req, res, record, text) {
    if (req.method !== 'POST') {
      record.status = 405;
      return sendJson(res, 405, { error: 'method_not_allowed' });
    }
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      body = Object.fromEntries(new URLSearchParams(text));
    }
    record.body = body;
    const answer = await state.tokens.refresh(
      body, { needsScope: state.switches.codexRefreshNeedsScope });
    record.status = answer.status;
    if (answer.status !== 200) record.error = answer.body;
    if (answer.refusedBy) record.refused_by = answer.refusedBy;
    sendJson(res, answer.status, answer.body, { 'cache-control': 'no-store' });
  }

  async function handleApi(req, res, url) {
    if (!apiSockets.has(req.socket)) {
      apiSockets.add(req.socket);
      apiConnectionsTotal += 1;
      req.socket.once('close', () => apiSockets.delete(req.socket));
    }
    // Unknown paths are judged as OpenAI judges them: 401 without a key, else 404.
    const route = ROUTES[url.pathname] ?? { provider: 'openai', route: null };
    const record = { id: state.nextId++, method: req.method, path: req.url,
                     provider: route.provider, route: route.route,
                     api_version: url.searchParams.get('api-version'),
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
    for (const [name, value] of Object.entries(serviceHeaders(route.provider))) {
      res.setHeader(name, value);
    }

    let text;
    try {
      text = await readBody(req);
    } catch {
      res.destroy();
      return;
    }
    const edge = edgeRefusal(route, state.switches);  // Cloudflare answers before the service
    if (edge) return refuse(res, record, edge);
    if (route.route === 'oauth_token') return handleTokenRefresh(req, res, record, text);
    let body;
    try {
      authenticate(route, req, url, config, state.tokens);
      if (req.method !== 'POST' || route.route === null) {
        throw new RequestError(404, `Invalid URL (${req.method} ${url.pathname})`, null, null);
      }
      try {
        body = JSON.parse(text);
      } catch {
        record.body = text;
        throw new RequestError(400, BAD_JSON_MESSAGE, null, null);
      }
      record.body = body;
      checkBackendRules(route, body, config);
      const judged = bodyForRules(route, body, config);
      validateRequest(judged, state);
      checkSwitches(route.provider, judged, state.switches);
      checkCodexPlan(route, state.switches);  // a spent plan, or one without Codex
    } catch (err) {
      if (err instanceof RequestError || err instanceof BackendError) {
        return refuse(res, record, err);
      }
      throw err;
    }

    // A safety judge's request (claudegpt's, or Claude Code's own classifier) is answered by
    // judge.mjs; claudegpt's leaves the queued script to the turn's own requests.
    const choice = judgeChoice(body, state.switches.judge, () => state.script.shift()) ??
                   chooseScenario(body, state.script.shift() ?? null);
    record.scenario = { name: choice.name, args: choice.args, source: choice.source };
    if (choice.kind) record.kind = choice.kind;
    const scenario = choice.run ?? SCENARIOS[choice.name];
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
    for (const key of ['input_tokens', 'cached_tokens', 'output_tokens', 'reasoning_tokens',
                       'cache_write_tokens']) {
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
          reasoningKey: state.switches.reasoningKey,
        });
        reportCacheWrites(stream, state.switches.cacheWrites, usage.cache_write_tokens);
        return stream;
      },
      raw(text) { sink.raw(text); },
      async pause(ms) { await sink.pause(ms); },
      fixture: fixtureLines,
      finish() { ctx.finished = true; },
      // An OpenAI-shaped error; Azure and Codex requests get their service's shape.
      reply(status, headers, errorBody) {
        const shaped = errorFor(record.provider, status, errorBody, headers);
        record.status = status;
        record.error = shaped.body.error ?? shaped.body;
        sendJson(res, status, shaped.body, shaped.headers);
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
      // Progress a scenario reports while it runs (the record's `notes`, absent otherwise).
      note(fields) { Object.assign(record.notes ??= {}, fields); },
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

  const serverOptions = { keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: 60_000,
                          noDelay: true };
  const onRequest = (req, res) => {
    const url = new URL(req.url, 'http://fake');
    const handler = url.pathname.startsWith('/_') ? handleControl : handleApi;
    handler(req, res, url).catch((err) => {
      console.error(`fake upstream: ${err.stack}`);
      if (!res.headersSent) sendJson(res, 500, { error: String(err) });
      else res.destroy();
    });
  };
  const server = config.tls
    ? https.createServer({ ...serverOptions, cert: config.tls.cert, key: config.tls.key },
                         onRequest)
    : http.createServer(serverOptions, onRequest);
  server.maxHeadersCount = 0;
  server.listen(config.port, config.host);
  await once(server, 'listening');
  const { port } = server.address();
  const url = `${config.tls ? 'https' : 'http'}://${config.host}:${port}`;
  return {
    url,
    port,
    baseURL: `${url}/v1`,
    state,
    tokens: state.tokens,
    reset,
    configure,
    requests: () => state.records,
    connections,
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
      case '--azure-api-key': options.azureApiKey = value(); break;
      case '--azure-deployments': options.azureDeployments = value().split(','); break;
      case '--codex-token-ttl': options.codexTokenTtlSeconds = Number(value()); break;
      case '--tls-cert': (options.tls ??= {}).cert = fs.readFileSync(value()); break;
      case '--tls-key': (options.tls ??= {}).key = fs.readFileSync(value()); break;
      case '--unverified-org':
        // An optional list of providers follows (default: the OpenAI route).
        options.unverifiedOrg = /^(openai|azure|codex)(,(openai|azure|codex))*$/.test(
          argv[i + 1] ?? '') ? value().split(',') : true;
        break;
      case '--model-capabilities': options.modelCapabilities = true; break;
      case '--help':
        console.log('usage: fake_responses_server.mjs [--port N] [--host H] [--api-key K] ' +
                    '[--gap-ms N] [--ttfb-ms N] [--max-records N] [--no-record] [--fixtures DIR] ' +
                    '[--azure-api-key K] [--azure-deployments A,B] [--codex-token-ttl S] ' +
                    '[--tls-cert FILE --tls-key FILE] [--unverified-org [openai,azure]] ' +
                    '[--model-capabilities]');
        process.exit(0);
        break;
      default:
        console.error(`unknown option ${arg}`);
        process.exit(2);
    }
  }
  if (options.tls && !(options.tls.cert && options.tls.key)) {
    console.error('--tls-cert and --tls-key go together');
    process.exit(2);
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
