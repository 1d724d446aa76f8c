// What claudegpt records about every turn: a trace file per /v1/messages exchange and a row
// in the SQLite usage ledger, with the usage the upstream reported and its cost; that no
// credential ends up in either; and the commands that read them back (`claudegpt usage`,
// `claudegpt traces`, `claudegpt statusline`).
//
// The upstream is the fake (tests/fake_upstream/), each answer scripted with fixed usage
// figures, so every token count and every cost below is computed by hand from the built-in
// prices (src/ledger/prices.cc):
//   gpt-5.5       $5.00 input, $0.50 cached input, $30.00 output per 1M tokens
//   gpt-5.4-mini  $0.75 input, $0.075 cached input, $4.50 output per 1M tokens
//   web search    $10 per 1,000 calls
//   cost = (input − cached) × input price + cached × cached price + output × output price
//
// Each proxy keeps its state in a temp XDG_STATE_HOME of its own (tests/lib/proxy.mjs), so
// the files are read before it stops. Reads the ledger with the sqlite3 CLI.
// Run: CLAUDEGPT_BIN=… node --test tests/e2e/usage_ledger.test.mjs

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { makeCodexHome, readCodexAuth, writeCodexAuth } from '../lib/codex_auth.mjs';
import { startFakeUpstream } from '../lib/fake_upstream.mjs';
import { startProxy } from '../lib/proxy.mjs';
import { proxyBinary } from '../lib/paths.mjs';
import { claudeBinary, makeSessionDirs, removeSessionDirs, runClaude } from './claude_cli.mjs';

const PROXY_BIN = proxyBinary();
const CLAUDE_BIN = claudeBinary();
const SQLITE_BIN = spawnSync('sqlite3', ['-version']).status === 0 ? 'sqlite3' : null;
// The proxy holds a write lock a moment while it creates the ledger and writes a turn (longer in
// the sanitizer build): a read waits for it, as the proxy's own connections do.
const SQLITE_READ = ['-cmd', '.timeout 5000', '-json'];
const SKIP = !PROXY_BIN ? 'no claudegpt binary (set CLAUDEGPT_BIN)'
           : !CLAUDE_BIN ? 'no Claude Code CLI (npm install in tests/, or CLAUDEGPT_CLAUDE_BIN)'
           : !SQLITE_BIN ? 'no sqlite3 CLI (scripts/bootstrap installs it)'
           : false;
// Under ctest a missing client is a failure, not a skip: a green run must mean it ran.
if (SKIP && process.env.CLAUDEGPT_REQUIRE_CLIENTS) throw new Error(SKIP);

// Distinctive credentials: whatever file they turn up in, a plain byte search finds them.
const OPENAI_KEY = 'sk-test-SECRET-openai-7f3a9c1e5b2d4086';
const PROXY_KEY = 'cgp-SECRET-proxy-token-52e8b1d7a4c9f630';

// Prices are the built-in ones: a developer's own prices.toml or CLAUDEGPT_PRICE_* must not
// change the hand-computed costs.
const PRICE_ISOLATION = Object.fromEntries([
  ['CLAUDEGPT_PRICES_FILE', '/nonexistent/claudegpt-test-prices.toml'],
  ...Object.keys(process.env).filter((k) => /^CLAUDEGPT_PRICE_/i.test(k))
    .map((k) => [k, undefined]),
]);

const PRICES = {                       // USD per 1M tokens, as src/ledger/prices.cc has them
  'gpt-5.5': { input: 5.00, cached: 0.50, output: 30.00 },
  'gpt-5.4-mini': { input: 0.75, cached: 0.075, output: 4.50 },
};
const WEB_SEARCH_USD = 10 / 1000;

function expectedCost(model, { input_tokens: input, cached_tokens: cached, output_tokens: output,
                               web_searches: searches = 0 }) {
  const p = PRICES[model];
  return ((input - cached) * p.input + cached * p.cached + output * p.output) / 1e6 +
         searches * WEB_SEARCH_USD;
}

// Costs are doubles computed in C++; "equal" here means equal to a billionth of a cent.
function assertCost(actual, expected, what) {
  assert.equal(typeof actual, 'number', `${what}: cost is a number`);
  assert.ok(Math.abs(actual - expected) < 1e-11, `${what}: cost ${actual}, expected ${expected}`);
}

// The keys of a trace file, and what each holds.
const TRACE_KEYS = {
  id: 'string', time: 'string', session_id: 'string', cwd_tag: 'string', provider: 'string',
  client_model: 'string', model: 'string', deployment: 'null', tier: 'string',
  effort: 'object', timing: 'object', usage: 'object', cost_usd: 'number',
  chain_rounds: 'number', not_forwarded: 'array', tool_filter_saved_tokens: 'number',
  stop_reason: 'string', error: 'null', request_anthropic: 'object',
  request_openai: 'object', events_openai: 'array', response_anthropic: 'object',
};
const USAGE_KEYS = ['input_tokens', 'cached_tokens', 'output_tokens', 'reasoning_tokens',
                    'web_search_requests', 'web_fetch_requests'];
const TIMING_KEYS = ['received', 'upstream_first_byte', 'first_client_byte', 'done'];

// Usage figures as scenario arguments (strings, like a marker's).
const usageArgs = (usage) =>
  Object.fromEntries(Object.entries(usage).map(([k, v]) => [k, String(v)]));

const kindOf = (v) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

// A trace as the proxy writes it for a completed, unchained turn on the OpenAI backend.
function assertTraceShape(trace, what) {
  assert.deepEqual(Object.keys(trace).sort(), Object.keys(TRACE_KEYS).sort(),
                   `${what}: exactly the documented keys`);
  for (const [key, kind] of Object.entries(TRACE_KEYS)) {
    assert.equal(kindOf(trace[key]), kind, `${what}: ${key} is ${kind}`);
  }
  assert.match(trace.id, /^req_\w+$/, what);
  assert.match(trace.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, `${what}: time`);
  assert.deepEqual(Object.keys(trace.effort).sort(), ['reason', 'value'], `${what}: effort`);
  assert.equal(typeof trace.effort.value, 'string');
  assert.ok(trace.effort.reason.length > 0, `${what}: effort has a reason`);
  assert.deepEqual(Object.keys(trace.timing).sort(), [...TIMING_KEYS].sort(), `${what}: timing`);
  assert.equal(trace.timing.received, 0, `${what}: timing is relative to the arrival`);
  for (const key of TIMING_KEYS) {
    assert.ok(Number.isInteger(trace.timing[key]) && trace.timing[key] >= 0,
              `${what}: timing.${key} = ${trace.timing[key]}`);
    assert.ok(trace.timing[key] <= trace.timing.done, `${what}: timing.${key} ≤ done`);
  }
  assert.deepEqual(Object.keys(trace.usage).sort(), [...USAGE_KEYS].sort(), `${what}: usage`);
  for (const key of USAGE_KEYS) {
    assert.ok(Number.isInteger(trace.usage[key]), `${what}: usage.${key} is an integer`);
  }
  assert.ok(Number.isInteger(trace.chain_rounds), `${what}: chain_rounds`);
  assert.ok(trace.events_openai.length > 0, `${what}: the upstream's events`);
}

// "2026-11-24T11:07:14.251Z" -> "20261124T110714.251Z": trace file names start with it.
const fileStamp = (iso) => iso.replace(/[-:]/g, '');

