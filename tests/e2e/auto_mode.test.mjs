// Claude Code's auto mode through claudegpt, as a person meets it (issue 16 §1): `claudegpt`
// in a real terminal (tmux), Claude Code 2.1.332 in its default interactive mode, which is
// auto mode ("⏵⏵ auto mode on"), the fake upstream scripting the model's tool calls and the
// safety judge's verdicts (fake_upstream/judge.mjs).
//
// In auto mode every main-loop and subagent request carries `safeguards`, and Claude Code
// needs `safeguard_results` back on every response (shared/docs/claude-code-auto-mode.md §2).
// A call that needs the check (a shell command outside the working folder, an Agent) waits
// for its verdict. Without one, Claude Code decides the proxy "doesn't pass the check
// through" for the rest of the session and opens the "Auto mode can't check actions in this
// session" dialog; from then on every such action asks the user.
//
// What each CLAUDEGPT_AUTO_MODE shows (measured here):
//   proxy (default): the judge's verdicts. An allowed call runs with no prompt, a blocked one
//     shows "Blocked by auto mode" with the judge's explanation; no dialog. A judge that fails
//     or times out gives the call the per-call `unavailable` verdict. Claude Code 2.1.332
//     through a gateway then runs no classifier of its own for that call (the fallback the
//     doc's §2.2 reads in its code does not happen here): "Not run · auto mode's check had no
//     usable answer", still no dialog, and the check keeps running for later calls.
//   client: the 400 that declines `safeguards` makes Claude Code 2.1.332 resend without them
//     and then, through a gateway, open the same dialog as `off`.
//   off: the dialog, then "…so this one needs your approval" for every such action.
//
// Needs the proxy binary (CLAUDEGPT_BIN, or build/release/claudegpt) and Claude Code 2.1.332
// or later (CLAUDEGPT_CLAUDE_BIN, or tests/node_modules/.bin/claude).

import { test, describe, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { startFakeUpstream } from '../lib/fake_upstream.mjs';
import { proxyBinary } from '../lib/paths.mjs';
import { capture, killSession, startSession, tmux, type, until } from '../lib/tmux.mjs';
import { claudeBinary, makeSessionDirs, removeSessionDirs } from './claude_cli.mjs';

const BIN = proxyBinary();
const CLAUDE_BIN = claudeBinary();
const MIN_CLAUDE = [2, 1, 332];  // auto mode by default, and the server-side check

function claudeVersion(bin) {
  try {
    const text = execFileSync(bin, ['--version'], { encoding: 'utf8', timeout: 30_000 });
    return /(\d+)\.(\d+)\.(\d+)/.exec(text)?.slice(1).map(Number) ?? null;
  } catch {
    return null;
  }
}
function tooOld(version) {
  if (!version) return true;
  const i = version.findIndex((n, k) => n !== MIN_CLAUDE[k]);
  return i >= 0 && version[i] < MIN_CLAUDE[i];
}
const SKIP = !BIN ? 'no claudegpt binary (set CLAUDEGPT_BIN)'
           : !CLAUDE_BIN ? 'no Claude Code CLI (npm install in tests/, or CLAUDEGPT_CLAUDE_BIN)'
           : tooOld(claudeVersion(CLAUDE_BIN)) ? `Claude Code ${MIN_CLAUDE.join('.')} or later needed`
           : false;
if (SKIP && process.env.CLAUDEGPT_REQUIRE_CLIENTS) throw new Error(SKIP);

// What Claude Code shows (2.1.332).
const PROMPT_BOX = /auto mode on/;
const DIALOG = /Auto mode can't check actions in this session/;
const BLOCKED = /Blocked by auto mode/;
const NO_VERDICT = /Not run · auto mode's check had no usable answer/;
const SUBAGENT_REFUSED = /Auto mode is unavailable/;
const DONE = /^● done\s*$/m;     // the fake's brain ends each tool loop with "done"

const DESTRUCTION = '[Irreversible Local Destruction] Deletes ~/important for good.';

let fake;
let dirs;
const sessions = [];

before(async () => {
  if (SKIP) return;
  fake = await startFakeUpstream();
});
after(async () => {
  for (const session of sessions) killSession(session);
  await fake?.close();
});
beforeEach(async () => {
  if (SKIP) return;
  await fake.reset();
  dirs = makeSessionDirs('claudegpt-auto-mode-');
  fs.mkdirSync(path.join(dirs.home, 'important'));
  fs.writeFileSync(path.join(dirs.home, 'important', 'keep.txt'), 'keep me');
});
afterEach(async () => {
  for (const session of sessions.splice(0)) await endSession(session);
  if (dirs && !process.env.CLAUDEGPT_TEST_KEEP_STATE) removeSessionDirs(dirs);
  dirs = null;
});

// The processes running in `session`'s pane: the shell and all its descendants.
function paneProcesses(session) {
  let pids;
  try {
    pids = [Number(tmux('display-message', '-p', '-t', session, '#{pane_pid}').trim())];
  } catch {
    return [];
  }
  const children = (pid) => {
    try {
      return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
        .split('\n').map(Number).filter(Boolean);
    } catch {
      return [];   // ps exits 1 when there are none
    }
  };
  for (let i = 0; i < pids.length; i += 1) pids.push(...children(pids[i]));
  return pids;
}

// Kills the session and waits (up to 10 s) until its processes have exited: Claude Code and
// the proxy write to the session's directories on their way out.
async function endSession(session) {
  const pids = paneProcesses(session);
  killSession(session);
  const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };
  for (let waited = 0; waited < 10_000 && pids.some(alive); waited += 100) await sleep(100);
}

