// Soak: 1,000 concurrent streams (CLAUDEGPT_SOAK_STREAMS) for CLAUDEGPT_SOAK_SECONDS
// (default 30; the full run is 600), on loopback, each client looping request after
// request: half plain text, half text followed by three tool calls whose ids the test knows
// (the fake's tool_fanout). Zero failed requests; every tool_use id delivered exactly once,
// with its whole input; every text exact; the upstream asked exactly once per request.
// The fake upstream runs in a process of its own (the second core), without records.
//
// Run: CLAUDEGPT_BIN=… CLAUDEGPT_SOAK_SECONDS=600 node --test tests/faults/soak.test.mjs

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

import { startFakeUpstream } from '../lib/fake_upstream.mjs';
import { startProxy } from '../lib/proxy.mjs';
import { BIN, HEADERS, SKIP, mb, memory, openFds, openFileLimit, stillServes } from './support.mjs';

const STREAMS = Number(process.env.CLAUDEGPT_SOAK_STREAMS ?? 1000);
const SECONDS = Number(process.env.CLAUDEGPT_SOAK_SECONDS ?? 30);
const TOOL_CALLS = 3;
// Each stream lasts a second or two (deltas gap_ms apart): all of them really are open at
// once, at a request rate two shared cores can carry.
const GAP_MS = 150;

const PROBE_TOOL = {
  name: 'Probe',
  description: 'Reports a tag.',
  input_schema: { type: 'object', properties: { tag: { type: 'string' }, i: { type: 'integer' } },
                  required: ['tag', 'i'], additionalProperties: false },
};

let fake;
let proxy;
before(async () => {
  if (SKIP) return;
  fake = await startFakeUpstream({ spawn: true, args: ['--max-records', '10'] });
  proxy = await startProxy({ upstream: fake, env: {
    CLAUDEGPT_UPSTREAM_RETRIES: '0',   // a failure must show, not be papered over
    CLAUDEGPT_LEDGER: '0', CLAUDEGPT_TRACE: '0',
  } });
});
after(async () => {
  const exit = await proxy?.stop();
  await fake?.close();
  if (exit && exit.code !== 0 && exit.signal !== 'SIGTERM') {
    assert.fail(`the proxy exited badly: ${JSON.stringify(exit)}\n${proxy.stderr}`);
  }
});

