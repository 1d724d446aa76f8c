// scripts/install: builds (a no-op after the release build) and installs the binary and its man
// page into a prefix; --uninstall removes exactly those and says so; --purge also the config
// and state dirs, found as claudegpt finds them. Everything in a throwaway home, prefix and
// XDG dirs, with an environment built from scratch.
//
// Needs the release build (scripts/install builds build/release; after it, that is a no-op).

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { REPO_DIR } from '../lib/paths.mjs';

const INSTALL = path.join(REPO_DIR, 'scripts/install');
const BUILT = path.join(REPO_DIR, 'build/release/claudegpt');
const MAN_SOURCE = path.join(REPO_DIR, 'man/claudegpt.1');
const SKIP = !fs.existsSync(BUILT) ? 'no release build (cmake --build --preset release)' : false;
if (SKIP && process.env.CLAUDEGPT_REQUIRE_CLIENTS) throw new Error(SKIP);
const MAN = spawnSync('man', ['--version']).status === 0;

let root;
let home;
let env;

before(() => {
  if (SKIP) return;
  root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'claudegpt-install-')));
  home = path.join(root, 'home');
  fs.mkdirSync(home);
  fs.mkdirSync(path.join(root, 'tmp'));
  env = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    LANG: 'C.UTF-8',
    HOME: home,
    TMPDIR: path.join(root, 'tmp'),
    XDG_CONFIG_HOME: path.join(root, 'xdg-config'),
    XDG_STATE_HOME: path.join(root, 'xdg-state'),
  };
});
after(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

function run(file, args, extraEnv = {}) {
  const started = performance.now();
  const result = spawnSync(file, args, {
    env: { ...env, ...extraEnv }, cwd: root, encoding: 'utf8', timeout: 600_000,
  });
  const ms = Math.round(performance.now() - started);
  const explain = `\n--- ${path.basename(file)} ${args.join(' ')}: exit ${result.status}` +
    ` (${ms} ms)\n--- stdout:\n${result.stdout}\n--- stderr:\n${result.stderr}`;
  return { ...result, ms, explain };
}

// Every file (not directory) under `dir`, relative to it.
function filesUnder(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true })
    .filter((name) => !fs.statSync(path.join(dir, name)).isDirectory()).sort();
}

