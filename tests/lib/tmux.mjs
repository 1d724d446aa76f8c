// Driving an interactive program in tmux, as a person at a terminal would: start it in a
// detached session with an environment built from scratch, read the screen, type, and answer
// Claude Code's first-run screens on the way. Session names must be unique to the test (the
// tmux server is shared): use the test's pid in them, and kill only your own sessions.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

export const tmux = (...args) => execFileSync('tmux', args, { encoding: 'utf8' });

// `s` as one word for sh, in single quotes.
export const quote = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

// What the pane shows now.
export const capture = (session) => tmux('capture-pane', '-p', '-t', session);

// Starts `argv` in a new detached tmux session named `session`, `width`x`height`, in `cwd`,
// with exactly the variables of `env` (env -i). When it ends, the pane shows `EXIT=<code>`
// and stays open for two minutes, to be read.
export function startSession(session, { cwd, env, argv, width = 120, height = 40 }) {
  const command = `cd ${quote(cwd)} && env -i ${Object.entries(env)
    .map(([k, v]) => `${k}=${quote(v)}`).join(' ')} ${argv.map(quote).join(' ')}; ` +
    'echo "EXIT=$?"; sleep 120';
  tmux('new-session', '-d', '-x', String(width), '-y', String(height), '-s', session, command);
  return session;
}

export function killSession(session) {
  try { tmux('kill-session', '-t', session); } catch { /* already gone */ }
}

// The exit code a session started by startSession printed, or null while it runs.
export function exitCode(screen) {
  const m = screen.match(/^EXIT=(\d+)$/m);
  return m ? Number(m[1]) : null;
}

// Polls the screen until `done(screen)` holds, answering Claude Code's first-run screens on
// the way (theme, security notes, folder trust), whose order and number vary by version.
// Returns the screen that satisfied `done`; fails with the last screen after `timeoutMs`.
export async function until(session, done, what, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let screen = '';
  while (Date.now() < deadline) {
    screen = capture(session);
    if (done(screen)) return screen;
    if (/Choose the text style/.test(screen) || /Press Enter to continue/.test(screen)) {
      tmux('send-keys', '-t', session, 'Enter');
    } else if (/Yes, I trust this folder/.test(screen) && /❯ No, exit/.test(screen)) {
      tmux('send-keys', '-t', session, 'Down');
      await sleep(800);  // an Enter sooner than this can still take "No, exit"
      tmux('send-keys', '-t', session, 'Enter');
    }
    await sleep(300);
  }
  assert.fail(`timed out waiting for ${what}; the screen:\n${screen}`);
}

// Types `text` into the prompt box and presses Enter (for a slash command, on the completion
// menu's first entry, which is that command).
export async function type(session, text) {
  tmux('send-keys', '-t', session, '-l', text);
  await sleep(500);
  tmux('send-keys', '-t', session, 'Enter');
}
