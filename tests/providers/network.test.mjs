// The proxy's way to its upstream: TLS with a custom CA (CLAUDEGPT_CA_BUNDLE, SSL_CERT_FILE),
// a forward proxy (HTTPS_PROXY, NO_PROXY), retries of failures that happen before the client
// saw anything (CLAUDEGPT_UPSTREAM_RETRIES), and the stall timeouts
// (CLAUDEGPT_STREAM_FIRST_EVENT_TIMEOUT, CLAUDEGPT_STREAM_IDLE_TIMEOUT). The fake upstream
// serves HTTPS with a throwaway CA (tests/lib/tls.mjs); tests/lib/connect_proxy.mjs records
// the tunnels it makes.
//
// Needs the proxy binary (CLAUDEGPT_BIN or build/release/claudegpt) and the openssl command.
// Run: node --test tests/providers/network.test.mjs

import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';

import { startFakeUpstream } from '../lib/fake_upstream.mjs';
import { makeTestCertificates } from '../lib/tls.mjs';
import { startConnectProxy } from '../lib/connect_proxy.mjs';
import { makeCodexHome, writeCodexAuth } from '../lib/codex_auth.mjs';
import { collectSse } from '../lib/sse.mjs';
import { SKIP, messagesBody, postMessages, streamedText, expectError, withProxy }
  from './support.mjs';

let certs;
let secure;   // the fake over HTTPS, its certificate signed by certs.ca
let plain;    // the fake over plain HTTP
before(async () => {
  if (SKIP) return;
  certs = makeTestCertificates();
  secure = await startFakeUpstream({ tls: certs });
  plain = await startFakeUpstream();
});
after(async () => {
  await secure?.close();
  await plain?.close();
  certs?.remove();
});
beforeEach(async () => {
  await secure?.reset();
  await plain?.reset();
});

const openai = (fake, env = {}) => ({ OPENAI_BASE_URL: fake.baseURL, ...env });
const apiRequests = (fake) => fake.requests({ provider: 'openai' });

async function expectTurn(proxy, text = 'ok') {
  assert.equal(await streamedText(await postMessages(proxy, messagesBody(`text text=${text}`))),
               text);
}

describe('TLS to the upstream', { skip: SKIP }, () => {
  test('a certificate no trusted CA signed is refused: 502, nothing reaches the upstream',
       async () => {
    await withProxy(secure, 'openai', openai(secure, { SSL_CERT_FILE: undefined }),
                    async (proxy) => {
      await expectError(await postMessages(proxy, messagesBody('text')), 502, 'api_error');
      assert.equal((await apiRequests(secure)).length, 0);
      assert.ok(proxy.alive);
    });
  });

  test('CLAUDEGPT_CA_BUNDLE makes it trusted', async () => {
    await withProxy(secure, 'openai', openai(secure, { CLAUDEGPT_CA_BUNDLE: certs.caFile }),
                    async (proxy) => {
      await expectTurn(proxy);
      assert.equal((await apiRequests(secure)).length, 1);
    });
  });

  test('so does SSL_CERT_FILE', async () => {
    await withProxy(secure, 'openai', openai(secure, { SSL_CERT_FILE: certs.caFile }),
                    expectTurn);
  });

  test('the Codex token refresh uses the same CA bundle', async () => {
    const home = makeCodexHome();
    try {
      writeCodexAuth(home.authFile, await secure.codexLogin({ accountId: 'acct-tls',
                                                               ttlSeconds: -60 }));
      await withProxy(secure, 'codex', {
        CLAUDEGPT_CODEX_AUTH: home.authFile, CLAUDEGPT_CODEX_BASE_URL: secure.codexBaseURL,
        CLAUDEGPT_CODEX_TOKEN_URL: secure.tokenURL, CLAUDEGPT_CA_BUNDLE: certs.caFile,
      }, expectTurn);
      assert.equal((await secure.codexStatus()).refresh_calls, 1);
    } finally {
      home.remove();
    }
  });
});

