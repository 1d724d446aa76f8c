// `claudegpt [claude args…]`: the launcher runs the real Claude Code CLI on its own
// in-process proxy (ephemeral port, per-run token), with the strict fake OpenAI upstream
// behind it. Same CLI and fake as claude_code.test.mjs, but nothing started by hand: the
// test runs `claudegpt -p …` where a user would run `claude -p …`.
//
// Needs the claudegpt binary (CLAUDEGPT_BIN) and the CLI (CLAUDEGPT_CLAUDE_BIN, or
// tests/node_modules/.bin/claude), which the launcher finds through CLAUDEGPT_CLAUDE_BIN.

import { test, describe, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { startFakeUpstream } from '../lib/fake_upstream.mjs';
import { proxyBinary } from '../lib/paths.mjs';
import { claudeBinary, makeSessionDirs, removeSessionDirs, runClaude } from './claude_cli.mjs';

const BIN = proxyBinary();
const CLAUDE_BIN = claudeBinary();
const SKIP = !BIN ? 'no claudegpt binary (set CLAUDEGPT_BIN)'
           : !CLAUDE_BIN ? 'no Claude Code CLI (npm install in tests/, or CLAUDEGPT_CLAUDE_BIN)'
           : false;
if (SKIP && process.env.CLAUDEGPT_REQUIRE_CLIENTS) throw new Error(SKIP);

let fake;
let dirs;

before(async () => {
  if (SKIP) return;
  fake = await startFakeUpstream();
});
after(async () => { await fake?.close(); });
beforeEach(async () => {
  if (SKIP) return;
  await fake.reset();
  dirs = makeSessionDirs('claudegpt-launcher-');
});
afterEach(() => {
  if (dirs) removeSessionDirs(dirs);
  dirs = null;
});

// `claudegpt -p <prompt> --output-format json --dangerously-skip-permissions [args]` in a
// throwaway home. The launcher must replace the address and credentials the environment
// carries: they point nowhere and are wrong on purpose.
async function launch(prompt, { args = [], answers }) {
  await fake.script(...answers);
  const run = await runClaude({
    bin: BIN, proxyURL: 'http://127.0.0.1:9', prompt, dirs, args,
    env: {
      ANTHROPIC_API_KEY: 'sk-ant-not-this-one',
      CLAUDEGPT_CLAUDE_BIN: CLAUDE_BIN,
      CLAUDEGPT_PROVIDER: 'openai',
      OPENAI_BASE_URL: fake.baseURL,
      OPENAI_API_KEY: 'test-key',
      CLAUDEGPT_CLIENT_CONTEXT: '0',
    },
  });
  const requests = await fake.requests();
  const explain = () => `\n--- exit ${JSON.stringify({ code: run.code, signal: run.signal })}` +
    `\n--- stdout:\n${run.stdout.slice(-4000)}\n--- stderr:\n${run.stderr.slice(-4000)}` +
    `\n--- upstream: ${JSON.stringify(requests.map((r) => ({ path: r.path, status: r.status,
                                                              error: r.error })))}`;
  return { run, requests, explain };
}

describe('claudegpt runs Claude Code on its own proxy', { skip: SKIP }, () => {
  test('a Write round trip creates the file and the exit code is 0', async () => {
    const file = path.join(dirs.work, 'hello.txt');
    const final = 'I wrote hello.txt for you.';
    const { run, requests, explain } = await launch('Create hello.txt saying hi from gpt.', {
      answers: [{ name: 'write', args: { path: file, content: 'hi from gpt' } },
                { name: 'text', args: { text: final } }],
    });
    assert.equal(run.code, 0, explain());
    assert.equal(run.json?.result, final, explain());
    assert.equal(fs.readFileSync(file, 'utf8'), 'hi from gpt');
    assert.equal(requests.length, 2, explain());
    for (const r of requests) assert.equal(r.error, undefined, explain());
  });

  test('--effort high reaches the upstream as reasoning.effort "high" on every request and tier',
       async () => {
    for (const model of ['opus', 'sonnet', 'haiku']) {
      await fake.reset();
      const { run, requests, explain } = await launch('Say done.', {
        args: ['--effort', 'high', '--model', model],
        answers: [{ name: 'text', args: { text: 'done' } }],
      });
      assert.equal(run.code, 0, explain());
      assert.ok(requests.length >= 1, explain());
      for (const r of requests) assert.equal(r.body?.reasoning?.effort, 'high', `${model}${explain()}`);
    }
  });

  test('a missing Claude Code is one line saying how to install it', async () => {
    const run = await runClaude({
      bin: BIN, proxyURL: 'http://127.0.0.1:9', prompt: 'hi', dirs,
      env: { CLAUDEGPT_CLAUDE_BIN: '', PATH: dirs.root, OPENAI_API_KEY: 'test-key',
             OPENAI_BASE_URL: fake.baseURL },
    });
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /npm install -g @anthropic-ai\/claude-code/);
  });
});

