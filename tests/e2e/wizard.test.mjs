// `claudegpt setup`, the first-run wizard, driven through a real terminal: tmux runs it in a
// pane, the test waits for each question on the screen (capture-pane), types the answer
// (send-keys) and finally reads the .env it wrote. Each run has its own HOME, config dir and
// CODEX_HOME, and an environment built from scratch. The live test request goes to the fake
// upstream on loopback (OPENAI_BASE_URL, an http:// Azure endpoint, CLAUDEGPT_CODEX_BASE_URL).
//
// Also: without a terminal, `claudegpt setup` and the launcher with nothing configured fail at
// once with the settings to set, instead of waiting for answers.

import { test, describe, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { startFakeUpstream } from '../lib/fake_upstream.mjs';
import { writeCodexAuth, fileMode } from '../lib/codex_auth.mjs';
import { proxyBinary } from '../lib/paths.mjs';
import { makeSessionDirs, removeSessionDirs } from './claude_cli.mjs';

const BIN = proxyBinary();
const TMUX = ['/usr/bin/tmux', '/usr/local/bin/tmux'].find((p) => fs.existsSync(p)) ?? null;
const SKIP = !BIN ? 'no claudegpt binary (set CLAUDEGPT_BIN)' : !TMUX ? 'no tmux' : false;
if (SKIP && process.env.CLAUDEGPT_REQUIRE_CLIENTS) throw new Error(SKIP);

// A tmux server of our own (its own socket), so the tests neither see nor touch the user's.
const SOCKET = `claudegpt-wizard-${process.pid}`;
const tmux = (...args) => execFileSync(TMUX, ['-L', SOCKET, '-f', '/dev/null', ...args],
                                       { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const shellQuote = (s) => `'${String(s).replaceAll("'", "'\\''")}'`;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let sessions = 0;

// `claudegpt args…` in a 120x40 pane with exactly `env` as its environment.
class Terminal {
  constructor(env, args = ['setup']) {
    this.name = `wizard${++sessions}`;
    const assignments = Object.entries(env).map(([k, v]) => `${k}=${shellQuote(v)}`).join(' ');
    // The pane stays after the exit so the last screen, the exit code and the terminal's
    // echo setting can be read. The shell ignores Ctrl-C; claudegpt (in a subshell) does not.
    const command = `trap '' INT; (trap - INT; exec /usr/bin/env -i ${assignments} ` +
                    `${[BIN, ...args].map(shellQuote).join(' ')}); echo "[exit $?]"; ` +
                    "if stty -a | tr ' ;' '\\n\\n' | grep -qx -- -echo; then echo '[echo off]'; " +
                    "else echo '[echo on]'; fi; sleep 600";
    tmux('new-session', '-d', '-x', '120', '-y', '40', '-s', this.name, command);
  }

  // Everything shown so far, wrapped lines joined.
  screen() { return tmux('capture-pane', '-p', '-J', '-S', '-', '-t', this.name); }

  lastLine() { return this.screen().trimEnd().split('\n').at(-1) ?? ''; }

  async waitFor(predicate, what, timeoutMs = 15_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.screen();
      if (predicate(screen)) return screen;
      if (Date.now() > deadline) assert.fail(`waited for ${what}; the screen:\n${screen}`);
      await sleep(30);
    }
  }

  // Waits until the cursor sits after `prompt` (the last line), types `text` and Enter, and
  // waits until the screen shows the answer was taken.
  async answer(prompt, text) {
    const before = await this.waitFor(() => prompt.test(this.lastLine().trimEnd()),
                                      `the question ${prompt}`);
    if (text) tmux('send-keys', '-t', this.name, '-l', text);
    tmux('send-keys', '-t', this.name, 'Enter');
    await this.waitFor((screen) => screen !== before, `a reaction to the answer to ${prompt}`);
  }

  key(name) { tmux('send-keys', '-t', this.name, name); }

  async exitCode() {
    const screen = await this.waitFor((s) => /\[exit \d+\]/.test(s), 'the exit');
    return Number(/\[exit (\d+)\]/.exec(screen)[1]);
  }

  close() {
    try { tmux('kill-session', '-t', this.name); } catch { /* already gone */ }
  }
}

// A .env as claudegpt writes it: KEY=value lines, values maybe quoted.
function readDotenv(file) {
  const entries = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Za-z_][A-Za-z0-9_.]*)=(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2];
    if (/^'.*'$/.test(value)) value = value.slice(1, -1);
    else if (/^".*"$/.test(value)) value = JSON.parse(value);
    entries[m[1]] = value;
  }
  return entries;
}

