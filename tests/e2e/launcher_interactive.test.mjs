// `claudegpt` as a person uses it: interactively, in a real terminal (tmux), through Claude
// Code's first-run screens, a prompt typed, the fake upstream's reply on screen, /exit, and
// the exit code 0 handed back by the launcher. What the person sees names the upstream model,
// never a Claude one: the welcome header, the status line, the /model picker, /status; a
// /model pick is saved and the next session starts on it; the exit hint names claudegpt.
//
// The tests run in order and share one config dir: the first session (sonnet, the configured
// default) picks the opus tier in /model; the second, same configuration, starts on opus.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { startFakeUpstream } from '../lib/fake_upstream.mjs';
import { proxyBinary } from '../lib/paths.mjs';
import { capture, killSession, startSession, tmux, type, until } from '../lib/tmux.mjs';
import { claudeBinary, makeSessionDirs, removeSessionDirs } from './claude_cli.mjs';

const BIN = proxyBinary();
const CLAUDE_BIN = claudeBinary();
const SKIP = !BIN ? 'no claudegpt binary (set CLAUDEGPT_BIN)' : !CLAUDE_BIN ? 'no Claude Code CLI' : false;
if (SKIP && process.env.CLAUDEGPT_REQUIRE_CLIENTS) throw new Error(SKIP);

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// The lines of `screen` from the one matching `first` to the one matching `last`.
function region(screen, first, last) {
  const lines = screen.split('\n');
  const from = lines.findIndex((line) => first.test(line));
  const to = lines.findIndex((line, i) => i >= from && last.test(line));
  assert.ok(from >= 0 && to >= 0, `no ${first}…${last} on the screen:\n${screen}`);
  return lines.slice(from, to + 1).join('\n');
}

const PROMPT_BOX = /auto mode on|\/effort|\? for shortcuts/;
const CLAUDE_MODEL_NAME = /\b(Opus|Sonnet|Haiku|Fable|Mythos) \d/;  // "Sonnet 5.5", "Opus 5.5"
const RESUME_HINT = /Resume this session with:\s*\n\s*(\S+) --resume ([0-9a-f-]{36})/;

let fake;
let dirs;
let pathBin;  // a PATH dir holding a `claudegpt` that is the binary under test
const sessions = [];

before(async () => {
  if (SKIP) return;
  fake = await startFakeUpstream();
  dirs = makeSessionDirs('claudegpt-interactive-');
  pathBin = path.join(dirs.root, 'bin');
  fs.mkdirSync(pathBin);
  fs.symlinkSync(BIN, path.join(pathBin, 'claudegpt'));
});

after(async () => {
  for (const session of sessions) killSession(session);
  if (dirs) removeSessionDirs(dirs);
  await fake?.close();
});

// Starts `claudegpt` in a new tmux session, 120x40, with the environment built from scratch;
// the default tier configured is sonnet. `onPath`: a `claudegpt` on PATH is this binary.
function launch(name, { onPath }) {
  const session = `claudegpt-${process.pid}-${name}`;
  sessions.push(session);
  const env = {
    // The launcher's own isolated config dir (where it also puts the status line).
    HOME: dirs.home, CLAUDEGPT_CLEAN_CONFIG_DIR: dirs.config, TMPDIR: dirs.tmp, IS_SANDBOX: '1',
    CLAUDEGPT_PROVIDER: 'openai', OPENAI_BASE_URL: fake.baseURL, OPENAI_API_KEY: 'test-key',
    CLAUDEGPT_DEFAULT_MODEL: 'sonnet',
    CLAUDEGPT_CLAUDE_BIN: CLAUDE_BIN, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    PATH: onPath ? `${pathBin}:${process.env.PATH}` : process.env.PATH, TERM: 'xterm-256color',
  };
  return startSession(session, { cwd: dirs.work, env, argv: [BIN] });
}

// /exit; the launcher's exit code must be 0. Returns the last screen.
async function exit(session) {
  await type(session, '/exit');
  const screen = await until(session, (s) => /EXIT=\d+/.test(s), 'claudegpt to exit');
  assert.equal(screen.match(/EXIT=(\d+)/)[1], '0', screen);
  return screen;
}

