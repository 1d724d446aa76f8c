// Claude Code's own safety classifier on GPT (issue 16 §3): its requests are not streamed,
// carry no tools, disable thinking and ask for 64 (stage 1) or 8192 (stage 2) tokens, and
// expect exactly <severity>N</severity> with stop_reason end_turn. On GPT-5.x reasoning
// tokens count against max_output_tokens, so the proxy asks for the lowest effort and leaves
// room to reason above max_tokens; the fake upstream applies that budget rule.
// Also `max_tokens: 0` (a review without a generation), refused before the upstream.
//
// Needs the proxy binary: CLAUDEGPT_BIN (CTest sets it) or build/release/claudegpt.

import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';

import { startFakeUpstream } from '../lib/fake_upstream.mjs';
import { startProxy } from '../lib/proxy.mjs';
import { proxyBinary, readFixture } from '../lib/paths.mjs';

const BIN = proxyBinary();
const HEADERS = { 'content-type': 'application/json', 'x-api-key': 'dummy',
                  'anthropic-version': '2023-06-01' };
// The headroom the proxy gives each effort (request_translator.cc): none 1024, high
// 32768 + max_tokens / 2.
const NONE_ROOM = 1024;
const highRoom = (maxTokens) => 32768 + Math.floor(maxTokens / 2);

let fake;
let proxy;        // default settings
let forcedHigh;   // CLAUDEGPT_EFFORT=high

before(async () => {
  if (!BIN) return;
  fake = await startFakeUpstream();
  proxy = await startProxy({ upstream: fake, env: { CLAUDEGPT_UPSTREAM_RETRIES: '0' } });
  forcedHigh = await startProxy({ upstream: fake, env: { CLAUDEGPT_UPSTREAM_RETRIES: '0',
                                                         CLAUDEGPT_EFFORT: 'high' } });
});
after(async () => {
  await proxy?.stop();
  await forcedHigh?.stop();
  await fake?.close();
});
beforeEach(async () => { await fake?.reset(); });

async function postMessages(target, payload) {
  const res = await fetch(`${target.url}/v1/messages`, {
    method: 'POST', headers: HEADERS, body: JSON.stringify(payload) });
  return { status: res.status, json: await res.json() };
}

// A request shaped like the classifier's (cc2.1.332-auto-mode-classifier-stage1.json) with a
// prompt of our own, so that the queued scenario answers it.
function classifierShaped(maxTokens) {
  return {
    model: 'claude-sonnet-5', max_tokens: maxTokens, thinking: { type: 'disabled' },
    system: [{ type: 'text', text: 'Grade the harm of the last action. Respond with ' +
                                   '<severity>N</severity> ONLY.' }],
    messages: [{ role: 'user', content: [{ type: 'text', text:
      '<transcript>\n{"Bash":"ls -la"}\n</transcript>\nRespond with <severity>N</severity>.' }] }],
  };
}