const secret = (prefix) => `${prefix}-${crypto.randomBytes(12).toString('hex')}`;

const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
// The question `question` (plain text) with `fallback` offered on Enter: "question [fallback]:".
const offering = (question, fallback) =>
  new RegExp(`${escapeRegExp(question)} \\[${escapeRegExp(fallback)}\\]:$`);

const BACKEND = /Backend \(1, 2 or 3\):$/;
const BASE_URL = /OpenAI API base URL \[[^\]]+\]:$/;
const OPENAI_KEY = /OpenAI API key \(typing is hidden\):$/;
// The default tier, with or without one configured (offered in brackets).
const TIER = new RegExp('Default model tier for new sessions: opus, sonnet, haiku, or ' +
                        "(Enter|none) to keep Claude Code's own choice " +
                        '\\(your /model choice is remembered\\)( \\[\\w+\\])?:$');
const TEST_NOW = /Send a test request now\? \[Y\/n\]:$/;
const AFTER_FAILURE =
  /Try again \(t\), change the answers \(c\), save anyway \(s\) or quit \(q\)\? \[c\]:$/;
// The key question when a key is set: Enter keeps it, named by its last four characters.
const keepingKey = (backend, key) =>
  new RegExp(`${backend} API key \\(typing is hidden; Enter keeps the current key ` +
             `…${escapeRegExp(key.slice(-4))}\\):$`);
// The key the fake upstream's OpenAI route takes.
const RIGHT_KEY = 'sk-the-right-key-0123456789';

let fake;
let dirs;
let terminals = [];

function wizard(extraEnv = {}, args = ['setup']) {
  const term = new Terminal({
    PATH: process.env.PATH, TERM: 'xterm-256color', HOME: dirs.home,
    XDG_CONFIG_HOME: dirs.config, CODEX_HOME: path.join(dirs.root, 'codex'), ...extraEnv,
  }, args);
  terminals.push(term);
  return term;
}
const dotenvPath = () => path.join(dirs.config, 'claudegpt', '.env');

