// `claudegpt [claude args…]`: the launcher runs the real Claude Code CLI on its own
// in-process proxy (ephemeral port, per-run token), with the strict fake OpenAI upstream
// behind it. Same CLI and fake as claude_code.test.mjs, but nothing started by hand: the
// test runs `claudegpt -p …` where a user would run `claude -p …`.
//
// Needs the claudegpt binary (CLAUDEGPT_BIN) and the CLI (CLAUDEGPT_CLAUDE_BIN, or
// tests/node_modules/.bin/claude), which the launcher finds through CLAUDEGPT_CLAUDE_BIN.

import { test, describe, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
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
    // Claude Code's exit hint can name only a command on PATH (the launcher says the path
    // itself after the session when claudegpt is not there).
    assert.equal(seen.resume, undefined);
    assert.equal(seen.window, '400000');

    // With claudegpt on PATH, Claude Code's own exit hint names it.
    const bin = path.join(dirs.root, 'bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.symlinkSync(BIN, path.join(bin, 'claudegpt'));
    const onPath = await runClaude({
      bin: BIN, proxyURL: 'http://127.0.0.1:9', prompt: 'unused', dirs,
      env: { CLAUDEGPT_CLAUDE_BIN: probe, OPENAI_API_KEY: 'test-key', CLAUDE_CONFIG_DIR: undefined,
             PATH: `${bin}:${process.env.PATH}` },
    });
    assert.equal(JSON.parse(onPath.stdout.trim().split('\n').at(-1)).resume, 'claudegpt', onPath.stderr);
  });
});

