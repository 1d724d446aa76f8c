// Each backend through the proxy, against the fake upstream that serves all three strictly
// (tests/fake_upstream/backends.mjs): the URL and query the proxy calls, the headers and
// credentials it sends, what each body must and must not contain, the model or deployment
// per tier, prompt_cache_key, and how each backend's errors reach the client.
//
// Needs the proxy binary: CLAUDEGPT_BIN (CTest sets it) or build/release/claudegpt.
// Run: node --test tests/providers/backends.test.mjs

import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { startFakeUpstream } from '../lib/fake_upstream.mjs';
import { makeCodexHome, writeCodexAuth } from '../lib/codex_auth.mjs';
import {
  SKIP, SESSION_ID, METADATA_SESSION_ID, READ_TOOL, messagesBody, postMessages, streamedText,
  expectError, startProviderProxy, withProxy,
} from './support.mjs';

let fake;
before(async () => { if (!SKIP) fake = await startFakeUpstream(); });
after(async () => { await fake?.close(); });
beforeEach(async () => { await fake?.reset(); });

const TIERS = { opus: 'claude-opus-5-5', sonnet: 'claude-sonnet-5-5', haiku: 'claude-haiku-5-5' };

// One text turn for `model`; returns the upstream record (asserting the fake accepted it).
async function turn(proxy, { model = TIERS.sonnet, marker = 'text text=ok', extra = {},
                             headers = {} } = {}) {
  await fake.reset();
  const res = await postMessages(proxy, messagesBody(marker, { model, ...extra }), { headers });
  const text = await streamedText(res);
  assert.equal(text, 'ok');
  const records = await fake.requests();
  assert.equal(records.length, 1, `one upstream request: ${JSON.stringify(records.map((r) =>
    [r.path, r.status, r.error]))}`);
  return records[0];
}

// The prompt_cache_key contract, same for every provider: the X-Claude-Code-Session-Id
// header; without it, the session_id inside metadata.user_id.
async function checkPromptCacheKey(proxy) {
  let record = await turn(proxy);
  assert.equal(record.body.prompt_cache_key, SESSION_ID, 'from X-Claude-Code-Session-Id');
  record = await turn(proxy, { headers: { 'x-claude-code-session-id': undefined } });
  assert.equal(record.body.prompt_cache_key, METADATA_SESSION_ID, 'from metadata.user_id');
}

describe('OpenAI', { skip: SKIP }, () => {
  let proxy;
  before(async () => {
    proxy = await startProviderProxy(fake, 'openai', { OPENAI_BASE_URL: fake.baseURL,
                                                      OPENAI_API_KEY: 'sk-test-openai' });
  });
  after(async () => { await proxy?.stop(); });

  test('POST {OPENAI_BASE_URL}/responses with the key as a bearer token', async () => {
    const record = await turn(proxy);
    assert.equal(record.route, 'openai');
    assert.equal(record.path, '/v1/responses');
    assert.equal(record.headers.authorization, 'Bearer sk-test-openai');
    assert.equal(record.headers['api-key'], undefined);
    assert.equal(record.headers['chatgpt-account-id'], undefined);
  });

  test('the body has max_output_tokens, store:false, stream:true and the tier model',
       async () => {
    const record = await turn(proxy);
    // The client's 32000 plus room to reason at medium: 25000 + a quarter of it.
    assert.equal(record.body.max_output_tokens, 32000 + 25000 + 8000);
    assert.equal(record.body.store, false);
    assert.equal(record.body.stream, true);
    for (const [tier, model] of [['opus', 'gpt-5.5'], ['sonnet', 'gpt-5.4-mini'],
                                 ['haiku', 'gpt-5.4-mini']]) {
      assert.equal((await turn(proxy, { model: TIERS[tier] })).body.model, model, tier);
    }
  });

  test('prompt_cache_key is the session id (header, else metadata.user_id)', async () => {
    await checkPromptCacheKey(proxy);
  });

  test('per-tier model overrides: CLAUDEGPT_OPENAI_OPUS|SONNET|HAIKU', async () => {
    await withProxy(fake, 'openai', {
      OPENAI_BASE_URL: fake.baseURL, CLAUDEGPT_OPENAI_OPUS: 'gpt-5.5-o',
      CLAUDEGPT_OPENAI_SONNET: 'gpt-5.4-s', CLAUDEGPT_OPENAI_HAIKU: 'gpt-5.4-h',
    }, async (custom) => {
      for (const [tier, model] of [['opus', 'gpt-5.5-o'], ['sonnet', 'gpt-5.4-s'],
                                   ['haiku', 'gpt-5.4-h']]) {
        assert.equal((await turn(custom, { model: TIERS[tier] })).body.model, model, tier);
      }
    });
  });

  test('an upstream 400 for a valid request is a 502 api_error naming the reason', async () => {
    const res = await postMessages(proxy, messagesBody(
      'http_error status=400 message="Unsupported value: something upstream"'));
    const json = await expectError(res, 502, 'api_error');
    assert.match(json.error.message, /Unsupported value: something upstream/);
  });

  test('an upstream 429 is a 429 rate_limit_error keeping retry-after', async () => {
    const res = await postMessages(proxy, messagesBody('rate_limit retry_after=9'));
    assert.equal(res.headers.get('retry-after'), '9');
    await expectError(res, 429, 'rate_limit_error');
    assert.equal((await fake.requests()).length, 1, 'a 429 is not retried by the proxy');
  });
});