describe('Claude Code\'s classifier requests', { skip: !BIN && 'no claudegpt binary' }, () => {
  test('stage 1 reaches the upstream at the lowest effort with room to reason, and ends end_turn',
       async () => {
    // The fake reasons 5,000 tokens when the effort lets it: with a 64-token budget that would
    // end incomplete with no text.
    await fake.script('reasoning reasoning_tokens=5000 text="<severity>10</severity>"');
    const { status, json } = await postMessages(proxy, classifierShaped(64));
    assert.equal(status, 200, JSON.stringify(json));
    const upstream = await fake.lastRequest();
    assert.equal(upstream.body.reasoning.effort, 'none');
    assert.equal(upstream.body.max_output_tokens, 64 + NONE_ROOM);
    assert.equal(upstream.body.tools, undefined);
    assert.equal(json.type, 'message');
    assert.equal(json.stop_reason, 'end_turn');
    assert.deepEqual(json.content, [{ type: 'text', text: '<severity>10</severity>' }]);
    assert.deepEqual(json.usage.output_tokens_details, { thinking_tokens: 0 });
  });

  test('the recorded stage 1 and stage 2 requests go upstream the same way', async () => {
    for (const [stage, maxTokens] of [['stage1', 64], ['stage2', 8192]]) {
      const recorded = JSON.parse(readFixture('claude-code-requests',
                                              `cc2.1.332-auto-mode-classifier-${stage}.json`));
      assert.equal(recorded.max_tokens, maxTokens);
      await fake.script('text text="<severity>10</severity>"');
      const { status, json } = await postMessages(proxy, recorded);
      assert.equal(status, 200, `${stage}: ${JSON.stringify(json)}`);
      const upstream = await fake.lastRequest();
      assert.equal(upstream.body.reasoning.effort, 'none', stage);
      assert.equal(upstream.body.max_output_tokens, maxTokens + NONE_ROOM, stage);
      assert.equal(json.stop_reason, 'end_turn', stage);
      assert.match(json.content.map((b) => b.text).join(''), /^<severity>\d+<\/severity>$/, stage);
    }
  });

  test('a forced effort wins over disabled thinking, and its reasoning leaves the answer whole',
       async () => {
    await fake.script('reasoning reasoning_tokens=5000 text="<severity>10</severity>"');
    const { status, json } = await postMessages(forcedHigh, classifierShaped(64));
    assert.equal(status, 200, JSON.stringify(json));
    const upstream = await fake.lastRequest();
    assert.equal(upstream.body.reasoning.effort, 'high');
    assert.equal(upstream.body.max_output_tokens, 64 + highRoom(64));
    assert.equal(json.stop_reason, 'end_turn');
    assert.equal(json.content.filter((b) => b.type === 'text').map((b) => b.text).join(''),
                 '<severity>10</severity>');
    // The thinking tokens Claude Code shows: the upstream's reasoning tokens.
    assert.deepEqual(json.usage.output_tokens_details, { thinking_tokens: 5000 });
  });
});

describe('max_tokens: 0', { skip: !BIN && 'no claudegpt binary' }, () => {
  test('is refused as a review this server does not serve, and nothing is generated', async () => {
    const { status, json } = await postMessages(proxy, { ...classifierShaped(0) });
    assert.equal(status, 400);
    assert.equal(json.type, 'error');
    assert.equal(json.error.type, 'invalid_request_error');
    assert.match(json.error.message, /Unexpected value\(s\) `subagent-review-2026-11-17`/);
    assert.deepEqual(await fake.requests(), []);
  });
});

describe('visible text past max_tokens', { skip: !BIN && 'no claudegpt binary' }, () => {
  test('is cut at the client\'s max_tokens with stop_reason max_tokens, though the upstream had room', async () => {
    const long = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen';
    await fake.script(`text text="${long}"`);
    const { status, json } = await postMessages(proxy, { ...classifierShaped(5) });
    assert.equal(status, 200, JSON.stringify(json));
    assert.equal(json.stop_reason, 'max_tokens');
    const text = json.content.map((b) => b.text).join('');
    assert.ok(text.length > 0 && long.startsWith(text) && text.length < long.length, text);
    const [upstream] = await fake.requests();
    assert.equal(upstream.body.max_output_tokens, 16 + NONE_ROOM);  // (16: the Responses API's floor)
  });

  test('is not cut where the upstream had no room above it: its own limit is the client\'s', async () => {
    const long = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen';
    await fake.script(`text text="${long}"`);
    // 128,000: gpt-5.4-mini's whole output limit, as Claude Code's main loop asks.
    const { json } = await postMessages(proxy, { ...classifierShaped(128_000), thinking: undefined });
    assert.equal((await fake.lastRequest()).body.max_output_tokens, 128_000);
    assert.equal(json.stop_reason, 'end_turn');
    assert.equal(json.content.map((b) => b.text).join(''), long);
  });
});
