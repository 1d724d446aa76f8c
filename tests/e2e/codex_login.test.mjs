// The real Claude Code through claudegpt on the Codex backend, with a ChatGPT login whose
// access token has expired, against a token endpoint that behaves as the real one does today
// (real-services-2026.md §2, §5, §6, §12; the fake cites each source):
// - the switch codex_refresh_needs_scope refuses a refresh without `scope`: the proxy sends
//   it, so the turn succeeds and auth.json holds the new tokens (0600);
// - the Codex requests carry the cache-affinity headers of the current Codex CLI (session-id,
//   thread-id, x-client-request-id, all equal to prompt_cache_key, beside session_id) and a
//   User-Agent in the Codex CLI's shape naming claudegpt;
// - a token endpoint that fails (HTTP 500) is a passing failure: the user reads its status
//   and words, and no "run codex login".

import { test, describe, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';

import { startFakeUpstream } from '../lib/fake_upstream.mjs';
import { startProxy } from '../lib/proxy.mjs';
import { fileMode, makeCodexHome, readCodexAuth, writeCodexAuth } from '../lib/codex_auth.mjs';
import { proxyBinary } from '../lib/paths.mjs';
import { claudeBinary, makeSessionDirs, removeSessionDirs, runClaude } from './claude_cli.mjs';

const PROXY_BIN = proxyBinary();
const CLAUDE_BIN = claudeBinary();
const SKIP = !PROXY_BIN ? 'no claudegpt binary (set CLAUDEGPT_BIN)'
           : !CLAUDE_BIN ? 'no Claude Code CLI (npm install in tests/, or CLAUDEGPT_CLAUDE_BIN)'
           : false;
if (SKIP && process.env.CLAUDEGPT_REQUIRE_CLIENTS) throw new Error(SKIP);

// `claudegpt/<version> (<os> <os version>; <arch>) <terminal>`, as the Codex CLI builds its
// own (get_codex_user_agent).
const USER_AGENT = /^claudegpt\/\d+\.\d+\.\d+\S* \([^;()]+; [^;()]+\) \S+/;
const ACCOUNT = 'acct-e2e-login';

let fake;
let dirs;
let home;

before(async () => { if (!SKIP) fake = await startFakeUpstream(); });
after(async () => { await fake?.close(); });
beforeEach(async () => {
  if (SKIP) return;
  await fake.reset();
  dirs = makeSessionDirs('claudegpt-codex-login-');
  home = makeCodexHome();
});
afterEach(() => {
  if (dirs) removeSessionDirs(dirs);
  home?.remove();
  dirs = null;
  home = null;
});

const codexEnv = (tokenURL = fake.tokenURL) => ({
  CLAUDEGPT_PROVIDER: 'codex', CLAUDEGPT_CODEX_AUTH: home.authFile,
  CLAUDEGPT_CODEX_BASE_URL: fake.codexBaseURL, CLAUDEGPT_CODEX_TOKEN_URL: tokenURL,
});

async function withProxy(env, body) {
  const proxy = await startProxy({ upstream: fake, env });
  try {
    return await body(proxy);
  } finally {
    await proxy.stop();
  }
}

const explain = (run, requests, proxy) => `\nresult: ${run.stdout.slice(0, 800)}\nrequests: ${
  JSON.stringify(requests.map((r) => [r.route, r.status, r.error ?? null]))}\nlog:\n${
  proxy.stderr.slice(-2000)}`;

const bearer = (record) => String(record.headers.authorization ?? '').replace(/^Bearer /, '');

describe('an expired Codex login', { skip: SKIP }, () => {
  test('is refreshed with scope where the endpoint requires it; the turn succeeds, auth.json ' +
       'holds the new tokens, and the Codex requests carry the affinity headers and the UA',
       async () => {
    await fake.configure({ codex_refresh_needs_scope: true });
    const stale = await fake.codexLogin({ accountId: ACCOUNT, ttlSeconds: -60 });
    const before = writeCodexAuth(home.authFile, stale, { future_field: 'kept' });
    await fake.script({ name: 'text', args: { text: 'Refreshed and answered.' } });
    await withProxy(codexEnv(), async (proxy) => {
      const run = await runClaude({ proxyURL: proxy.url, prompt: 'hello', dirs });
      const requests = await fake.requests();
      const why = explain(run, requests, proxy);
      assert.equal(run.code, 0, why);
      assert.equal(run.json?.result, 'Refreshed and answered.', why);

      // One refresh, with scope, not refused by the switch.
      const refreshes = requests.filter((r) => r.route === 'oauth_token');
      assert.deepEqual(refreshes.map((r) => [r.status, r.refused_by ?? null, r.body.scope]),
                       [[200, null, 'openid profile email']], why);
      assert.match(refreshes[0].headers['user-agent'], USER_AGENT, why);

      // The new tokens are saved: private, the rest of the file kept, and what was sent.
      const after = readCodexAuth(home.authFile);
      assert.notEqual(after.tokens.access_token, stale.access_token);
      assert.notEqual(after.tokens.refresh_token, stale.refresh_token);
      assert.equal(after.future_field, 'kept');
      assert.ok(Date.parse(after.last_refresh) > Date.parse(before.last_refresh));
      assert.equal(fileMode(home.authFile), 0o600);

      const codex = requests.filter((r) => r.route === 'codex');
      assert.ok(codex.length >= 1, why);
      for (const r of codex) {
        assert.equal(r.status, 200, why);
        assert.equal(bearer(r), after.tokens.access_token, 'the refreshed token was used');
        const key = r.body.prompt_cache_key;
        assert.ok(typeof key === 'string' && key.length > 0, why);
        for (const name of ['session_id', 'session-id', 'thread-id', 'x-client-request-id']) {
          assert.equal(r.headers[name], key, `${name}${why}`);
        }
        assert.match(r.headers['user-agent'], USER_AGENT, why);
        assert.equal(r.headers.originator, 'codex_cli_rs', why);
      }
    });
  });

  test('a token endpoint answering 500: a passing error in its words, no `codex login`, the ' +
       'saved login untouched', async () => {
    // The token endpoint alone fails; the Codex backend is the fake's.
    const seen = [];
    const endpoint = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => { body += chunk; });
      req.on('end', () => {
        seen.push({ body: JSON.parse(body), userAgent: req.headers['user-agent'] });
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'The server had an error while processing ' +
                                                   'your request.', type: 'server_error',
                                          param: null, code: null } }));
      });
    });
    await new Promise((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
    try {
      const tokenURL = `http://127.0.0.1:${endpoint.address().port}/oauth/token`;
      const stale = await fake.codexLogin({ accountId: ACCOUNT, ttlSeconds: -60 });
      const before = writeCodexAuth(home.authFile, stale);
      await withProxy(codexEnv(tokenURL), async (proxy) => {
        // Claude Code would retry the 503 for minutes; one attempt shows what the user reads.
        const run = await runClaude({ proxyURL: proxy.url, prompt: 'hello', dirs,
                                      env: { CLAUDE_CODE_MAX_RETRIES: '0' } });
        const requests = await fake.requests();
        const why = explain(run, requests, proxy);
        assert.equal(run.json?.is_error, true, why);
        const shown = String(run.json?.result);
        assert.match(shown, /503/, why);
        assert.match(shown, /HTTP 500 server_error: The server had an error while processing/, why);
        assert.ok(shown.includes(tokenURL), why);
        assert.doesNotMatch(shown, /codex login/i, why);
        assert.equal(seen.length, 1, why);
        assert.equal(seen[0].body.scope, 'openid profile email');
        assert.match(seen[0].userAgent, USER_AGENT);
        assert.equal(requests.filter((r) => r.route === 'codex').length, 0, why);
        assert.deepEqual(readCodexAuth(home.authFile), before, 'a failed refresh writes nothing');
      });
    } finally {
      await new Promise((resolve) => endpoint.close(resolve));
    }
  });
});
