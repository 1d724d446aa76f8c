// What `claudegpt` adds before Claude Code starts: the launcher (configuration, the
// in-process proxy on its port, the per-run token, the spawn) and its shutdown after, with
// `claude` replaced by /bin/true so only the launcher is timed. Reported against running
// /bin/true directly, as p50/p99 over --runs runs.
//
//   node bench/launcher_startup.mjs [--runs 200] [--bin build/release/claudegpt]
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({ options: {
  runs: { type: 'string', default: '200' },
  bin: { type: 'string', default: path.join(here, '../build/release/claudegpt') },
} });
const env = { PATH: process.env.PATH, HOME: os.tmpdir(), CLAUDEGPT_CLAUDE_BIN: '/bin/true',
              OPENAI_API_KEY: 'unused', CLAUDEGPT_GLOBAL_ISOLATE: '0' };

function time(command, argv) {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, argv, { env, stdio: 'ignore' });
  if (result.status !== 0) throw new Error(`${command} exited ${result.status}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const quantile = (values, q) => [...values].sort((a, b) => a - b)[Math.floor(q * (values.length - 1))];
const direct = [];
const launched = [];
for (let i = 0; i < Number(args.runs); i++) {  // interleaved
  direct.push(time('/bin/true', []));
  launched.push(time(args.bin, ['-p', 'x']));
}
const f = (x) => x.toFixed(2);
console.log(`launcher overhead, ${args.runs} runs each, ms (claude replaced by /bin/true)`);
console.log('| measure | /bin/true p50 | claudegpt p50 | added p50 | added p99 |');
console.log('| --- | ---: | ---: | ---: | ---: |');
console.log(`| start to exit | ${f(quantile(direct, 0.5))} | ${f(quantile(launched, 0.5))} | ` +
            `${f(quantile(launched, 0.5) - quantile(direct, 0.5))} | ${f(quantile(launched, 0.99) - quantile(direct, 0.99))} |`);