describe('a forward proxy (HTTPS_PROXY)', { skip: SKIP }, () => {
  let forward;
  before(async () => { if (!SKIP) forward = await startConnectProxy(); });
  after(async () => { await forward?.close(); });
  beforeEach(() => { forward?.connects.splice(0); });

  const target = () => new URL(secure.url).host;

  test('HTTPS_PROXY tunnels the upstream connection through the proxy', async () => {
    await withProxy(secure, 'openai', openai(secure, {
      HTTPS_PROXY: forward.url, CLAUDEGPT_CA_BUNDLE: certs.caFile,
    }), expectTurn);
    assert.ok(forward.connects.length >= 1, 'a CONNECT was made');
    assert.deepEqual([...new Set(forward.connects)], [target()]);
  });

  test('NO_PROXY naming the host bypasses it', async () => {
    await withProxy(secure, 'openai', openai(secure, {
      HTTPS_PROXY: forward.url, NO_PROXY: '127.0.0.1', CLAUDEGPT_CA_BUNDLE: certs.caFile,
    }), expectTurn);
    assert.deepEqual(forward.connects, []);
  });

  test('a proxy that refuses the tunnel is an upstream error (502), not a hang', async () => {
    const refusing = await startConnectProxy({ refuse: true });
    try {
      await withProxy(secure, 'openai', openai(secure, {
        HTTPS_PROXY: refusing.url, CLAUDEGPT_CA_BUNDLE: certs.caFile,
      }), async (proxy) => {
        await expectError(await postMessages(proxy, messagesBody('text')), 502, 'api_error');
      });
      assert.ok(refusing.connects.length >= 1);
      assert.equal((await apiRequests(secure)).length, 0);
    } finally {
      await refusing.close();
    }
  });

  test('Codex and its token refresh both go through the tunnel', async () => {
    // The sign-in authority on a host of its own (sharing the backend's tokens), so that
    // the tunnels tell the two connections apart.
    const signIn = await startFakeUpstream({ tls: certs, codexTokens: secure.tokens });
    const home = makeCodexHome();
    try {
      writeCodexAuth(home.authFile, await secure.codexLogin({ accountId: 'acct-proxy',
                                                               ttlSeconds: -60 }));
      await withProxy(secure, 'codex', {
        CLAUDEGPT_CODEX_AUTH: home.authFile, CLAUDEGPT_CODEX_BASE_URL: secure.codexBaseURL,
        CLAUDEGPT_CODEX_TOKEN_URL: signIn.tokenURL, CLAUDEGPT_CA_BUNDLE: certs.caFile,
        HTTPS_PROXY: forward.url,
      }, expectTurn);
      assert.equal((await signIn.requests({ route: 'oauth_token' })).length, 1);
      assert.deepEqual([...new Set(forward.connects)].sort(),
                       [target(), new URL(signIn.url).host].sort());
    } finally {
      home.remove();
      await signIn.close();
    }
  });
});