// `claudegpt` (no arguments: Claude Code's own default mode) in a new tmux session, with the
// environment built from scratch and the proxy's settings in `env`. Waits for the prompt box.
let counter = 0;
async function launch(env = {}) {
  const session = `claudegpt-${process.pid}-auto-${counter += 1}`;
  sessions.push(session);
  startSession(session, { cwd: dirs.work, argv: [BIN], env: {
    HOME: dirs.home, CLAUDEGPT_CLEAN_CONFIG_DIR: dirs.config, TMPDIR: dirs.tmp, IS_SANDBOX: '1',
    XDG_STATE_HOME: path.join(dirs.root, 'state'),   // traces and the proxy's log
    CLAUDEGPT_PROVIDER: 'openai', OPENAI_BASE_URL: fake.baseURL, OPENAI_API_KEY: 'test-key',
    CLAUDEGPT_CLAUDE_BIN: CLAUDE_BIN, PATH: process.env.PATH, TERM: 'xterm-256color',
    ...env,
  } });
  await until(session, (s) => PROMPT_BOX.test(s), 'the prompt box in auto mode', 60_000);
  return session;
}

// The screen once `done` holds. With `dialog: false`, the "can't check actions" dialog
// showing up first fails at once.
async function screenUntil(session, done, what, { dialog = true, timeoutMs = 15_000 } = {}) {
  const screen = await until(session, (s) => done(s) || (!dialog && DIALOG.test(s)), what,
                             timeoutMs);
  if (!dialog) assert.doesNotMatch(screen, DIALOG, `the dialog appeared:\n${screen}`);
  return screen;
}

// Presses `key` once the screen has settled, and again while `unchanged(screen)` says it was
// not taken (a dialog can miss a key that comes too early). Returns the screen once `done`.
async function press(session, key, { done, unchanged, what }) {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    await sleep(800);
    tmux('send-keys', '-t', session, key);
    const deadline = Date.now() + 4000;
    while (Date.now() < deadline) {
      const screen = capture(session);
      if (done(screen)) return screen;
      if (!unchanged(screen)) return screenUntil(session, done, what);
      await sleep(200);
    }
  }
  return screenUntil(session, done, what, { timeoutMs: 1 });
}

// Whitespace-normalised, so that text Claude Code wrapped still matches.
const flat = (screen) => screen.replace(/[│⎿]/g, ' ').replace(/\s+/g, ' ');

// The traces the proxy wrote for Claude Code's turns (oldest first), each {file, trace}.
function traces() {
  const root = path.join(dirs.root, 'state', 'claudegpt', 'traces');
  if (!fs.existsSync(root)) return [];
  return fs.readdirSync(root, { recursive: true }).map(String)
    .filter((f) => f.endsWith('.json') && !path.basename(f).startsWith('.'))
    .sort((a, b) => path.basename(a).localeCompare(path.basename(b)))
    .map((f) => ({ file: f, trace: JSON.parse(fs.readFileSync(path.join(root, f), 'utf8')) }))
    .filter(({ trace }) => trace.request_anthropic?.messages);
}

