// The Claude Agent SDK (tests/package.json pins @anthropic-ai/claude-agent-sdk) through
// claudegpt: its query() drives the Claude Code CLI the SDK bundles (2.1.337 for 0.3.337, not
// the `claude` of node_modules/.bin) against `claudegpt serve`, with the strict fake OpenAI
// upstream behind it and an in-process MCP tool (createSdkMcpServer + tool()). The scripted
// "GPT" calls that tool; the test checks that the call reaches the handler in this process,
// that the handler's result goes back upstream in the next request, and that the final text
// comes out of query() with a result message.
//
// Needs the proxy binary (CLAUDEGPT_BIN, or build/release/claudegpt) and the SDK (npm ci in
// tests/). Run: CLAUDEGPT_BIN=… node --test tests/e2e/agent_sdk.test.mjs

import { test, describe, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { startFakeUpstream } from '../lib/fake_upstream.mjs';
import { startProxy } from '../lib/proxy.mjs';
import { proxyBinary, TESTS_DIR } from '../lib/paths.mjs';
import { makeSessionDirs, removeSessionDirs } from './claude_cli.mjs';

// The SDK pins the Claude Code it bundles (package.json's claudeCodeVersion: 2.1.337 for 0.3.337).
const SDK_DIR = path.join(TESTS_DIR, 'node_modules/@anthropic-ai/claude-agent-sdk');
const BUNDLED_CLAUDE_VERSION = fs.existsSync(SDK_DIR)
  ? JSON.parse(fs.readFileSync(path.join(SDK_DIR, 'package.json'), 'utf8')).claudeCodeVersion : null;

const PROXY_BIN = proxyBinary();
const SKIP = !PROXY_BIN ? 'no claudegpt binary (set CLAUDEGPT_BIN)'
           : !BUNDLED_CLAUDE_VERSION ? 'no Claude Agent SDK (npm ci in tests/)'
           : false;
// Under ctest a missing client is a failure, not a skip: a green run must mean it ran.
if (SKIP && process.env.CLAUDEGPT_REQUIRE_CLIENTS) throw new Error(SKIP);

// Imported only when installed, so that a checkout without it skips rather than crashes.
const sdk = SKIP ? null : await import('@anthropic-ai/claude-agent-sdk');
const { z } = SKIP ? {} : await import('zod');

let fake;
let proxy;
let dirs;

before(async () => {
  if (SKIP) return;
  fake = await startFakeUpstream();
  proxy = await startProxy({ upstream: fake });
});
after(async () => {
  const exit = await proxy?.stop();
  await fake?.close();
  if (exit && exit.code !== 0 && exit.signal !== 'SIGTERM') {
    assert.fail(`proxy exited badly: ${JSON.stringify(exit)}\n${proxy.stderr}`);
  }
});
beforeEach(async () => {
  if (SKIP) return;
  await fake.reset();
  dirs = makeSessionDirs('claudegpt-agent-sdk-');
});
afterEach(() => {
  if (dirs) removeSessionDirs(dirs);
  dirs = null;
});

// Runs one query() to its end: every message it yielded, and what the CLI wrote on stderr.
// The CLI's environment is built from scratch, as runClaude's is (claude_cli.mjs): nothing of
// the developer's own Claude Code state or ANTHROPIC_* variables gets in.
async function runQuery(prompt, options) {
  const messages = [];
  let stderr = '';
  const run = sdk.query({
    prompt,
    options: {
      cwd: dirs.work,
      settingSources: [],
      env: {
        PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
        LANG: 'C.UTF-8',
        ANTHROPIC_BASE_URL: proxy.url,
        ANTHROPIC_AUTH_TOKEN: 'dummy',
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        HOME: dirs.home,
        CLAUDE_CONFIG_DIR: dirs.config,
        TMPDIR: dirs.tmp,
      },
      stderr: (text) => { stderr += text; },
      ...options,
    },
  });
  const timer = setTimeout(() => run.interrupt?.().catch(() => {}), 90_000);
  try {
    for await (const message of run) messages.push(message);
  } finally {
    clearTimeout(timer);
  }
  return { messages, stderr };
}

// Runs `check`; if it throws, the error carries what query() yielded, the CLI's stderr, the
// proxy's log and what the upstream was asked.
async function explained({ messages, stderr, requests }, check) {
  try {
    await check();
  } catch (err) {
    const summary = requests.map((r) => ({
      id: r.id, path: r.path, status: r.status, scenario: r.scenario, error: r.error,
      tools: r.body?.tools?.map((t) => t.name), input_tail: r.body?.input?.slice?.(-3), output: r.output,
    }));
    const details = '\n--- query() messages:\n' + JSON.stringify(messages, null, 1).slice(-8000) +
      '\n--- CLI stderr:\n' + stderr.slice(-4000) +
      '\n--- proxy stderr (tail):\n' + proxy.stderr.slice(-6000) +
      '\n--- upstream requests:\n' + JSON.stringify(summary, null, 1).slice(0, 20000);
    err.message += details;
    err.stack = `${err.stack ?? ''}${details}`;
    throw err;
  }
}

const outputText = (output) => (typeof output === 'string' ? output
  : output.filter((p) => p.type === 'input_text').map((p) => p.text).join('\n'));

describe('the Claude Agent SDK through claudegpt', { skip: SKIP }, () => {
  test('query(): the model\'s call of an in-process MCP tool reaches its handler, the result ' +
       'goes back upstream, and the final text arrives with a result message', async () => {
    const calls = [];
    const lookup = sdk.tool('lookup', 'Looks a word up in the test\'s glossary.',
                            { word: z.string() },
                            async ({ word }) => {
                              calls.push(word);
                              return { content: [{ type: 'text', text: `${word}: a small citrus fruit (glossary)` }] };
                            },
                            { alwaysLoad: true });
    const glossary = sdk.createSdkMcpServer({ name: 'glossary', version: '1.0.0', tools: [lookup] });
    const toolName = 'mcp__glossary__lookup';
    const final = 'A kumquat is a small citrus fruit.';
    await fake.script({ name: 'tool_call', args: { name: toolName, args: JSON.stringify({ word: 'kumquat' }) } },
                      { name: 'text', args: { text: final } });

    const run = await runQuery('What is a kumquat? Use the glossary.', {
      mcpServers: { glossary },
      allowedTools: [toolName],
      permissionMode: 'dontAsk',
      maxTurns: 4,
    });
    const requests = await fake.requests();
    await explained({ ...run, requests }, () => {
      // The CLI that ran is the one the SDK bundles, not the pinned `claude`.
      const init = run.messages.find((m) => m.type === 'system' && m.subtype === 'init');
      assert.ok(init, 'query() reported the session\'s start');
      assert.equal(init.claude_code_version, BUNDLED_CLAUDE_VERSION);
      assert.ok(init.tools.includes(toolName), 'the in-process tool is offered to the model');

      const turns = requests.filter((r) => r.body?.tools?.some((t) => t.name === toolName));
      assert.equal(turns.length, 2, 'two model turns, each offering the MCP tool');
      for (const r of turns) {
        assert.equal(r.status, 200, `request ${r.id} status`);
        assert.equal(r.error, undefined, `request ${r.id} refused: ${JSON.stringify(r.error)}`);
        assert.equal(r.scenario.source, 'script', `request ${r.id} answered by its scripted scenario`);
      }
      const [first, second] = turns;
      const [call] = first.output.filter((item) => item.type === 'function_call');
      assert.equal(call.name, toolName);

      assert.deepEqual(calls, ['kumquat'], 'the handler in this process ran once, with the model\'s argument');

      const input = second.body.input;
      const callIndex = input.findIndex((i) => i.type === 'function_call' && i.call_id === call.call_id);
      const outputIndex = input.findIndex((i) => i.type === 'function_call_output' && i.call_id === call.call_id);
      assert.ok(callIndex >= 0, 'the call is replayed in the next request');
      assert.ok(outputIndex > callIndex, 'its output follows it');
      assert.match(outputText(input[outputIndex].output), /kumquat: a small citrus fruit \(glossary\)/);

      const assistantTexts = run.messages.filter((m) => m.type === 'assistant')
        .flatMap((m) => m.message.content.filter((b) => b.type === 'text').map((b) => b.text));
      assert.ok(assistantTexts.includes(final), 'the final text came through query()');
      const result = run.messages.at(-1);
      assert.equal(result.type, 'result');
      assert.equal(result.subtype, 'success');
      assert.equal(result.is_error, false);
      assert.equal(result.result, final);
    });
  });
});
