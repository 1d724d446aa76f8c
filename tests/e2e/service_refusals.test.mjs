// The real Claude Code through claudegpt against a fake that refuses an optional field as a
// real service does (fake_upstream/service_switches.mjs cites each source): the proxy drops
// the field or steps it down, retries once before the client sees anything, and remembers the
// refusal for the model, so that later requests leave it out from the start.

import { test, describe, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';

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

let fake;
let dirs;

before(async () => { if (!SKIP) fake = await startFakeUpstream(); });
after(async () => { await fake?.close(); });
beforeEach(async () => {
  if (SKIP) return;
  await fake.reset();
  dirs = makeSessionDirs('claudegpt-refusals-');
});
afterEach(() => {
  if (dirs) removeSessionDirs(dirs);
  dirs = null;
});

const summaryOf = (request) => request.body.reasoning?.summary;
const effortOf = (request) => request.body.reasoning?.effort;

async function withProxy(env, body) {
  const proxy = await startProxy({ upstream: fake, env });
  try {
    return await body(proxy);
  } finally {
    await proxy.stop();
  }
}

// What the traces of `proxy` list as left out on a retry (written off the request's thread:
// waited for briefly).
async function degradationsTraced(proxy) {
  for (let waited = 0; ; waited += 50) {
    const found = [];
    for (const file of fs.existsSync(proxy.tracesDir)
      ? fs.readdirSync(proxy.tracesDir, { recursive: true }) : []) {
      // (files being written are hidden, then renamed into place whole)
      if (!String(file).endsWith('.json') || path.basename(String(file)).startsWith('.')) continue;
      const trace = JSON.parse(fs.readFileSync(path.join(proxy.tracesDir, String(file)), 'utf8'));
      found.push(...(trace.degradations ?? []));
    }
    if (found.length > 0 || waited >= 2000) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const explain = (run, requests, proxy) => `\nresult: ${run.stdout.slice(0, 600)}\nrequests: ${
  JSON.stringify(requests.map((r) => [r.status, r.body?.model, r.body?.reasoning]))}\nlog:\n${
  proxy.stderr.slice(-2000)}`;

describe('an optional field the upstream refuses', { skip: SKIP }, () => {
  // real-services-2026.md §1: OpenAI refuses reasoning.summary for unverified organisations.
  test('an unverified organisation: the first turn succeeds, later requests send no summary',
       async () => {
    await fake.configure({ unverified_org: true });
    const file = path.join(dirs.work, 'hello.txt');
    await fake.script({ name: 'write', args: { path: file, content: 'hi from gpt' } },
                      { name: 'text', args: { text: 'I wrote hello.txt.' } },
                      { name: 'text', args: { text: 'Second session answered.' } });
    await withProxy({}, async (proxy) => {
      const run = await runClaude({ proxyURL: proxy.url, prompt: 'Create hello.txt.', dirs });
      let requests = (await fake.requests()).filter((r) => r.route === 'openai');
      const why = explain(run, requests, proxy);
      assert.equal(run.code, 0, why);
      assert.equal(run.json?.result, 'I wrote hello.txt.', why);
      assert.equal(fs.readFileSync(file, 'utf8'), 'hi from gpt');
      // Refused once, then the same request without the summary, then the tool loop's next
      // request without it from the start.
      assert.deepEqual(requests.map((r) => [r.status, summaryOf(r) ?? null]),
                       [[400, 'auto'], [200, null], [200, null]], why);
      assert.equal(requests[0].refused_by, 'unverified_org', why);
      assert.match(proxy.stderr, /the upstream refuses reasoning\.summary for gpt-5\.5: left out from now on/);
      assert.deepEqual(await degradationsTraced(proxy),
                       ['retried without reasoning.summary: the upstream refused it']);

      // A new session on the same proxy starts without it.
      await fake.reset();
      await fake.configure({ unverified_org: true });
      await fake.script({ name: 'text', args: { text: 'Second session answered.' } });
      const again = await runClaude({ proxyURL: proxy.url, prompt: 'hello again', dirs });
      requests = (await fake.requests()).filter((r) => r.route === 'openai');
      assert.equal(again.json?.result, 'Second session answered.', explain(again, requests, proxy));
      assert.ok(requests.every((r) => r.status === 200 && summaryOf(r) === undefined),
                explain(again, requests, proxy));
    });
  });

  test('a refusal is kept across runs, listed by doctor, and forgotten on request', async () => {
    const state = path.join(dirs.root, 'state');
    const env = { XDG_STATE_HOME: state };
    await fake.configure({ unverified_org: true });
    await fake.script({ name: 'text', args: { text: 'first run' } });
    await withProxy(env, (proxy) => runClaude({ proxyURL: proxy.url, prompt: 'hi', dirs }));
    const kept = JSON.parse(fs.readFileSync(path.join(state, 'claudegpt', 'refusals.json'), 'utf8'));
    assert.deepEqual(kept.refusals.map((r) => [r.provider, r.model, r.param]),
                     [['openai', 'gpt-5.5', 'reasoning.summary']]);
    assert.equal(fs.statSync(path.join(state, 'claudegpt', 'refusals.json')).mode & 0o777, 0o600);

    // A later run leaves it out from its first request: no failed request to pay.
    await fake.reset();
    await fake.configure({ unverified_org: true });
    await fake.script({ name: 'text', args: { text: 'second run' } });
    await withProxy(env, async (proxy) => {
      const run = await runClaude({ proxyURL: proxy.url, prompt: 'hi', dirs });
      const requests = (await fake.requests()).filter((r) => r.route === 'openai');
      assert.equal(run.json?.result, 'second run', explain(run, requests, proxy));
      assert.deepEqual(requests.map((r) => [r.status, summaryOf(r) ?? null]), [[200, null]]);
    });

    // (claude itself is not what this checks: /bin/true stands in for it.)
    const doctorEnv = { PATH: process.env.PATH, XDG_STATE_HOME: state, HOME: dirs.home,
                        CLAUDEGPT_PROVIDER: 'openai', OPENAI_BASE_URL: fake.baseURL,
                        OPENAI_API_KEY: 'test-key', CLAUDEGPT_CLAUDE_BIN: '/bin/true' };
    // Asynchronously: the fake answers doctor's request from this process.
    const run = (args) => promisify(execFile)(PROXY_BIN, args, { env: doctorEnv })
      .catch((failed) => failed);  // doctor exits 1 when a check fails; its output is what counts
    const doctor = await run(['doctor']);
    assert.match(doctor.stdout, /warn left out for openai gpt-5\.5: the upstream refused reasoning\.summary/,
                 doctor.stdout);
    const reset = await run(['doctor', '--reset-capabilities']);
    assert.equal(reset.code ?? 0, 0, reset.stderr);
    assert.match(reset.stdout, /^Forgot 1 refused option /);
    assert.equal(fs.existsSync(path.join(state, 'claudegpt', 'refusals.json')), false);
  });

  // §8: gpt-5-mini has no effort "xhigh" (kaitranntt/ccs #344, microsoft/vscode #301045): a
  // model the proxy knows, so not even one request is refused.
  test('a known model gets an effort it has from the first request', async () => {
    await fake.configure({ model_capabilities: true });
    await fake.script({ name: 'text', args: { text: 'Answered at high effort.' } });
    await withProxy({ CLAUDEGPT_OPENAI_OPUS: 'gpt-5-mini', CLAUDEGPT_EFFORT: 'xhigh' }, async (proxy) => {
      const run = await runClaude({ proxyURL: proxy.url, prompt: 'think hard', dirs });
      const requests = (await fake.requests()).filter((r) => r.route === 'openai' && r.body?.model === 'gpt-5-mini');
      const why = explain(run, requests, proxy);
      assert.equal(run.json?.result, 'Answered at high effort.', why);
      assert.deepEqual(requests.map((r) => [r.status, effortOf(r)]), [[200, 'high']], why);
    });
  });

  // A model the proxy does not know that lacks xhigh (as gpt-5-mini does): stepped down after
  // one refusal.
  test('an effort an unknown model lacks steps down to the nearest one it has', async () => {
    await fake.configure({ model_capabilities: { 'gpt-5.4-mini': { efforts: ['low', 'medium', 'high'] } } });
    await fake.script({ name: 'text', args: { text: 'Answered at high effort.' } });
    await withProxy({ CLAUDEGPT_OPENAI_OPUS: 'gpt-5.4-mini', CLAUDEGPT_EFFORT: 'xhigh' }, async (proxy) => {
      const run = await runClaude({ proxyURL: proxy.url, prompt: 'think hard', dirs });
      const requests = (await fake.requests()).filter((r) => r.route === 'openai' && r.body?.model === 'gpt-5.4-mini');
      const why = explain(run, requests, proxy);
      assert.equal(run.json?.result, 'Answered at high effort.', why);
      assert.deepEqual(requests.map((r) => [r.status, effortOf(r)]), [[400, 'xhigh'], [200, 'high']], why);
    });
  });

  // §3: after a key change the upstream refuses the reasoning it issued before
  // (invalid_encrypted_content, openai/codex #8132), which Claude Code sends back every turn.
  test('a key rotation mid-session: the session goes on, paying one refused request', async () => {
    const reasoningIn = (r) => (r.body?.input ?? []).filter((item) => item.type === 'reasoning').length;
    const first = path.join(dirs.work, 'one.txt');
    const second = path.join(dirs.work, 'two.txt');
    await fake.script({ name: 'reasoning_tool', args: { name: 'Write', file_path: first, content: 'one' } },
                      { name: 'reasoning', args: { text: 'Wrote one.txt.' } });
    await withProxy({}, async (proxy) => {
      const run = await runClaude({ proxyURL: proxy.url, prompt: 'Write one.txt.', dirs });
      let requests = (await fake.requests()).filter((r) => r.route === 'openai');
      assert.equal(run.json?.result, 'Wrote one.txt.', explain(run, requests, proxy));
      assert.equal(reasoningIn(requests.at(-1)), 1, 'the tool loop sends its reasoning back');

      // The key changes; the same session continues.
      await fake.reset();
      await fake.configure({ reasoning_key: 'rotated' });
      await fake.script({ name: 'reasoning_tool', args: { name: 'Write', file_path: second, content: 'two' } },
                        { name: 'reasoning', args: { text: 'Wrote two.txt.' } });
      const next = await runClaude({ proxyURL: proxy.url, prompt: 'Now write two.txt.', dirs,
                                     args: ['--continue'] });
      requests = (await fake.requests()).filter((r) => r.route === 'openai');
      const why = explain(next, requests, proxy);
      assert.equal(next.code, 0, why);
      assert.equal(next.json?.result, 'Wrote two.txt.', why);
      assert.equal(fs.readFileSync(second, 'utf8'), 'two');
      // Refused once with the old reasoning, answered without it; the tool loop's next request
      // carries only the reasoning issued under the new key.
      assert.deepEqual(requests.map((r) => [r.status, reasoningIn(r)]), [[400, 2], [200, 0], [200, 1]], why);
      assert.equal(requests[0].refused_by, 'reasoning_key', why);
      assert.match(proxy.stderr, /could not verify the reasoning sent back \(invalid_encrypted_content\)/);
      // The turn's trace says what was left out to get its answer.
      assert.deepEqual(await degradationsTraced(proxy),
                       ['retried without the reasoning sent back: the upstream could not verify it']);
    });
  });
});