// One streamed request over `agent`; resolves with the SSE events' data (parsed), rejects on
// a non-200 answer or a broken connection.
function streamOnce(agent, payload) {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify(payload);
    const req = http.request(`${proxy.url}/v1/messages`, {
      method: 'POST', agent,
      headers: { ...HEADERS, 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('error', reject);
      res.on('aborted', () => reject(new Error('response aborted')));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}: ${text}`));
        const events = [];
        for (const raw of text.split('\n\n')) {
          const data = raw.split('\n').find((l) => l.startsWith('data: '));
          if (data) events.push(JSON.parse(data.slice(6)));
        }
        resolve(events);
      });
    });
    req.setTimeout(60_000, () => req.destroy(new Error('no answer within 60 s')));
    req.on('error', reject);
    req.end(body);
  });
}

// Checks one answer; returns the tool_use ids it carried. Throws on anything wrong.
function check(events, { text, tag }) {
  const types = events.map((e) => e.type);
  assert.equal(types[0], 'message_start');
  assert.equal(types.at(-1), 'message_stop', types.join(','));
  const blocks = [];
  for (const e of events) {
    if (e.type === 'content_block_start') {
      blocks[e.index] = { ...e.content_block, text: '', json: '' };
    } else if (e.type === 'content_block_delta') {
      if (e.delta.type === 'text_delta') blocks[e.index].text += e.delta.text;
      if (e.delta.type === 'input_json_delta') blocks[e.index].json += e.delta.partial_json;
    }
  }
  assert.equal(blocks[0].type, 'text');
  assert.equal(blocks[0].text, text);
  const tools = blocks.filter((b) => b.type === 'tool_use');
  const stop = events.find((e) => e.type === 'message_delta').delta.stop_reason;
  if (!tag) {
    assert.equal(tools.length, 0);
    assert.equal(stop, 'end_turn');
    return [];
  }
  assert.equal(stop, 'tool_use');
  assert.equal(tools.length, TOOL_CALLS);
  tools.forEach((b, k) => {
    assert.equal(b.name, 'Probe');
    assert.equal(b.id, `call_${tag}_${k + 1}`);
    assert.deepEqual(JSON.parse(b.json), { tag, i: k + 1 });
  });
  return tools.map((b) => b.id);
}

describe(`soak: ${STREAMS} concurrent streams for ${SECONDS} s`, { skip: SKIP }, () => {
  test('the proxy may open enough files', (t) => {
    // Each stream holds two sockets in the proxy (the client's, the upstream's).
    const limit = openFileLimit(proxy.child.pid);
    t.diagnostic(`the proxy's open-file limit: soft ${limit.soft}, hard ${limit.hard}`);
    assert.ok(limit.soft >= 2 * STREAMS + 100,
              `soft limit ${limit.soft} < ${2 * STREAMS + 100}: raise ulimit -n`);
  });

  // Node raises its own soft limit to the hard one, and the proxies the tests start inherit
  // that; started from a shell (soft limit 1024 on a stock Debian) the proxy would run out
  // of fds near 500 streams if it did not raise its own.
  test('started with a soft limit of 1024, the proxy raises it to serve 1,000 streams',
       async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'claudegpt-ulimit-'));
    const wrapper = path.join(dir, 'claudegpt');
    fs.writeFileSync(wrapper, `#!/bin/sh\nulimit -Sn 1024\nexec '${BIN}' "$@"\n`, { mode: 0o755 });
    const limited = await startProxy({ upstream: fake, bin: wrapper });
    try {
      const limit = openFileLimit(limited.child.pid);
      t.diagnostic(`soft ${limit.soft}, hard ${limit.hard}`);
      assert.ok(limit.soft >= Math.min(limit.hard, 2100), `soft limit ${limit.soft}`);
    } finally {
      await limited.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('zero failures, every tool call exactly once', { timeout: (SECONDS + 120) * 1000 },
       async (t) => {
    const pid = proxy.child.pid;
    const agent = new http.Agent({ keepAlive: true, maxSockets: STREAMS });
    const firstId = (await fake.lastRequest())?.id ?? 0;
    const seen = new Map();   // tool_use id → times delivered
    const expected = new Set();
    const failures = [];
    let requests = 0;
    let peakOpen = 0;
    let open = 0;
    let peakFds = 0;
    const started = performance.now();
    const deadline = started + SECONDS * 1000;
    const sampler = setInterval(() => {
      peakFds = Math.max(peakFds, openFds(pid));
    }, 500);
    const client = async (w) => {
      // Spread the starts over a second, so the streams do not move in lockstep.
      await new Promise((resolve) => setTimeout(resolve, (w * 997) % 1000));
      for (let n = 0; performance.now() < deadline; n += 1) {
        const tag = w % 2 === 1 ? `w${w}r${n}` : null;
        const text = `Stream ${w}, request ${n}: all well.`;
        const marker = tag
          ? `tool_fanout n=${TOOL_CALLS} tag=${tag} text="${text}" deltas=4 gap_ms=${GAP_MS}`
          : `text text="${text}" deltas=8 gap_ms=${GAP_MS}`;
        const payload = {
          model: 'claude-sonnet-4-5', max_tokens: 1024, stream: true,
          messages: [{ role: 'user', content: `[[scenario:${marker}]] go` }],
          ...(tag && { tools: [PROBE_TOOL] }),
        };
        if (tag) for (let k = 1; k <= TOOL_CALLS; k += 1) expected.add(`call_${tag}_${k}`);
        requests += 1;
        open += 1;
        peakOpen = Math.max(peakOpen, open);
        try {
          const ids = check(await streamOnce(agent, payload), { text, tag });
          for (const id of ids) seen.set(id, (seen.get(id) ?? 0) + 1);
        } catch (err) {
          failures.push(`${w}/${n}: ${err.message}`);
        } finally {
          open -= 1;
        }
      }
    };
    await Promise.all(Array.from({ length: STREAMS }, (_, w) => client(w)));
    clearInterval(sampler);
    agent.destroy();
    const seconds = (performance.now() - started) / 1000;
    const upstream = (await fake.lastRequest()).id - firstId;
    const duplicates = [...seen].filter(([, times]) => times !== 1);
    const missing = [...expected].filter((id) => !seen.has(id));
    const { rssKb, peakKb } = memory(pid);
    t.diagnostic(`${requests} requests in ${seconds.toFixed(1)} s ` +
                 `(${(requests / seconds).toFixed(0)}/s), ${peakOpen} open at most; ` +
                 `${seen.size} tool calls; ${failures.length} failures`);
    t.diagnostic(`proxy: peak ${peakFds} fds, RSS ${mb(rssKb)} MB now, peak ${mb(peakKb)} MB`);
    assert.deepEqual(failures.slice(0, 10), [], `${failures.length} failed requests`);
    assert.equal(peakOpen, STREAMS, 'every stream was open at once');
    assert.deepEqual(duplicates, [], 'a tool call delivered more than once');
    assert.deepEqual(missing, [], 'a tool call never delivered');
    assert.equal(upstream, requests, 'one upstream request per request');
    await stillServes(proxy);
  });
});