describe('Azure OpenAI', { skip: SKIP }, () => {
  let proxy;   // defaults: v1 route, api-version=preview, api-key, default deployments
  before(async () => {
    proxy = await startProviderProxy(fake, 'azure', {
      AZURE_OPENAI_ENDPOINT: `${fake.azureEndpoint}/`, AZURE_OPENAI_API_KEY: 'az-test-key' });
  });
  after(async () => { await proxy?.stop(); });

  test('POST {endpoint}/openai/v1/responses?api-version=preview with the api-key header',
       async () => {
    const record = await turn(proxy);
    assert.equal(record.route, 'azure_v1');
    assert.equal(record.path, '/openai/v1/responses?api-version=preview');
    assert.equal(record.headers['api-key'], 'az-test-key');
    assert.equal(record.headers.authorization, undefined, 'no bearer token besides the key');
  });

  test('the body names the tier\'s deployment and asks for 24h prompt caching', async () => {
    for (const [tier, deployment] of [['opus', 'gpt-5-5'], ['sonnet', 'gpt-54-mini'],
                                      ['haiku', 'gpt-54-nano']]) {
      const record = await turn(proxy, { model: TIERS[tier] });
      assert.equal(record.body.model, deployment, tier);
      assert.equal(record.body.prompt_cache_retention, '24h');
      assert.equal(record.body.store, false);
      assert.equal(record.body.stream, true);
    }
  });

  test('prompt_cache_key is the session id (header, else metadata.user_id)', async () => {
    await checkPromptCacheKey(proxy);
  });

  test('GET /health names the provider', async () => {
    const res = await fetch(`${proxy.url}/health`);
    assert.equal((await res.json()).provider, 'azure');
  });

  test('deployments per tier come from AZURE_OPENAI_CHAT_DEPLOYMENT{_FULL,,_NANO}', async () => {
    await withProxy(fake, 'azure', {
      AZURE_OPENAI_ENDPOINT: fake.azureEndpoint, AZURE_OPENAI_API_KEY: 'k',
      AZURE_OPENAI_CHAT_DEPLOYMENT_FULL: 'dep-full', AZURE_OPENAI_CHAT_DEPLOYMENT: 'dep-chat',
      AZURE_OPENAI_CHAT_DEPLOYMENT_NANO: 'dep-nano',
    }, async (custom) => {
      for (const [tier, deployment] of [['opus', 'dep-full'], ['sonnet', 'dep-chat'],
                                        ['haiku', 'dep-nano']]) {
        assert.equal((await turn(custom, { model: TIERS[tier] })).body.model, deployment, tier);
      }
    });
  });

  test('CLAUDEGPT_TOOLS_DEPLOYMENT takes the turns that carry tools', async () => {
    await withProxy(fake, 'azure', {
      AZURE_OPENAI_ENDPOINT: fake.azureEndpoint, AZURE_OPENAI_API_KEY: 'k',
      CLAUDEGPT_TOOLS_DEPLOYMENT: 'dep-tools',
    }, async (custom) => {
      assert.equal((await turn(custom, { extra: { tools: [READ_TOOL] } })).body.model,
                   'dep-tools');
      assert.equal((await turn(custom)).body.model, 'gpt-54-mini', 'no tools: the tier\'s');
    });
  });

  test('AZURE_OPENAI_RESPONSES_API_VERSION sets the query; set but empty, there is none',
       async () => {
    for (const [version, expected] of [['latest', '?api-version=latest'], ['', '']]) {
      await withProxy(fake, 'azure', {
        AZURE_OPENAI_ENDPOINT: fake.azureEndpoint, AZURE_OPENAI_API_KEY: 'k',
        AZURE_OPENAI_RESPONSES_API_VERSION: version,
      }, async (custom) => {
        const record = await turn(custom);
        assert.equal(record.path, `/openai/v1/responses${expected}`, `version '${version}'`);
      });
    }
  });

  test('AZURE_OPENAI_API_VERSION selects the dated route', async () => {
    await withProxy(fake, 'azure', {
      AZURE_OPENAI_ENDPOINT: fake.azureEndpoint, AZURE_OPENAI_API_KEY: 'k',
      AZURE_OPENAI_API_VERSION: '2025-04-01-preview',
    }, async (custom) => {
      const record = await turn(custom);
      assert.equal(record.route, 'azure_dated');
      assert.equal(record.path, '/openai/responses?api-version=2025-04-01-preview');
      assert.equal(record.body.model, 'gpt-54-mini');
    });
  });

  test('AZURE_OPENAI_AD_TOKEN is sent as a bearer token instead of api-key', async () => {
    await withProxy(fake, 'azure', {
      AZURE_OPENAI_ENDPOINT: fake.azureEndpoint, AZURE_OPENAI_AD_TOKEN: 'entra-token',
    }, async (custom) => {
      const record = await turn(custom);
      assert.equal(record.headers.authorization, 'Bearer entra-token');
      assert.equal(record.headers['api-key'], undefined);
    });
  });

  test('an upstream 400 for a valid request is a 502 api_error naming the reason', async () => {
    const res = await postMessages(proxy, messagesBody(
      'http_error status=400 message="The deployment rejected this."'));
    const json = await expectError(res, 502, 'api_error');
    assert.match(json.error.message, /The deployment rejected this\./);
  });

  test('an Azure 429 is a 429 rate_limit_error keeping retry-after', async () => {
    const res = await postMessages(proxy, messagesBody('rate_limit retry_after=35'));
    assert.equal(res.headers.get('retry-after'), '35');
    await expectError(res, 429, 'rate_limit_error');
  });
});