describe('scripts/install', { skip: SKIP }, () => {
  test('installs into a prefix, again as a no-op, and uninstalls what it installed', () => {
    const prefix = path.join(root, 'prefix');
    const binary = path.join(prefix, 'bin/claudegpt');
    const manPage = path.join(prefix, 'share/man/man1/claudegpt.1');

    const first = run(INSTALL, ['--prefix', prefix]);
    console.log(`install: ${first.ms} ms`);
    assert.equal(first.status, 0, first.explain);
    assert.match(first.stdout, /^Installed claudegpt \S+:$/m, first.explain);
    assert.ok(first.stdout.includes(`  ${binary}\n`) && first.stdout.includes(`  ${manPage}\n`),
              first.explain);
    assert.deepEqual(filesUnder(prefix), ['bin/claudegpt', 'share/man/man1/claudegpt.1']);
    // Not on PATH: it says so, and the line to add.
    assert.ok(first.stdout.includes(`${prefix}/bin is not on your PATH`), first.explain);
    assert.ok(first.stdout.includes(`export PATH="${prefix}/bin:$PATH"`), first.explain);

    const version = run(binary, ['--version']);
    assert.equal(version.status, 0, version.explain);
    assert.equal(version.stdout, run(BUILT, ['--version']).stdout);
    assert.match(version.stdout, /^claudegpt \d+\.\d+\.\d+\n$/);
    assert.equal(fs.readFileSync(manPage, 'utf8'), fs.readFileSync(MAN_SOURCE, 'utf8'));
    if (MAN) {
      const page = run('man', ['-l', manPage], { MANWIDTH: '80', MAN_KEEP_FORMATTING: '' });
      assert.equal(page.status, 0, page.explain);
      assert.match(page.stdout, /NAME\s+claudegpt - run the Claude Code CLI on OpenAI GPT-5 models/);
      assert.doesNotMatch(page.stderr, /warning/i, page.explain);
    }

    // Again, with the bin dir on PATH: nothing changes, and no PATH advice.
    const mtime = fs.statSync(binary).mtimeMs;
    const again = run(INSTALL, ['--prefix', prefix], { PATH: `${prefix}/bin:${env.PATH}` });
    console.log(`install again: ${again.ms} ms`);
    assert.equal(again.status, 0, again.explain);
    assert.match(again.stdout, /is already installed in .*, and current: nothing to do/, again.explain);
    assert.ok(!again.stdout.includes(`${prefix}/bin is not on your PATH`), again.explain);
    assert.equal(again.stderr, '', 'nothing to build, nothing to say' + again.explain);
    assert.equal(fs.statSync(binary).mtimeMs, mtime);

    // The config and state claudegpt would use here (the installed binary says where).
    const config = path.join(env.XDG_CONFIG_HOME, 'claudegpt');
    const state = path.join(env.XDG_STATE_HOME, 'claudegpt');
    fs.mkdirSync(path.join(config, 'claude'), { recursive: true });
    fs.writeFileSync(path.join(config, '.env'), 'OPENAI_API_KEY=sk-test\n');
    fs.mkdirSync(path.join(state, 'traces'), { recursive: true });
    fs.writeFileSync(path.join(state, 'usage.sqlite3'), '');
    const described = run(binary, ['config']);
    assert.equal(described.status, 0, described.explain);
    assert.ok(described.stdout.includes(`config file      ${config}/.env\n`), described.explain);
    assert.match(described.stdout, new RegExp(`CLAUDEGPT_LEDGER_PATH +${state}/usage\\.sqlite3 `),
                 described.explain);

    const removed = run(INSTALL, ['--uninstall', '--prefix', prefix]);
    assert.equal(removed.status, 0, removed.explain);
    assert.equal(removed.stdout,
                 `Removed ${binary}\nRemoved ${manPage}\n` +
                 `Kept your config and state: ${config} ${state} (--purge removes them too).\n`);
    assert.deepEqual(filesUnder(prefix), []);
    assert.ok(fs.existsSync(path.join(config, '.env')) && fs.existsSync(state));

    const purged = run(INSTALL, ['--uninstall', '--prefix', prefix, '--purge']);
    assert.equal(purged.status, 0, purged.explain);
    assert.equal(purged.stdout,
                 `claudegpt is not installed in ${prefix}: no binary or man page to remove.\n` +
                 `Removed ${config} (config dir: settings, API keys, Claude Code's sessions)\n` +
                 `Removed ${state} (state dir: usage ledger, traces, log)\n`);
    assert.equal(fs.existsSync(config), false);
    assert.equal(fs.existsSync(state), false);
    assert.ok(fs.existsSync(env.XDG_CONFIG_HOME) && fs.existsSync(env.XDG_STATE_HOME),
              'only claudegpt\'s own dirs go');

    const nothing = run(INSTALL, ['--uninstall', '--prefix', prefix, '--purge']);
    assert.equal(nothing.status, 0, nothing.explain);
    assert.match(nothing.stdout, /no binary or man page to remove/);
    assert.match(nothing.stdout, /^No config dir at /m);
  });

  test('by default installs into ~/.local; a config dir of your own loses only claudegpt\'s files', () => {
    const binary = path.join(home, '.local/bin/claudegpt');
    const installed = run(INSTALL, []);
    assert.equal(installed.status, 0, installed.explain);
    assert.ok(installed.stdout.includes('  ~/.local/bin/claudegpt\n'), installed.explain);
    assert.ok(installed.stdout.includes('  ~/.local/share/man/man1/claudegpt.1\n'), installed.explain);
    assert.ok(installed.stdout.includes('export PATH="$HOME/.local/bin:$PATH"'), installed.explain);
    assert.equal(run(binary, ['--version']).status, 0);

    // CLAUDEGPT_CONFIG_DIR names a folder that holds other files too.
    const own = path.join(home, 'settings');
    fs.mkdirSync(own);
    fs.writeFileSync(path.join(own, '.env'), 'OPENAI_API_KEY=sk-test\n');
    fs.writeFileSync(path.join(own, 'notes.txt'), 'mine');
    const extra = { CLAUDEGPT_CONFIG_DIR: '~/settings', XDG_CONFIG_HOME: '', XDG_STATE_HOME: '' };
    const described = run(binary, ['config'], extra);
    assert.ok(described.stdout.includes('config file      ~/settings/.env\n'), described.explain);

    const purged = run(INSTALL, ['--uninstall', '--purge'], extra);
    assert.equal(purged.status, 0, purged.explain);
    assert.equal(purged.stdout,
                 'Removed ~/.local/bin/claudegpt\nRemoved ~/.local/share/man/man1/claudegpt.1\n' +
                 'Removed ~/settings/.env\nKept ~/settings: it holds files that are not claudegpt\'s\n' +
                 'No state dir at ~/.local/state/claudegpt\n');
    assert.deepEqual(fs.readdirSync(own), ['notes.txt']);
    assert.deepEqual(filesUnder(path.join(home, '.local')), []);
  });

  test('--purge without --uninstall, and an unknown argument, are refused', () => {
    const purge = run(INSTALL, ['--purge']);
    assert.equal(purge.status, 1, purge.explain);
    assert.match(purge.stderr, /--purge goes with --uninstall/);
    const unknown = run(INSTALL, ['--prefx', '/tmp']);
    assert.equal(unknown.status, 2, unknown.explain);
    assert.match(unknown.stderr, /unknown argument '--prefx'/);
  });
});
