// Running the real Claude Code CLI (tests/package.json pins it) in print mode against a
// proxy, each run in a throwaway home, config dir and working directory.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { TESTS_DIR } from '../lib/paths.mjs';

// The Claude Code versions tests/package.json installs side by side: the pinned one (the
// `claude` of node_modules/.bin) and older ones under an npm alias, "claude-code-<version>".
// Each copy's postinstall takes the native binary of its own version (the platform package
// beside it, or the one npm nested under it when the versions differ) into its bin/claude.exe.
export const PINNED_CLAUDE_VERSION = '2.1.332';
export const OLDER_CLAUDE_VERSION = '2.1.330';

// $CLAUDEGPT_CLAUDE_BIN, else the one `npm install` put under tests/node_modules; null if none.
// With a `version` (an older one tests/package.json installs under its alias), that copy's
// binary, whatever $CLAUDEGPT_CLAUDE_BIN says: the test asked for that client.
export function claudeBinary(version = null) {
  if (version && version !== PINNED_CLAUDE_VERSION) {
    const older = path.join(TESTS_DIR, `node_modules/claude-code-${version}/bin/claude.exe`);
    return fs.existsSync(older) ? older : null;
  }
  if (process.env.CLAUDEGPT_CLAUDE_BIN) return process.env.CLAUDEGPT_CLAUDE_BIN;
  const candidate = path.join(TESTS_DIR, 'node_modules/.bin/claude');
  return fs.existsSync(candidate) ? candidate : null;
}

// A fresh session: {root, home, config, tmp, work}. Nothing of the machine's own Claude Code
// state (settings, credentials, history) can leak in, and nothing leaks out (the CLI keeps
// per-project scratch files under $TMPDIR/claude-<uid>/, so TMPDIR is the session's too).
export function makeSessionDirs(prefix = 'claudegpt-e2e-') {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  const dirs = { root, home: path.join(root, 'home'), config: path.join(root, 'config'),
                 tmp: path.join(root, 'tmp'), work: path.join(root, 'work') };
  for (const dir of [dirs.home, dirs.config, dirs.tmp, dirs.work]) fs.mkdirSync(dir);
  return dirs;
}

export function removeSessionDirs(dirs) {
  fs.rmSync(dirs.root, { recursive: true, force: true });
}

// `claude -p <prompt> --output-format json --dangerously-skip-permissions`, stdin closed.
// Resolves with {code, signal, stdout, stderr, json (parsed stdout or null), timedOut, ms}.
// The environment is built from scratch (only PATH is inherited) so that a developer's own
// ANTHROPIC_* or CLAUDE_* variables cannot change what the CLI does.
// An `env` value of undefined removes that variable.
const withoutUndefined = (env) => Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined));

export function runClaude({ bin = claudeBinary(), proxyURL, prompt, dirs, args = [],
                            env = {}, timeoutMs = 120_000 }) {
  const started = performance.now();
  const child = spawn(bin, ['-p', prompt, '--output-format', 'json',
                            '--dangerously-skip-permissions', ...args], {
    cwd: dirs.work,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: withoutUndefined({
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      LANG: 'C.UTF-8',
      ANTHROPIC_BASE_URL: proxyURL,
      ANTHROPIC_API_KEY: 'dummy',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      HOME: dirs.home,
      CLAUDE_CONFIG_DIR: dirs.config,
      TMPDIR: dirs.tmp,
      IS_SANDBOX: '1',   // --dangerously-skip-permissions is refused to root otherwise
      ...env,
    }),
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk) => { stdout += chunk; });
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  return new Promise((resolve, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      let json = null;
      try { json = JSON.parse(stdout); } catch { /* left null: the assertions say so */ }
      resolve({ code, signal, stdout, stderr, json, timedOut,
                ms: Math.round(performance.now() - started) });
    });
  });
}
