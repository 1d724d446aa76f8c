// `claudegpt` as a person uses it: interactively, in a real terminal (tmux), through Claude
// Code's first-run screens, a prompt typed, the fake upstream's reply on screen, /exit, and
// the exit code 0 handed back by the launcher.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

import { startFakeUpstream } from '../lib/fake_upstream.mjs';
import { proxyBinary } from '../lib/paths.mjs';
import { claudeBinary, makeSessionDirs, removeSessionDirs } from './claude_cli.mjs';

const BIN = proxyBinary();
const CLAUDE_BIN = claudeBinary();
const SKIP = !BIN ? 'no claudegpt binary (set CLAUDEGPT_BIN)' : !CLAUDE_BIN ? 'no Claude Code CLI' : false;
if (SKIP && process.env.CLAUDEGPT_REQUIRE_CLIENTS) throw new Error(SKIP);

const tmux = (...args) => execFileSync('tmux', args, { encoding: 'utf8' });
const quote = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

// Polls the screen until `done(screen)` holds, answering Claude Code's first-run screens on
// the way (theme, security notes, folder trust), whose order and number vary by version.
async function until(session, done, what, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let screen = '';
  while (Date.now() < deadline) {
    screen = tmux('capture-pane', '-p', '-t', session);
    if (done(screen)) return screen;
    if (/Choose the text style/.test(screen) || /Press Enter to continue/.test(screen)) {
      tmux('send-keys', '-t', session, 'Enter');
    } else if (/Yes, I trust this folder/.test(screen) && /❯ No, exit/.test(screen)) {
      tmux('send-keys', '-t', session, 'Down');
      await sleep(200);
      tmux('send-keys', '-t', session, 'Enter');
    }
    await sleep(300);
  }
  assert.fail(`timed out waiting for ${what}; the screen:\n${screen}`);
}

test('an interactive session: a prompt, the reply on screen, the status line with the upstream ' +
     'model and the session\'s cost, /exit, exit code 0', { skip: SKIP }, async () => {
  const fake = await startFakeUpstream();
  const dirs = makeSessionDirs('claudegpt-interactive-');
  const session = `claudegpt-${process.pid}`;
  const reply = 'Hello from the fake upstream';
  try {
    await fake.script({ name: 'text', args: { text: reply, input_tokens: '20000', output_tokens: '1000' } });
    const env = {
      // The launcher's own isolated config dir (where it also puts the status line).
      HOME: dirs.home, CLAUDEGPT_CLEAN_CONFIG_DIR: dirs.config, TMPDIR: dirs.tmp, IS_SANDBOX: '1',
      CLAUDEGPT_PROVIDER: 'openai', OPENAI_BASE_URL: fake.baseURL, OPENAI_API_KEY: 'test-key',
      CLAUDEGPT_CLAUDE_BIN: CLAUDE_BIN, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      PATH: process.env.PATH, TERM: 'xterm-256color',
    };
    const command = `cd ${quote(dirs.work)} && env -i ${Object.entries(env)
      .map(([k, v]) => `${k}=${quote(v)}`).join(' ')} ${quote(BIN)}; echo "EXIT=$?"; sleep 60`;
    tmux('new-session', '-d', '-x', '120', '-y', '40', '-s', session, command);

    await until(session, (s) => /auto mode on|\/effort|\? for shortcuts/.test(s), 'the prompt box');
    tmux('send-keys', '-t', session, '-l', 'say hello');
    await sleep(300);
    tmux('send-keys', '-t', session, 'Enter');
    await until(session, (s) => s.includes(`● ${reply}`), 'the reply on screen');
    // `claudegpt statusline`, from the ledger the in-process proxy wrote: the sonnet tier's
    // gpt-5.4-mini, 20,000 input and 1,000 output tokens at $0.75 / $4.50 per 1M = $0.0195.
    const settings = JSON.parse(fs.readFileSync(path.join(dirs.config, 'settings.json'), 'utf8'));
    assert.match(settings.statusLine.command, / statusline$/);
    await until(session, (s) => s.includes('gpt-5.4-mini · $0.0195 this session'), 'the status line');

    tmux('send-keys', '-t', session, '-l', '/exit');
    await sleep(300);
    tmux('send-keys', '-t', session, 'Enter');
    const screen = await until(session, (s) => /EXIT=\d+/.test(s), 'claudegpt to exit');
    assert.equal(screen.match(/EXIT=(\d+)/)[1], '0', screen);

    const requests = (await fake.requests()).filter((r) => r.scenario?.source === 'script');
    assert.equal(requests.length, 1, 'the typed prompt went upstream once');
    assert.equal(requests[0].status, 200);
  } finally {
    try { tmux('kill-session', '-t', session); } catch { /* already gone */ }
    removeSessionDirs(dirs);
    await fake.close();
  }
});
