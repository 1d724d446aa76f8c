// What the provider tests share: talking Anthropic to the proxy the way Claude Code does,
// checking Anthropic error bodies, and starting a proxy for a backend of the fake upstream.

import assert from 'node:assert/strict';

import { startProxy } from '../lib/proxy.mjs';
import { proxyBinary } from '../lib/paths.mjs';
import { collectSse } from '../lib/sse.mjs';

export const BIN = proxyBinary();
export const SKIP = BIN ? false : 'no claudegpt binary (set CLAUDEGPT_BIN or build build/release)';
// Under ctest a missing binary is a failure, not a skip: a green run must mean it ran.
if (SKIP && process.env.CLAUDEGPT_REQUIRE_CLIENTS) throw new Error(SKIP);

export const SESSION_ID = '04d2493e-f832-475a-a806-1a9e7e58dbab';
// Claude Code's metadata.user_id: a JSON string holding the session id (another one here,
// to tell which source a prompt_cache_key came from).
export const METADATA_SESSION_ID = '7d3c1b7e-5b53-4c1e-9a45-2f0d8c6e1a90';
export const METADATA = {
  user_id: JSON.stringify({ device_id: 'd'.repeat(64), account_uuid: '',
                            session_id: METADATA_SESSION_ID }),
};

export const HEADERS = {
  'content-type': 'application/json', 'x-api-key': 'dummy', 'anthropic-version': '2023-06-01',
  'anthropic-beta': 'claude-code-20250219', 'x-app': 'cli',
  'x-claude-code-session-id': SESSION_ID,
};

export const READ_TOOL = {
  name: 'Read', description: 'Reads a file.',
  input_schema: { type: 'object', properties: { file_path: { type: 'string' } },
                  required: ['file_path'], additionalProperties: false },
};

// A Messages request shaped like Claude Code's: system blocks, metadata, max_tokens.
// `marker` picks the fake's scenario ("text text=hi").
export function messagesBody(marker, extra = {}) {
  return {
    model: 'claude-sonnet-5-5',
    max_tokens: 32000,
    stream: true,
    system: [{ type: 'text', text: 'You are Claude Code, a coding agent.' }],
    metadata: METADATA,
    messages: [{ role: 'user', content: `[[scenario:${marker}]] hi` }],
    ...extra,
  };
}

// `headers` add to or override HEADERS; one set to undefined is left out.
export function postMessages(proxy, payload, { path = '/v1/messages?beta=true', headers = {},
                                               signal } = {}) {
  const all = Object.fromEntries(Object.entries({ ...HEADERS, ...headers })
    .filter(([, value]) => value !== undefined));
  return fetch(`${proxy.url}${path}`, {
    method: 'POST', headers: all, signal,
    body: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
}

// The streamed text of a successful turn; fails with what came instead.
export async function streamedText(res) {
  const body = res.status === 200 ? null : await res.text();
  assert.equal(res.status, 200, `expected a 200 stream, got ${res.status}: ${body}`);
  const events = await collectSse(res);
  const error = events.find((e) => e.event === 'error');
  assert.equal(error, undefined, `stream error: ${JSON.stringify(error?.data)}`);
  assert.equal(events.at(-1)?.event, 'message_stop', 'the turn ends normally');
  return events.filter((e) => e.data?.delta?.type === 'text_delta')
    .map((e) => e.data.delta.text).join('');
}

// The Anthropic error body: {"type":"error","error":{"type","message"},"request_id"?}.
export async function expectError(res, status, type) {
  const text = await res.text();
  assert.equal(res.status, status, `expected ${status} ${type}, got ${res.status}: ${text}`);
  const json = JSON.parse(text);
  assert.equal(json.type, 'error');
  assert.equal(json.error.type, type, text);
  assert.equal(typeof json.error.message, 'string');
  return json;
}

// Starts a proxy for `provider` with `env` (no OPENAI_* unless the test gives them).
export function startProviderProxy(fake, provider, env = {}) {
  return startProxy({ upstream: fake, env: {
    CLAUDEGPT_PROVIDER: provider,
    ...(provider !== 'openai' && { OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined }),
    ...env,
  } });
}

// Runs `fn(proxy)` with a proxy started for the test, and stops it after.
export async function withProxy(fake, provider, env, fn) {
  const proxy = await startProviderProxy(fake, provider, env);
  try {
    return await fn(proxy);
  } finally {
    await proxy.stop();
  }
}