// 32-bit FNV-1a of the UTF-8 bytes, as 8 hex digits (the cwd tag's suffix).
function fnv1a32(text) {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0');
}

// Every trace file under the proxy's trace dir: {tag, name, file, trace}, oldest first. Files
// being written are hidden (".…") and renamed into place whole, so they are left out.
function readTraces(proxy) {
  if (!fs.existsSync(proxy.tracesDir)) return [];
  const found = [];
  for (const tag of fs.readdirSync(proxy.tracesDir)) {
    const dir = path.join(proxy.tracesDir, tag);
    for (const name of fs.readdirSync(dir)) {
      if (name.startsWith('.')) continue;
      const file = path.join(dir, name);
      found.push({ tag, name, file, trace: JSON.parse(fs.readFileSync(file, 'utf8')) });
    }
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

function ledgerRows(proxy, where = '') {
  if (!fs.existsSync(proxy.ledgerPath)) return [];
  let out;
  try {
    out = execFileSync(SQLITE_BIN, [...SQLITE_READ, proxy.ledgerPath,
                                    `SELECT * FROM turns ${where} ORDER BY seq`],
                       { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    // The recorder creates the file a moment before its table: not there yet is no rows yet.
    if (/no such table/.test(String(error.stderr))) return [];
    throw error;
  }
  return out.trim() === '' ? [] : JSON.parse(out);
}

// Traces and ledger rows are written off the hot path: a turn's answer can reach the client
// a moment before they are on disk.
async function waitForRecords(proxy, count, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const traces = readTraces(proxy);
    const rows = ledgerRows(proxy);
    if (traces.length >= count && rows.length >= count) return { traces, rows };
    if (Date.now() > deadline) {
      assert.fail(`expected ${count} traces and ledger rows, found ${traces.length} traces and ` +
                  `${rows.length} rows\n--- proxy log:\n${proxy.stderr.slice(-6000)}`);
    }
    await sleep(25);
  }
}

// A ledger row is the trace's summary: the same figures under the ledger's column names.
function assertRowMatchesTrace(row, trace, what) {
  assert.equal(row.id, trace.id, what);
  assert.equal(row.time_ms, Date.parse(trace.time), `${what}: time`);
  assert.equal(row.session_id, trace.session_id, `${what}: session_id`);
  assert.equal(row.cwd_tag, trace.cwd_tag, `${what}: cwd_tag`);
  assert.equal(row.provider, trace.provider, `${what}: provider`);
  assert.equal(row.tier, trace.tier, `${what}: tier`);
  assert.equal(row.client_model, trace.client_model, `${what}: client_model`);
  assert.equal(row.upstream_model, trace.model, `${what}: upstream_model`);
  assert.equal(row.effort, trace.effort.value, `${what}: effort`);
  assert.equal(row.effort_reason, trace.effort.reason, `${what}: effort_reason`);
  assert.equal(row.input_tokens, trace.usage.input_tokens, `${what}: input_tokens`);
  assert.equal(row.cached_tokens, trace.usage.cached_tokens, `${what}: cached_tokens`);
  assert.equal(row.output_tokens, trace.usage.output_tokens, `${what}: output_tokens`);
  assert.equal(row.reasoning_tokens, trace.usage.reasoning_tokens, `${what}: reasoning_tokens`);
  assert.equal(row.web_searches, trace.usage.web_search_requests, `${what}: web_searches`);
  assert.equal(row.web_fetches, trace.usage.web_fetch_requests, `${what}: web_fetches`);
  assert.equal(row.cost_usd, trace.cost_usd, `${what}: cost_usd`);
  assert.equal(row.upstream_first_byte_ms, trace.timing.upstream_first_byte, `${what}: latency`);
  assert.equal(row.client_first_byte_ms, trace.timing.first_client_byte, `${what}: latency`);
  assert.equal(row.done_ms, trace.timing.done, `${what}: latency`);
  assert.equal(row.stop_reason, trace.stop_reason ?? '', `${what}: stop_reason`);
  assert.equal(row.error_type, trace.error?.type ?? '', `${what}: error_type`);
  assert.equal(row.chain_rounds, trace.chain_rounds, `${what}: chain_rounds`);
}

// What Claude Code itself received, from its session transcript
// (<config>/projects/<project>/<session id>.jsonl): each assistant message with the
// `request-id` header of the response that carried it, in order. A message whose blocks are
// stored as several entries is put back together.
function transcriptMessages(dirs, sessionId) {
  const projects = path.join(dirs.config, 'projects');
  const files = fs.readdirSync(projects).map((p) => path.join(projects, p, `${sessionId}.jsonl`))
    .filter((f) => fs.existsSync(f));
  assert.equal(files.length, 1, `one transcript for session ${sessionId}`);
  const messages = [];
  for (const line of fs.readFileSync(files[0], 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const entry = JSON.parse(line);
    if (entry.type !== 'assistant' || !entry.message) continue;
    const last = messages.at(-1);
    if (last && last.message.id === entry.message.id) {
      last.message.content.push(...entry.message.content);
    } else {
      messages.push({ requestId: entry.requestId,
                      message: { ...entry.message, content: [...entry.message.content] } });
    }
  }
  return messages;
}

// Runs `claudegpt <args>` on the state a proxy left in `stateDir`; `input` goes to stdin.
// `env` adds settings (the same the proxy ran with, as the launcher would have them).
function runCli(args, stateDir, { input = '', env = {} } = {}) {
  const inherited = Object.fromEntries(Object.entries(process.env)
    .filter(([k]) => !/^(XDG_STATE_HOME|CLAUDEGPT_\w+)$/i.test(k)));
  const result = spawnSync(PROXY_BIN, args, {
    input, encoding: 'utf8', timeout: 15_000,
    env: { ...inherited, ...env, XDG_STATE_HOME: stateDir },
  });
  if (result.error) throw result.error;
  return result;
}

function cli(args, stateDir, options = {}) {
  const result = runCli(args, stateDir, options);
  assert.equal(result.status, 0, `claudegpt ${args.join(' ')} exited ${result.status}\n` +
                                 `stdout: ${result.stdout}\nstderr: ${result.stderr}`);
  return result.stdout;
}

// Every file under `dir` (the ledger, its -wal and -shm, the trace files), as {file, bytes}.
function filesUnder(dir) {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => {
      const file = path.join(e.parentPath ?? e.path, e.name);
      return { file, bytes: fs.readFileSync(file) };
    });
}

// `controls`: {name: [text, file name pattern]}, text from the conversation that the same
// byte search must find in those files, so a pass means "not there" rather than "not
// searchable" (the ledger's rows may still sit in its -wal).
function assertNoSecretUnder(dir, secrets, controls) {
  const files = filesUnder(dir);
  for (const [name, [text, pattern]] of Object.entries(controls)) {
    assert.ok(files.some(({ file, bytes }) => pattern.test(path.basename(file)) &&
                                              bytes.includes(Buffer.from(text))),
              `the search finds ${name} (${text})`);
  }
  for (const { file, bytes } of files) {
    for (const [name, secret] of Object.entries(secrets)) {
      assert.ok(secret && secret.length >= 16, `${name} is a real secret to look for`);
      assert.equal(bytes.includes(Buffer.from(secret)), false, `${name} found in ${file}`);
      assert.equal(file.includes(secret), false, `${name} in a file name: ${file}`);
    }
  }
  return files;
}

// Explains a failed check with what is needed to see why.
async function explained(context, check) {
  try {
    await check();
  } catch (err) {
    const details = '\n--- claude exit: ' + JSON.stringify({ code: context.run?.code,
                                                             timedOut: context.run?.timedOut }) +
      '\n--- claude stdout:\n' + (context.run?.stdout ?? '').slice(-4000) +
      '\n--- claude stderr:\n' + (context.run?.stderr ?? '').slice(-4000) +
      '\n--- proxy stderr (tail):\n' + (context.proxy?.stderr ?? '').slice(-6000);
    err.message += details;
    err.stack = `${err.stack ?? ''}${details}`;
    throw err;
  }
}

// ---------------------------------------------------------------------------------------
// 1. A real Claude Code session, three upstream turns with known usage.

describe('a Claude Code session is recorded turn by turn', { skip: SKIP }, () => {
  let fake;
  let proxy;
  let dirs;
  let session = null;   // what the first test leaves for the status line test

  before(async () => {
    if (SKIP) return;
    // The fake accepts only this key, so the proxy must have sent it.
    fake = await startFakeUpstream({ apiKey: OPENAI_KEY });
    proxy = await startProxy({ upstream: fake, env: {
      OPENAI_API_KEY: OPENAI_KEY, CLAUDEGPT_PROXY_KEY: PROXY_KEY, ...PRICE_ISOLATION } });
    dirs = makeSessionDirs('cgpt-Ledger-');
  });
  after(async () => {
    await proxy?.stop();
    await fake?.close();
    if (dirs) removeSessionDirs(dirs);
  });

  // Per upstream turn: what the fake answers and the usage it reports.
  const USAGE = [
    { input_tokens: 12_000, cached_tokens: 0, output_tokens: 400, reasoning_tokens: 128 },
    { input_tokens: 15_000, cached_tokens: 11_776, output_tokens: 150, reasoning_tokens: 0 },
    { input_tokens: 16_000, cached_tokens: 14_848, output_tokens: 40, reasoning_tokens: 8 },
  ];
  // By hand, gpt-5.5:
  //   1: 12,000 × $5 + 400 × $30                        = $0.072
  //   2: 3,224 × $5 + 11,776 × $0.50 + 150 × $30        = $0.026508
  //   3: 1,152 × $5 + 14,848 × $0.50 + 40 × $30         = $0.014384
  const COSTS = [0.072, 0.026508, 0.014384];
  const TOTAL_COST = 0.112892;

  test('three turns: one trace per turn with every key and the upstream\'s usage, ledger rows ' +
       'that add up to it exactly', async () => {
    const file = path.join(dirs.work, 'notes.txt');
    const prompt = 'Write notes.txt, then show it.';
    const final = 'notes.txt is written and shown.';
    const answers = [
      { name: 'reasoning_tool', args: { name: 'Write',
                                        args: { file_path: file, content: 'ledger e2e\n' },
                                        summary: '**Planning**\n\nWrite it, then cat it.' } },
      { name: 'tool_calls', args: { calls: [{ name: 'Bash', args: {
        command: 'cat notes.txt', description: 'Show notes.txt' } }] } },
      { name: 'text', args: { text: final } },
    ];
    // The usage figures go as scenario arguments.
    answers.forEach((a, i) => Object.assign(a.args, usageArgs(USAGE[i])));
    await fake.script(...answers);
    // The per-run proxy key is what Claude Code sends as x-api-key.
    const run = await runClaude({ proxyURL: proxy.url, prompt, dirs,
                                  env: { ANTHROPIC_API_KEY: PROXY_KEY } });
    const requests = await fake.requests();
    const context = { run, proxy };

    await explained(context, async () => {
      assert.equal(run.code, 0, 'claude exit code');
      assert.equal(run.json?.result, final);
      assert.equal(fs.readFileSync(file, 'utf8'), 'ledger e2e\n');
      assert.equal(requests.length, 3, 'three upstream turns, no retries');
      for (const [i, r] of requests.entries()) {
        assert.equal(r.status, 200, `upstream request ${i + 1}`);
        assert.equal(r.scenario.source, 'script');
        assert.deepEqual(r.usage, {
          input_tokens: USAGE[i].input_tokens,
          input_tokens_details: { cached_tokens: USAGE[i].cached_tokens },
          output_tokens: USAGE[i].output_tokens,
          output_tokens_details: { reasoning_tokens: USAGE[i].reasoning_tokens },
          total_tokens: USAGE[i].input_tokens + USAGE[i].output_tokens,
        }, `the fake reported the scripted usage for turn ${i + 1}`);
      }

      const { traces, rows } = await waitForRecords(proxy, 3);
      // Let a stray late write show up before counting.
      await sleep(200);
      assert.equal(readTraces(proxy).length, 3, 'exactly one trace file per upstream turn');
      assert.equal(ledgerRows(proxy).length, 3, 'exactly one ledger row per upstream turn');

      // The proxy served three /v1/messages turns: their ids (log lines) are the traces' ids,
      // and the ids Claude Code got in the request-id header.
      const served = [...proxy.stderr.matchAll(/ (req_\w+) claude-[\w.-]+ -> /g)].map((m) => m[1]);
      assert.deepEqual(served.sort(), traces.map((t) => t.trace.id).sort());
      const received = transcriptMessages(dirs, run.json.session_id);
      assert.equal(received.length, 3, 'Claude Code received three assistant messages');
      assert.deepEqual(received.map((m) => m.requestId), traces.map((t) => t.trace.id),
                       'trace ids are the request-id headers, in order');

      // Claude Code's working directory, as a tag: a readable slug plus its hash.
      const expectedTag = `${path.basename(dirs.root).toLowerCase()}-work-${fnv1a32(dirs.work)}`;
      for (const [i, { tag, name, trace }] of traces.entries()) {
        const what = `trace ${i + 1} (${name})`;
        assertTraceShape(trace, what);
        assert.equal(name, `${fileStamp(trace.time)}-${trace.id}.json`, `${what}: file name`);
        assert.equal(tag, trace.cwd_tag, `${what}: under its cwd tag`);
        assert.match(trace.cwd_tag, /^[a-z0-9]+(-[a-z0-9]+)*-[0-9a-f]{8}$/);
        assert.ok(trace.cwd_tag.length <= 40);
        assert.ok(trace.cwd_tag.endsWith(expectedTag), `${what}: ${trace.cwd_tag} ends with ` +
                                                      expectedTag);
        assert.equal(trace.session_id, run.json.session_id, `${what}: Claude Code's session`);
        assert.equal(trace.provider, 'openai');
        assert.equal(trace.client_model, 'claude-opus-5-5');
        assert.equal(trace.model, 'gpt-5.5');
        assert.equal(trace.tier, 'opus');
        assert.equal(trace.chain_rounds, 0);
        // CLAUDEGPT_DROP_TOOLS' default takes NotebookEdit out of Claude Code's deferred list.
        assert.ok(trace.tool_filter_saved_tokens > 0, `${what}: the filters' saving`);
        assert.ok(trace.not_forwarded.includes('metadata'), `${what}: fields not forwarded`);
        assert.equal(trace.error, null);
        assert.equal(trace.stop_reason, i < 2 ? 'tool_use' : 'end_turn', what);
        assert.deepEqual(trace.usage, { ...USAGE[i], web_search_requests: 0,
                                        web_fetch_requests: 0 }, `${what}: usage`);
        assertCost(trace.cost_usd, COSTS[i], what);
        assertCost(trace.cost_usd, expectedCost('gpt-5.5', USAGE[i]), what);

        // The request as Claude Code sent it, and as it went upstream.
        assert.equal(trace.request_anthropic.model, 'claude-opus-5-5');
        assert.ok(JSON.stringify(trace.request_anthropic.messages[0]).includes(prompt), what);
        assert.deepEqual(trace.request_openai, requests[i].body,
                         `${what}: request_openai is what the upstream received`);
        // The upstream's events, ending with the response and its usage.
        const completed = trace.events_openai.at(-1);
        assert.equal(completed.type, 'response.completed', what);
        assert.deepEqual(completed.response.usage, requests[i].usage, what);
        const done = trace.events_openai.filter((e) => e.type === 'response.output_item.done')
          .map((e) => e.item);
        assert.deepEqual(done, requests[i].output, `${what}: the upstream's output items`);
        // The answer as Claude Code received it.
        const { message } = received[i];
        assert.equal(trace.response_anthropic.id, message.id, what);
        assert.equal(trace.response_anthropic.model, message.model, what);
        assert.deepEqual(trace.response_anthropic.content, message.content,
                         `${what}: response_anthropic is what Claude Code received`);
        assert.equal(trace.response_anthropic.stop_reason, trace.stop_reason, what);
      }
      // The turns chain: each request answers the tool call of the answer before.
      for (const i of [1, 2]) {
        const call = traces[i - 1].trace.response_anthropic.content
          .find((b) => b.type === 'tool_use');
        assert.ok(JSON.stringify(traces[i].trace.request_anthropic.messages)
          .includes(`"tool_use_id":"${call.id}"`),
                  `turn ${i + 1} carries the result of ${call.name}`);
      }
      assert.equal(traces[0].trace.response_anthropic.content[0].type, 'thinking',
                   'the reasoning reached Claude Code as thinking');

      // Ledger rows: one per trace, in order, with the same figures.
      assert.deepEqual(rows.map((r) => r.id), traces.map((t) => t.trace.id));
      for (const [i, row] of rows.entries()) {
        assertRowMatchesTrace(row, traces[i].trace, `ledger row ${i + 1}`);
        assertCost(row.cost_usd, COSTS[i], `ledger row ${i + 1}`);
      }
      // What the session is about, found in Claude Code's own request (past the
      // <system-reminder> it puts before the prompt) and told once, on its first row.
      assert.deepEqual(rows.map((r) => [r.cwd, r.first_prompt]),
                       [[dirs.work, prompt], ['', ''], ['', '']]);
      const sum = (key) => USAGE.reduce((n, u) => n + u[key], 0);
      const [totals] = JSON.parse(execFileSync(SQLITE_BIN, [...SQLITE_READ, proxy.ledgerPath,
        'SELECT COUNT(*) AS turns, SUM(input_tokens) AS input_tokens, ' +
        'SUM(cached_tokens) AS cached_tokens, SUM(output_tokens) AS output_tokens, ' +
        'SUM(reasoning_tokens) AS reasoning_tokens, SUM(cost_usd) AS cost_usd FROM turns'],
      { encoding: 'utf8' }));
      const { cost_usd: totalCost, ...tokenTotals } = totals;
      assert.deepEqual(tokenTotals, {
        turns: 3, input_tokens: sum('input_tokens'), cached_tokens: sum('cached_tokens'),
        output_tokens: sum('output_tokens'), reasoning_tokens: sum('reasoning_tokens') });
      assert.deepEqual([sum('input_tokens'), sum('cached_tokens'), sum('output_tokens')],
                       [43_000, 26_624, 590]);
      assertCost(totalCost, TOTAL_COST, 'the ledger\'s total');

      // Private files: the traces hold whole conversations.
      for (const { file: traceFile } of traces) {
        assert.equal(fs.statSync(traceFile).mode & 0o777, 0o600, traceFile);
      }
      assert.equal(fs.statSync(path.dirname(traces[0].file)).mode & 0o777, 0o700);
      assert.equal(fs.statSync(proxy.ledgerPath).mode & 0o777, 0o600);

      session = { id: run.json.session_id };
    });
  });

  test('the status line for that session names the upstream model and the session\'s cost',
       async () => {
    assert.ok(session, 'the session test ran');
    const input = JSON.stringify({
      hook_event_name: 'Status', session_id: session.id,
      transcript_path: path.join(dirs.config, 'projects', 'x', `${session.id}.jsonl`),
      cwd: dirs.work, model: { id: 'claude-opus-5-5', display_name: 'Opus' },
      workspace: { current_dir: dirs.work, project_dir: dirs.work }, version: '2.1.330',
      output_style: { name: 'default' },
      // Claude Code's own estimate, at Anthropic prices: not what the status line shows.
      cost: { total_cost_usd: 7.77, total_duration_ms: 1000, total_api_duration_ms: 500 },
    });
    // $0.072 + $0.026508 + $0.014384, at the proxy's prices (not Claude Code's $7.77).
    assert.equal(cli(['statusline'], proxy.stateDir, { input }),
                 'gpt-5.5 · $0.1129 this session\n');
  });
});

// ---------------------------------------------------------------------------------------
// 2. No credential in any file the proxy keeps.

describe('no key or token reaches the traces or the ledger', { skip: SKIP }, () => {
  let fake;
  let dirs;
  before(async () => {
    if (SKIP) return;
    fake = await startFakeUpstream({ apiKey: OPENAI_KEY });
  });
  after(async () => {
    await fake?.close();
  });

  // A Write round trip through `through`; returns the run once its turns are on disk.
  async function writeRoundTrip(through, { route }) {
    dirs = makeSessionDirs();
    try {
      await fake.reset();
      const file = path.join(dirs.work, 'secret-test.txt');
      await fake.script({ name: 'write', args: { path: file, content: 'nothing secret' } },
                        { name: 'text', args: { text: 'Written.' } });
      const run = await runClaude({ proxyURL: through.url, prompt: 'Create secret-test.txt.',
                                    dirs, env: { ANTHROPIC_API_KEY: PROXY_KEY } });
      // The turns (a Codex proxy also talks to the token endpoint).
      const requests = (await fake.requests()).filter((r) => r.path !== '/oauth/token');
      await explained({ run, proxy: through }, async () => {
        assert.equal(run.code, 0);
        assert.equal(run.json?.result, 'Written.');
        assert.deepEqual(requests.map((r) => [r.path, r.status]), [[route, 200], [route, 200]]);
        await waitForRecords(through, 2);
      });
      return { run, requests, controls: {
        'the prompt in the traces': ['Create secret-test.txt.', /\.json$/],
        'the session id in the ledger': [run.json.session_id, /^usage\.sqlite3/] } };
    } finally {
      removeSessionDirs(dirs);
    }
  }

  test('OpenAI: neither the API key nor the per-run proxy key is in any trace or ledger file',
       async () => {
    const proxy = await startProxy({ upstream: fake, env: {
      OPENAI_API_KEY: OPENAI_KEY, CLAUDEGPT_PROXY_KEY: PROXY_KEY } });
    try {
      // Without the proxy key the proxy refuses, and records nothing of it.
      const refused = await fetch(`${proxy.url}/v1/messages`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'wrong' },
        body: JSON.stringify({ model: 'claude-opus-5-5', max_tokens: 16,
                               messages: [{ role: 'user', content: 'hi' }] }) });
      await refused.arrayBuffer();
      assert.equal(refused.status, 401);

      const { requests, controls } = await writeRoundTrip(proxy, { route: '/v1/responses' });
      assert.ok(requests.every((r) => r.headers.authorization === `Bearer ${OPENAI_KEY}`),
                'the key went upstream (so the proxy had it to leak)');
      const files = assertNoSecretUnder(proxy.stateDir, { OPENAI_API_KEY: OPENAI_KEY,
                                                          CLAUDEGPT_PROXY_KEY: PROXY_KEY },
                                        controls);
      const names = files.map((f) => path.basename(f.file));
      assert.ok(names.includes('usage.sqlite3'), names.join(', '));
      assert.equal(names.filter((n) => n.endsWith('.json')).length, 2, names.join(', '));
      for (const secret of [OPENAI_KEY, PROXY_KEY]) {
        assert.ok(!proxy.stderr.includes(secret), 'nor in the proxy\'s log');
      }
    } finally {
      await proxy.stop();
    }
  });

  test('a key the conversation itself shows (a tool printed the environment) is masked in ' +
       'the trace', async () => {
    const proxy = await startProxy({ upstream: fake, env: {
      OPENAI_API_KEY: OPENAI_KEY, CLAUDEGPT_PROXY_KEY: PROXY_KEY } });
    try {
      const res = await fetch(`${proxy.url}/v1/messages`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': PROXY_KEY },
        body: JSON.stringify({ model: 'claude-opus-5-5', max_tokens: 64, messages: [{
          role: 'user',
          content: `env printed OPENAI_API_KEY=${OPENAI_KEY} ANTHROPIC_AUTH_TOKEN=${PROXY_KEY}` }] }) });
      await res.arrayBuffer();
      assert.equal(res.status, 200);
      await waitForRecords(proxy, 1);
      const traces = fs.readdirSync(proxy.tracesDir, { recursive: true })
        .filter((f) => String(f).endsWith('.json'));
      assert.equal(traces.length, 1);
      const text = fs.readFileSync(path.join(proxy.tracesDir, String(traces[0])), 'utf8');
      assert.ok(text.includes('env printed OPENAI_API_KEY=[redacted] ANTHROPIC_AUTH_TOKEN=[redacted]'),
                'the conversation is kept, the values masked');
      assert.ok(!text.includes(OPENAI_KEY) && !text.includes(PROXY_KEY));
      assert.ok(JSON.parse(text).tool_filter_saved_tokens >= 0);
    } finally {
      await proxy.stop();
    }
  });

  test('Codex: neither the access, refresh and id tokens (before and after a refresh) nor the ' +
       'proxy key is in any trace or ledger file', async () => {
    const home = makeCodexHome();
    // Already expired: the proxy has to refresh, so two token sets pass through it.
    const first = await fake.codexLogin({ accountId: 'acct-ledger-e2e', ttlSeconds: -60 });
    writeCodexAuth(home.authFile, first);
    const proxy = await startProxy({ upstream: fake, env: {
      CLAUDEGPT_PROVIDER: 'codex', CLAUDEGPT_CODEX_AUTH: home.authFile,
      CLAUDEGPT_CODEX_BASE_URL: fake.codexBaseURL, CLAUDEGPT_CODEX_TOKEN_URL: fake.tokenURL,
      CLAUDEGPT_PROXY_KEY: PROXY_KEY, OPENAI_API_KEY: undefined } });
    try {
      const route = '/backend-api/codex/responses';
      const { requests, controls } = await writeRoundTrip(proxy, { route });
      assert.ok((await fake.codexStatus()).refresh_calls >= 1, 'the proxy refreshed the token');
      const second = readCodexAuth(home.authFile).tokens;
      assert.notEqual(second.access_token, first.access_token, 'auth.json has the new token set');
      const used = requests.map((r) => /^Bearer (\S+)$/.exec(r.headers.authorization)?.[1]);
      assert.ok(used.every((t) => t === second.access_token), 'the new token went upstream');

      const traces = readTraces(proxy);
      assert.ok(traces.every((t) => t.trace.provider === 'codex'), 'codex turns were recorded');
      assertNoSecretUnder(proxy.stateDir, {
        'the expired access token': first.access_token,
        'the used refresh token': first.refresh_token,
        'the first id token': first.id_token,
        'the refreshed access token': second.access_token,
        'the new refresh token': second.refresh_token,
        'the new id token': second.id_token,
        CLAUDEGPT_PROXY_KEY: PROXY_KEY,
      }, controls);
    } finally {
      await proxy.stop();
      home.remove();
    }
  });
});

