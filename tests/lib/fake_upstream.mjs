// Starting the fake OpenAI Responses server (tests/fake_upstream/) for a test, and talking
// to its control endpoints. In-process by default (fast, no port races); `spawn: true`
// runs the CLI in a child process instead, as the benchmark and e2e scripts do.
// `tls: makeTestCertificates()` (tls.mjs) serves HTTPS; the controls then trust its CA.
// It serves OpenAI, Azure OpenAI and the Codex backend at once: see the URL getters.

import { spawn } from 'node:child_process';
import path from 'node:path';

import { TESTS_DIR } from './paths.mjs';
import { startFakeServer } from '../fake_upstream/fake_responses_server.mjs';
import { waitForLine } from './process.mjs';
import { httpRequest } from './http_client.mjs';

export const FAKE_SERVER_SCRIPT = path.join(TESTS_DIR, 'fake_upstream/fake_responses_server.mjs');

class FakeUpstream {
  constructor(url, stop, { ca = null } = {}) {
    this.url = url;               // http://127.0.0.1:PORT (https:// with TLS)
    this.baseURL = `${url}/v1`;   // what OPENAI_BASE_URL should be
    this.ca = ca;                 // PEM of the CA that signed its certificate, with TLS
    this.stop = stop;
  }

  get azureEndpoint() { return this.url; }                      // AZURE_OPENAI_ENDPOINT
  get codexBaseURL() { return `${this.url}/backend-api/codex`; } // CLAUDEGPT_CODEX_BASE_URL
  get codexEndpoint() { return `${this.codexBaseURL}/responses`; }  // CLAUDEGPT_CODEX_ENDPOINT
  get tokenURL() { return `${this.url}/oauth/token`; }          // CLAUDEGPT_CODEX_TOKEN_URL

  async control(method, route, body) {
    let status;
    let json;
    if (this.ca) {
      const res = await httpRequest(`${this.url}${route}`, { method, body, ca: this.ca });
      status = res.status;
      json = res.json();
    } else {
      const res = await fetch(`${this.url}${route}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      status = res.status;
      json = await res.json();
    }
    if (status >= 400) throw new Error(`fake upstream ${route}: ${status} ${JSON.stringify(json)}`);
    return json;
  }

  // Every request received so far: {id, method, path, provider, route, api_version, headers,
  // body, received_at, closed_at, aborted, server_closed, status, scenario, usage, output,
  // error}. `filter` keeps those whose fields equal its own, e.g. {route: 'codex'}.
  async requests(filter = null) {
    const all = await this.control('GET', '/_requests');
    if (!filter) return all;
    return all.filter((r) => Object.entries(filter).every(([k, v]) => r[k] === v));
  }
  async lastRequest(filter = null) { return (await this.requests(filter)).at(-1); }
  // The connections that carried API requests (the proxy's): {open, total}.
  connections() { return this.control('GET', '/_connections'); }
  reset() { return this.control('POST', '/_reset'); }
  // The real-service switches (fake_upstream/service_switches.mjs), e.g. {unverified_org: true}.
  configure(knobs) { return this.control('POST', '/_config', knobs); }
  // Queues scenarios for the next requests: "name k=v" strings or {name, args} objects.
  script(...entries) { return this.control('POST', '/_script', entries); }

  // The Codex sign-in authority. A token set as auth.json's "tokens" holds it; ttlSeconds
  // may be negative (already expired).
  codexLogin({ accountId, ttlSeconds } = {}) {
    return this.control('POST', '/_codex/login', {
      ...(accountId !== undefined && { account_id: accountId }),
      ...(ttlSeconds !== undefined && { ttl_s: ttlSeconds }) });
  }
  // Ends an access token now (every one issued so far when none is named): the backend
  // answers 401 to it from then on.
  async codexExpire(accessToken) {
    return (await this.control('POST', '/_codex/expire',
                               accessToken ? { access_token: accessToken } : {})).expired;
  }
  // Signs everyone out: every token issued so far is unknown from now on (reset() keeps
  // them).
  codexForget() { return this.control('POST', '/_codex/forget', {}); }
  // Knobs: {reject_refresh, refresh_delay_ms, token_ttl_s}. Returns codexStatus().
  codexConfigure(knobs) { return this.control('POST', '/_codex', knobs); }
  // {refresh_calls, issued_access_tokens, reject_refresh, refresh_delay_ms, token_ttl_s}.
  codexStatus() { return this.control('GET', '/_codex'); }

  close() { return this.stop(); }
}

// `tls`: what makeTestCertificates() (tls.mjs) returns, to serve HTTPS with it.
export async function startFakeUpstream({ spawn: useProcess = false, args = [], tls = null,
                                          ...options } = {}) {
  const ca = tls?.ca ?? null;
  if (!useProcess) {
    const server = await startFakeServer({ ...options,
                                           ...(tls && { tls: { cert: tls.cert, key: tls.key } }) });
    const fake = new FakeUpstream(server.url, () => server.close(), { ca });
    fake.tokens = server.tokens;   // in-process only: to share with another fake (codexTokens)
    return fake;
  }
  const tlsArgs = tls ? ['--tls-cert', tls.certFile, '--tls-key', tls.keyFile] : [];
  const child = spawn(process.execPath, [FAKE_SERVER_SCRIPT, '--port', '0', ...tlsArgs, ...args],
                      { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await waitForLine(child, /^listening on (https?:\/\/\S+)/, 10_000);
  return new FakeUpstream(line[1], async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }, { ca });
}