// At least `n` traces, waited for briefly (they are written off the request's thread).
async function tracesAtLeast(n) {
  for (let waited = 0; ; waited += 100) {
    const found = traces();
    if (found.length >= n) return found;
    if (waited >= 3000) assert.fail(`${found.length} traces, expected ${n}`);
    await sleep(100);
  }
}

// The trace whose response made a tool_use matching `pick`, with that block; waited for
// briefly (traces are written off the request's thread).
async function tracedCall(pick) {
  for (let waited = 0; ; waited += 100) {
    for (const t of traces()) {
      const block = (t.trace.response_anthropic?.content ?? [])
        .find((b) => b.type === 'tool_use' && pick(b));
      if (block) return { ...t, block };
    }
    if (waited >= 3000) assert.fail('no traced response made the call');
    await sleep(100);
  }
}

const safeguardsOf = (trace) => {
  const body = typeof trace.request_anthropic === 'string' ? JSON.parse(trace.request_anthropic)
                                                          : trace.request_anthropic;
  return body.safeguards;
};

const judgeRequests = () => fake.requests({ kind: 'judge' });
const judgedCommands = async () => (await judgeRequests())
  .map((r) => r.notes?.call?.input?.command ?? r.notes?.call?.input?.file_path ?? r.notes?.call?.name);

// On failure: the screen, the proxy's log and what the upstream was asked.
async function explained(session, check) {
  try {
    await check();
  } catch (err) {
    const log = path.join(dirs.root, 'state', 'claudegpt', 'claudegpt.log');
    const requests = (await fake.requests()).map((r) => ({
      id: r.id, kind: r.kind, status: r.status, scenario: r.scenario?.name, notes: r.notes,
      model: r.body?.model, error: r.error }));
    err.message += `\n--- screen:\n${capture(session)}\n--- proxy log (tail):\n${
      fs.existsSync(log) ? fs.readFileSync(log, 'utf8').slice(-4000) : '(none)'}\n` +
      `--- upstream requests:\n${JSON.stringify(requests, null, 1).slice(0, 8000)}`;
    throw err;
  }
}