// ---------------------------------------------------------------------------------------
// 3–4. The commands that read the ledger and the traces, on turns with known usage.

describe('claudegpt usage, traces and statusline report the recorded turns', { skip: SKIP }, () => {
  let fake;
  let proxy;
  let ids = [];      // request ids of the turns below, in order
  const headerIds = [];   // the request-id header of each answer (null when missing)

  // Five turns in two sessions, sent one after another. Sonnet goes to a model without a
  // price, so its cost is unknown (never 0).
  const ALPHA = 'sess-alpha-0001';
  const BETA = 'sess-beta-0002';
  const SEARCH_TOOL = [{ type: 'web_search_20250305', name: 'web_search' }];
  const TURNS = [
    { session: ALPHA, model: 'claude-haiku-4-5', scenario: 'text', stream: true,
      usage: { input_tokens: 40_000, cached_tokens: 0, output_tokens: 1_000,
               reasoning_tokens: 0 } },
    { session: ALPHA, model: 'claude-opus-5-5', scenario: 'text', stream: true,
      usage: { input_tokens: 100_000, cached_tokens: 80_000, output_tokens: 2_000,
               reasoning_tokens: 500 } },
    { session: ALPHA, model: 'claude-opus-5-5', scenario: 'text', stream: false,
      usage: { input_tokens: 120_000, cached_tokens: 100_000, output_tokens: 3_000,
               reasoning_tokens: 0 } },
    { session: BETA, model: 'claude-opus-5-5', scenario: 'web_search', stream: true,
      tools: SEARCH_TOOL,
      usage: { input_tokens: 10_000, cached_tokens: 0, output_tokens: 500, reasoning_tokens: 0 } },
    { session: BETA, model: 'claude-sonnet-4-5', scenario: 'text', stream: true,
      usage: { input_tokens: 8_000, cached_tokens: 0, output_tokens: 200, reasoning_tokens: 0 } },
  ];
  // By hand:
  //   1 gpt-5.4-mini  40,000 × $0.75 + 1,000 × $4.50                        = $0.0345
  //   2 gpt-5.5       20,000 × $5 + 80,000 × $0.50 + 2,000 × $30             = $0.20
  //   3 gpt-5.5       20,000 × $5 + 100,000 × $0.50 + 3,000 × $30            = $0.24
  //   4 gpt-5.5       10,000 × $5 + 500 × $30 + 1 search × $0.01             = $0.075
  //   5 gpt-5.9-lab   no price                                                = unknown
  //   gpt-5.5: 230,000 input, 180,000 cached (78.3%), 5,500 output, $0.515
  //   total: 278,000 input, 180,000 cached (64.7%), 6,700 output, ≥ $0.5495
  //   session alpha: $0.4745
  const EXPECTED_TABLE = [
    'Usage, all time, by model',
    '',
    'model         turns  input tokens  cached  output tokens  searches  cost (USD)',
    'gpt-5.4-mini      1        40,000    0.0%          1,000         0     $0.0345',
    'gpt-5.5           3       230,000   78.3%          5,500         1     $0.5150',
    'gpt-5.9-lab       1         8,000    0.0%            200         0     unknown',
    '------------------------------------------------------------------------------',
    'total             5       278,000   64.7%          6,700         1   ≥ $0.5495',
    '',
    '1 turn has no price for its model (gpt-5.9-lab); "unknown" and "≥" costs leave it out.',
    'Set prices in prices.toml or as CLAUDEGPT_PRICE_<MODEL>=input,cached_input,output.',
    '',
  ].join('\n');

  before(async () => {
    if (SKIP) return;
    fake = await startFakeUpstream();
    proxy = await startProxy({ upstream: fake, env: {
      CLAUDEGPT_OPENAI_SONNET: 'gpt-5.9-lab', CLAUDEGPT_PROXY_KEY: PROXY_KEY,
      ...PRICE_ISOLATION } });
    for (const turn of TURNS) {
      await fake.script({ name: turn.scenario, args: usageArgs(turn.usage) });
      const res = await fetch(`${proxy.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01',
                   'x-api-key': PROXY_KEY, 'x-claude-code-session-id': turn.session },
        body: JSON.stringify({
          model: turn.model, max_tokens: 1024, stream: turn.stream,
          system: 'You are a helper.\n - Primary working directory: /home/alice/src/My Project',
          messages: [{ role: 'user', content: 'Tell me something.' }],
          ...(turn.tools && { tools: turn.tools }) }),
      });
      const body = await res.text();
      assert.equal(res.status, 200, body);
      headerIds.push(res.headers.get('request-id'));
    }
    ids = (await waitForRecords(proxy, TURNS.length)).rows.map((r) => r.id);
  });
  after(async () => {
    await proxy?.stop();
    await fake?.close();
  });

  test('the ledger holds the five turns with their usage and hand-computed costs', async () => {
    const rows = ledgerRows(proxy);
    assert.equal(rows.length, TURNS.length);
    // In the order sent: each streamed answer's request-id header is its row's id.
    TURNS.forEach((turn, i) => {
      if (turn.stream) assert.equal(headerIds[i], rows[i].id, `turn ${i + 1}`);
    });
    const models = ['gpt-5.4-mini', 'gpt-5.5', 'gpt-5.5', 'gpt-5.5', 'gpt-5.9-lab'];
    for (const [i, row] of rows.entries()) {
      const turn = TURNS[i];
      const what = `turn ${i + 1}`;
      assert.equal(row.session_id, turn.session, what);
      assert.equal(row.upstream_model, models[i], what);
      assert.equal(row.cwd_tag, 'alice-src-my-project-dbb6cb63', what);
      assert.deepEqual([row.input_tokens, row.cached_tokens, row.output_tokens,
                        row.reasoning_tokens],
                       [turn.usage.input_tokens, turn.usage.cached_tokens,
                        turn.usage.output_tokens, turn.usage.reasoning_tokens], what);
      assert.equal(row.web_searches, turn.scenario === 'web_search' ? 1 : 0, what);
      if (models[i] === 'gpt-5.9-lab') {
        assert.equal(row.cost_usd, null, `${what}: no price, no cost (not 0)`);
      } else {
        assertCost(row.cost_usd, expectedCost(models[i], { ...turn.usage,
                                                           web_searches: row.web_searches }), what);
      }
    }
    assertCost(rows[0].cost_usd, 0.0345, 'turn 1');
    assertCost(rows[3].cost_usd, 0.075, 'turn 4');
  });

  test('a non-streamed answer carries the request-id header too', () => {
    TURNS.forEach((turn, i) => assert.equal(headerIds[i], ids[i], `turn ${i + 1}`));
  });

  test('`claudegpt usage --by model` prints the hand-computed table', () => {
    const out = cli(['usage', '--by', 'model'], proxy.stateDir);
    assert.equal(out, EXPECTED_TABLE);
    // A window that starts after every turn has none of them.
    const later = cli(['usage', '--by', 'model', '--since', '2099-01-01'], proxy.stateDir);
    assert.match(later, /No turns\./);
  });

  test('`claudegpt usage --by model --json` gives the same figures as numbers', () => {
    const report = JSON.parse(cli(['usage', '--by', 'model', '--json'], proxy.stateDir));
    assert.equal(report.since, null);
    assert.equal(report.group_by, 'model');
    const group = (key, turns, input, cached, output, reasoning, searches, cost, unknown) =>
      ({ key, turns, failed_requests: 0, failed_by_type: {}, input_tokens: input,
         cached_tokens: cached, output_tokens: output, reasoning_tokens: reasoning,
         web_searches: searches, web_fetches: 0, cost_usd: cost, unknown_cost_turns: unknown });
    assert.deepEqual(report.groups, [
      group('gpt-5.4-mini', 1, 40_000, 0, 1_000, 0, 0, 0.0345, 0),
      group('gpt-5.5', 3, 230_000, 180_000, 5_500, 500, 1, 0.515, 0),
      group('gpt-5.9-lab', 1, 8_000, 0, 200, 0, 0, null, 1),
    ]);
    const { key, ...totals } = group('', 5, 278_000, 180_000, 6_700, 500, 1, 0.5495, 1);
    assert.deepEqual(report.totals, totals);

    const bySession = JSON.parse(cli(['usage', '--by', 'session', '--json'], proxy.stateDir));
    assert.deepEqual(bySession.groups.map((g) => [g.key, g.turns, g.cost_usd,
                                                  g.unknown_cost_turns]),
                     [[ALPHA, 3, 0.4745, 0], [BETA, 2, 0.075, 1]]);
    // Each session with what it is about: where Claude Code ran, and what it was asked first.
    const rows = ledgerRows(proxy);
    for (const [i, group] of bySession.groups.entries()) {
      const first = rows.find((r) => r.session_id === group.key);
      assert.equal(group.started, new Date(first.time_ms).toISOString().replace(/\.\d{3}Z$/, 'Z'));
      assert.equal(group.cwd, '/home/alice/src/My Project', `session ${i + 1}: cwd`);
      assert.equal(group.cwd_tag, 'alice-src-my-project-dbb6cb63', `session ${i + 1}: cwd_tag`);
      assert.equal(group.first_prompt, 'Tell me something.', `session ${i + 1}: first prompt`);
    }
    // Told once per session: on its first row only, the others stay lean.
    assert.deepEqual(rows.map((r) => r.first_prompt),
                     ['Tell me something.', '', '', 'Tell me something.', '']);
  });

  test('`claudegpt traces --last 2` lists the two newest turns; `traces show ID` prints one',
       () => {
    const list = cli(['traces', '--last', '2'], proxy.stateDir);
    const lines = list.trimEnd().split('\n');
    assert.equal(lines.length, 3, `a header and two turns:\n${list}`);
    assert.match(lines[0], /^time \(UTC\)\s+model\s+in\s+out\s+cost\s+latency\s+stop\s+id$/);
    const turn = (id, model, input, output, cost) => new RegExp(
      `^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d  ${model.replace(/\./g, '\\.')}\\s+` +
      `${input}\\s+${output}\\s+${cost.replace(/\$/g, '\\$').replace(/\./g, '\\.')}\\s+` +
      `\\d+\\.\\ds\\s+end_turn\\s+${id}$`);
    assert.match(lines[1], turn(ids[3], 'gpt-5.5', '10,000', '500', '$0.0750'));
    assert.match(lines[2], turn(ids[4], 'gpt-5.9-lab', '8,000', '200', 'unknown'));
    for (const id of ids.slice(0, 3)) assert.ok(!list.includes(id), `older turn ${id} left out`);

    // `traces show --json` prints that turn's trace file.
    const [file] = readTraces(proxy).filter((t) => t.trace.id === ids[3]);
    assert.ok(file, `a trace file for ${ids[3]}`);
    const shown = cli(['traces', 'show', ids[3], '--json'], proxy.stateDir);
    assert.deepEqual(JSON.parse(shown), file.trace);
    assert.equal(file.trace.usage.web_search_requests, 1);
    assert.ok(shown.split('\n').length > 20, 'pretty-printed, not one line');

    // Without --json, a summary a person reads at a glance.
    const summary = cli(['traces', 'show', ids[3]], proxy.stateDir);
    const stamp = file.trace.time.replace('T', ' ').replace(/\.\d{3}Z$/, ' UTC');
    for (const line of [
      `turn         ${ids[3]}  ${stamp}`,
      `session      ${BETA}`,
      'folder       /home/alice/src/My Project',
      'model        claude-opus-5-5 → gpt-5.5 (openai, opus tier)',
      'tokens       in 10,000 (cached 0, 0.0%) · out 500',
      'web tools    1 web search',
      'cost         $0.0750',
      'outcome      end_turn',
      'last prompt  "Tell me something."',
    ]) assert.ok(summary.split('\n').includes(line), `"${line}" in:\n${summary}`);
    assert.match(summary, /^latency      upstream's first byte \d+\.\d\d s · client's first byte \d+\.\d\d s · done \d+\.\d\d s$/m);
    assert.match(summary, /^request      1 message · 1 tool\b/m);
    assert.ok(summary.includes(`claudegpt traces show ${ids[3]} --json\nFile: ${file.file}\n`),
              summary);
    assert.ok(summary.length < shown.length / 2, 'a summary, not the trace');

    const missing = runCli(['traces', 'show', 'req_doesnotexist'], proxy.stateDir);
    assert.notEqual(missing.status, 0, 'an unknown id is an error');
  });

  test('`claudegpt statusline` prints the upstream model and the cost of the session on stdin',
       () => {
    const statusInput = (sessionId, model) => JSON.stringify({
      hook_event_name: 'Status', session_id: sessionId, cwd: '/home/alice/src/My Project',
      model, workspace: { current_dir: '/home/alice/src/My Project',
                          project_dir: '/home/alice/src/My Project' },
      version: '2.1.330', cost: { total_cost_usd: 9.99 } });
    // Session alpha: $0.0345 + $0.20 + $0.24, whatever Claude Code estimates.
    const alpha = cli(['statusline'], proxy.stateDir, {
      input: statusInput(ALPHA, { id: 'claude-opus-5-5', display_name: 'Opus' }) });
    assert.equal(alpha, 'gpt-5.5 · $0.4745 this session\n');
    // Session beta has a turn without a price: its cost is a lower bound. Its sonnet turn
    // went to gpt-5.9-lab, which the status line reads from the ledger: the configuration it
    // runs with (no CLAUDEGPT_OPENAI_SONNET) would say otherwise.
    const beta = cli(['statusline'], proxy.stateDir, {
      input: statusInput(BETA, { id: 'claude-sonnet-4-5', display_name: 'Sonnet' }) });
    assert.equal(beta, 'gpt-5.9-lab · ≥ $0.0750 this session\n');
    // `setup` in another terminal maps opus elsewhere now: session alpha's proxy still sends
    // opus to gpt-5.5, and the status line says so.
    const remapped = { CLAUDEGPT_OPENAI_OPUS: 'gpt-5.4' };
    assert.equal(cli(['statusline'], proxy.stateDir, {
      input: statusInput(ALPHA, { id: 'claude-opus-5-5', display_name: 'Opus' }), env: remapped }),
    'gpt-5.5 · $0.4745 this session\n');
    // A session with no turns yet costs nothing so far, and its model is the configuration's.
    const fresh = cli(['statusline'], proxy.stateDir, {
      input: statusInput('sess-new', { id: 'claude-opus-5-5', display_name: 'Opus' }) });
    assert.equal(fresh, 'gpt-5.5 · $0.0000 this session\n');
    assert.equal(cli(['statusline'], proxy.stateDir, {
      input: statusInput('sess-new', { id: 'claude-opus-5-5', display_name: 'Opus' }), env: remapped }),
    'gpt-5.4 · $0.0000 this session\n');
  });
});

// ---------------------------------------------------------------------------------------
// 5. A rejected request that Claude Code retries is a failed request, not a turn; a session
//    is told by its start, its folder and its first prompt.

describe('claudegpt usage counts the turns the upstream answered and shows failures apart',
         { skip: SKIP }, () => {
  let fake;
  let proxy;
  const SESSION = 'sess-retry-0003';
  const HOME = process.env.HOME ?? '';
  const FOLDER = path.join(HOME, 'src', 'retry-demo');
  const PROMPT = 'Why does the build fail on CI but not locally? It started on Monday.';
  const USAGE = { input_tokens: 10_000, cached_tokens: 0, output_tokens: 500,
                  reasoning_tokens: 0 };
  // gpt-5.5: 10,000 × $5 + 500 × $30 = $0.065
  let rows = [];
  let statuses = [];

  before(async () => {
    if (SKIP) return;
    fake = await startFakeUpstream();
    proxy = await startProxy({ upstream: fake, env: { CLAUDEGPT_PROXY_KEY: PROXY_KEY,
                                                      ...PRICE_ISOLATION } });
    // Two rate limits, then an answer: what Claude Code's retries of one question look like.
    await fake.script({ name: 'rate_limit', args: {} }, { name: 'rate_limit', args: {} },
                      { name: 'text', args: usageArgs(USAGE) });
    for (let i = 0; i < 3; ++i) {
      const res = await fetch(`${proxy.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01',
                   'x-api-key': PROXY_KEY, 'x-claude-code-session-id': SESSION },
        body: JSON.stringify({
          model: 'claude-opus-5-5', max_tokens: 1024, stream: true,
          system: `You are a helper.\n - Primary working directory: ${FOLDER}`,
          messages: [{ role: 'user', content: [
            { type: 'text', text: '<system-reminder>\nSome context.\n</system-reminder>' },
            { type: 'text', text: PROMPT }] }] }),
      });
      await res.text();
      statuses.push(res.status);
    }
    rows = (await waitForRecords(proxy, 3)).rows;
  });
  after(async () => {
    await proxy?.stop();
    await fake?.close();
  });

  test('the ledger has a row for each try: two rejected, one answered', () => {
    assert.deepEqual(statuses, [429, 429, 200]);
    assert.deepEqual(rows.map((r) => r.error_type === ''), [false, false, true]);
    assert.equal(rows[0].error_type, rows[1].error_type);
  });

  test('`claudegpt usage` counts one turn and two failed requests, and says why', () => {
    const type = rows[0].error_type;
    assert.equal(cli(['usage', '--by', 'model'], proxy.stateDir), [
      'Usage, all time, by model',
      '',
      'model    turns  failed  input tokens  cached  output tokens  cost (USD)',
      'gpt-5.5      1       2        10,000    0.0%            500     $0.0650',
      '-----------------------------------------------------------------------',
      'total        1       2        10,000    0.0%            500     $0.0650',
      '',
      `2 failed requests are not counted as turns (${type} ×2).`,
      'The upstream did not answer them; Claude Code retries a failed request up to 10 times.',
      '',
    ].join('\n'));
    const report = JSON.parse(cli(['usage', '--json'], proxy.stateDir));
    assert.equal(report.totals.turns, 1);
    assert.equal(report.totals.failed_requests, 2);
    assert.deepEqual(report.totals.failed_by_type, { [type]: 2 });
  });

  test('`claudegpt usage --by session` tells the session by its start, folder and first prompt',
       () => {
    const out = cli(['usage', '--by', 'session'], proxy.stateDir);
    const lines = out.split('\n');
    assert.match(lines[2], /^started \(local\)\s+folder\s+first prompt\s+turns\s+failed\s+.*\s+session$/);
    const started = new Date(rows[0].time_ms);
    const pad = (n) => String(n).padStart(2, '0');
    const local = `${started.getFullYear()}-${pad(started.getMonth() + 1)}-` +
                  `${pad(started.getDate())} ${pad(started.getHours())}:${pad(started.getMinutes())}`;
    const folder = HOME ? '~/src/retry-demo' : FOLDER;       // the home directory as "~"
    const opening = `${[...PROMPT].slice(0, 35).join('')}…`;  // 36 characters at most
    const literal = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    assert.match(lines[3], new RegExp(`^${literal(local)}  ${literal(folder)}\\s+${literal(opening)}` +
                                      `\\s+1\\s+2\\s+.*  ${literal(SESSION)}$`), out);
    const [group] = JSON.parse(cli(['usage', '--by', 'session', '--json'], proxy.stateDir)).groups;
    assert.equal(group.cwd, FOLDER);
    assert.equal(group.first_prompt, PROMPT);
  });

  test('`claudegpt traces show` of a rejected request shows its error', () => {
    const summary = cli(['traces', 'show', rows[0].id], proxy.stateDir);
    assert.match(summary, new RegExp(`^outcome      error: ${rows[0].error_type}: .+$`, 'm'));
    assert.match(summary, /^last prompt  "Why does the build fail on CI but not locally\? It started on Monday\."$/m);
  });
});