// `claudegpt ARGS…` exactly as given (no -p added), in the session's home and folder, with a
// configured backend (the fake), so that only the launcher itself can stop it. Resolves with
// {code, stdout, stderr}.
function runLauncher(args, env = {}) {
  const child = spawn(BIN, args, {
    cwd: dirs.work,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: Object.fromEntries(Object.entries({
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      LANG: 'C.UTF-8',
      HOME: dirs.home,
      TMPDIR: dirs.tmp,
      IS_SANDBOX: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      CLAUDEGPT_PROVIDER: 'openai',
      OPENAI_BASE_URL: fake?.baseURL ?? 'http://127.0.0.1:9/v1',
      OPENAI_API_KEY: 'test-key',
      CLAUDEGPT_CLIENT_CONTEXT: '0',
      ...env,
    }).filter(([, v]) => v !== undefined)),
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => { stdout += chunk; });
  child.stderr.setEncoding('utf8').on('data', (chunk) => { stderr += chunk; });
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

// A stand-in for claude that records the arguments it was started with.
function argvProbe() {
  const probe = path.join(dirs.root, 'claude-probe.mjs');
  const record = path.join(dirs.root, 'claude-ran.json');
  fs.writeFileSync(probe, `#!${process.execPath}
import fs from 'node:fs';
fs.writeFileSync(${JSON.stringify(record)}, JSON.stringify(process.argv.slice(2)));
`, { mode: 0o755 });
  return { probe, ran: () => (fs.existsSync(record) ? JSON.parse(fs.readFileSync(record, 'utf8')) : null) };
}

// Issue 14: `claudegpt usgae` was a prompt, answered (and billed) by GPT.
describe('a bare word that looks like a command', { skip: SKIP }, () => {
  test('is refused with what was meant: exit 2, no Claude Code, no upstream request', async () => {
    const { probe, ran } = argvProbe();
    const run = await runLauncher(['usgae'], { CLAUDEGPT_CLAUDE_BIN: probe });
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.stderr,
                 'claudegpt: `usgae` is not a command; did you mean `claudegpt usage`?\n' +
                 'To send it to the model as a prompt: claudegpt -- usgae\n');
    assert.equal(run.stdout, '');
    assert.equal(ran(), null, 'Claude Code was not started');
    assert.equal((await fake.requests()).length, 0);
  });

  test('names what to do for the commands claudegpt does not have', async () => {
    const { probe, ran } = argvProbe();
    const expected = {
      completion: /no shell completion; `claudegpt --help` lists its commands/,
      uninstall: /scripts\/install --uninstall/,
      install: /To install claudegpt: scripts\/install in its checkout/,
      login: /`codex login`, then `claudegpt setup`/,
      version: /did you mean `claudegpt --version`\?/,
    };
    for (const [word, advice] of Object.entries(expected)) {
      const run = await runLauncher([word], { CLAUDEGPT_CLAUDE_BIN: probe });
      assert.equal(run.code, 2, `${word}: ${run.stderr}`);
      assert.match(run.stderr, new RegExp(`^claudegpt: \`${word}\` is not a command`));
      assert.match(run.stderr, advice);
      assert.match(run.stderr, /To send it to the model as a prompt: claudegpt (--|-p) /);
    }
    assert.equal(ran(), null, 'Claude Code was not started');
    assert.equal((await fake.requests()).length, 0);
  });

  test('goes to Claude Code after `--`, and so do prompts with a space and its own subcommands',
       async () => {
    for (const args of [['--', 'usgae'], ['usage report'], ['mcp'], ['-p', 'usgae']]) {
      const { probe, ran } = argvProbe();
      const run = await runLauncher(args, { CLAUDEGPT_CLAUDE_BIN: probe });
      assert.equal(run.code, 0, `${JSON.stringify(args)}: ${run.stderr}`);
      assert.deepEqual(ran(), args);
    }
  });

  test('after `--` is the prompt the real Claude Code sends upstream', async () => {
    await fake.script({ name: 'text', args: { text: 'a typo of usage' } });
    const run = await runLauncher(
      ['-p', '--output-format', 'json', '--dangerously-skip-permissions', '--', 'usgae'],
      { CLAUDEGPT_CLAUDE_BIN: CLAUDE_BIN, CLAUDE_CONFIG_DIR: dirs.config });
    const requests = await fake.requests();
    assert.equal(run.code, 0, run.stderr);
    assert.equal(JSON.parse(run.stdout).result, 'a typo of usage');
    assert.equal(requests.length, 1);
    const userTexts = requests[0].body.input.filter((item) => item.role === 'user')
      .flatMap((item) => (Array.isArray(item.content) ? item.content : [{ text: item.content }]))
      .map((part) => part.text);
    assert.equal(userTexts.at(-1), 'usgae');
  });
});

describe('claudegpt --help', { skip: !BIN && 'no claudegpt binary (set CLAUDEGPT_BIN)' }, () => {
  let own;
  beforeEach(() => { own = dirs ?? makeSessionDirs('claudegpt-help-'); });
  afterEach(() => { if (own !== dirs) removeSessionDirs(own); });

  const help = (args, env = {}) => new Promise((resolve, reject) => {
    const child = spawn(BIN, args, {
      cwd: own.work, stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: own.home, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => { stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk) => { stderr += chunk; });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });

  test('is one short page: one usage line, the launcher\'s flag, the commands, the files, the variables',
       async () => {
    const run = await help(['--help']);
    assert.equal(run.code, 0, run.stderr);
    const page = run.stdout;
    assert.equal(page.match(/Usage/g).length, 1, page);
    assert.ok(!page.includes(BIN) && !page.includes('build/'), `no build path:\n${page}`);
    assert.ok(page.split('\n').length <= 40, `${page.split('\n').length} lines:\n${page}`);
    assert.match(page, /^Usage: claudegpt \[--effort LEVEL\] \[claude args…\]/m);
    assert.match(page, /--effort LEVEL .*\n.*none\|minimal\|low\|medium\|high\|xhigh\|max/);
    for (const command of ['setup', 'config', 'doctor', 'serve', 'usage', 'traces', 'statusline', 'help'])
      assert.match(page, new RegExp(`^  ${command} +\\S`, 'm'), command);
    assert.match(page, new RegExp(`settings +${own.home}/\\.config/claudegpt/\\.env\n`));
    assert.match(page, new RegExp(`usage ledger +${own.home}/\\.local/state/claudegpt/usage\\.sqlite3\n`));
    assert.match(page, new RegExp(`traces +${own.home}/\\.local/state/claudegpt/traces/\n`));
    assert.match(page, new RegExp(`proxy log +${own.home}/\\.local/state/claudegpt/claudegpt\\.log\n`));
    for (const variable of ['CLAUDEGPT_LOG_FILE', 'CLAUDEGPT_PROVIDER', 'OPENAI_API_KEY', 'CLAUDEGPT_CLAUDE_BIN'])
      assert.ok(page.includes(variable), variable);
    assert.match(page, /man claudegpt/);
    assert.match(page, /README/);
  });

  test('shows the paths this user\'s settings give, and `help` and -h are the same page', async () => {
    const env = { XDG_STATE_HOME: path.join(own.root, 'state'), CLAUDEGPT_LOG_FILE: path.join(own.root, 'my.log'),
                  CLAUDEGPT_CONFIG_DIR: path.join(own.root, 'conf') };
    const run = await help(['--help'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`settings +${own.root}/conf/\\.env\n`));
    assert.match(run.stdout, new RegExp(`usage ledger +${own.root}/state/claudegpt/usage\\.sqlite3\n`));
    assert.match(run.stdout, new RegExp(`traces +${own.root}/state/claudegpt/traces/\n`));
    assert.match(run.stdout, new RegExp(`proxy log +${own.root}/my\\.log\n`));
    assert.equal((await help(['help'], env)).stdout, run.stdout);
    assert.equal((await help(['-h'], env)).stdout, run.stdout);
    const usage = await help(['help', 'usage']);
    assert.equal(usage.code, 0, usage.stderr);
    assert.match(usage.stdout, /^Usage: claudegpt usage \[OPTIONS\]/m);
    assert.equal(usage.stdout.match(/Usage:/g).length, 1, usage.stdout);
  });
});
