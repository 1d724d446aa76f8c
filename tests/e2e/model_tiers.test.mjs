// Claude model names the proxy has no tier word for (issue 16 §2): the real Claude Code CLI
// asks for fable (claude-fable-5-2, the family it ranks above opus) and for a Claude name
// nobody knows, through claudegpt, with the strict fake OpenAI upstream behind it. Neither
// name may reach the upstream as it is: fable goes to the fable tier's model, any other
// claude-* name to CLAUDEGPT_UNKNOWN_CLAUDE_TIER's (sonnet unless set). A GPT model's own name
// (as /model may give) still passes through.
//
// Run: CLAUDEGPT_BIN=… node --test tests/e2e/model_tiers.test.mjs

import { test, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

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

// Each tier on a model of its own, so that the upstream's model names the tier that answered.
const FABLE_MODEL = 'gpt-5.5-pro';
const SONNET_MODEL = 'gpt-5.4-mini';
const HAIKU_MODEL = 'gpt-5.4-nano';

let fake;
let proxy;
let dirs;

before(async () => {
  if (SKIP) return;
  fake = await startFakeUpstream();
  proxy = await startProxy({
    upstream: fake,
    env: { CLAUDEGPT_OPENAI_FABLE: FABLE_MODEL, CLAUDEGPT_OPENAI_SONNET: SONNET_MODEL,
           CLAUDEGPT_OPENAI_HAIKU: HAIKU_MODEL, CLAUDEGPT_UNKNOWN_CLAUDE_TIER: undefined },
  });
});
after(async () => {
  await proxy?.stop();
  await fake?.close();
});
beforeEach(async () => {
  if (SKIP) return;
  await fake.reset();
  dirs = makeSessionDirs();
});
afterEach(() => {
  if (dirs) removeSessionDirs(dirs);
  dirs = null;
});

// `claude -p` on `model`, the fake scripted to answer `reply`: the run and what the upstream got.
async function askAs(model, reply) {
  await fake.script({ name: 'text', args: { text: reply } });
  const run = await runClaude({ proxyURL: proxy.url, prompt: 'say hi', dirs, args: ['--model', model] });
  const requests = await fake.requests();
  return { run, requests };
}

// The proxy's trace files for `clientModel` (files being written are hidden, ".…").
function tracesOf(through, clientModel) {
  if (!fs.existsSync(through.tracesDir)) return [];
  return fs.readdirSync(through.tracesDir, { recursive: true })
    .filter((name) => name.endsWith('.json') && !path.basename(name).startsWith('.'))
    .map((name) => JSON.parse(fs.readFileSync(path.join(through.tracesDir, name), 'utf8')))
    .filter((trace) => trace.client_model === clientModel);
}

function explain({ run, requests }) {
  return `\n--- claude exit ${run.code}\n--- stdout:\n${run.stdout.slice(-4000)}` +
         `\n--- stderr:\n${run.stderr.slice(-4000)}\n--- proxy:\n${proxy.stderr.slice(-4000)}` +
         `\n--- upstream models: ${JSON.stringify(requests.map((r) => r.body?.model))}`;
}

function assertAnsweredBy(session, model, reply) {
  const { run, requests } = session;
  assert.equal(run.code, 0, explain(session));
  assert.equal(run.json?.result, reply, explain(session));
  assert.ok(requests.length >= 1, explain(session));
  for (const r of requests) assert.equal(r.body.model, model, explain(session));
}

test('fable (claude-fable-5-2) reaches the upstream as the fable tier\'s model', { skip: SKIP }, async () => {
  const session = await askAs('claude-fable-5-2', 'Hello from the fable tier');
  assertAnsweredBy(session, FABLE_MODEL, 'Hello from the fable tier');
  // The turn's trace (and with it the ledger row) names the tier that answered.
  let traces = [];
  for (let i = 0; i < 50 && !traces.length; i++, await sleep(100)) traces = tracesOf(proxy, 'claude-fable-5-2');
  assert.ok(traces.length >= 1, explain(session));
  for (const trace of traces) {
    assert.equal(trace.tier, 'fable');
    assert.equal(trace.model, FABLE_MODEL);
  }
});

test('an unknown Claude name goes to the sonnet tier by default, with one log line per name',
     { skip: SKIP }, async () => {
  const session = await askAs('claude-unknown-9', 'Hello from the sonnet tier');
  assertAnsweredBy(session, SONNET_MODEL, 'Hello from the sonnet tier');
  const again = await askAs('claude-unknown-9', 'Hello again');
  assertAnsweredBy(again, SONNET_MODEL, 'Hello again');
  const said = proxy.stderr.match(/model claude-unknown-9 is a Claude model claudegpt has no tier for: the sonnet tier answers it \(gpt-5\.4-mini\)/g);
  assert.equal(said?.length, 1, proxy.stderr.slice(-4000));
});

test('CLAUDEGPT_UNKNOWN_CLAUDE_TIER chooses the tier; a GPT model\'s own name passes through',
     { skip: SKIP }, async () => {
  const haikuProxy = await startProxy({
    upstream: fake, env: { CLAUDEGPT_UNKNOWN_CLAUDE_TIER: 'haiku', CLAUDEGPT_OPENAI_HAIKU: HAIKU_MODEL },
  });
  try {
    await fake.script({ name: 'text', args: { text: 'small' } }, { name: 'text', args: { text: 'gpt' } });
    const unknown = await runClaude({ proxyURL: haikuProxy.url, prompt: 'say hi', dirs,
                                      args: ['--model', 'claude-next-1'] });
    const own = await runClaude({ proxyURL: haikuProxy.url, prompt: 'say hi', dirs, args: ['--model', 'gpt-5.5'] });
    const requests = await fake.requests();
    const models = requests.map((r) => r.body?.model);
    assert.equal(unknown.code, 0, unknown.stderr + haikuProxy.stderr.slice(-4000));
    assert.equal(own.code, 0, own.stderr + haikuProxy.stderr.slice(-4000));
    assert.deepEqual(models, [HAIKU_MODEL, 'gpt-5.5']);
    assert.ok(!models.some((m) => /^claude/i.test(m)), JSON.stringify(models));
  } finally {
    await haikuProxy.stop();
  }
});

// count_tokens scales by the window of the tier that would answer (Settings::client_context):
// fable's own, and the default tier's for an unknown Claude name; none for a GPT name.
test('count_tokens counts fable and unknown Claude names on their tiers\' windows', { skip: SKIP }, async () => {
  const counting = await startProxy({
    upstream: fake,
    env: { CLAUDEGPT_CLIENT_CONTEXT: '1000000', CLAUDEGPT_BACKEND_CONTEXT_OPUS: '250000',
           CLAUDEGPT_BACKEND_CONTEXT_FABLE: '500000', CLAUDEGPT_BACKEND_CONTEXT_SONNET: '200000',
           CLAUDEGPT_UNKNOWN_CLAUDE_TIER: undefined },
  });
  try {
    const count = async (model) => {
      const response = await fetch(`${counting.url}/v1/messages/count_tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'How many tokens is this sentence?' }] }),
      });
      assert.equal(response.status, 200, await response.clone().text());
      return (await response.json()).input_tokens;
    };
    const plain = await count('gpt-5.5');  // not Claude's: no window, no scaling
    assert.ok(plain > 0);
    assert.equal(await count('claude-opus-5-5'), plain * 4);
    assert.equal(await count('claude-fable-5-2'), plain * 2);
    assert.equal(await count('claude-mythos-5-2'), plain * 2);
    assert.equal(await count('claude-unknown-9'), plain * 5);  // the sonnet tier's 200,000
    assert.equal((await fake.requests()).length, 0, 'counting never goes upstream');
  } finally {
    await counting.stop();
  }
});
