// The fake's reasoning_key switch (reasoning_keys.mjs): reasoning it issued is accepted back
// until the key changes, then refused as the real services refused it.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';

import { startFakeUpstream } from '../lib/fake_upstream.mjs';

let fake;
before(async () => { fake = await startFakeUpstream(); });
after(async () => { await fake.close(); });
beforeEach(async () => { await fake.reset(); });

function post(input) {
  return fetch(`${fake.url}/v1/responses`, {
    method: 'POST',
    headers: { authorization: 'Bearer test-key', 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'gpt-5.5', instructions: 'Be brief.', input,
      reasoning: { effort: 'medium' }, include: ['reasoning.encrypted_content'],
      store: false, stream: true,
    }),
  });
}

const ask = (text) => ({ type: 'message', role: 'user', content: [{ type: 'input_text', text }] });

// The reasoning item a streamed answer ended with.
async function reasoningOf(res) {
  assert.equal(res.status, 200);
  const events = (await res.text()).split('\n').filter((l) => l.startsWith('data: '))
    .map((l) => JSON.parse(l.slice(6)));
  const { id, ...item } = events.find((e) => e.type === 'response.output_item.done' &&
                                             e.item.type === 'reasoning').item;
  return item;  // sent back without its id, as with store:false (the id would be looked up)
}

test('reasoning goes back until the key is rotated, then is refused as the service does', async () => {
  const first = await reasoningOf(await post([ask('[[scenario:reasoning]] think')]));
  const replay = [ask('[[scenario:reasoning]] think'), first, ask('[[scenario:text]] and now?')];
  assert.equal((await post(replay)).status, 200);

  assert.equal((await fake.configure({ reasoning_key: 'rotated' })).reasoning_key, 'rotated');
  const refused = await post(replay);
  assert.equal(refused.status, 400);
  const body = await refused.json();
  const enc = first.encrypted_content;
  assert.deepEqual(body, { error: {
    message: `The encrypted content ${enc.slice(0, 4)}...${enc.slice(-4)} could not be verified.`,
    type: 'invalid_request_error', param: null, code: 'invalid_encrypted_content' } });
  assert.equal((await fake.lastRequest()).refused_by, 'reasoning_key');

  // Without the old reasoning, and with reasoning issued under the new key, all is well.
  const fresh = await reasoningOf(await post([ask('[[scenario:reasoning]] think')]));
  assert.equal((await post([ask('[[scenario:reasoning]] think'), fresh,
                            ask('[[scenario:text]] and now?')])).status, 200);
});

test('the Codex route refuses it in the same OpenAI shape', async () => {
  const first = await reasoningOf(await post([ask('[[scenario:reasoning]] think')]));
  await fake.configure({ reasoning_key: true });
  const tokens = await fake.codexLogin();
  const res = await fetch(`${fake.url}/backend-api/codex/responses`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tokens.access_token}`, 'chatgpt-account-id': tokens.account_id,
               'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-5.5', instructions: 'Be brief.', store: false, stream: true,
                           input: [ask('[[scenario:text]] hi'), first] }),
  });
  const body = await res.json();
  assert.equal(res.status, 400, JSON.stringify(body));
  assert.equal(body.error.code, 'invalid_encrypted_content');
});

test('a reset restores the original key', async () => {
  await fake.configure({ reasoning_key: 'rotated' });
  await fake.reset();
  assert.equal((await fake.configure({})).reasoning_key, 'original');
});
