// The fake's `cache_writes` switch (cache_writes.mjs): usage as GPT-5.6 reports it, cache writes
// in input_tokens_details.cache_write_tokens, part of input_tokens like the cached reads.
// Run: node --test tests/fake_upstream/cache_writes.test.mjs

import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';

import { startFakeUpstream } from '../lib/fake_upstream.mjs';
import { cacheWriteTokens, withCacheWrites } from './cache_writes.mjs';

let fake;
before(async () => { fake = await startFakeUpstream(); });
after(async () => { await fake.close(); });
beforeEach(async () => { await fake.reset(); });

// A prompt of about `tokens` tokens (the fake counts ~4 characters of body a token).
const prompt = (tokens, tail = '') => `${'word '.repeat(Math.ceil(tokens * 4 / 5))}${tail}`;

function body(text, key = 'sess-1') {
  return { model: 'gpt-5.6-sol', prompt_cache_key: key,
           input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text }] }] };
}

async function usageOf(text, key) {
  const res = await fetch(`${fake.baseURL}/responses`, {
    method: 'POST', headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
    body: JSON.stringify(body(text, key)),
  });
  assert.equal(res.status, 200);
  return (await res.json()).usage;
}

describe('cache_writes', () => {
  test('is off by default: usage has cached_tokens only, as before GPT-5.6', async () => {
    assert.equal((await fake.configure({})).cache_writes, false);
    const usage = await usageOf(prompt(2000));
    assert.deepEqual(Object.keys(usage.input_tokens_details), ['cached_tokens']);
  });

  test('on: the first request of a prompt_cache_key writes its input, later ones read and ' +
       'write the rest', async () => {
    assert.equal((await fake.configure({ cache_writes: true })).cache_writes, true);
    const first = await usageOf(prompt(2000, 'first question'));
    assert.ok(first.input_tokens >= 2000, JSON.stringify(first));
    assert.deepEqual(first.input_tokens_details,
                     { cached_tokens: 0, cache_write_tokens: first.input_tokens });
    const second = await usageOf(prompt(2000, 'first question, and a second one'));
    const { cached_tokens: read, cache_write_tokens: written } = second.input_tokens_details;
    assert.ok(read >= 1024 && read % 128 === 0, `read the shared prefix: ${read}`);
    assert.ok(written > 0, 'wrote what it did not read');
    // Both are parts of input_tokens: what is neither read nor written is what remains.
    assert.equal(read + written, second.input_tokens);
    // Another key has a cache of its own: it writes everything again.
    const other = await usageOf(prompt(2000, 'first question'), 'sess-2');
    assert.equal(other.input_tokens_details.cache_write_tokens, other.input_tokens);
    // The record shows the same usage.
    const records = await fake.requests();
    assert.deepEqual(records.map((r) => r.usage.input_tokens_details.cache_write_tokens),
                     [first.input_tokens, written, other.input_tokens]);
  });

  test('on: a prompt under the 1,024-token minimum writes nothing (the field says 0)',
       async () => {
    await fake.configure({ cache_writes: true });
    const usage = await usageOf('hello');
    assert.deepEqual(usage.input_tokens_details, { cached_tokens: 0, cache_write_tokens: 0 });
  });

  test('a scenario\'s cache_write_tokens is reported as given, switch or not', async () => {
    await fake.script({ name: 'text', args: { text: 'ok', input_tokens: '3438',
                                              cached_tokens: '3423', cache_write_tokens: '12' } });
    const usage = await usageOf('hello');
    assert.equal(usage.input_tokens, 3438);
    assert.deepEqual(usage.input_tokens_details, { cached_tokens: 3423, cache_write_tokens: 12 });
  });

  test('on the Codex route too, in the streamed response.completed', async () => {
    await fake.configure({ cache_writes: true });
    const tokens = await fake.codexLogin();
    const res = await fetch(fake.codexEndpoint, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.access_token}`,
                 'chatgpt-account-id': tokens.account_id, 'content-type': 'application/json' },
      body: JSON.stringify({ ...body(prompt(1500)), instructions: 'Be brief.', store: false,
                             stream: true }),
    });
    assert.equal(res.status, 200);
    const text = await res.text();
    const completed = JSON.parse(text.split('\n').filter((l) => l.startsWith('data: '))
      .map((l) => l.slice(6)).find((l) => l.includes('"response.completed"')));
    const { usage } = completed.response;
    assert.equal(usage.input_tokens_details.cache_write_tokens, usage.input_tokens);
  });

  test('POST /_reset turns it off; a value that is not a boolean is refused', async () => {
    await fake.configure({ cache_writes: true });
    await fake.reset();
    assert.equal((await fake.configure({})).cache_writes, false);
    await assert.rejects(fake.configure({ cache_writes: 'yes' }), /cache_writes/);
  });
});

describe('the arithmetic', () => {
  test('writes are what the input holds beyond the cached reads, from 1,024 tokens on', () => {
    assert.equal(cacheWriteTokens({ input: 3438, cached: 0 }), 3438);
    assert.equal(cacheWriteTokens({ input: 3438, cached: 3328 }), 110);
    assert.equal(cacheWriteTokens({ input: 1023, cached: 0 }), 0);
  });

  test('a written figure is cut to the uncached input', () => {
    const usage = { input_tokens: 100, input_tokens_details: { cached_tokens: 60 },
                    output_tokens: 1 };
    assert.deepEqual(withCacheWrites(usage, 500).input_tokens_details,
                     { cached_tokens: 60, cache_write_tokens: 40 });
  });
});
