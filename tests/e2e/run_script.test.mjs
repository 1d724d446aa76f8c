// `scripts/run -p …` started from a project folder: it builds in the checkout (a no-op here,
// after the release build) but runs claudegpt, and so Claude Code, in the folder it was started
// from. The real Claude Code CLI, the strict fake OpenAI upstream behind the launcher's own
// proxy, a throwaway home and config/state dirs.
//
// Needs the release build (scripts/run builds build/release; run after it, it has nothing to
// do) and the CLI (CLAUDEGPT_CLAUDE_BIN, or tests/node_modules/.bin/claude).

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { startFakeUpstream } from '../lib/fake_upstream.mjs';
import { REPO_DIR } from '../lib/paths.mjs';
import { claudeBinary, makeSessionDirs, removeSessionDirs, runClaude } from './claude_cli.mjs';

const RUN_SCRIPT = path.join(REPO_DIR, 'scripts/run');
const CLAUDE_BIN = claudeBinary();
const SKIP = !CLAUDE_BIN ? 'no Claude Code CLI (npm install in tests/, or CLAUDEGPT_CLAUDE_BIN)'
           : !fs.existsSync(path.join(REPO_DIR, 'build/release/claudegpt'))
             ? 'no release build (cmake --build --preset release)' : false;
if (SKIP && process.env.CLAUDEGPT_REQUIRE_CLIENTS) throw new Error(SKIP);

let fake;
let dirs;

before(async () => {
  if (SKIP) return;
  fake = await startFakeUpstream();
  dirs = makeSessionDirs('claudegpt-run-script-');
});
const NAME = 'run-script-hello.txt';
after(async () => {
  await fake?.close();
  if (dirs) removeSessionDirs(dirs);
  fs.rmSync(path.join(REPO_DIR, NAME), { force: true });   // where a broken scripts/run writes it
});

describe('scripts/run', { skip: SKIP }, () => {
  test('runs Claude Code in the folder it was started from, not in the checkout', async () => {
    const name = NAME;
    const final = `I wrote ${name}.`;
    // A relative path: Claude Code resolves it against its own working directory.
    await fake.script({ name: 'write', args: { path: name, content: 'hi from the project folder' } },
                      { name: 'text', args: { text: final } });
    const run = await runClaude({
      bin: RUN_SCRIPT, proxyURL: 'http://127.0.0.1:9', prompt: `Create ${name}.`, dirs,
      timeoutMs: 300_000,
      env: {
        CLAUDEGPT_CLAUDE_BIN: CLAUDE_BIN,
        CLAUDEGPT_PROVIDER: 'openai',
        OPENAI_BASE_URL: fake.baseURL,
        OPENAI_API_KEY: 'test-key',
        CLAUDEGPT_CLIENT_CONTEXT: '0',
        ANTHROPIC_API_KEY: undefined,
        CLAUDE_CONFIG_DIR: undefined,   // the launcher's own, under XDG_CONFIG_HOME
        XDG_CONFIG_HOME: path.join(dirs.root, 'xdg-config'),
        XDG_STATE_HOME: path.join(dirs.root, 'xdg-state'),
        CLAUDEGPT_CONFIG_DIR: path.join(dirs.root, 'claudegpt-config'),
      },
    });
    const requests = await fake.requests();
    const explain = () => `\n--- exit ${JSON.stringify({ code: run.code, signal: run.signal, ms: run.ms })}` +
      `\n--- stdout:\n${run.stdout.slice(-4000)}\n--- stderr:\n${run.stderr.slice(-4000)}` +
      `\n--- upstream: ${JSON.stringify(requests.map((r) => ({ path: r.path, status: r.status,
                                                                error: r.error })))}`;
    console.log(`scripts/run -p took ${run.ms} ms`);
    assert.equal(run.code, 0, explain());
    // stdout is Claude Code's alone: the JSON result, no build output before it.
    assert.equal(run.json?.result, final, explain());
    assert.equal(requests.length, 2, explain());

    const marker = /Primary working directory: (.*)/;
    const primary = JSON.stringify(requests[0].body).match(marker)?.[1]?.split('\\n')[0];
    assert.equal(primary, dirs.work, explain());

    assert.equal(fs.readFileSync(path.join(dirs.work, name), 'utf8'), 'hi from the project folder');
    assert.equal(fs.existsSync(path.join(REPO_DIR, name)), false, 'nothing written in the checkout');
    // The launcher's state went to the throwaway XDG dirs, not the real home.
    assert.ok(fs.existsSync(path.join(dirs.root, 'xdg-state', 'claudegpt')), explain());
  });

  test('its build step says nothing when the build is up to date', () => {
    const build = path.join(REPO_DIR, 'scripts/build');
    const options = { cwd: dirs.work, encoding: 'utf8', timeout: 600_000,
                      env: { PATH: process.env.PATH, HOME: dirs.home, TMPDIR: dirs.tmp } };
    const first = spawnSync(build, [], options);   // builds, if anything changed since
    assert.equal(first.status, 0, first.stderr);
    const started = performance.now();
    const again = spawnSync(build, [], options);
    const ms = Math.round(performance.now() - started);
    console.log(`scripts/build, up to date: ${ms} ms`);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(again.stdout, '');
    assert.equal(again.stderr, '');
  });
});
