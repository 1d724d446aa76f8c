// The real Claude Code, through claudegpt on the Codex backend, when the ChatGPT plan stands in
// the way (issue 15 parts 3 and 4; the fake's switches in fake_upstream/codex_limits.mjs cite
// their sources): a spent plan shows when it resets, in the user's local time, and nothing
// retries it; a plan without Codex says so and what to do; Cloudflare's challenge is named.
// Each ends at once: one upstream request, Claude Code told not to retry (x-should-retry:
// false), the run under 5 s (15 s under the sanitizers, as in fast_failures.test.mjs).

import { test, describe, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { startFakeUpstream } from '../lib/fake_upstream.mjs';
import { makeCodexHome, writeCodexAuth } from '../lib/codex_auth.mjs';
import { proxyBinary } from '../lib/paths.mjs';
import { claudeBinary, makeSessionDirs, removeSessionDirs, runClaude } from './claude_cli.mjs';

const BIN = proxyBinary();
const CLAUDE_BIN = claudeBinary();
const SKIP = !BIN ? 'no claudegpt binary (set CLAUDEGPT_BIN)'
           : !CLAUDE_BIN ? 'no Claude Code CLI (npm install in tests/, or CLAUDEGPT_CLAUDE_BIN)'
           : false;
if (SKIP && process.env.CLAUDEGPT_REQUIRE_CLIENTS) throw new Error(SKIP);

const SANITIZED = Boolean(process.env.CLAUDEGPT_SANITIZER_REPORTS);
const LIMIT_MS = SANITIZED ? 15_000 : 5_000;
const KILL_MS = 60_000;  // Claude Code's own retries would last minutes: fail long before
// The user's time zone: UTC+5:30 as a POSIX TZ (no tz database needed), so that a local time
// cannot be mistaken for UTC.
const TZ = 'XST-5:30';
const TZ_OFFSET_S = 5.5 * 3600;

let fake;
let dirs;
let home;

before(async () => { if (!SKIP) fake = await startFakeUpstream(); });
after(async () => { await fake?.close(); });
beforeEach(async () => {
  if (SKIP) return;
  await fake.reset();
  dirs = makeSessionDirs('claudegpt-codex-limits-');
  home = makeCodexHome();
  writeCodexAuth(home.authFile, await fake.codexLogin({ ttlSeconds: 3600 }));
});
afterEach(() => {
  if (dirs) removeSessionDirs(dirs);
  home?.remove();
  dirs = home = null;
});

// `claudegpt -p "Say hi." --output-format json` on the fake's Codex backend; returns what
// Claude Code showed, the fake's Codex requests and the proxy's log.
async function launch(t) {
  const logFile = path.join(dirs.root, 'proxy.log');
  const run = await runClaude({
    bin: BIN, proxyURL: 'http://127.0.0.1:9', prompt: 'Say hi.', dirs, timeoutMs: KILL_MS,
    env: {
      ANTHROPIC_API_KEY: 'sk-ant-not-this-one', CLAUDEGPT_CLAUDE_BIN: CLAUDE_BIN,
      CLAUDEGPT_PROVIDER: 'codex', OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined,
      CLAUDEGPT_CODEX_AUTH: home.authFile, CLAUDEGPT_CODEX_BASE_URL: fake.codexBaseURL,
      CLAUDEGPT_CODEX_TOKEN_URL: fake.tokenURL, CLAUDEGPT_CLIENT_CONTEXT: '0',
      CLAUDEGPT_LOG_FILE: logFile, TZ,
      ASAN_OPTIONS: process.env.ASAN_OPTIONS, UBSAN_OPTIONS: process.env.UBSAN_OPTIONS,
    },
  });
  const codex = await fake.requests({ route: 'codex' });
  const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
  const shown = typeof run.json?.result === 'string' ? run.json.result : `${run.stdout}${run.stderr}`;
  const explain = () => `\n--- ${run.ms} ms, exit ${run.code}, timed out ${run.timedOut}\n--- shown: ${shown}` +
    `\n--- upstream: ${JSON.stringify(codex.map((r) => [r.status, r.refused_by, r.error]))}` +
    `\n--- stderr:\n${run.stderr.slice(-2000)}\n--- proxy log:\n${log.slice(-3000)}`;
  t.diagnostic(`${run.ms} ms, ${codex.length} Codex request(s); shown: ${shown}`);
  return { run, codex, log, shown, explain };
}

// Shown at once, as an error, after exactly one upstream request.
function assertShownAtOnce({ run, codex, explain }) {
  assert.equal(run.timedOut, false, `Claude Code was still retrying after ${KILL_MS} ms${explain()}`);
  assert.ok(run.ms < LIMIT_MS, `took ${run.ms} ms, the limit is ${LIMIT_MS} ms${explain()}`);
  assert.notEqual(run.code, 0, explain());
  assert.equal(run.json?.is_error, true, explain());
  assert.equal(codex.length, 1, explain());
}

// A unix time in TZ as the proxy says it: "HH:MM" today, "Tue HH:MM" on a later day of the
// week (a reset 3 h 20 min away is tomorrow when the tests run late in TZ's evening).
function localClock(unixSeconds) {
  const local = (seconds) => new Date((seconds + TZ_OFFSET_S) * 1000);
  const d = local(unixSeconds);
  const clock = `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
  const sameDay = d.toISOString().slice(0, 10) === local(Date.now() / 1000).toISOString().slice(0, 10);
  return sameDay ? clock : `${['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()]} ${clock}`;
}

describe('a ChatGPT plan in the way, on the Codex backend', { skip: SKIP }, () => {
  // real-services-2026.md §4: 429 usage_limit_reached with resets_at (unix seconds).
  test('a spent plan: the reset time in local time, one request, no retries', async (t) => {
    await fake.configure({ codex_usage_limit: { resets_in_s: 12000, plan_type: 'plus' } });
    const result = await launch(t);
    assertShownAtOnce(result);
    const resetsAt = result.codex[0].error.resets_at;
    assert.ok(Number.isInteger(resetsAt), result.explain());
    assert.ok(result.shown.includes("You have hit your ChatGPT Plus plan's Codex usage limit; it resets at " +
                                    `${localClock(resetsAt)} (in 3 h 20 min)`), result.explain());
    assert.doesNotMatch(result.log, /retrying in/, result.explain());  // nor did the proxy retry
  });

  test('a plan without Codex (usage_not_included): names the plan and what to do', async (t) => {
    await fake.configure({ usage_not_included: { plan_type: 'free' } });
    const result = await launch(t);
    assertShownAtOnce(result);
    assert.ok(result.shown.includes('Your ChatGPT Free plan does not include Codex'), result.explain());
    assert.ok(result.shown.includes('`claudegpt setup`'), result.explain());
    assert.doesNotMatch(result.shown, /Failed to authenticate/, result.explain());
    assert.equal(result.codex[0].status, 429, result.explain());
  });

  // §6: Cloudflare's managed challenge, 403 with cf-mitigated: challenge and an HTML page.
  test('a Cloudflare challenge is named, without the credentials advice', async (t) => {
    await fake.configure({ cloudflare_challenge: true });
    const result = await launch(t);
    assertShownAtOnce(result);
    // The fake's host is 127.0.0.1:PORT (chatgpt.com in real life).
    assert.match(result.shown, /127\.0\.0\.1:\d+'s Cloudflare challenged the request \(HTTP 403, cf-mitigated: challenge\): /,
                 result.explain());
    assert.doesNotMatch(result.shown, /Failed to authenticate|codex login|auth\.json/, result.explain());
  });
});
