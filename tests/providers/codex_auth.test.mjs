// The Codex provider keeping a ChatGPT login alive, against the fake's sign-in authority
// (tests/fake_upstream/codex_tokens.mjs): refresh before expiry, once for many concurrent
// requests; auth.json rewritten safely; a 401 answered by re-reading auth.json before
// refreshing; a dead login reported as a 401 that says to run `codex login`.
//
// Refresh tokens rotate (a used one is dead for good), so a second refresh of the same login
// fails: "exactly one refresh" is what keeps a user logged in.
//
// Needs the proxy binary: CLAUDEGPT_BIN (CTest sets it) or build/release/claudegpt.
// Run: node --test tests/providers/codex_auth.test.mjs

import { test, describe, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { startFakeUpstream } from '../lib/fake_upstream.mjs';
import { makeCodexHome, writeCodexAuth, readCodexAuth, fileMode, jwtClaims }
  from '../lib/codex_auth.mjs';
import { SKIP, messagesBody, postMessages, streamedText, expectError, startProviderProxy }
  from './support.mjs';

const ACCOUNT = 'acct-refresh-1';
const CONCURRENT = 10;

let fake;
let home;
let proxy;
before(async () => { if (!SKIP) fake = await startFakeUpstream(); });
after(async () => { await fake?.close(); });
beforeEach(async () => {
  if (SKIP) return;
  await fake.reset();
  home = makeCodexHome();
});
afterEach(async () => {
  await proxy?.stop();
  proxy = null;
  home?.remove();
});

// auth.json as the Codex CLI leaves it, with fields the proxy must keep as they are.
function writeLogin(tokens) {
  return writeCodexAuth(home.authFile, tokens, {
    OPENAI_API_KEY: 'sk-kept-as-is', custom: { note: 'not claudegpt\'s', n: 1 } });
}

async function startCodexProxy(env = {}) {
  proxy = await startProviderProxy(fake, 'codex', {
    CLAUDEGPT_CODEX_AUTH: home.authFile, CLAUDEGPT_CODEX_BASE_URL: fake.codexBaseURL,
    CLAUDEGPT_CODEX_TOKEN_URL: fake.tokenURL, ...env });
  return proxy;
}

const codexRequests = () => fake.requests({ route: 'codex' });
const refreshCalls = async () => (await fake.codexStatus()).refresh_calls;
const bearer = (record) => record.headers.authorization?.replace(/^Bearer /, '');

async function okTurns(n, text = 'ok') {
  const texts = await Promise.all(Array.from({ length: n }, () =>
    postMessages(proxy, messagesBody(`text text=${text}`)).then(streamedText)));
  assert.deepEqual(texts, Array(n).fill(text));
}

// auth.json after a refresh: the new token set from the authority, everything else kept.
function checkRewritten(before, usedAccessToken) {
  const after = readCodexAuth(home.authFile);
  assert.equal(fileMode(home.authFile), 0o600, 'auth.json stays private (0600)');
  assert.equal(after.tokens.access_token, usedAccessToken, 'the token in use is saved');
  assert.notEqual(after.tokens.access_token, before.tokens.access_token);
  assert.notEqual(after.tokens.refresh_token, before.tokens.refresh_token,
                  'the rotated refresh token is saved (the old one is dead)');
  assert.notEqual(after.tokens.id_token, before.tokens.id_token);
  assert.equal(after.tokens.account_id, ACCOUNT);
  assert.equal(after.OPENAI_API_KEY, before.OPENAI_API_KEY);
  assert.deepEqual(after.custom, before.custom);
  assert.ok(Date.parse(after.last_refresh) >= Date.parse(before.last_refresh),
            `last_refresh ${after.last_refresh}`);
  const leftovers = fs.readdirSync(home.dir).filter((f) => f !== 'auth.json');
  assert.deepEqual(leftovers, [], 'no temp files left beside auth.json');
  return after;
}

describe('refreshing before the access token expires', { skip: SKIP }, () => {
  for (const [label, ttlSeconds] of [['has expired', -60], ['expires within 5 minutes', 120]]) {
    test(`a token that ${label} is refreshed once for ${CONCURRENT} concurrent requests`,
         async () => {
      const stale = await fake.codexLogin({ accountId: ACCOUNT, ttlSeconds });
      const before = writeLogin(stale);
      await fake.codexConfigure({ refresh_delay_ms: 300 });  // the requests overlap it
      await startCodexProxy();
      await okTurns(CONCURRENT);
      assert.equal(await refreshCalls(), 1, 'exactly one refresh');
      const [refresh] = await fake.requests({ route: 'oauth_token' });
      assert.deepEqual(refresh.body, { client_id: 'app_EMoamEEZ73f0CkXaXp7hrann',
                                       grant_type: 'refresh_token',
                                       refresh_token: stale.refresh_token,
                                       scope: 'openid profile email' });
      const used = new Set((await codexRequests()).map(bearer));
      assert.equal(used.size, 1, 'every request used the same, new token');
      assert.equal(used.has(stale.access_token), false, 'the stale token was never sent');
      const after = checkRewritten(before, [...used][0]);
      assert.ok(jwtClaims(after.tokens.access_token).exp > Date.now() / 1000 + 600);
    });
  }

  test('a token far from expiry is used as it is, without a refresh', async () => {
    const fresh = await fake.codexLogin({ accountId: ACCOUNT, ttlSeconds: 3600 });
    const before = writeLogin(fresh);
    await startCodexProxy();
    await okTurns(3);
    assert.equal(await refreshCalls(), 0);
    assert.deepEqual(readCodexAuth(home.authFile), before, 'auth.json untouched');
  });
});

describe('a 401 from Codex', { skip: SKIP }, () => {
  test('on a token that looks fresh: re-read auth.json, then refresh once, then retry',
       async () => {
    const tokens = await fake.codexLogin({ accountId: ACCOUNT, ttlSeconds: 3600 });
    const before = writeLogin(tokens);
    await startCodexProxy();
    await okTurns(1);
    await fake.codexExpire(tokens.access_token);   // revoked early: the JWT still looks fresh
    await fake.codexConfigure({ refresh_delay_ms: 300 });
    await okTurns(CONCURRENT, 'again');
    assert.equal(await refreshCalls(), 1, 'exactly one refresh');
    const records = await codexRequests();
    const rejected = records.filter((r) => r.status === 401);
    assert.ok(rejected.length >= 1, 'Codex refused the revoked token');
    assert.ok(rejected.every((r) => bearer(r) === tokens.access_token));
    const retried = records.filter((r) => r.status === 200).slice(1);
    assert.equal(retried.length, CONCURRENT);
    const used = new Set(retried.map(bearer));
    assert.equal(used.size, 1);
    checkRewritten(before, [...used][0]);
  });

  test('when auth.json already holds a newer login, that one is used: no refresh',
       async () => {
    const first = await fake.codexLogin({ accountId: ACCOUNT, ttlSeconds: 3600 });
    writeLogin(first);
    await startCodexProxy();
    await okTurns(1);
    // The Codex CLI refreshed meanwhile: new tokens on disk, the old access token dead.
    const second = await fake.codexLogin({ accountId: ACCOUNT, ttlSeconds: 3600 });
    const written = writeLogin(second);
    await fake.codexExpire(first.access_token);
    await okTurns(1, 'second');
    assert.equal(await refreshCalls(), 0, 'the login on disk was fresh: nothing refreshed');
    assert.equal(bearer((await codexRequests()).at(-1)), second.access_token);
    assert.deepEqual(readCodexAuth(home.authFile), written, 'auth.json left as the CLI wrote it');
  });

  test('when the refresh then fails: a 401 that says to run codex login', async () => {
    const tokens = await fake.codexLogin({ accountId: ACCOUNT, ttlSeconds: 3600 });
    writeLogin(tokens);
    await startCodexProxy();
    await okTurns(1);
    await fake.codexExpire(tokens.access_token);
    await fake.codexConfigure({ reject_refresh: true });
    const json = await expectError(await postMessages(proxy, messagesBody('text')), 401,
                                   'authentication_error');
    assert.match(json.error.message, /codex login/);
    assert.equal(await refreshCalls(), 1, 'one attempt, no loop');
  });
});

describe('a login that cannot be refreshed', { skip: SKIP }, () => {
  test('a dead refresh token is a 401 authentication_error that says to run codex login',
       async () => {
    const stale = await fake.codexLogin({ accountId: ACCOUNT, ttlSeconds: -60 });
    const before = writeLogin(stale);
    // Someone else used the refresh token: it is dead now.
    const used = await fetch(fake.tokenURL, { method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: 'app_EMoamEEZ73f0CkXaXp7hrann',
                             grant_type: 'refresh_token', refresh_token: stale.refresh_token }) });
    assert.equal(used.status, 200);
    await used.text();
    await startCodexProxy();
    const json = await expectError(await postMessages(proxy, messagesBody('text')), 401,
                                   'authentication_error');
    assert.match(json.error.message, /codex login/);
    assert.equal(await refreshCalls(), 2, 'the proxy tried once');
    assert.deepEqual(readCodexAuth(home.authFile), before, 'a failed refresh writes nothing');
    assert.equal((await codexRequests()).filter((r) => bearer(r) === stale.access_token &&
                                                       r.status === 200).length, 0);
  });

  test('concurrent requests on a dead login all get the 401, after a single attempt',
       async () => {
    const stale = await fake.codexLogin({ accountId: ACCOUNT, ttlSeconds: -60 });
    writeLogin(stale);
    await fake.codexConfigure({ reject_refresh: true, refresh_delay_ms: 200 });
    await startCodexProxy();
    const answers = await Promise.all(Array.from({ length: CONCURRENT }, async () =>
      expectError(await postMessages(proxy, messagesBody('text')), 401, 'authentication_error')));
    for (const json of answers) assert.match(json.error.message, /codex login/);
    assert.equal(await refreshCalls(), 1);
  });

  test('after `codex login` writes new tokens, the running proxy picks them up', async () => {
    const stale = await fake.codexLogin({ accountId: ACCOUNT, ttlSeconds: -60 });
    writeLogin(stale);
    await fake.codexConfigure({ reject_refresh: true });
    await startCodexProxy();
    await expectError(await postMessages(proxy, messagesBody('text')), 401,
                      'authentication_error');
    const relogged = await fake.codexLogin({ accountId: ACCOUNT, ttlSeconds: 3600 });
    writeLogin(relogged);
    await okTurns(1);
    assert.equal(bearer((await codexRequests()).at(-1)), relogged.access_token);
  });

  test('no auth.json at all is a 401 that says to run codex login', async () => {
    await startCodexProxy({ CLAUDEGPT_CODEX_AUTH: path.join(home.dir, 'missing', 'auth.json') });
    const json = await expectError(await postMessages(proxy, messagesBody('text')), 401,
                                   'authentication_error');
    assert.match(json.error.message, /codex login/);
    assert.equal((await codexRequests()).length, 0, 'nothing was sent to Codex');
  });
});