describe('retries before the client saw anything', { skip: SKIP }, () => {
  // Default retries (2) unless `env` says; the fake answers the scripted failures first,
  // then the marker's text. Returns {status, headers, error (the Anthropic error body),
  // events, text, completed, requests (what reached the fake)}.
  async function scripted(failures, env = {}) {
    await plain.reset();
    await plain.script(...failures);
    return withProxy(plain, 'openai', openai(plain, env), async (proxy) => {
      const res = await postMessages(proxy, messagesBody('text text=ok'));
      const result = { status: res.status, headers: res.headers, error: null, events: [] };
      if (res.status === 200) result.events = await collectSse(res).catch(() => []);
      else result.error = JSON.parse(await res.text());
      result.text = result.events.filter((e) => e.data?.delta?.type === 'text_delta')
        .map((e) => e.data.delta.text).join('');
      result.completed = result.events.at(-1)?.event === 'message_stop';
      result.requests = await apiRequests(plain);
      return result;
    });
  }

  const succeeded = (result) => {
    assert.equal(result.status, 200, JSON.stringify(result.error));
    assert.ok(result.completed, 'the stream ends with message_stop');
    assert.equal(result.text, 'ok');
  };
  const failedWith = (result, status, type) => {
    assert.equal(result.status, status, JSON.stringify(result.error ?? result.events));
    assert.equal(result.error.type, 'error');
    assert.equal(result.error.error.type, type);
  };

  for (const status of [500, 502, 503, 504]) {
    test(`an upstream ${status} once, then success: the client sees only the success`,
         async () => {
      const result = await scripted([`http_error status=${status}`]);
      succeeded(result);
      assert.deepEqual(result.requests.map((r) => r.status), [status, 200]);
    });
  }

  test('a connection dropped before any answer is retried', async () => {
    const result = await scripted(['drop']);
    succeeded(result);
    assert.equal(result.requests.length, 2);
    assert.equal(result.requests[0].server_closed, true);
  });

  test('a server_error event before any output is retried', async () => {
    const result = await scripted(['error_before_output code=server_error ' +
                                   'message="The server had an error"']);
    succeeded(result);
    assert.equal(result.requests.length, 2);
  });

  test('two failures then success, with CLAUDEGPT_UPSTREAM_RETRIES=2', async () => {
    const result = await scripted(['http_500', 'http_500'], { CLAUDEGPT_UPSTREAM_RETRIES: '2' });
    succeeded(result);
    assert.deepEqual(result.requests.map((r) => r.status), [500, 500, 200]);
  });

  test('the default is two retries as well', async () => {
    const result = await scripted(['http_error status=503', 'http_error status=503']);
    succeeded(result);
    assert.equal(result.requests.length, 3);
  });

  test('three failures with 2 retries: the client gets the error', async () => {
    const result = await scripted(['http_500', 'http_500', 'http_500'],
                                  { CLAUDEGPT_UPSTREAM_RETRIES: '2' });
    assert.ok(result.status >= 500, `status ${result.status}`);
    assert.equal(result.error.type, 'error');
    assert.equal(result.requests.length, 3, 'one try and two retries');
  });

  test('CLAUDEGPT_UPSTREAM_RETRIES=0: a 503 goes straight to the client as 529', async () => {
    const result = await scripted(['http_error status=503'], { CLAUDEGPT_UPSTREAM_RETRIES: '0' });
    failedWith(result, 529, 'overloaded_error');
    assert.equal(result.requests.length, 1);
  });

  test('a 429 is not retried: it reaches the client with retry-after', async () => {
    const result = await scripted(['rate_limit retry_after=3']);
    failedWith(result, 429, 'rate_limit_error');
    assert.equal(result.headers.get('retry-after'), '3');
    assert.equal(result.requests.length, 1);
  });

  test('a 400 is not retried', async () => {
    const result = await scripted(['http_error status=400 message="bad field"']);
    failedWith(result, 502, 'api_error');
    assert.equal(result.requests.length, 1);
  });

  for (const fault of ['cut', 'failed_midstream']) {
    test(`after partial output a failure (${fault}) is not retried`, async () => {
      const result = await scripted([fault]);
      assert.equal(result.status, 200);
      assert.ok(result.text.length > 0, 'the client saw some text');
      assert.equal(result.completed, false);
      assert.equal(result.requests.length, 1);
    });
  }
});

describe('stall timeouts', { skip: SKIP }, () => {
  test('no first event within CLAUDEGPT_STREAM_FIRST_EVENT_TIMEOUT: 504 timeout_error',
       async () => {
    for (const marker of ['stall', 'text ttfb_ms=6000']) {
      await withProxy(plain, 'openai', openai(plain, {
        CLAUDEGPT_STREAM_FIRST_EVENT_TIMEOUT: '1', CLAUDEGPT_UPSTREAM_RETRIES: '0',
      }), async (proxy) => {
        const started = performance.now();
        const res = await postMessages(proxy, messagesBody(marker));
        await expectError(res, 504, 'timeout_error');
        const elapsed = performance.now() - started;
        assert.ok(elapsed >= 900 && elapsed < 4000, `${marker}: answered after ${elapsed} ms`);
      });
    }
  });

  test('silence mid-stream past CLAUDEGPT_STREAM_IDLE_TIMEOUT ends the stream with an error',
       async () => {
    await withProxy(plain, 'openai', openai(plain, { CLAUDEGPT_STREAM_IDLE_TIMEOUT: '1' }),
                    async (proxy) => {
      const started = performance.now();
      const res = await postMessages(proxy, messagesBody('text text="one two three" deltas=3 ' +
                                                         'gap_ms=6000'));
      assert.equal(res.status, 200);
      const events = await collectSse(res);
      const elapsed = performance.now() - started;
      assert.ok(elapsed < 4000, `ended after ${elapsed} ms`);
      assert.ok(events.some((e) => e.data?.delta?.type === 'text_delta'), 'the first delta came');
      assert.equal(events.some((e) => e.event === 'message_stop'), false);
      const error = events.find((e) => e.event === 'error');
      assert.ok(error, `an error event: ${events.map((e) => e.event).join(',')}`);
      assert.equal(error.data.error.type, 'timeout_error');
    });
  });
});
