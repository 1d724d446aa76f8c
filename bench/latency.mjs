// Added latency of the proxy: the same turn sent straight to the fake Responses upstream
// and through claudegpt, interleaved, reported as p50/p99 time to first byte and to last
// byte, and the difference ("added").
//
//   node bench/latency.mjs [--requests 400] [--concurrency 1] [--bin build/release/claudegpt]
//
// The client request is the recorded 49 KB first turn of Claude Code 2.1.330; the direct
// request is exactly what the proxy sent upstream for it (captured from the fake first).
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startFakeUpstream } from '../tests/lib/fake_upstream.mjs';
import { startProxy } from '../tests/lib/proxy.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '400' },
    concurrency: { type: 'string', default: '1' },
    bin: { type: 'string', default: path.join(here, '../build/release/claudegpt') },
  },
});
const fixtures = path.join(here, '../../shared/fixtures');
const clientBody = readFileSync(path.join(fixtures, 'claude-code-requests/cc2.1.330-first-turn.json'));

const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });

// POSTs `body` and resolves with [ms to first body byte, ms to last byte].
function timedPost(url, body, headers) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    let first = null;
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      res.on('data', () => { if (first === null) first = process.hrtime.bigint(); });
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode} from ${url}`));
        const end = process.hrtime.bigint();
        resolve([Number(first - start) / 1e6, Number(end - start) / 1e6]);
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};

// The fake runs in its own process so it does not share this client's event loop.
const fake = await startFakeUpstream({ spawn: true });
const proxy = await startProxy({ bin: args.bin, upstream: fake });
try {
  const proxyUrl = `${proxy.url}/v1/messages?beta=true`;
  const proxyHeaders = { 'x-api-key': 'dummy', 'anthropic-version': '2023-06-01' };
  await timedPost(proxyUrl, clientBody, proxyHeaders);
  const captured = await (await fetch(`${fake.url}/_requests`)).json();
  const upstreamBody = JSON.stringify(captured.at(-1).body);
  const directUrl = `${fake.url}/v1/responses`;
  const directHeaders = { authorization: 'Bearer test-key' };

  const total = Number(args.requests);
  const concurrency = Number(args.concurrency);
  const samples = { direct: [], proxy: [] };
  for (let i = 0; i < 20; i++) {  // warm-up
    await timedPost(directUrl, upstreamBody, directHeaders);
    await timedPost(proxyUrl, clientBody, proxyHeaders);
  }
  await fetch(`${fake.url}/_reset`, { method: 'POST' });
  let next = 0;
  async function worker() {
    while (next < total) {
      const i = next++;
      // Interleaved, so both paths see the same machine state.
      if (i % 2 === 0) samples.direct.push(await timedPost(directUrl, upstreamBody, directHeaders));
      else samples.proxy.push(await timedPost(proxyUrl, clientBody, proxyHeaders));
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));

  const row = (name, index) => {
    const d = samples.direct.map((s) => s[index]);
    const p = samples.proxy.map((s) => s[index]);
    const f = (x) => x.toFixed(3).padStart(8);
    return `| ${name} | ${f(quantile(d, 0.5))} | ${f(quantile(p, 0.5))} | ${f(quantile(p, 0.5) - quantile(d, 0.5))} | ${f(quantile(d, 0.99))} | ${f(quantile(p, 0.99))} | ${f(quantile(p, 0.99) - quantile(d, 0.99))} |`;
  };
  console.log(`added latency, ${total} requests (${samples.direct.length} direct, ${samples.proxy.length} proxied), concurrency ${concurrency}, ms`);
  console.log('| measure | direct p50 | proxy p50 | added p50 | direct p99 | proxy p99 | added p99 |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  console.log(row('time to first byte', 0));
  console.log(row('time to last byte', 1));
} finally {
  agent.destroy();
  await proxy.stop();
  await fake.stop();
}