// What the launcher hands its child: a stand-in for claude that reports what it can do with
// the proxy and what it was given.
describe('the per-run proxy', { skip: SKIP }, () => {
  test('refuses a request without the run\'s token, serves it with, and keeps the upstream key out', async () => {
    const probe = path.join(dirs.work, 'probe.mjs');
    fs.writeFileSync(probe, `#!${process.execPath}
const base = process.env.ANTHROPIC_BASE_URL;
const body = JSON.stringify({ model: 'claude-sonnet-5-5', messages: [{ role: 'user', content: 'hi' }] });
const post = (headers) => fetch(base + '/v1/messages/count_tokens', { method: 'POST', body,
  headers: { 'content-type': 'application/json', ...headers } }).then((r) => r.status);
const without = await post({});
const wrong = await post({ 'x-api-key': 'guess' });
const withToken = await post({ authorization: 'Bearer ' + process.env.ANTHROPIC_AUTH_TOKEN });
console.log(JSON.stringify({ without, wrong, withToken, base,
  upstreamKeySeen: 'OPENAI_API_KEY' in process.env, anthropicKeySeen: 'ANTHROPIC_API_KEY' in process.env }));
`, { mode: 0o755 });
    const run = await runClaude({
      bin: BIN, proxyURL: 'http://127.0.0.1:9', prompt: 'unused', dirs,
      env: { CLAUDEGPT_CLAUDE_BIN: probe, CLAUDEGPT_PROVIDER: 'openai', OPENAI_BASE_URL: fake.baseURL,
             OPENAI_API_KEY: 'test-key', ANTHROPIC_API_KEY: 'sk-ant-not-this-one' },
    });
    assert.equal(run.code, 0, run.stderr);
    const seen = JSON.parse(run.stdout.trim().split('\n').at(-1));
    assert.equal(seen.without, 401);
    assert.equal(seen.wrong, 401);
    assert.equal(seen.withToken, 200);
    assert.match(seen.base, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(seen.upstreamKeySeen, false, 'the upstream key stays with the proxy');
    assert.equal(seen.anthropicKeySeen, false);
  });
});

describe('Claude Code\'s own config dir', { skip: SKIP }, () => {
  test('is isolated by default, private, and carries the global CLAUDE.md', async () => {
    fs.mkdirSync(path.join(dirs.home, '.claude'), { recursive: true });
    fs.writeFileSync(path.join(dirs.home, '.claude', 'CLAUDE.md'), 'Always answer in haiku.');
    const probe = path.join(dirs.work, 'probe.mjs');
    fs.writeFileSync(probe, `#!${process.execPath}
import fs from 'node:fs';
const dir = process.env.CLAUDE_CONFIG_DIR;
console.log(JSON.stringify({ dir, mode: (fs.statSync(dir).mode & 0o777).toString(8),
  claudeMd: fs.readFileSync(dir + '/CLAUDE.md', 'utf8'), model: process.env.ANTHROPIC_MODEL,
  defaultModel: process.env.ANTHROPIC_DEFAULT_MODEL, resume: process.env.CLAUDE_CODE_RESUME_HINT_COMMAND,
  window: process.env.CLAUDE_CODE_AUTO_COMPACT_WINDOW }));
`, { mode: 0o755 });
    const run = await runClaude({
      bin: BIN, proxyURL: 'http://127.0.0.1:9', prompt: 'unused', dirs,
      env: { CLAUDEGPT_CLAUDE_BIN: probe, OPENAI_API_KEY: 'test-key', CLAUDE_CONFIG_DIR: undefined },
    });
    assert.equal(run.code, 0, run.stderr);
    const seen = JSON.parse(run.stdout.trim().split('\n').at(-1));
    assert.equal(seen.dir, path.join(dirs.home, '.config', 'claudegpt', 'claude'));
    assert.equal(seen.mode, '700');
    assert.equal(fs.statSync(path.join(dirs.home, '.config', 'claudegpt')).mode & 0o777, 0o700);
    assert.equal(seen.claudeMd, 'Always answer in haiku.');
    // A default, not ANTHROPIC_MODEL (which would override every /model choice).
    assert.equal(seen.model, undefined);
    assert.equal(seen.defaultModel, 'claude-opus-gpt-5.5');
    // Claude Code's exit hint names the command that finds the isolated session.
    assert.equal(seen.resume, BIN);
    assert.equal(seen.window, '400000');
  });
});