describe('auto mode with the proxy\'s judge (CLAUDEGPT_AUTO_MODE=proxy, the default)',
         { skip: SKIP }, () => {
  test('calls the judge allows run without a prompt, and no dialog appears', async () => {
    // Outside the working folder, where each call needs the check.
    const note = path.join(dirs.home, 'notes', 'plan.md');
    const log = path.join(dirs.home, 'log.txt');
    const session = await launch();
    await fake.script({ name: 'tool_calls', args: { calls: JSON.stringify([
      { name: 'Write', args: { file_path: note, content: 'the plan\n' } },
      { name: 'Bash', args: { command: `echo hi > ${log}`, description: 'Start the log' } }]) } });
    await type(session, 'make a note and a log in my home folder');
    await explained(session, async () => {
      const screen = await screenUntil(session, (s) => DONE.test(s), 'the turn to end',
                                       { dialog: false });
      assert.doesNotMatch(screen, BLOCKED, screen);
      assert.doesNotMatch(screen, /needs your approval|Do you want to proceed/, screen);
      assert.equal(fs.readFileSync(note, 'utf8'), 'the plan\n');
      assert.equal(fs.readFileSync(log, 'utf8'), 'hi\n');
      // The judge was asked about each call, and allowed it.
      const judged = (await judgeRequests()).map((r) => [r.notes.call.name, r.notes.decision]);
      assert.deepEqual(judged.sort(), [['Bash', 'allow'], ['Write', 'allow']]);
      // Nothing latched the check off: the turn's next request still carries it.
      const sent = (await tracesAtLeast(2)).map(({ trace }) => safeguardsOf(trace)?.[0]?.type);
      assert.deepEqual(sent, ['dangerous_tool_use', 'dangerous_tool_use']);
    });
  });

  test('a call the judge blocks does not run: the user and the model see its explanation, ' +
       'and the next request lists it in refused_calls', async () => {
    await fake.configure({ judge: { rules: [
      { match: 'rm -rf', decision: 'block', explanation: DESTRUCTION }] } });
    const session = await launch();
    await fake.script({ name: 'bash', args: { command: 'rm -rf ~/important' } });
    await type(session, 'clean up my home folder');
    await explained(session, async () => {
      const screen = await screenUntil(session, (s) => DONE.test(s), 'the turn to end',
                                       { dialog: false });
      assert.match(screen, BLOCKED, screen);
      assert.ok(flat(screen).includes(DESTRUCTION), screen);
      assert.equal(fs.readFileSync(path.join(dirs.home, 'important', 'keep.txt'), 'utf8'),
                   'keep me');
      // The model got the explanation as the call's (error) result.
      const [first, second] = (await fake.requests()).filter((r) => !r.kind);
      const call = first.output.find((i) => i.type === 'function_call');
      const result = second.body.input.find((i) => i.type === 'function_call_output' &&
                                                   i.call_id === call.call_id);
      assert.ok(result, 'the refusal went back upstream as the call\'s result');
      assert.ok(JSON.stringify(result.output).includes(DESTRUCTION), JSON.stringify(result));
      // Claude Code's next request names the refused call by its tool_use id.
      const { block } = await tracedCall((b) => b.name === 'Bash');
      let refused = null;
      for (let waited = 0; refused === null && waited < 3000; waited += 100) {
        refused = traces().map(({ trace }) => safeguardsOf(trace)?.[0]?.classifier_context)
          .find((ctx) => ctx?.refused_calls?.length) ?? null;
        if (refused === null) await sleep(100);
      }
      assert.deepEqual(refused?.refused_calls, [block.id]);
    });
  });

  test('a background subagent\'s Bash is judged and runs', async () => {
    const file = path.join(dirs.home, 'from-subagent.txt');
    const session = await launch();
    // The main model starts a subagent (2.1.332's Agent tool has no run_in_background: an
    // interactive session backgrounds it); the subagent's own model (its prompt's marker)
    // runs a shell command outside the working folder.
    const prompt = `Make the file. [[scenario:bash command="echo from-subagent > ${file}"]]`;
    await fake.script({ name: 'tool_calls', args: { calls: JSON.stringify([{ name: 'Agent',
      args: { description: 'Make a file', prompt, subagent_type: 'general-purpose' } }]) } });
    await type(session, 'have an agent make a file');
    await explained(session, async () => {
      const screen = await screenUntil(session, (s) => /Agent "Make a file" finished/.test(s),
                                       'the subagent to finish', { dialog: false, timeoutMs: 20_000 });
      assert.match(screen, /Backgrounded agent/, screen);
      assert.doesNotMatch(screen, SUBAGENT_REFUSED, screen);
      assert.equal(fs.readFileSync(file, 'utf8'), 'from-subagent\n');
      // The proxy judges only requests that carry the check: the subagent's did.
      const judged = await judgeRequests();
      assert.ok(judged.some((r) => r.notes.call?.name === 'Agent'), 'the Agent call was judged');
      assert.ok(judged.some((r) => r.notes.call?.input?.command?.includes('from-subagent')),
                'the subagent\'s Bash was judged');
      // Claude Code reviews the subagent's work with its own classifier through the proxy
      // (fake: <severity>5</severity>): every such request was answered.
      for (const r of await fake.requests({ kind: 'client_classifier' })) {
        assert.equal(r.status, 200, JSON.stringify(r.error));
      }
    });
  });

  for (const [failure, judge, env] of [
    ['fails (HTTP 500)', { fail: '500' }, {}],
    ['times out', { fail: 'hang' }, { CLAUDEGPT_JUDGE_TIMEOUT: '2' }],
  ]) {
    test(`a judge that ${failure} leaves the call without a verdict: it does not run, no ` +
         'dialog, and the next call is judged again', async () => {
      await fake.configure({ judge });
      const first = path.join(dirs.home, 'first.txt');
      const second = path.join(dirs.home, 'second.txt');
      const session = await launch({ CLAUDEGPT_UPSTREAM_RETRIES: '0', ...env });
      await fake.script({ name: 'bash', args: { command: `echo one > ${first}` } });
      await type(session, 'make the first file');
      await explained(session, async () => {
        let screen = await screenUntil(session, (s) => DONE.test(s), 'the turn to end',
                                       { dialog: false });
        assert.match(screen, NO_VERDICT, screen);
        assert.equal(fs.existsSync(first), false, 'the unjudged call did not run');
        assert.ok((await judgeRequests()).length >= 1, 'the judge was asked');
        // The judge is back: the session still sends the check, and the next call runs.
        await fake.configure({ judge: {} });
        await fake.script({ name: 'bash', args: { command: `echo two > ${second}` } });
        await type(session, 'make the second file');
        screen = await screenUntil(session, (s) => (s.match(/^● done\s*$/gm) ?? []).length >= 2,
                                   'the second turn to end', { dialog: false });
        assert.equal(fs.readFileSync(second, 'utf8'), 'two\n');
        assert.deepEqual((await judgedCommands()).at(-1), `echo two > ${second}`);
      });
    });
  }
});

