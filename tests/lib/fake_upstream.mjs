// Starting the fake OpenAI Responses server (tests/fake_upstream/) for a test, and talking
// to its control endpoints. In-process by default (fast, no port races); `spawn: true`
// runs the CLI in a child process instead, as the benchmark and e2e scripts do.

import { spawn } from 'node:child_process';
import path from 'node:path';

import { TESTS_DIR } from './paths.mjs';
import { startFakeServer } from '../fake_upstream/fake_responses_server.mjs';
import { waitForLine } from './process.mjs';

export const FAKE_SERVER_SCRIPT = path.join(TESTS_DIR, 'fake_upstream/fake_responses_server.mjs');

class FakeUpstream {
  constructor(url, stop) {
    this.url = url;               // http://127.0.0.1:PORT
    this.baseURL = `${url}/v1`;   // what OPENAI_BASE_URL should be
    this.stop = stop;
  }

  async control(method, route, body) {
    const res = await fetch(`${this.url}${route}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`fake upstream ${route}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  // Every request received so far: {id, method, path, headers, body, received_at,
  // closed_at, aborted, server_closed, status, scenario, usage, output, error}.
  requests() { return this.control('GET', '/_requests'); }
  async lastRequest() { return (await this.requests()).at(-1); }
  reset() { return this.control('POST', '/_reset'); }
  // Queues scenarios for the next requests: "name k=v" strings or {name, args} objects.
  script(...entries) { return this.control('POST', '/_script', entries); }
  close() { return this.stop(); }
}

export async function startFakeUpstream({ spawn: useProcess = false, args = [], ...options } = {}) {
  if (!useProcess) {
    const server = await startFakeServer(options);
    return new FakeUpstream(server.url, () => server.close());
  }
  const child = spawn(process.execPath, [FAKE_SERVER_SCRIPT, '--port', '0', ...args],
                      { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await waitForLine(child, /^listening on (http:\/\/\S+)/, 10_000);
  return new FakeUpstream(line[1], async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });
}