describe('Codex (ChatGPT subscription)', { skip: SKIP }, () => {
  let home;
  let tokens;
  const codexEnv = (extra = {}) => ({
    CLAUDEGPT_CODEX_AUTH: home.authFile, CLAUDEGPT_CODEX_BASE_URL: fake.codexBaseURL,
    CLAUDEGPT_CODEX_TOKEN_URL: fake.tokenURL, ...extra });

  // The fake forgets its tokens on reset: each test signs in again, rewrites auth.json and
  // starts its own proxy (so no token of an earlier test is cached; the refresh paths are
  // codex_auth.test.mjs's).
  before(() => { if (!SKIP) home = makeCodexHome(); });
  after(() => { home?.remove(); });
  beforeEach(async () => {
    if (SKIP) return;
    tokens = await fake.codexLogin({ accountId: 'acct-codex-1' });
    writeCodexAuth(home.authFile, tokens);
  });

  const withCodexProxy = (env, fn) => withProxy(fake, 'codex', codexEnv(env), fn);
  const freshTurn = (options = {}, env = {}) =>
    withCodexProxy(env, (fresh) => turn(fresh, options));

  test('POST {CLAUDEGPT_CODEX_BASE_URL}/responses with the Codex headers', async () => {
    const record = await freshTurn();
    assert.equal(record.route, 'codex');
    assert.equal(record.path, '/backend-api/codex/responses');
    const h = record.headers;
    assert.equal(h.authorization, `Bearer ${tokens.access_token}`);
    assert.equal(h['chatgpt-account-id'], 'acct-codex-1');
    assert.ok(h.originator, 'an originator header');
    assert.equal(h.session_id, SESSION_ID);
    assert.equal(h['openai-beta'], 'responses=experimental');
    assert.match(h.accept, /text\/event-stream/);
  });

  test('the body keeps to the Codex rules', async () => {
    const record = await freshTurn();
    const body = record.body;
    assert.equal(body.store, false);
    assert.equal(body.stream, true);
    assert.equal(typeof body.instructions, 'string');
    assert.ok(body.instructions.trim().length > 0);
    for (const key of ['max_output_tokens', 'temperature', 'prompt_cache_retention']) {
      assert.equal(key in body, false, `no ${key}`);
    }
  });

  test('without a system prompt, instructions are still non-empty', async () => {
    const record = await freshTurn({ extra: { system: undefined } });
    assert.ok(record.body.instructions.trim().length > 0);
  });

  test('models per tier, and CLAUDEGPT_CODEX_OPUS|SONNET|HAIKU', async () => {
    await withCodexProxy({}, async (fresh) => {
      for (const [tier, model] of [['opus', 'gpt-5.5'], ['sonnet', 'gpt-5.4-mini'],
                                   ['haiku', 'gpt-5.4-mini']]) {
        assert.equal((await turn(fresh, { model: TIERS[tier] })).body.model, model, tier);
      }
    });
    await withCodexProxy({
      CLAUDEGPT_CODEX_OPUS: 'gpt-5.5-codex', CLAUDEGPT_CODEX_SONNET: 'gpt-5.4-codex-s',
      CLAUDEGPT_CODEX_HAIKU: 'gpt-5.4-codex-h',
    }, async (custom) => {
      for (const [tier, model] of [['opus', 'gpt-5.5-codex'], ['sonnet', 'gpt-5.4-codex-s'],
                                   ['haiku', 'gpt-5.4-codex-h']]) {
        assert.equal((await turn(custom, { model: TIERS[tier] })).body.model, model, tier);
      }
    });
  });

  test('prompt_cache_key is the session id (header, else metadata.user_id)', async () => {
    await withCodexProxy({}, checkPromptCacheKey);
  });

  test('a non-streaming client request is still streamed from Codex', async () => {
    await withCodexProxy({}, async (fresh) => {
      const res = await postMessages(fresh, messagesBody('text text=whole', { stream: false }));
      assert.equal(res.status, 200, await res.clone().text());
      const message = await res.json();
      assert.equal(message.type, 'message');
      assert.equal(message.content[0].text, 'whole');
      assert.equal((await fake.lastRequest({ route: 'codex' })).body.stream, true);
    });
  });

  test('CLAUDEGPT_CODEX_ENDPOINT is the full URL', async () => {
    const record = await freshTurn({}, { CLAUDEGPT_CODEX_BASE_URL: undefined,
                                         CLAUDEGPT_CODEX_ENDPOINT: fake.codexEndpoint });
    assert.equal(record.path, '/backend-api/codex/responses');
  });

  test('auth.json is found in $CODEX_HOME, else in ~/.codex', async () => {
    let record = await freshTurn({}, { CLAUDEGPT_CODEX_AUTH: undefined, CODEX_HOME: home.dir });
    assert.equal(record.headers.authorization, `Bearer ${tokens.access_token}`);
    const userHome = makeCodexHome();
    try {
      fs.mkdirSync(path.join(userHome.dir, '.codex'));
      const other = await fake.codexLogin({ accountId: 'acct-home' });
      writeCodexAuth(path.join(userHome.dir, '.codex', 'auth.json'), other);
      record = await freshTurn({}, { CLAUDEGPT_CODEX_AUTH: undefined, CODEX_HOME: undefined,
                                     HOME: userHome.dir });
      assert.equal(record.headers.authorization, `Bearer ${other.access_token}`);
      assert.equal(record.headers['chatgpt-account-id'], 'acct-home');
    } finally {
      userHome.remove();
    }
  });

  test('without tokens.account_id the account comes from the access token\'s claim',
       async () => {
    const { account_id: _, ...withoutAccount } = tokens;
    writeCodexAuth(home.authFile, withoutAccount);
    const record = await freshTurn();
    assert.equal(record.headers['chatgpt-account-id'], 'acct-codex-1');
  });

  test('GET /health names the provider', async () => {
    await withCodexProxy({}, async (proxy) => {
      const res = await fetch(`${proxy.url}/health`);
      assert.equal((await res.json()).provider, 'codex');
    });
  });

  test('Codex\'s {"detail": "Unsupported parameter: …"} is a 502 api_error naming it',
       async () => {
    await withCodexProxy({}, async (proxy) => {
      const res = await postMessages(proxy, messagesBody(
        'http_error status=400 message="Unsupported parameter: foo"'));
      const json = await expectError(res, 502, 'api_error');
      assert.match(json.error.message, /Unsupported parameter: foo/);
    });
  });

  test('Codex\'s usage limit (429) is a 429 rate_limit_error keeping retry-after', async () => {
    await withCodexProxy({}, async (proxy) => {
      const res = await postMessages(proxy, messagesBody('rate_limit retry_after=42'));
      assert.equal(res.headers.get('retry-after'), '42');
      await expectError(res, 429, 'rate_limit_error');
    });
  });
});