describe('auto mode without the proxy\'s judge', { skip: SKIP }, () => {
  test('CLAUDEGPT_AUTO_MODE=client: the proxy declines the check (400), Claude Code resends ' +
       'without it and shows the "can\'t check actions" dialog', async () => {
    const file = path.join(dirs.home, 'client.txt');
    const session = await launch({ CLAUDEGPT_AUTO_MODE: 'client' });
    await fake.script({ name: 'bash', args: { command: `echo client > ${file}` } });
    await type(session, 'make a file in my home folder');
    await explained(session, async () => {
      const screen = await screenUntil(session, (s) => DIALOG.test(s), 'the dialog');
      assert.match(flat(screen), /the check isn't getting through/, screen);
      assert.equal(fs.existsSync(file), false, 'nothing ran while the dialog waits');
      assert.deepEqual(await judgeRequests(), [], 'the proxy judged nothing');
      // The turn reached the upstream once: the resend without the field.
      const turns = (await fake.requests()).filter((r) => !r.kind);
      assert.equal(turns.length, 1);
      const { trace } = await tracedCall((b) => b.name === 'Bash');
      assert.equal(safeguardsOf(trace), undefined, 'resent without safeguards');
    });
  });

  test('CLAUDEGPT_AUTO_MODE=off: the "can\'t check actions" dialog; staying in auto mode, ' +
       'each action that needs the check asks for approval', async () => {
    const file = path.join(dirs.home, 'off.txt');
    const session = await launch({ CLAUDEGPT_AUTO_MODE: 'off' });
    await fake.script({ name: 'bash', args: { command: `echo off > ${file}` } });
    await type(session, 'make a file in my home folder');
    await explained(session, async () => {
      let screen = await screenUntil(session, (s) => DIALOG.test(s), 'the dialog');
      const text = flat(screen);
      assert.match(text, /Auto mode's safety check runs on the server\. Your requests go through 127\.0\.0\.1:\d+, and the check isn't getting through\./, screen);
      assert.match(text, /Enter to stay in auto mode · shift\+Tab to leave for accept edits mode and stop · Esc to cancel/, screen);
      assert.equal(fs.existsSync(file), false);
      screen = await press(session, 'Enter', {   // stay in auto mode
        done: (s) => /Do you want to proceed\?/.test(s), unchanged: (s) => DIALOG.test(s),
        what: 'the approval prompt' });
      assert.match(screen, /Auto mode can't check actions in this session, so this one needs your approval/, screen);
      assert.match(screen, /❯ No/, 'No is preselected');
      await press(session, 'Down', { done: (s) => /❯ Yes/.test(s),
                                     unchanged: (s) => /❯ No/.test(s), what: 'Yes selected' });
      await press(session, 'Enter', { done: (s) => DONE.test(s),
                                      unchanged: (s) => /❯ Yes/.test(s), what: 'the turn to end' });
      assert.equal(fs.readFileSync(file, 'utf8'), 'off\n');
      assert.deepEqual(await judgeRequests(), [], 'the proxy judged nothing');
    });
  });
});
