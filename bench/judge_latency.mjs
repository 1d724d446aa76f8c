#!/usr/bin/env node
// What auto mode's judge adds to a tool turn, through the proxy and the fake upstream:
//   node bench/judge_latency.mjs [--runs 30] [--judge-ms 0,400,800]
// Each run streams the recorded 2.1.332 auto-mode turn (a Bash call) three ways, alternately:
// without `safeguards` (no judge), and with them, the fake's judge answering after each
// --judge-ms (0: the proxy's own cost; the others model a small model's answer time, which
// only a real upstream can give: bench/judge measures that). Reported: the time from the
// tool_use block's end to message_delta as the client sees it (what the client waits for
// the verdicts), and the whole turn, p50/p95, in ms. Needs build/release/claudegpt (or
// CLAUDEGPT_BIN) and tests/node_modules.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const { startFakeUpstream } = await import(path.join(here, '../tests/lib/fake_upstream.mjs'));
const { startProxy } = await import(path.join(here, '../tests/lib/proxy.mjs'));
const { readSse } = await import(path.join(here, '../tests/lib/sse.mjs'));

const arg = (name, fallback) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : fallback;
};
const runs = Number(arg('--runs', '30'));
const judgeDelays = arg('--judge-ms', '0,400,800').split(',').map(Number);
const recorded = JSON.parse(fs.readFileSync(path.join(here,
  '../../shared/fixtures/claude-code-requests/cc2.1.332-auto-mode-main-turn.json'), 'utf8'));
// The call streams in a few deltas 20 ms apart, then the response ends 40 ms later.
const SCENARIO = 'bash command="npm test" gap_ms=20';

const fake = await startFakeUpstream({ spawn: true });
const proxy = await startProxy({ upstream: fake, env: { CLAUDEGPT_TRACE: '0', CLAUDEGPT_LEDGER: '0' } });

async function turn(withCheck) {
  const body = structuredClone(recorded);
  if (!withCheck) delete body.safeguards;
  await fake.script(SCENARIO);
  const started = performance.now();
  const res = await fetch(`${proxy.url}/v1/messages`, { method: 'POST', body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', 'x-api-key': 'bench' } });
  let callEnd = 0, delta = 0;
  let openTool = -1;
  for await (const event of readSse(res)) {
    if (event.event === 'content_block_start' && event.data.content_block?.type === 'tool_use') openTool = event.data.index;
    if (event.event === 'content_block_stop' && event.data.index === openTool) callEnd = performance.now();
    if (event.event === 'message_delta') {
      delta = performance.now();
      if (withCheck !== 'safeguard_results' in event.data.delta) throw new Error('verdicts missing or unexpected');
    }
  }
  return { wait: delta - callEnd, total: performance.now() - started };
}

const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const rows = [];
const cases = [{ name: 'no safeguards', check: false, delay: 0 },
               ...judgeDelays.map((d) => ({ name: `judge answers in ${d} ms`, check: true, delay: d }))];
const samples = cases.map(() => ({ wait: [], total: [] }));
for (let i = 0; i < 3; ++i) await turn(false);  // warm-up
for (let r = 0; r < runs; ++r) {
  for (const [k, c] of cases.entries()) {
    await fake.configure({ judge: { delayMs: c.delay } });
    const t = await turn(c.check);
    samples[k].wait.push(t.wait);
    samples[k].total.push(t.total);
  }
}
for (const [k, c] of cases.entries())
  rows.push(`| ${c.name} | ${pct(samples[k].wait, 0.5).toFixed(1)} | ${pct(samples[k].wait, 0.95).toFixed(1)} | ` +
            `${pct(samples[k].total, 0.5).toFixed(1)} | ${pct(samples[k].total, 0.95).toFixed(1)} |`);
console.log(`${runs} runs each, ${new Date().toISOString()}\n`);
console.log('| turn | call end → message_delta p50 | p95 | whole turn p50 | p95 |\n|---|---|---|---|---|');
console.log(rows.join('\n'));
await proxy.stop();
await fake.stop();
