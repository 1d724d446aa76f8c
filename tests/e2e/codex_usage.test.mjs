// The real Claude Code through claudegpt on the Codex backend, where the fake answers as the
// 2026 services do (issue 15 parts 3 and 4): its responses carry the plan's usage windows in
// the 2026 x-codex-*-reset-at headers (fake_upstream/backends.mjs serviceHeaders), and report
// cache writes as GPT-5.6 does (the cache_writes switch, fake_upstream/cache_writes.mjs; both
// cite their sources). What the user sees:
//   - Claude Code's usage has the writes as cache_creation_input_tokens, outside input_tokens;
//   - the ledger prices them at the model's write rate (gpt-5.6-sol: $5 per 1M, 1.25 × $4);
//   - `claudegpt statusline` shows the windows, "gpt-5.6-sol · 5h 3% · week 1% · $0.0438 this
//     session", in any session, since they are the account's.
// Run: CLAUDEGPT_BIN=… node --test tests/e2e/codex_usage.test.mjs

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

import { makeCodexHome, writeCodexAuth } from '../lib/codex_auth.mjs';
import { startFakeUpstream } from '../lib/fake_upstream.mjs';
import { startProxy } from '../lib/proxy.mjs';
import { proxyBinary } from '../lib/paths.mjs';
import { claudeBinary, makeSessionDirs, removeSessionDirs, runClaude } from './claude_cli.mjs';

const PROXY_BIN = proxyBinary();
const CLAUDE_BIN = claudeBinary();
const SKIP = !PROXY_BIN ? 'no claudegpt binary (set CLAUDEGPT_BIN)'
           : !CLAUDE_BIN ? 'no Claude Code CLI (npm install in tests/, or CLAUDEGPT_CLAUDE_BIN)'
           : false;
if (SKIP && process.env.CLAUDEGPT_REQUIRE_CLIENTS) throw new Error(SKIP);

// Prices are the built-in ones, whatever the developer set.
const PRICE_ISOLATION = Object.fromEntries([
  ['CLAUDEGPT_PRICES_FILE', '/nonexistent/claudegpt-test-prices.toml'],
  ...Object.keys(process.env).filter((k) => /^CLAUDEGPT_PRICE_/i.test(k)).map((k) => [k, undefined]),
]);

// `claudegpt ARGS` reading the proxy's ledger, `input` on stdin (async: the fake runs in this
// process).
async function cli(args, stateDir, input) {
  const inherited = Object.fromEntries(Object.entries(process.env)
    .filter(([k]) => !/^(XDG_STATE_HOME|CLAUDEGPT_\w+)$/i.test(k)));
  const run = promisify(execFile)(PROXY_BIN, args, {
    encoding: 'utf8', timeout: 15_000,
    env: { ...inherited, XDG_STATE_HOME: stateDir, CLAUDEGPT_PROVIDER: 'codex',
           CLAUDEGPT_CODEX_OPUS: 'gpt-5.6-sol' },
  });
  run.child.stdin.end(input);
  return (await run).stdout;
}

const statusInput = (sessionId) => JSON.stringify({
  hook_event_name: 'Status', session_id: sessionId, cwd: '/tmp', version: '2.1.330',
  model: { id: 'claude-opus-5-5', display_name: 'Opus' }, cost: { total_cost_usd: 9.99 } });

describe('usage windows and cache writes on the Codex backend', { skip: SKIP }, () => {
  let fake;
  let proxy;
  let home;
  let dirs;
  before(async () => {
    if (SKIP) return;
    fake = await startFakeUpstream();
    await fake.configure({ cache_writes: true });
    home = makeCodexHome();
    writeCodexAuth(home.authFile, await fake.codexLogin({ ttlSeconds: 3600 }));
    proxy = await startProxy({ upstream: fake, env: {
      ...PRICE_ISOLATION, CLAUDEGPT_PROVIDER: 'codex', OPENAI_API_KEY: undefined,
      CLAUDEGPT_CODEX_AUTH: home.authFile, CLAUDEGPT_CODEX_BASE_URL: fake.codexBaseURL,
      CLAUDEGPT_CODEX_TOKEN_URL: fake.tokenURL, CLAUDEGPT_CODEX_OPUS: 'gpt-5.6-sol' } });
    dirs = makeSessionDirs('claudegpt-codex-usage-');
  });
  after(async () => {
    await proxy?.stop();
    await fake?.close();
    home?.remove();
    if (dirs) removeSessionDirs(dirs);
  });

  let session = null;

  test('Claude Code gets the cache writes as cache_creation_input_tokens', async () => {
    // As charmbracelet/fantasy PR #331 measured a warm GPT-5.6 call, at a larger scale: of
    // 20,000 input tokens, 12,000 read from the cache and 6,000 written to it.
    await fake.script({ name: 'text', args: {
      text: 'Hi.', input_tokens: '20000', cached_tokens: '12000', cache_write_tokens: '6000',
      output_tokens: '50' } });
    const run = await runClaude({ proxyURL: proxy.url, prompt: 'Say hi.', dirs });
    const explain = `\nstdout: ${run.stdout.slice(0, 1500)}\nstderr: ${run.stderr.slice(-1000)}` +
                    `\nproxy: ${proxy.stderr.slice(-1500)}`;
    assert.equal(run.code, 0, explain);
    assert.equal(run.json?.result, 'Hi.', explain);
    const codex = await fake.requests({ route: 'codex' });
    assert.equal(codex.length, 1, explain);
    assert.equal(codex[0].usage.input_tokens_details.cache_write_tokens, 6000);
    // Anthropic's three parts add up to the upstream's input.
    const { usage } = run.json;
    assert.equal(usage.input_tokens, 2000, explain);
    assert.equal(usage.cache_read_input_tokens, 12000, explain);
    assert.equal(usage.cache_creation_input_tokens, 6000, explain);
    assert.equal(usage.output_tokens, 50, explain);
    session = run.json.session_id;
  });

  test('the ledger prices the writes at the model\'s write rate', async () => {
    assert.ok(session, 'the Claude Code test ran');
    const report = JSON.parse(await cli(['usage', '--by', 'model', '--json'], proxy.stateDir, ''));
    // 2,000 × $4 + 12,000 × $0.40 + 6,000 × $5 + 50 × $20 (per 1M): writes cost 1.25× input.
    assert.deepEqual(report.groups.map((g) => [g.key, g.input_tokens, g.cached_tokens,
                                               g.cache_write_tokens, g.cost_usd]),
                     [['gpt-5.6-sol', 20000, 12000, 6000, 0.0438]]);
  });

  test('`claudegpt statusline` shows the plan\'s usage windows before the session\'s cost',
       async () => {
    assert.ok(session, 'the Claude Code test ran');
    // The fake's headers: 3% of the 5-hour window, 1% of the week, both resetting later.
    assert.equal(await cli(['statusline'], proxy.stateDir, statusInput(session)),
                 'gpt-5.6-sol · 5h 3% · week 1% · $0.0438 this session\n');
    // They are the account's: a session without turns yet shows them too.
    assert.equal(await cli(['statusline'], proxy.stateDir, statusInput('sess-new')),
                 'gpt-5.6-sol · 5h 3% · week 1% · $0.0000 this session\n');
  });
});
