// What `claudegpt` adds before Claude Code starts: the launcher (configuration, the
// in-process proxy on its port, the per-run token, the spawn) and its shutdown after, with
// `claude` replaced by a stand-in so only the launcher is timed. Interleaved with running the
// stand-in directly; p50/p99 over --runs runs.
//
//   node bench/launcher_startup.mjs [--runs 200] [--bin build/release/claudegpt]
//        [--stamp build/bench/bench/bench_stamp] [--json FILE]
//
// With --stamp (bench_stamp, built by bench/CMakeLists.txt) the stand-in writes the moment it
// was exec'ed (CLOCK_MONOTONIC, the clock of process.hrtime), so "start to exec of claude" is
// measured, besides "start to exit" (which includes the launcher's shutdown after the child).
// Without it the stand-in is /bin/true and only start to exit is reported.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({ options: {
  runs: { type: 'string', default: '200' },
  bin: { type: 'string', default: path.join(here, '../build/release/claudegpt') },
  stamp: { type: 'string' },
  json: { type: 'string' },
} });
const home = mkdtempSync(path.join(os.tmpdir(), 'claudegpt-launcher-bench-'));
const stampFile = path.join(home, 'stamp');
const child = args.stamp ?? '/bin/true';
const env = { PATH: process.env.PATH, HOME: home, CLAUDEGPT_CONFIG_DIR: path.join(home, 'config'),
              XDG_STATE_HOME: path.join(home, 'state'), CLAUDEGPT_CLAUDE_BIN: child,
              OPENAI_API_KEY: 'unused', CLAUDEGPT_GLOBAL_ISOLATE: '0', BENCH_STAMP_FILE: stampFile };

// [ms from start to the stand-in's exec (or null), ms from start to exit]
function time(command, argv) {
  rmSync(stampFile, { force: true });
  const start = process.hrtime.bigint();
  const result = spawnSync(command, argv, { env, stdio: 'ignore' });
  const end = process.hrtime.bigint();
  if (result.status !== 0) throw new Error(`${command} exited ${result.status}`);
  let exec = null;
  if (args.stamp) exec = Number(BigInt(readFileSync(stampFile, 'utf8').trim()) - start) / 1e6;
  return [exec, Number(end - start) / 1e6];
}

const quantile = (values, q) => [...values].sort((a, b) => a - b)[Math.floor(q * (values.length - 1))];
const direct = [];
const launched = [];
for (let i = 0; i < Number(args.runs); i++) {  // interleaved
  direct.push(time(child, []));
  launched.push(time(args.bin, ['-p', 'x']));
}
rmSync(home, { recursive: true, force: true });

const measures = args.stamp ? [['start to exec of claude', 0], ['start to exit', 1]] : [['start to exit', 1]];
const result = { runs: Number(args.runs), child: path.basename(child) };
const f = (x) => x.toFixed(2);
console.log(`launcher overhead, ${args.runs} runs each, ms (claude replaced by ${path.basename(child)})`);
console.log('| measure | direct p50 | claudegpt p50 | added p50 | added p99 |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const [name, i] of measures) {
  const d = direct.map((s) => s[i]);
  const l = launched.map((s) => s[i]);
  const row = { direct_p50: quantile(d, 0.5), launched_p50: quantile(l, 0.5), launched_p99: quantile(l, 0.99),
                added_p50: quantile(l, 0.5) - quantile(d, 0.5), added_p99: quantile(l, 0.99) - quantile(d, 0.99) };
  result[i === 0 ? 'exec' : 'exit'] = row;
  console.log(`| ${name} | ${f(row.direct_p50)} | ${f(row.launched_p50)} | ${f(row.added_p50)} | ${f(row.added_p99)} |`);
}
if (args.json) writeFileSync(args.json, JSON.stringify(result));
