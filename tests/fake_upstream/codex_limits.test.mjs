// The fake's Codex plan limits and Cloudflare challenge (codex_limits.mjs), against the
// shapes their sources give: the 2026 usage-limit 429 with resets_at, usage_not_included, and
// Cloudflare's 403 challenge page with cf-mitigated. Run:
// node --test tests/fake_upstream/codex_limits.test.mjs

import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';

import { startFakeUpstream } from '../lib/fake_upstream.mjs';

let fake;
before(async () => { fake = await startFakeUpstream(); });
after(async () => { await fake.close(); });
beforeEach(async () => { await fake.reset(); });

const nowSeconds = () => Math.floor(Date.now() / 1000);

function body(text) {
  return { model: 'gpt-5.5', instructions: 'You are a coding agent.',
           input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text }] }],
           store: false, stream: true };
}

async function codexPost(text = 'hi', tokens = null) {
  const t = tokens ?? await fake.codexLogin();
  return fetch(fake.codexEndpoint, {
    method: 'POST',
    headers: { authorization: `Bearer ${t.access_token}`, 'chatgpt-account-id': t.account_id,
               'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify(body(text)),
  });
}

function openaiPost(text = 'hi') {
  return fetch(`${fake.baseURL}/responses`, {
    method: 'POST', headers: { authorization: 'Bearer test-key', 'content-type': 'application/json' },
    body: JSON.stringify({ ...body(text), store: undefined }),
  });
}

describe('the Codex 429 a spent plan gets', () => {
  test('by default (a scenario\'s 429) it is the 2026 body: resets_at in unix seconds', async () => {
    const tokens = await fake.codexLogin();
    const res = await codexPost('[[scenario:rate_limit retry_after=12]]', tokens);
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('x-codex-primary-used-percent'), '100');
    const { error } = await res.json();
    assert.deepEqual(Object.keys(error).sort(), ['message', 'plan_type', 'resets_at', 'type']);
    assert.equal(error.type, 'usage_limit_reached');
    assert.ok(Math.abs(error.resets_at - (nowSeconds() + 12)) <= 2, JSON.stringify(error));
    assert.equal(res.headers.get('x-codex-primary-reset-at'), String(error.resets_at));
  });

  test('codex_usage_limit answers every Codex request so, resetting N s later', async () => {
    const shown = await fake.configure({ codex_usage_limit: 12000 });
    assert.deepEqual(shown.codex_usage_limit, { resets_in_s: 12000, plan_type: 'plus', shape: 2026 });
    for (const text of ['hi', '[[scenario:text text=never]]']) {
      const res = await codexPost(text);
      assert.equal(res.status, 429);
      const { error } = await res.json();
      assert.equal(error.type, 'usage_limit_reached');
      assert.equal(error.plan_type, 'plus');
      assert.ok(Math.abs(error.resets_at - (nowSeconds() + 12000)) <= 2);
    }
    const records = await fake.requests({ route: 'codex' });
    assert.deepEqual(records.map((r) => [r.status, r.refused_by]),
                     [[429, 'codex_usage_limit'], [429, 'codex_usage_limit']]);
    // Other backends are not a ChatGPT plan.
    assert.equal((await openaiPost()).status, 200);
  });

  test('shape 2025 sends resets_in_seconds instead, and the plan is configurable', async () => {
    await fake.configure({ codex_usage_limit: { resets_in_s: 90, plan_type: 'pro', shape: 2025 } });
    const { error } = await (await codexPost()).json();
    assert.deepEqual(error, { type: 'usage_limit_reached', message: 'The usage limit has been reached',
                              plan_type: 'pro', resets_in_seconds: 90 });
  });

  test('usage_not_included is a 429 with only its type and the plan', async () => {
    await fake.configure({ usage_not_included: true });
    const res = await codexPost();
    assert.equal(res.status, 429);
    assert.deepEqual(await res.json(), { error: { type: 'usage_not_included', plan_type: 'free' } });
    assert.equal((await fake.lastRequest()).refused_by, 'usage_not_included');
  });
});

describe('Cloudflare in front of chatgpt.com', () => {
  test('cloudflare_challenge answers 403, cf-mitigated: challenge and the HTML page', async () => {
    const shown = await fake.configure({ cloudflare_challenge: true });
    assert.deepEqual(shown.cloudflare_challenge, ['codex']);
    const res = await codexPost();
    assert.equal(res.status, 403);
    assert.equal(res.headers.get('cf-mitigated'), 'challenge');
    assert.match(res.headers.get('content-type'), /^text\/html/);
    const page = await res.text();
    assert.match(page, /<title>Just a moment\.\.\.<\/title>/);
    assert.match(page, /\/cdn-cgi\/challenge-platform\//);
    const record = await fake.lastRequest();
    assert.equal(record.refused_by, 'cloudflare_challenge');
    assert.equal(record.status, 403);
    assert.equal((await openaiPost()).status, 200);  // only the routes named
  });

  test('it stands before authentication, and can cover the token endpoint', async () => {
    await fake.configure({ cloudflare_challenge: ['codex', 'oauth_token'] });
    const unauthenticated = await fetch(fake.codexEndpoint, { method: 'POST', body: '{}' });
    assert.equal(unauthenticated.status, 403);
    const refresh = await fetch(fake.tokenURL, { method: 'POST', body: '{}' });
    assert.equal(refresh.status, 403);
    assert.equal(refresh.headers.get('cf-mitigated'), 'challenge');
  });

  test('reset turns every switch off, and bad values are refused', async () => {
    await fake.configure({ codex_usage_limit: true, usage_not_included: true, cloudflare_challenge: 'codex' });
    await fake.reset();
    const shown = await fake.control('GET', '/_config');
    assert.equal(shown.codex_usage_limit, false);
    assert.equal(shown.usage_not_included, false);
    assert.equal(shown.cloudflare_challenge, false);
    assert.equal((await codexPost('[[scenario:text text=ok]]')).status, 200);
    await assert.rejects(fake.configure({ cloudflare_challenge: 'nowhere' }), /unknown route/);
    await assert.rejects(fake.configure({ codex_usage_limit: { shape: 1999 } }), /shape/);
  });
});