// ---------------------------------------------------------------------------------------
// 6. Traces off: the ledger still tells each session by its folder and first prompt, found in
//    the request the proxy parses anyway (not in a trace's copy of it).

describe('with traces off, a session\'s row still has its folder and first prompt',
         { skip: SKIP }, () => {
  let fake;
  let proxy;
  const SESSION = 'sess-untraced-0006';
  const FOLDER = '/opt/projects/untraced';  // not under any test runner's home
  // A key pasted into the prompt: masked before the ledger keeps the prompt's opening.
  const PROMPT = `Why is ${OPENAI_KEY} refused? The proxy key ${PROXY_KEY} works.`;
  const SHOWN = 'Why is [redacted] refused? The proxy key [redacted] works.';
  const USAGE = { input_tokens: 1_000, cached_tokens: 0, output_tokens: 50, reasoning_tokens: 0 };
  let rows = [];

  // Until `count` ledger rows are there (no trace will come).
  async function waitForRows(count, timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = ledgerRows(proxy);
      if (found.length >= count) return found;
      if (Date.now() > deadline) {
        assert.fail(`expected ${count} ledger rows, found ${found.length}\n--- proxy log:\n` +
                    proxy.stderr.slice(-6000));
      }
      await sleep(25);
    }
  }

  before(async () => {
    if (SKIP) return;
    fake = await startFakeUpstream();
    proxy = await startProxy({ upstream: fake, env: {
      CLAUDEGPT_TRACE: '0', OPENAI_API_KEY: OPENAI_KEY, CLAUDEGPT_PROXY_KEY: PROXY_KEY,
      ...PRICE_ISOLATION } });
    await fake.script(...Array.from({ length: 3 }, () => ({ name: 'text', args: usageArgs(USAGE) })));
    const messages = [{ role: 'user', content: [
      { type: 'text', text: '<system-reminder>\nSome context.\n</system-reminder>' },
      { type: 'text', text: PROMPT }] }];
    // A side request first (Claude Code's title or quota check names no working directory),
    // then two main-loop turns of the same session.
    const bodies = [
      { model: 'claude-haiku-4-5', max_tokens: 64, messages },
      { model: 'claude-opus-5-5', max_tokens: 1024,
        system: `You are a helper.\n - Primary working directory: ${FOLDER}`, messages },
      { model: 'claude-opus-5-5', max_tokens: 1024,
        system: `You are a helper.\n - Primary working directory: ${FOLDER}`,
        messages: [...messages, { role: 'assistant', content: 'Ok.' },
                   { role: 'user', content: 'And now?' }] },
    ];
    for (const body of bodies) {
      const res = await fetch(`${proxy.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01',
                   'x-api-key': PROXY_KEY, 'x-claude-code-session-id': SESSION },
        body: JSON.stringify(body),
      });
      await res.arrayBuffer();
      assert.equal(res.status, 200, `${body.model}: ${res.status}`);
    }
    rows = await waitForRows(3);
  });
  after(async () => {
    await proxy?.stop();
    await fake?.close();
  });

  test('no trace is written; the first main-loop row tells the session, masked and once', () => {
    assert.ok(!fs.existsSync(proxy.tracesDir) ||
              fs.readdirSync(proxy.tracesDir, { recursive: true }).length === 0,
              'CLAUDEGPT_TRACE=0 writes no trace');
    assert.deepEqual(rows.map((r) => [r.client_model, r.cwd, r.first_prompt]), [
      ['claude-haiku-4-5', '', ''],          // no working directory: not this session's opening
      ['claude-opus-5-5', FOLDER, SHOWN],
      ['claude-opus-5-5', '', ''],           // told once per session
    ]);
    assertNoSecretUnder(proxy.stateDir, { OPENAI_API_KEY: OPENAI_KEY,
                                          CLAUDEGPT_PROXY_KEY: PROXY_KEY },
                        { 'the prompt in the ledger': ['refused? The proxy key', /^usage\.sqlite3/] });
  });

  test('`claudegpt usage --by session` shows them', () => {
    const [group] = JSON.parse(cli(['usage', '--by', 'session', '--json'], proxy.stateDir)).groups;
    assert.equal(group.key, SESSION);
    assert.equal(group.turns, 3);
    assert.equal(group.cwd, FOLDER);
    assert.equal(group.first_prompt, SHOWN);
    const out = cli(['usage', '--by', 'session'], proxy.stateDir);
    const opening = `${[...SHOWN].slice(0, 35).join('')}…`;  // 36 characters at most
    assert.ok(out.split('\n')[3].includes(`  ${FOLDER}  ${opening}  `), out);
  });
});
