// CLAUDEGPT_THREADS: the proxy serves on that many I/O threads, dealing connections out to
// them in turn, and every one of them does its share of the work. Linux only (it reads
// /proc/PID/task). The strict fake upstream (tests/fake_upstream/) sits behind it.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

import { startFakeUpstream } from '../lib/fake_upstream.mjs';
import { startProxy } from '../lib/proxy.mjs';
import { proxyBinary } from '../lib/paths.mjs';
import { collectSse } from '../lib/sse.mjs';

const BIN = proxyBinary();
const SKIP = !BIN || !fs.existsSync('/proc/self/task') ? 'needs the proxy binary and /proc' : false;

// The proxy's threads: name → context switches it made waiting for work (each wait for a
// socket is one), read from /proc/PID/task/TID/{comm,status}.
function threadsOf(pid) {
  const threads = [];
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    const dir = `/proc/${pid}/task/${tid}`;
    const name = fs.readFileSync(`${dir}/comm`, 'utf8').trim();
    const status = fs.readFileSync(`${dir}/status`, 'utf8');
    const waits = Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(status)[1]);
    threads.push({ tid, name, waits });
  }
  return threads;
}

// The I/O threads: the process's first thread, and those named claudegpt-io2, -io3, …
function ioThreads(pid) {
  return threadsOf(pid).filter((t) => t.tid === String(pid) || t.name.startsWith('claudegpt-io'));
}

async function turn(proxy, i) {
  const response = await fetch(`${proxy.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'dummy', 'anthropic-version': '2023-06-01',
               connection: 'close' },  // a new connection each: dealt out anew
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 256, stream: true,
                           messages: [{ role: 'user', content: `[[scenario:text text=turn-${i}]] hi` }] }),
  });
  assert.equal(response.status, 200);
  const events = await collectSse(response);
  assert.equal(events.at(-1).event, 'message_stop');
  return events;
}

describe('CLAUDEGPT_THREADS', { skip: SKIP }, () => {
  let fake;
  before(async () => { fake = await startFakeUpstream(); });
  after(async () => { await fake?.close(); });

  test('3 threads: two more named claudegpt-io2 and -io3, and each serves its share of 60 turns',
       async (t) => {
    const proxy = await startProxy({ upstream: fake, env: { CLAUDEGPT_THREADS: '3' } });
    try {
      const pid = proxy.child.pid;
      const before = ioThreads(pid);
      assert.deepEqual(before.map((x) => x.name).filter((n) => n.startsWith('claudegpt-io')).sort(),
                       ['claudegpt-io2', 'claudegpt-io3']);
      for (let round = 0; round < 3; ++round)
        await Promise.all(Array.from({ length: 20 }, (_, i) => turn(proxy, round * 20 + i)));
      const afterwards = ioThreads(pid);
      for (const thread of before) {
        const now = afterwards.find((x) => x.tid === thread.tid);
        const waited = now.waits - thread.waits;
        t.diagnostic(`${thread.name}: ${waited} waits for sockets during the turns`);
        // A thread dealt no connection would have waited once or twice (its timers).
        assert.ok(waited >= 10, `${thread.name} served some of the turns (${waited} waits)`);
      }
    } finally {
      const exit = await proxy.stop();
      assert.equal(exit.code, 0, `exits cleanly on SIGTERM: ${JSON.stringify(exit)}`);
    }
  });

  test('1 thread: no other I/O thread, and it still serves turns at once', async () => {
    const proxy = await startProxy({ upstream: fake, env: { CLAUDEGPT_THREADS: '1' } });
    try {
      assert.deepEqual(ioThreads(proxy.child.pid).filter((x) => x.name.startsWith('claudegpt-io')), []);
      await Promise.all(Array.from({ length: 10 }, (_, i) => turn(proxy, i)));
    } finally {
      await proxy.stop();
    }
  });

  test('a value out of range is refused, naming the setting', () => {
    const run = spawnSync(BIN, ['serve', '--port', '0'], {
      encoding: 'utf8', timeout: 10_000,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, CLAUDEGPT_PROVIDER: 'openai',
             OPENAI_API_KEY: 'test-key', OPENAI_BASE_URL: fake.baseURL, CLAUDEGPT_THREADS: '1000' },
    });
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /CLAUDEGPT_THREADS/);
  });
});
