// Where `claudegpt serve` files its traces: under <trace dir>/<cwd tag>/, the tag of the working
// directory Claude Code's request names. Requests that carry no tools name none: the session
// title and auto mode's classifier. They go to the folder of their session (the
// X-Claude-Code-Session-Id header), beside its main-loop turns, and only a request of no known
// session to traces/unknown/. Driven with recorded requests (../shared/fixtures).
//
// Run: CLAUDEGPT_BIN=… node --test tests/e2e/trace_folders.test.mjs

import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { startFakeUpstream } from '../lib/fake_upstream.mjs';
import { startProxy } from '../lib/proxy.mjs';
import { proxyBinary, readFixture } from '../lib/paths.mjs';

const PROXY_BIN = proxyBinary();
const SKIP = !PROXY_BIN ? 'no claudegpt binary (set CLAUDEGPT_BIN)' : false;

const recorded = (name) => JSON.parse(readFixture('claude-code-requests', name));
const MAIN_TURN = recorded('cc2.1.330-first-turn.json');                   // 12 tools, a cwd
const TITLE = recorded('cc2.1.330-title-structured-output.json');          // tools: []
const CLASSIFIER = recorded('cc2.1.332-auto-mode-classifier-stage1.json'); // no tools

let fake;
let proxy;

before(async () => {
  if (SKIP) return;
  fake = await startFakeUpstream();
  proxy = await startProxy({ upstream: fake });
});
after(async () => {
  await proxy?.stop();
  await fake?.close();
});
beforeEach(async () => {
  if (SKIP) return;
  await fake.reset();
});

// Sends `body` as Claude Code would from `session`, and reads the whole answer.
async function send(body, session) {
  await fake.script({ name: 'text', args: { text: 'ok' } });
  const res = await fetch(`${proxy.url}/v1/messages?beta=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer dummy',
               'anthropic-version': '2023-06-01', 'x-claude-code-session-id': session },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  assert.equal(res.status, 200, text.slice(0, 2000));
}

// {session id -> [folder of each of its traces]}, once `count` traces are on disk.
async function foldersBySession(count, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = [];
    if (fs.existsSync(proxy.tracesDir)) {
      for (const tag of fs.readdirSync(proxy.tracesDir)) {
        for (const name of fs.readdirSync(path.join(proxy.tracesDir, tag))) {
          if (name.startsWith('.')) continue;  // still being written
          const trace = JSON.parse(fs.readFileSync(path.join(proxy.tracesDir, tag, name), 'utf8'));
          found.push({ tag, session: trace.session_id, cwd_tag: trace.cwd_tag });
        }
      }
    }
    if (found.length >= count) {
      for (const f of found) assert.equal(f.cwd_tag, f.tag, 'a trace names the folder it is in');
      const by = {};
      for (const f of found) (by[f.session] ??= []).push(f.tag);
      return by;
    }
    if (Date.now() > deadline) assert.fail(`expected ${count} traces, found ${found.length}\n${proxy.stderr.slice(-4000)}`);
    await sleep(25);
  }
}

describe('trace folders', { skip: SKIP }, () => {
  test('the title and the classifier go to their session\'s folder; a request of no known ' +
       'session to unknown', async () => {
    await send(MAIN_TURN, 'session-a');
    await send(TITLE, 'session-a');
    await send(CLASSIFIER, 'session-a');
    await send(TITLE, 'session-b');  // a session none of whose requests named a folder
    const by = await foldersBySession(4);
    const [mainFolder] = by['session-a'];
    assert.match(mainFolder, /^[a-z0-9-]+-[0-9a-f]{8}$/, 'the main turn is filed under its cwd tag');
    assert.deepEqual(by['session-a'], [mainFolder, mainFolder, mainFolder]);
    assert.deepEqual(by['session-b'], ['unknown']);
  });
});