// The transcript Claude Code keeps for a session, in the isolated config dir.
function transcriptExists(id) {
  const projects = path.join(dirs.config, 'projects');
  return fs.existsSync(projects) &&
         fs.readdirSync(projects).some((dir) => fs.existsSync(path.join(projects, dir, `${id}.jsonl`)));
}

const scripted = async () => (await fake.requests()).filter((r) => r.scenario?.source === 'script');

test('a first session on the configured sonnet tier: the header, the reply, the status line ' +
     'with the upstream model and the cost; /model lists the upstream models and saves a pick ' +
     'of opus; /status shows its id; /exit names claudegpt to resume, exit code 0',
     { skip: SKIP }, async () => {
  const session = launch('first', { onPath: true });
  const reply = 'Hello from the fake upstream';
  await fake.script({ name: 'text', args: { text: reply, input_tokens: '20000', output_tokens: '1000' } });

  // The welcome header: the sonnet tier's label from the modelPicker row, no Claude model.
  let screen = await until(session, (s) => PROMPT_BOX.test(s) && /API Usage Billing/.test(s),
                           'the prompt box', 120_000);
  assert.match(screen, /GPT-5\.4-mini \(sonnet tier\) · API Usage Billing/, screen);
  assert.doesNotMatch(screen, CLAUDE_MODEL_NAME, screen);

  await type(session, 'say hello');
  await until(session, (s) => s.includes(`● ${reply}`), 'the reply on screen');
  // `claudegpt statusline`, from the ledger the in-process proxy wrote: the sonnet tier's
  // gpt-5.4-mini, 20,000 input and 1,000 output tokens at $0.75 / $4.50 per 1M = $0.0195.
  const settings = JSON.parse(fs.readFileSync(path.join(dirs.config, 'settings.json'), 'utf8'));
  assert.match(settings.statusLine.command, / statusline$/);
  await until(session, (s) => s.includes('gpt-5.4-mini · $0.0195 this session'), 'the status line');
  let requests = await scripted();
  assert.equal(requests.length, 1, 'the typed prompt went upstream once');
  assert.equal(requests[0].status, 200);
  assert.equal(requests[0].body.model, 'gpt-5.4-mini');

  // /model: the Default row and one row per tier, labelled with the upstream model; no Fable
  // (a Claude-only tier), no Claude model, no list prices.
  await type(session, '/model');
  screen = await until(session, (s) => /Select model/.test(s) && /Esc to cancel/.test(s), 'the /model picker');
  const picker = region(screen, /Select model/, /Esc to cancel/);
  assert.match(picker, /❯ 1\. Default \(recommended\)/, picker);
  assert.match(picker, /currently GPT-5\.4-mini \(sonnet tier\)/, picker);
  assert.match(picker, /\d\. GPT-5\.5 \(opus tier\) +gpt-5\.5 on OpenAI/, picker);
  assert.match(picker, /\d\. GPT-5\.4-mini \(sonnet tier\) +gpt-5\.4-mini on OpenAI/, picker);
  assert.match(picker, /\d\. GPT-5\.4-mini \(haiku tier\) +gpt-5\.4-mini on OpenAI/, picker);
  assert.equal(picker.match(/^\s*(❯ )?\d\. /gm).length, 4, `Default and three tiers:\n${picker}`);
  assert.doesNotMatch(picker, /Fable/, picker);
  assert.doesNotMatch(picker, /\$/, picker);
  assert.doesNotMatch(picker, CLAUDE_MODEL_NAME, picker);

  // Down to the opus row, Enter; mid-conversation Claude Code asks first ("Switch model?").
  for (let i = 0; i < 6 && !/❯ \d\. GPT-5\.5 \(opus tier\)/.test(screen); i++) {
    tmux('send-keys', '-t', session, 'Down');
    await sleep(500);
    screen = capture(session);
  }
  assert.match(screen, /❯ \d\. GPT-5\.5 \(opus tier\)/, screen);
  tmux('send-keys', '-t', session, 'Enter');
  screen = await until(session, (s) => /Switch model\?/.test(s) || /Set model to/.test(s), 'the pick taken');
  if (/Switch model\?/.test(screen)) {
    assert.match(screen, /❯ 1\. Yes, switch to GPT-5\.5 \(opus tier\)/, screen);
    tmux('send-keys', '-t', session, 'Enter');
  }
  screen = await until(session, (s) => /Set model to/.test(s) && s.includes('gpt-5.5 · $0.0195 this session'),
                       'the opus tier in the header and the status line');
  assert.match(screen, /Set model to GPT-5\.5 \(opus tier\) and saved as your default for new sessions/, screen);
  assert.doesNotMatch(screen, /ANTHROPIC_MODEL is set/, screen);
  assert.match(screen, /GPT-5\.5 \(opus tier\) · API Usage Billing/, screen);
  assert.doesNotMatch(screen, CLAUDE_MODEL_NAME, screen);
  const saved = JSON.parse(fs.readFileSync(path.join(dirs.config, 'settings.json'), 'utf8'));
  assert.equal(saved.model, 'claude-opus-gpt-5.5');

  // /status prints ids only: the id carries the upstream model.
  await type(session, '/status');
  screen = await until(session, (s) => /Model:/.test(s) && /Esc to close/.test(s), '/status');
  assert.match(screen, /Model:\s+(\S+ \()?claude-opus-gpt-5\.5\b/, screen);
  tmux('send-keys', '-t', session, 'Escape');
  await until(session, (s) => PROMPT_BOX.test(s) && !/Esc to close/.test(s), 'the prompt box again');

  // The exit hint: `claudegpt --resume <id>` (claudegpt is on PATH), a session that exists.
  screen = await exit(session);
  const hint = screen.match(RESUME_HINT);
  assert.ok(hint, `no resume hint:\n${screen}`);
  assert.equal(hint[1], 'claudegpt', screen);
  assert.doesNotMatch(screen, /(^|\s)claude --resume/m, screen);
  assert.ok(transcriptExists(hint[2]), `no transcript for ${hint[2]} in ${dirs.config}/projects`);
  requests = await scripted();
  assert.equal(requests.length, 1, '/model and /status sent nothing upstream');
});

let second;  // the second session's tmux session, left at its prompt for the test after next

test('a second session, with the same configuration (default tier sonnet), starts on the opus ' +
     'tier picked in /model: the header, the status line, the model sent upstream',
     { skip: SKIP }, async () => {
  second = launch('second', { onPath: false });
  const reply = 'Hello again from the fake upstream';
  await fake.script({ name: 'text', args: { text: reply, input_tokens: '20000', output_tokens: '1000' } });

  let screen = await until(second, (s) => PROMPT_BOX.test(s) && /API Usage Billing/.test(s),
                           'the prompt box', 120_000);
  assert.match(screen, /GPT-5\.5 \(opus tier\) · API Usage Billing/, screen);
  assert.doesNotMatch(screen, /sonnet tier/, screen);
  assert.doesNotMatch(screen, CLAUDE_MODEL_NAME, screen);

  await type(second, 'say hello');
  await until(second, (s) => s.includes(`● ${reply}`), 'the reply on screen');
  // gpt-5.5: 20,000 input and 1,000 output tokens at $5.00 / $30.00 per 1M = $0.1300.
  screen = await until(second, (s) => s.includes('gpt-5.5 · $0.1300 this session'), 'the status line');
  const requests = await scripted();
  assert.equal(requests.length, 2, 'one prompt per session went upstream');
  assert.equal(requests[1].status, 200);
  assert.equal(requests[1].body.model, 'gpt-5.5');
});

// Claude Code takes CLAUDE_CODE_RESUME_HINT_COMMAND only when it matches /^\w[\w-]*$/ (a bare
// command name), so with no `claudegpt` on PATH it still says `claude --resume <id>`, which
// looks in ~/.claude; the launcher then names this binary's path for the same session.
test('with no claudegpt on PATH, the launcher names this binary to resume, exit code 0',
     { skip: SKIP }, async () => {
  assert.ok(second, 'the second session is running');
  const screen = await exit(second);
  const self = fs.realpathSync(BIN);
  const hint = screen.match(new RegExp(`${escape(self)} --resume ([0-9a-f-]{36})`));
  assert.ok(hint, screen);
  assert.ok(fs.readdirSync(path.join(dirs.config, 'projects'), { recursive: true })
    .some((file) => file.endsWith(`${hint[1]}.jsonl`)), `no session ${hint[1]} in the config dir`);
});
