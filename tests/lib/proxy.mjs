// Starting the claudegpt proxy (`claudegpt serve --port 0`) against a fake upstream.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { proxyBinary } from './paths.mjs';
import { waitForLine } from './process.mjs';

export class Proxy {
  constructor(child, url, stateDir) {
    this.child = child;
    this.url = url;                 // http://127.0.0.1:PORT (what ANTHROPIC_BASE_URL is)
    this.stateDir = stateDir;       // its own XDG_STATE_HOME: traces and the usage ledger
  }

  get tracesDir() { return path.join(this.stateDir, 'claudegpt', 'traces'); }
  get ledgerPath() { return path.join(this.stateDir, 'claudegpt', 'usage.sqlite3'); }

  get alive() { return this.child.exitCode === null && this.child.signalCode === null; }
  get stderr() { return this.child.stderrText; }

  // SIGTERM, then SIGKILL if it has not exited within `graceMs`. Resolves with the exit info.
  // Its state directory goes too (CLAUDEGPT_TEST_KEEP_STATE=1 keeps it for a look).
  async stop(graceMs = 5000) {
    let result = { code: this.child.exitCode, signal: this.child.signalCode };
    if (this.alive) {
      const exited = new Promise((resolve) =>
        this.child.once('exit', (code, signal) => resolve({ code, signal })));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      result = await exited;
      clearTimeout(timer);
    }
    if (!process.env.CLAUDEGPT_TEST_KEEP_STATE) fs.rmSync(this.stateDir, { recursive: true, force: true });
    return result;
  }
}

// Variables of the outer environment that would send the proxy somewhere else than the
// test means to (a developer's own forward proxy, Azure or Codex settings): not passed on.
// A test that wants one sets it in `env`.
const FOREIGN_VARIABLES = new RegExp(`^(${[
  'https?_proxy', 'all_proxy', 'no_proxy', 'AZURE_OPENAI_\\w+', 'CODEX_HOME',
  'CLAUDEGPT_CODEX_\\w+', 'CLAUDEGPT_CA_BUNDLE', 'CLAUDEGPT_TOOLS_DEPLOYMENT',
  'CLAUDEGPT_UPSTREAM_RETRIES', 'CLAUDEGPT_TRACE\\w*', 'CLAUDEGPT_LEDGER\\w*', 'XDG_STATE_HOME',
].join('|')})$`, 'i');

// `upstream` is a FakeUpstream (tests/lib/fake_upstream.mjs) or a base URL string ending
// in /v1. `env` adds/overrides environment variables (e.g. CLAUDEGPT_PING_INTERVAL_MS); a
// variable set to undefined there is removed.
export async function startProxy({ upstream, env = {}, bin = proxyBinary(), args = [] } = {}) {
  if (!bin) throw new Error('no claudegpt binary: set CLAUDEGPT_BIN or build build/release');
  const baseURL = typeof upstream === 'string' ? upstream : upstream.baseURL;
  const inherited = Object.fromEntries(Object.entries(process.env)
    .filter(([name]) => !FOREIGN_VARIABLES.test(name)));
  // Each proxy keeps its traces and ledger in a directory of its own.
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'claudegpt-state-'));
  const child = spawn(bin, ['serve', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...inherited,
      CLAUDEGPT_PROVIDER: 'openai',
      OPENAI_BASE_URL: baseURL,
      OPENAI_API_KEY: 'test-key',
      // True token figures: a test of the context scaling turns it on itself.
      CLAUDEGPT_CLIENT_CONTEXT: '0',
      XDG_STATE_HOME: stateDir,
      ...env,
    },
  });
  child.stderrText = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    // Keep the tail only: a long test run can log a lot.
    child.stderrText = (child.stderrText + chunk).slice(-200_000);
    if (process.env.CLAUDEGPT_TEST_VERBOSE) process.stderr.write(chunk);
  });
  child.once('close', () => keepSanitizerReport(child));
  const match = await waitForLine(child, /^listening on (http:\/\/\S+)/, 15_000);
  const proxy = new Proxy(child, match[1].replace(/\/$/, ''), stateDir);
  await waitUntilServing(proxy);
  return proxy;
}

// Under the sanitizers (the asan preset; tests/CMakeLists.txt) ASan and LSan write their reports
// to files in CLAUDEGPT_SANITIZER_REPORTS, which a last test checks; UBSan, in the combined
// runtime, writes to stderr only. So a proxy whose stderr holds a UBSan report leaves it there
// too, whether or not its test looks at how it ended.
function keepSanitizerReport(child) {
  const dir = process.env.CLAUDEGPT_SANITIZER_REPORTS;
  if (!dir || !/: runtime error: /.test(child.stderrText)) return;
  fs.writeFileSync(path.join(dir, `ubsan-proxy-stderr.${child.pid}`), child.stderrText);
}

// The listening line is printed after bind; make sure requests are answered too.
async function waitUntilServing(proxy, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`${proxy.url}/health`);
      await res.arrayBuffer();
      return;
    } catch (err) {
      if (!proxy.alive) throw new Error(`proxy exited: ${proxy.stderr}`);
      if (Date.now() > deadline) throw new Error(`proxy not answering: ${err.message}`);
      await sleep(50);
    }
  }
}