before(async () => {
  if (SKIP) return;
  fake = await startFakeUpstream({ apiKey: RIGHT_KEY });
});
after(async () => {
  await fake?.close();
  if (SKIP) return;
  try { tmux('kill-server'); } catch { /* it exits by itself with its last session */ }
  // Its socket file stays behind: remove it too.
  fs.rmSync(path.join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid()}`, SOCKET),
            { force: true });
});
beforeEach(async () => {
  if (SKIP) return;
  await fake.reset();
  dirs = makeSessionDirs('claudegpt-wizard-');
});
afterEach(() => {
  for (const term of terminals) term.close();
  terminals = [];
  if (dirs) removeSessionDirs(dirs);
  dirs = null;
});

describe('claudegpt setup in a terminal', { skip: SKIP }, () => {
  test('Azure: a wrong endpoint is refused with the reason, the corrected one taken, the key ' +
       'hidden, default deployments offered, the test request sent, other .env entries kept',
       async () => {
    fs.mkdirSync(path.join(dirs.config, 'claudegpt'), { mode: 0o700 });
    fs.writeFileSync(dotenvPath(),
                     '# mine\nCLAUDEGPT_PROVIDER=openai\nCLAUDEGPT_REWRITE_IDENTITY=0\n');
    const key = secret('azurekey');
    const term = wizard();
    await term.answer(offering('Backend (1, 2 or 3)', '2'), '1');  // the file's openai
    await term.answer(/Azure endpoint .*:$/, 'not a url');
    await term.waitFor((s) => /not a URL: expected https:\/\//.test(s), 'the refusal');
    await term.answer(/Azure endpoint .*:$/, fake.azureEndpoint);
    await term.answer(/Azure API key \(typing is hidden\):$/, key);
    await term.answer(/Deployment for opus \[gpt-5-5\]:$/, '');
    await term.answer(/Deployment for sonnet \[gpt-54-mini\]:$/, 'my-sonnet');
    await term.answer(/Deployment for haiku \[gpt-54-nano\]:$/, '');
    const tiers = await term.waitFor(() => TIER.test(term.lastLine()), 'the tier question');
    assert.match(tiers, /^  opus    gpt-5-5\n  sonnet  my-sonnet\n  haiku   gpt-54-nano$/m);
    await term.answer(TIER, '');
    await term.answer(TEST_NOW, '');
    assert.equal(await term.exitCode(), 0, term.screen());
    const screen = term.screen();
    assert.match(screen, /The test request went through/);
    assert.ok(!screen.includes(key), `the key is on the screen:\n${screen}`);

    const request = await fake.lastRequest();
    assert.equal(request.headers['api-key'], key);
    assert.equal(request.body.model, 'gpt-54-nano');

    assert.deepEqual(readDotenv(dotenvPath()), {
      CLAUDEGPT_PROVIDER: 'azure',
      CLAUDEGPT_REWRITE_IDENTITY: '0',
      AZURE_OPENAI_ENDPOINT: fake.azureEndpoint,
      AZURE_OPENAI_API_KEY: key,
      AZURE_OPENAI_CHAT_DEPLOYMENT_FULL: 'gpt-5-5',
      AZURE_OPENAI_CHAT_DEPLOYMENT: 'my-sonnet',
      AZURE_OPENAI_CHAT_DEPLOYMENT_NANO: 'gpt-54-nano',
    });
    assert.equal(fileMode(dotenvPath()), 0o600);
  });

  test('OpenAI: a wrong backend number and an empty key are refused; a key the upstream ' +
       'rejects fails the test request and quitting then saves nothing; the right one is saved ' +
       'at 0600 in a 0700 directory, with the base URL the environment gave', async () => {
    const env = { OPENAI_BASE_URL: fake.baseURL };
    const wrongKey = secret('sk-wrong');
    let term = wizard(env);
    await term.answer(BACKEND, '4');
    await term.waitFor((s) => /answer 1, 2 or 3/.test(s), 'the refusal');
    await term.answer(BACKEND, '2');
    await term.answer(offering('OpenAI API base URL', fake.baseURL), '');
    await term.answer(OPENAI_KEY, '');
    await term.waitFor((s) => /the key is empty/.test(s), 'the refusal');
    await term.answer(OPENAI_KEY, wrongKey);
    await term.answer(/Model for opus \[gpt-5\.5\]:$/, '');
    await term.answer(/Model for sonnet \[gpt-5\.4-mini\]:$/, '');
    await term.answer(/Model for haiku \[gpt-5\.4-mini\]:$/, 'gpt-test-haiku');
    await term.answer(TIER, '');
    await term.answer(TEST_NOW, 'y');
    await term.answer(AFTER_FAILURE, 'q');
    assert.equal(await term.exitCode(), 1, term.screen());
    assert.match(term.screen(), /The test request failed: HTTP 401/);
    assert.match(term.screen(), /Nothing saved/);
    assert.ok(!term.screen().includes(wrongKey), term.screen());
    assert.ok(!fs.existsSync(dotenvPath()), 'a .env was written');

    const key = RIGHT_KEY;
    term = wizard(env);
    await term.answer(BACKEND, '2');
    await term.answer(offering('OpenAI API base URL', fake.baseURL), '');
    await term.answer(OPENAI_KEY, key);
    await term.answer(/Model for opus \[gpt-5\.5\]:$/, 'gpt-test-opus');
    await term.answer(/Model for sonnet \[gpt-5\.4-mini\]:$/, '');
    await term.answer(/Model for haiku \[gpt-5\.4-mini\]:$/, '');
    await term.answer(TIER, '');
    await term.answer(TEST_NOW, 'Y');
    assert.equal(await term.exitCode(), 0, term.screen());
    assert.match(term.screen(), /The test request went through/);
    assert.ok(!term.screen().includes(key), term.screen());
    assert.equal((await fake.lastRequest()).headers.authorization, `Bearer ${key}`);

    assert.deepEqual(readDotenv(dotenvPath()), {
      CLAUDEGPT_PROVIDER: 'openai',
      OPENAI_BASE_URL: fake.baseURL,
      OPENAI_API_KEY: key,
      CLAUDEGPT_OPENAI_OPUS: 'gpt-test-opus',
      CLAUDEGPT_OPENAI_SONNET: 'gpt-5.4-mini',
      CLAUDEGPT_OPENAI_HAIKU: 'gpt-5.4-mini',
    });
    assert.equal(fileMode(dotenvPath()), 0o600);
    assert.equal(fileMode(path.dirname(dotenvPath())), 0o700);
  });

  test('OpenAI base URL: the official one is offered and, taken as it is, not written; a bare ' +
       'host and an http:// URL to another machine are refused with the reason; one given is ' +
       'used and saved', async () => {
    let term = wizard();
    await term.answer(BACKEND, '2');
    await term.answer(offering('OpenAI API base URL', 'https://api.openai.com/v1'), '');
    await term.answer(OPENAI_KEY, RIGHT_KEY);
    for (let i = 0; i < 3; i++) await term.answer(/Model for \w+ \[[^\]]+\]:$/, '');
    await term.answer(TIER, '');
    await term.answer(TEST_NOW, 'n');
    assert.equal(await term.exitCode(), 0, term.screen());
    assert.equal(readDotenv(dotenvPath()).OPENAI_BASE_URL, undefined);

    term = wizard();
    await term.answer(offering('Backend (1, 2 or 3)', '2'), '');
    await term.answer(BASE_URL, 'api.example.com/v1');
    await term.waitFor((s) => /not a URL: expected https:\/\/HOST\/v1/.test(s), 'the refusal');
    await term.answer(BASE_URL, 'http://gateway.example.com/v1');
    await term.waitFor((s) => /http:\/\/ would send the key unencrypted/.test(s),
                       'the refusal of http:// to another machine');
    await term.answer(BASE_URL, `${fake.baseURL}/`);  // the slash is dropped, as Settings does
    await term.answer(keepingKey('OpenAI', RIGHT_KEY), '');
    for (let i = 0; i < 3; i++) await term.answer(/Model for \w+ \[[^\]]+\]:$/, '');
    await term.answer(TIER, '');
    await term.answer(TEST_NOW, '');
    assert.equal(await term.exitCode(), 0, term.screen());
    assert.match(term.screen(), /The test request went through/);
    assert.equal((await fake.lastRequest()).route, 'openai');
    assert.equal(readDotenv(dotenvPath()).OPENAI_BASE_URL, fake.baseURL);
  });

  test('a rerun offers every previous answer, the key by its last four characters: Enter ' +
       'through all of them leaves the .env as it was', async () => {
    let term = wizard();
    await term.answer(BACKEND, '2');
    await term.answer(BASE_URL, fake.baseURL);
    await term.answer(OPENAI_KEY, RIGHT_KEY);
    await term.answer(/Model for opus \[gpt-5\.5\]:$/, 'gpt-test-opus');
    await term.answer(/Model for sonnet \[gpt-5\.4-mini\]:$/, '');
    await term.answer(/Model for haiku \[gpt-5\.4-mini\]:$/, 'gpt-test-haiku');
    await term.answer(TIER, 'opus');
    await term.answer(TEST_NOW, 'n');
    assert.equal(await term.exitCode(), 0, term.screen());
    const saved = fs.readFileSync(dotenvPath(), 'utf8');

    term = wizard();
    await term.answer(offering('Backend (1, 2 or 3)', '2'), '');
    await term.answer(offering('OpenAI API base URL', fake.baseURL), '');
    await term.answer(keepingKey('OpenAI', RIGHT_KEY), '');
    await term.answer(offering('  Model for opus', 'gpt-test-opus'), '');
    await term.answer(offering('  Model for sonnet', 'gpt-5.4-mini'), '');
    await term.answer(offering('  Model for haiku', 'gpt-test-haiku'), '');
    await term.answer(/or none to keep Claude Code's own choice .* \[opus\]:$/, '');
    await term.answer(TEST_NOW, '');
    assert.equal(await term.exitCode(), 0, term.screen());
    assert.match(term.screen(), /The test request went through/);  // with the kept key
    assert.equal((await fake.lastRequest()).headers.authorization, `Bearer ${RIGHT_KEY}`);
    assert.ok(!term.screen().includes(RIGHT_KEY), term.screen());
    assert.equal(fs.readFileSync(dotenvPath(), 'utf8'), saved);
  });

  test('an Azure rerun offers the endpoint, the key and the deployments it has: Enter through ' +
       'them leaves the .env as it was', async () => {
    const key = secret('azurekey');
    const saved = ['CLAUDEGPT_PROVIDER=azure', 'CLAUDEGPT_REWRITE_IDENTITY=0',
                   `AZURE_OPENAI_ENDPOINT=${fake.azureEndpoint}`, `AZURE_OPENAI_API_KEY=${key}`,
                   'AZURE_OPENAI_CHAT_DEPLOYMENT_FULL=big', 'AZURE_OPENAI_CHAT_DEPLOYMENT=middle',
                   'AZURE_OPENAI_CHAT_DEPLOYMENT_NANO=small', 'CLAUDEGPT_DEFAULT_MODEL=haiku',
                   ''].join('\n');
    fs.mkdirSync(path.join(dirs.config, 'claudegpt'), { mode: 0o700 });
    fs.writeFileSync(dotenvPath(), saved, { mode: 0o600 });
    const term = wizard();
    await term.answer(offering('Backend (1, 2 or 3)', '1'), '');
    await term.answer(offering('Azure endpoint (https://RESOURCE.openai.azure.com)',
                               fake.azureEndpoint), '');
    await term.answer(keepingKey('Azure', key), '');
    await term.answer(offering('  Deployment for opus', 'big'), '');
    await term.answer(offering('  Deployment for sonnet', 'middle'), '');
    await term.answer(offering('  Deployment for haiku', 'small'), '');
    await term.answer(/ \[haiku\]:$/, '');
    await term.answer(TEST_NOW, '');
    assert.equal(await term.exitCode(), 0, term.screen());
    assert.equal((await fake.lastRequest()).headers['api-key'], key);
    assert.equal(fs.readFileSync(dotenvPath(), 'utf8'), saved);
  });

  test('after a failed test request the answers given are the new defaults: changing the ' +
       'answers retypes only the key', async () => {
    const wrongKey = secret('sk-wrong');
    const term = wizard({ OPENAI_BASE_URL: fake.baseURL });
    await term.answer(BACKEND, '2');
    await term.answer(BASE_URL, '');
    await term.answer(OPENAI_KEY, wrongKey);
    await term.answer(/Model for opus \[gpt-5\.5\]:$/, 'gpt-test-opus');
    await term.answer(/Model for sonnet \[gpt-5\.4-mini\]:$/, '');
    await term.answer(/Model for haiku \[gpt-5\.4-mini\]:$/, 'gpt-test-haiku');
    await term.answer(TIER, 'haiku');
    await term.answer(TEST_NOW, '');
    await term.waitFor((s) => /The test request failed: HTTP 401/.test(s), 'the failure');
    await term.answer(AFTER_FAILURE, '');  // Enter: change the answers

    await term.answer(offering('Backend (1, 2 or 3)', '2'), '');
    await term.answer(offering('OpenAI API base URL', fake.baseURL), '');
    await term.answer(keepingKey('OpenAI', wrongKey), RIGHT_KEY);
    await term.answer(offering('  Model for opus', 'gpt-test-opus'), '');
    await term.answer(offering('  Model for sonnet', 'gpt-5.4-mini'), '');
    await term.answer(offering('  Model for haiku', 'gpt-test-haiku'), '');
    await term.answer(/ \[haiku\]:$/, '');
    await term.answer(TEST_NOW, '');
    assert.equal(await term.exitCode(), 0, term.screen());
    assert.match(term.screen(), /The test request went through/);
    assert.ok(!term.screen().includes(wrongKey), term.screen());
    assert.deepEqual(readDotenv(dotenvPath()), {
      CLAUDEGPT_PROVIDER: 'openai',
      OPENAI_BASE_URL: fake.baseURL,
      OPENAI_API_KEY: RIGHT_KEY,
      CLAUDEGPT_OPENAI_OPUS: 'gpt-test-opus',
      CLAUDEGPT_OPENAI_SONNET: 'gpt-5.4-mini',
      CLAUDEGPT_OPENAI_HAIKU: 'gpt-test-haiku',
      CLAUDEGPT_DEFAULT_MODEL: 'haiku',
    });
  });

  test('after a failed test request, trying again sends it again, and saving anyway saves the ' +
       'answers as they are', async () => {
    await fake.script('http_error status=503 message=Back-in-a-moment',
                      'http_error status=503 message=Still-busy');
    const term = wizard({ OPENAI_BASE_URL: fake.baseURL });
    await term.answer(BACKEND, '2');
    await term.answer(BASE_URL, '');
    await term.answer(OPENAI_KEY, RIGHT_KEY);
    for (let i = 0; i < 3; i++) await term.answer(/Model for \w+ \[[^\]]+\]:$/, '');
    await term.answer(TIER, '');
    await term.answer(TEST_NOW, '');
    await term.waitFor((s) => /The test request failed: HTTP 503 .*Back-in-a-moment/.test(s),
                       'the first failure');
    await term.answer(AFTER_FAILURE, 't');
    await term.waitFor((s) => /The test request failed: HTTP 503 .*Still-busy/.test(s),
                       'the second failure');
    await term.answer(AFTER_FAILURE, 's');
    assert.equal(await term.exitCode(), 0, term.screen());
    assert.equal((await fake.requests()).length, 2);
    assert.equal(readDotenv(dotenvPath()).OPENAI_API_KEY, RIGHT_KEY);
  });

  test('the default tier question names the model each tier runs on; a tier is written as ' +
       'CLAUDEGPT_DEFAULT_MODEL, and none on a rerun empties it', async () => {
    let term = wizard();
    await term.answer(BACKEND, '2');
    await term.answer(BASE_URL, '');
    await term.answer(OPENAI_KEY, RIGHT_KEY);
    await term.answer(/Model for opus \[gpt-5\.5\]:$/, 'gpt-test-opus');
    await term.answer(/Model for sonnet \[gpt-5\.4-mini\]:$/, 'gpt-test-sonnet');
    await term.answer(/Model for haiku \[gpt-5\.4-mini\]:$/, '');
    const screen = await term.waitFor(() => TIER.test(term.lastLine()), 'the tier question');
    assert.match(screen,
                 /^  opus    gpt-test-opus\n  sonnet  gpt-test-sonnet\n  haiku   gpt-5\.4-mini\n/m);
    assert.match(term.lastLine(), /or Enter to keep Claude Code's own choice/);
    await term.answer(TIER, 'gpt-5.5');
    await term.waitFor((s) => /answer opus, sonnet, haiku or none/.test(s), 'the refusal');
    await term.answer(TIER, 'Sonnet');
    await term.answer(TEST_NOW, 'n');
    assert.equal(await term.exitCode(), 0, term.screen());
    assert.equal(readDotenv(dotenvPath()).CLAUDEGPT_DEFAULT_MODEL, 'sonnet');

    term = wizard();
    await term.answer(offering('Backend (1, 2 or 3)', '2'), '');
    await term.answer(BASE_URL, '');
    await term.answer(keepingKey('OpenAI', RIGHT_KEY), '');
    for (let i = 0; i < 3; i++) await term.answer(/Model for \w+ \[[^\]]+\]:$/, '');
    await term.answer(/or none to keep Claude Code's own choice .* \[sonnet\]:$/, 'none');
    await term.answer(TEST_NOW, 'n');
    assert.equal(await term.exitCode(), 0, term.screen());
    assert.equal(readDotenv(dotenvPath()).CLAUDEGPT_DEFAULT_MODEL, '');
  });

  test('Codex: an existing login is found, a wrong yes/no answer asked again, the test request ' +
       'goes to the Codex backend with that login', async () => {
    const codexHome = path.join(dirs.root, 'codex');
    fs.mkdirSync(codexHome);
    const tokens = await fake.codexLogin();
    writeCodexAuth(path.join(codexHome, 'auth.json'), tokens);
    const term = wizard({ CLAUDEGPT_CODEX_BASE_URL: fake.codexBaseURL,
                          CLAUDEGPT_CODEX_TOKEN_URL: fake.tokenURL });
    await term.answer(BACKEND, '3');
    await term.waitFor((s) => /Codex login found at .*auth\.json/.test(s), 'the login');
    await term.answer(TIER, '');
    await term.answer(TEST_NOW, 'maybe');
    await term.waitFor((s) => /answer y or n/.test(s), 'the refusal');
    await term.answer(TEST_NOW, 'yes');
    assert.equal(await term.exitCode(), 0, term.screen());
    assert.match(term.screen(), /The test request went through/);
    const request = await fake.lastRequest();
    assert.equal(request.route, 'codex');
    assert.equal(request.headers.authorization, `Bearer ${tokens.access_token}`);
    assert.ok(!term.screen().includes(tokens.access_token));
    assert.deepEqual(readDotenv(dotenvPath()), { CLAUDEGPT_PROVIDER: 'codex' });
    assert.equal(fileMode(dotenvPath()), 0o600);
  });

  test('Ctrl-C while a key is typed ends the wizard with the terminal echoing again', async () => {
    const term = wizard();
    await term.answer(BACKEND, '2');
    await term.answer(BASE_URL, '');
    await term.waitFor(() => OPENAI_KEY.test(term.lastLine().trimEnd()), 'the key question');
    term.key('C-c');
    assert.equal(await term.exitCode(), 130, term.screen());
    await term.waitFor((s) => /\[echo (on|off)\]/.test(s), 'the echo setting');
    assert.match(term.screen(), /\[echo on\]/);
    assert.ok(!fs.existsSync(dotenvPath()));
  });

  test('Codex without a login and without the Codex CLI says how to install it and saves ' +
       'nothing', async () => {
    const term = wizard({ PATH: path.join(dirs.root, 'empty-path') });
    await term.answer(BACKEND, '3');
    assert.equal(await term.exitCode(), 1, term.screen());
    assert.match(term.screen(), /npm install -g @openai\/codex/);
    assert.ok(!fs.existsSync(dotenvPath()));
  });

  test('the launcher with nothing configured asks first, then starts Claude Code', async () => {
    // /bin/echo stands in for claude: it shows the arguments it got and exits 0.
    const term = wizard({ CLAUDEGPT_CLAUDE_BIN: '/bin/echo' }, ['-p', 'hello there']);
    await term.answer(BACKEND, '2');
    await term.answer(BASE_URL, '');
    await term.answer(OPENAI_KEY, 'sk-launcher-key-1234');
    for (let i = 0; i < 3; i++) await term.answer(/Model for \w+ \[[^\]]+\]:$/, '');
    await term.answer(TIER, '');
    await term.answer(TEST_NOW, 'n');
    assert.equal(await term.exitCode(), 0, term.screen());
    assert.match(term.screen(), /-p hello there/);
    assert.equal(readDotenv(dotenvPath()).OPENAI_API_KEY, 'sk-launcher-key-1234');
  });
});

describe('without a terminal', { skip: SKIP }, () => {
  const run = (args, extraEnv = {}) => spawnSync(BIN, args, {
    stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 10_000,
    env: { PATH: process.env.PATH, HOME: dirs.home, XDG_CONFIG_HOME: dirs.config,
           CODEX_HOME: path.join(dirs.root, 'codex'), ...extraEnv },
  });
  const namesTheSettings = (stderr) => {
    for (const name of ['CLAUDEGPT_PROVIDER', 'OPENAI_API_KEY', 'AZURE_OPENAI_ENDPOINT',
                        'AZURE_OPENAI_API_KEY', 'codex login', 'claudegpt setup'])
      assert.ok(stderr.includes(name), `${name} is not named in:\n${stderr}`);
  };

  test('claudegpt setup fails at once with exit code 2, naming the settings to set', () => {
    const result = run(['setup']);
    assert.equal(result.error, undefined);
    assert.equal(result.status, 2, result.stderr);
    namesTheSettings(result.stderr);
    assert.ok(!fs.existsSync(dotenvPath()));
  });

  test('the launcher with nothing configured fails at once with exit code 2, naming them', () => {
    const result = run(['-p', 'hi'], { CLAUDEGPT_CLAUDE_BIN: '/bin/true' });
    assert.equal(result.error, undefined);
    assert.equal(result.status, 2, result.stderr);
    namesTheSettings(result.stderr);
  });

  test('a configured backend needs no questions: the launcher goes straight to Claude Code', () => {
    const result = run(['-p', 'hi'], { CLAUDEGPT_CLAUDE_BIN: '/bin/echo', OPENAI_API_KEY: 'k' });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /-p hi/);
  });
});
