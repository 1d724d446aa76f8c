// The fake's Codex sign-in authority as the real one answers today (codex_tokens.mjs cites each
// source): the switch codex_refresh_needs_scope (a refresh without `scope` is a 401, §2 of
// real-services-2026.md), the three refusals the Codex CLI takes for a dead refresh token, and
// the request headers recorded for a test to assert. Run:
// node --test tests/fake_upstream/codex_login.test.mjs

import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';

import { startFakeUpstream } from '../lib/fake_upstream.mjs';
import { CODEX_CLIENT_ID, REFRESH_TOKEN_REUSED_MESSAGE,
         SCOPE_MISSING_MESSAGE } from './codex_tokens.mjs';

let fake;
before(async () => { fake = await startFakeUpstream(); });
after(async () => { await fake.close(); });
beforeEach(async () => { await fake.reset(); });

const SCOPE = 'openid profile email';

const refresh = (refreshToken, extra = {}) => fetch(fake.tokenURL, {
  method: 'POST', headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ client_id: CODEX_CLIENT_ID, grant_type: 'refresh_token',
                         refresh_token: refreshToken, ...extra }) });

async function answer(res) {
  return { status: res.status, body: await res.json() };
}

describe('codex_refresh_needs_scope', () => {
  test('is off by default: a refresh without scope is served', async () => {
    assert.equal((await fake.control('GET', '/_config')).codex_refresh_needs_scope, false);
    const tokens = await fake.codexLogin();
    const { status, body } = await answer(await refresh(tokens.refresh_token));
    assert.equal(status, 200, JSON.stringify(body));
    assert.ok(body.access_token);
  });

  test('on: a refresh without scope is a 401 "Could not validate your token." and spends ' +
       'nothing; with scope it is served', async () => {
    assert.equal((await fake.configure({ codex_refresh_needs_scope: true }))
      .codex_refresh_needs_scope, true);
    const tokens = await fake.codexLogin();
    for (const extra of [{}, { scope: '' }]) {
      const refused = await answer(await refresh(tokens.refresh_token, extra));
      assert.equal(refused.status, 401);
      assert.deepEqual(refused.body, { error: { message: SCOPE_MISSING_MESSAGE,
                                                type: 'invalid_request_error', param: null,
                                                code: null } });
    }
    // The refresh token was not used up by the refusals.
    const served = await answer(await refresh(tokens.refresh_token, { scope: SCOPE }));
    assert.equal(served.status, 200, JSON.stringify(served.body));
    const records = await fake.requests({ route: 'oauth_token' });
    assert.deepEqual(records.map((r) => [r.status, r.refused_by, r.body.scope]),
                     [[401, 'codex_refresh_needs_scope', undefined],
                      [401, 'codex_refresh_needs_scope', ''], [200, undefined, SCOPE]]);
  });

  test('a form body with scope is served too', async () => {
    await fake.configure({ codex_refresh_needs_scope: true });
    const tokens = await fake.codexLogin();
    const res = await fetch(fake.tokenURL, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: CODEX_CLIENT_ID, grant_type: 'refresh_token',
                                  refresh_token: tokens.refresh_token, scope: SCOPE }).toString() });
    assert.equal(res.status, 200);
    await res.json();
  });

  test('POST /_reset turns it off; camelCase is taken too', async () => {
    await fake.configure({ codexRefreshNeedsScope: true });
    assert.equal((await fake.control('GET', '/_config')).codex_refresh_needs_scope, true);
    await fake.reset();
    assert.equal((await fake.control('GET', '/_config')).codex_refresh_needs_scope, false);
  });
});

describe('a dead refresh token, in the codes the Codex CLI reads', () => {
  test('a used refresh token is 401 refresh_token_reused', async () => {
    const tokens = await fake.codexLogin();
    assert.equal((await refresh(tokens.refresh_token, { scope: SCOPE })).status, 200);
    const { status, body } = await answer(await refresh(tokens.refresh_token, { scope: SCOPE }));
    assert.equal(status, 401);
    assert.equal(body.error.code, 'refresh_token_reused');
    assert.equal(body.error.message, REFRESH_TOKEN_REUSED_MESSAGE);
  });

  test('a revoked login (reject_refresh) is 401 refresh_token_invalidated', async () => {
    const tokens = await fake.codexLogin();
    await fake.codexConfigure({ reject_refresh: true });
    const { status, body } = await answer(await refresh(tokens.refresh_token, { scope: SCOPE }));
    assert.equal(status, 401);
    assert.equal(body.error.code, 'refresh_token_invalidated');
  });

  test('a refresh token never issued is 400 invalid_grant (not a dead-token code)', async () => {
    const { status, body } = await answer(await refresh('rt_never_issued', { scope: SCOPE }));
    assert.equal(status, 400);
    assert.equal(body.error, 'invalid_grant');
  });
});

test('the Codex request headers are recorded as sent', async () => {
  const tokens = await fake.codexLogin({ accountId: 'acct-h' });
  const res = await fetch(fake.codexEndpoint, {
    method: 'POST',
    headers: { authorization: `Bearer ${tokens.access_token}`, 'chatgpt-account-id': 'acct-h',
               originator: 'codex_cli_rs', 'openai-beta': 'responses=experimental',
               accept: 'text/event-stream', 'content-type': 'application/json',
               'user-agent': 'claudegpt/0.1.0 (Debian 12; x86_64) xterm',
               session_id: 's-1', 'session-id': 's-1', 'thread-id': 's-1',
               'x-client-request-id': 's-1' },
    body: JSON.stringify({ model: 'gpt-5.5', instructions: 'Be brief.', store: false,
                           stream: true, prompt_cache_key: 's-1',
                           input: [{ role: 'user', content: 'hi' }] }) });
  assert.equal(res.status, 200, await res.clone().text());
  await res.text();
  const [record] = await fake.requests({ route: 'codex' });
  for (const [name, value] of Object.entries({
    'user-agent': 'claudegpt/0.1.0 (Debian 12; x86_64) xterm', session_id: 's-1',
    'session-id': 's-1', 'thread-id': 's-1', 'x-client-request-id': 's-1' })) {
    assert.equal(record.headers[name], value, name);
  }
});
