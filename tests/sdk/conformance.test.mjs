// The official Anthropic TypeScript SDK talking to claudegpt, with the fake OpenAI upstream
// behind it: every upstream scenario must come out as exactly the Anthropic message (or the
// Anthropic error) a client expects.
//
// Needs the proxy binary: CLAUDEGPT_BIN (CTest sets it) or build/release/claudegpt.
// Run: CLAUDEGPT_BIN=… node --test tests/sdk/conformance.test.mjs

import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';

import Anthropic, {
  APIError, BadRequestError, InternalServerError, RateLimitError,
} from '@anthropic-ai/sdk';

import { startFakeUpstream } from '../lib/fake_upstream.mjs';
import { startProxy } from '../lib/proxy.mjs';
import { proxyBinary } from '../lib/paths.mjs';
import { checkEventOrder, streamMessage } from '../lib/sdk_stream.mjs';

const BIN = proxyBinary();
const MODEL = 'claude-sonnet-5-5';

// Fixed upstream usage, so the expected Anthropic usage is exact: the uncached part of the
// input, the cached part as cache reads, no cache writes (OpenAI caches implicitly).
const USAGE_ARGS = 'input_tokens=1000 cached_tokens=200 output_tokens=50';
const EXPECTED_USAGE = { input_tokens: 800, cache_creation_input_tokens: 0,
                         cache_read_input_tokens: 200, output_tokens: 50 };
const USAGE_KEYS = Object.keys(EXPECTED_USAGE);

const TOOLS = [
  {
    name: 'Write',
    description: 'Writes a file to the local filesystem.',
    input_schema: {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: { file_path: { type: 'string', description: 'Absolute path' },
                    content: { type: 'string', description: 'What to write' } },
      required: ['file_path', 'content'],
      additionalProperties: false,
    },
  },
  {
    name: 'Read',
    description: 'Reads a file from the local filesystem.',
    input_schema: {
      type: 'object',
      properties: { file_path: { type: 'string' }, limit: { type: 'number' } },
      required: ['file_path'],
      additionalProperties: false,
    },
  },
];

let fake;
let proxy;
let client;

before(async () => {
  if (!BIN) return;
  fake = await startFakeUpstream();
  proxy = await startProxy({ upstream: fake });
  client = new Anthropic({ baseURL: proxy.url, apiKey: 'dummy', maxRetries: 0, timeout: 30_000 });
});
after(async () => {
  const exit = await proxy?.stop();
  await fake?.close();
  if (exit && exit.code !== 0 && exit.signal !== 'SIGTERM') {
    assert.fail(`proxy exited badly: ${JSON.stringify(exit)}\n${proxy.stderr}`);
  }
});
beforeEach(async () => { await fake?.reset(); });

function params(marker, extra = {}) {
  return {
    model: MODEL,
    max_tokens: 4096,
    system: 'You are a test assistant.',
    messages: [{ role: 'user', content: `[[scenario:${marker}]] Please help.` }],
    tools: TOOLS,
    ...extra,
  };
}

// Streams one request; returns the final message, every stream event, and the upstream
// request the fake received (with what it answered).
async function streamed(p) {
  const { message, events } = await streamMessage(client, p);
  const upstream = (await fake.requests()).filter((r) => r.path.startsWith('/v1/responses'));
  return { message, events, upstream: upstream.at(-1) };
}

const TOOL_ID = /^[A-Za-z0-9_-]+$/;

// The message reduced to what the test pins: type, role, content (tool ids replaced by
// placeholders once checked), stop_reason, stop_sequence, and the four usage counters.
function comparable(message) {
  const m = JSON.parse(JSON.stringify(message));
  assert.match(m.id, /^msg_/);
  assert.equal(m.model, MODEL);
  let tools = 0;
  const content = m.content.map((block) => {
    const b = { ...block };
    if (b.type === 'tool_use') {
      assert.match(b.id, TOOL_ID, 'tool_use ids are valid Anthropic ids');
      tools += 1;
      b.id = `TOOL_${tools}`;
    }
    if (b.type === 'text' && b.citations == null) delete b.citations;
    return b;
  });
  const usage = {};
  for (const key of USAGE_KEYS) usage[key] = m.usage?.[key];
  return { type: m.type, role: m.role, content, stop_reason: m.stop_reason,
           stop_sequence: m.stop_sequence, usage };
}

function expected(content, stopReason, usage = EXPECTED_USAGE) {
  return { type: 'message', role: 'assistant', content, stop_reason: stopReason,
           stop_sequence: null, usage };
}

const text = (t) => ({ type: 'text', text: t });
const toolUse = (n, name, input) => ({ type: 'tool_use', id: `TOOL_${n}`, name, input });

// What a reasoning item becomes: a thinking block carrying the summary the request asked for
// and the encrypted reasoning, wrapped, as its signature.
function thinkingFor(upstream, item) {
  const askedSummary = Boolean(upstream.body.reasoning?.summary);
  return {
    type: 'thinking',
    thinking: askedSummary ? item.summary.map((s) => s.text).join('\n\n') : '',
    signature: `claudegpt.v1.${upstream.body.model}:${item.encrypted_content}`,
  };
}

const skip = !BIN && 'no claudegpt binary';

describe('streamed messages equal the expected Anthropic message', { skip }, () => {
  test('text', async () => {
    const { message, events } = await streamed(params(`text ${USAGE_ARGS}`));
    checkEventOrder(events);
    assert.deepEqual(comparable(message), expected(
      [text('Hello from the fake upstream. How can I help?')], 'end_turn'));
  });

  test('a single tool call', async () => {
    const { message, events, upstream } = await streamed(params(
      `tool_call name=Write file_path=/tmp/conformance.txt content=hi ${USAGE_ARGS}`));
    checkEventOrder(events);
    assert.deepEqual(comparable(message), expected(
      [toolUse(1, 'Write', { file_path: '/tmp/conformance.txt', content: 'hi' })], 'tool_use'));
    assert.ok(upstream.body.tools.some((t) => t.type === 'function' && t.name === 'Write'));
  });

  test('two parallel tool calls', async () => {
    const { message, events } = await streamed(
      params(`tool_parallel names=Read,Write ${USAGE_ARGS}`));
    checkEventOrder(events);
    assert.deepEqual(comparable(message), expected([
      toolUse(1, 'Read', { file_path: '/tmp/fake-upstream-1.txt' }),
      toolUse(2, 'Write', { file_path: '/tmp/fake-upstream-2.txt',
                            content: 'hello from the fake upstream' }),
    ], 'tool_use'));
    assert.notEqual(message.content[0].id, message.content[1].id);
  });

  test('commentary text before a tool call', async () => {
    const { message, events } = await streamed(params(
      `commentary_tool name=Read file_path=/etc/hostname ${USAGE_ARGS}`));
    checkEventOrder(events);
    assert.deepEqual(comparable(message), expected([
      text("I'll take care of that now."),
      toolUse(1, 'Read', { file_path: '/etc/hostname' }),
    ], 'tool_use'));
  });

  test('reasoning then text', async () => {
    const { message, events, upstream } = await streamed(params(`reasoning ${USAGE_ARGS}`, {
      thinking: { type: 'enabled', budget_tokens: 2048 } }));
    checkEventOrder(events);
    assert.ok(upstream.body.include?.includes('reasoning.encrypted_content'),
              'the proxy asks for encrypted reasoning (store:false)');
    const [reasoning] = upstream.output;
    assert.deepEqual(comparable(message), expected(
      [thinkingFor(upstream, reasoning), text('The answer is 42.')], 'end_turn'));
  });

  test('reasoning then a tool call', async () => {
    const { message, events, upstream } = await streamed(params(
      `reasoning_tool name=Write file_path=/tmp/r.txt content=x ${USAGE_ARGS}`, {
        thinking: { type: 'enabled', budget_tokens: 2048 } }));
    checkEventOrder(events);
    const [reasoning] = upstream.output;
    assert.deepEqual(comparable(message), expected([
      thinkingFor(upstream, reasoning),
      toolUse(1, 'Write', { file_path: '/tmp/r.txt', content: 'x' }),
    ], 'tool_use'));
  });

  test('a refusal', async () => {
    const { message, events } = await streamed(params(`refusal ${USAGE_ARGS}`));
    checkEventOrder(events);
    assert.deepEqual(comparable(message), expected(
      [text("I'm sorry, but I can't help with that.")], 'refusal'));
  });

  test('max_output_tokens reached', async () => {
    const { message, events } = await streamed(params(`incomplete ${USAGE_ARGS}`));
    checkEventOrder(events);
    assert.deepEqual(comparable(message), expected(
      [text('This answer was going to be long, but it ran out of')], 'max_tokens'));
  });

  test('recorded: the final text of the calculator run', async () => {
    const { message, events } = await streamed(params(
      'replay file=openai-reasoning-encrypted-content.1 stream=3'));
    checkEventOrder(events);
    assert.deepEqual(comparable(message), expected([text('The final result is **570**.')],
      'end_turn', { input_tokens: 299, cache_creation_input_tokens: 0,
                    cache_read_input_tokens: 0, output_tokens: 12 }));
  });

  test('recorded: reasoning with encrypted content, then a function call', async () => {
    const { message, events, upstream } = await streamed(params(
      'replay file=openai-reasoning-encrypted-content.1 stream=0'));
    checkEventOrder(events);
    const { readFixture } = await import('../lib/paths.mjs');
    const recorded = readFixture('openai-responses',
                                 'openai-reasoning-encrypted-content.1.chunks.txt')
      .split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const done = recorded.find((e) => e.type === 'response.output_item.done').item;
    const summary = upstream.body.reasoning?.summary ? done.summary[0].text : '';
    assert.deepEqual(comparable(message), expected([
      { type: 'thinking', thinking: summary, signature: `claudegpt.v1.${upstream.body.model}:${done.encrypted_content}` },
      toolUse(1, 'calculator', { a: 12, b: 7, op: 'add' }),
    ], 'tool_use', { input_tokens: 134, cache_creation_input_tokens: 0,
                     cache_read_input_tokens: 0, output_tokens: 28 }));
  });

  test('recorded: a web search run parses and ends normally', async () => {
    const { message, events } = await streamed(params(
      'replay file=openai-web-search-tool.1.chunks.txt'));
    checkEventOrder(events);
    assert.equal(message.stop_reason, 'end_turn');
    const allText = message.content.filter((b) => b.type === 'text').map((b) => b.text).join('');
    assert.match(allText, /I checked today/);
  });

  test('recorded: phase commentary and final answer both arrive as text', async () => {
    const { message, events } = await streamed(params('replay file=openai-phase.1.chunks.txt'));
    checkEventOrder(events);
    const allText = message.content.filter((b) => b.type === 'text').map((b) => b.text).join('\n');
    assert.match(allText, /Got it/);
    assert.match(allText, /Here are a few/);
    assert.equal(message.stop_reason, 'end_turn');
  });
});

describe('tool results and thinking go back upstream correctly', { skip }, () => {
  test('a tool_result answers the function call it came from', async () => {
    const first = await streamed(params('tool_call name=Write file_path=/tmp/a content=b'));
    const call = first.upstream.output[0];
    const toolId = first.message.content[0].id;
    const second = await streamed({
      ...params('text'),
      messages: [
        { role: 'user', content: '[[scenario:tool_call name=Write]] write it' },
        { role: 'assistant', content: first.message.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolId,
                                    content: 'File created' }] },
      ],
    });
    assert.equal(second.upstream.status, 200, JSON.stringify(second.upstream.error));
    const items = second.upstream.body.input;
    const fc = items.find((i) => i.type === 'function_call');
    const out = items.find((i) => i.type === 'function_call_output');
    assert.equal(fc.call_id, call.call_id, 'the call keeps its upstream call_id');
    assert.equal(out.call_id, call.call_id);
    assert.deepEqual(comparable(second.message).content, [text('done')]);
  });

  test('a thinking block\'s signature goes back as encrypted reasoning', async () => {
    const first = await streamed(params('reasoning_tool name=Read file_path=/x', {
      thinking: { type: 'enabled', budget_tokens: 2048 } }));
    const [reasoning] = first.upstream.output;
    const toolId = first.message.content[1].id;
    const second = await streamed({
      ...params('text'),
      thinking: { type: 'enabled', budget_tokens: 2048 },
      messages: [
        { role: 'user', content: 'read /x' },
        { role: 'assistant', content: first.message.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolId, content: 'data' }] },
      ],
    });
    assert.equal(second.upstream.status, 200, JSON.stringify(second.upstream.error));
    const sent = second.upstream.body.input.find((i) => i.type === 'reasoning');
    assert.ok(sent, 'the reasoning item is sent back');
    assert.equal(sent.encrypted_content, reasoning.encrypted_content);
    assert.equal(sent.id, undefined, 'no item id with store:false');
  });

  test('a foreign (non-claudegpt) thinking signature is not sent upstream', async () => {
    const res = await streamed({
      ...params('text'),
      thinking: { type: 'enabled', budget_tokens: 2048 },
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: [
          { type: 'thinking', thinking: 'Claude thought this.', signature: 'EqQBCkgIARABGAIiQL2g' },
          { type: 'text', text: 'Hello.' }] },
        { role: 'user', content: '[[scenario:text]] again' },
      ],
    });
    assert.equal(res.upstream.status, 200, JSON.stringify(res.upstream.error));
    assert.equal(res.upstream.body.input.some((i) => i.type === 'reasoning'), false);
  });
});

describe('tool names and arguments the upstream would not take as they are', { skip }, () => {
  const schema = { type: 'object', properties: { query: { type: 'string' } },
                   required: ['query'], additionalProperties: false };
  const LONG = `mcp__documentation_server__${'search_everything_'.repeat(3)}now`;
  const DOTTED = 'mcp__my.server__look-up';

  for (const name of [LONG, DOTTED]) {
    test(`${name.length > 64 ? 'a long' : 'a dotted'} MCP tool name round-trips`, async () => {
      const first = await streamed(params(`tool_call name=${name} query=cats`, {
        tools: [...TOOLS, { name, description: 'An MCP tool.', input_schema: schema }] }));
      const upstreamName = first.upstream.output[0].name;
      assert.match(upstreamName, /^[a-zA-Z0-9_-]{1,64}$/);
      assert.notEqual(upstreamName, 'Write', 'the fake found the MCP tool');
      assert.deepEqual(comparable(first.message).content,
                       [toolUse(1, name, { query: 'cats' })]);
      const second = await streamed({
        ...params('text'),
        tools: [...TOOLS, { name, description: 'An MCP tool.', input_schema: schema }],
        messages: [
          { role: 'user', content: 'search' },
          { role: 'assistant', content: first.message.content },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: first.message.content[0].id,
                                      content: 'results' }] },
        ],
      });
      assert.equal(second.upstream.status, 200, JSON.stringify(second.upstream.error));
      const call = second.upstream.body.input.find((i) => i.type === 'function_call');
      assert.equal(call.name, upstreamName, 'the call goes back under its upstream name');
    });
  }

  test('empty optional arguments (GPT fills them with "" or null) are dropped', async () => {
    const { message } = await streamed(params(
      'tool_call name=Read args=\'{"file_path":"/x","limit":null}\''));
    assert.deepEqual(comparable(message).content, [toolUse(1, 'Read', { file_path: '/x' })]);
    const again = await streamed(
      params('tool_call name=Read args=\'{"file_path":"/y","limit":""}\''));
    assert.deepEqual(comparable(again.message).content, [toolUse(1, 'Read', { file_path: '/y' })]);
  });
});

describe('errors surface as the right SDK errors', { skip }, () => {
  // Streams `p` expecting failure; returns the error and the events seen before it.
  async function failing(p) {
    const stream = client.messages.stream(p);
    const final = stream.finalMessage();
    final.catch(() => {});
    const events = [];
    let error;
    try {
      for await (const event of stream) events.push(event);
      await final;
    } catch (err) {
      error = err;
    }
    assert.ok(error, 'the stream fails');
    const ended = events.some((e) => e.type === 'message_delta' &&
                                     e.delta.stop_reason === 'end_turn');
    assert.equal(ended, false, 'a failed turn never reports end_turn');
    assert.equal(events.some((e) => e.type === 'message_stop'), false);
    return { error, events };
  }

  test('429 becomes RateLimitError with retry-after kept', async () => {
    const { error } = await failing(params('rate_limit'));
    assert.ok(error instanceof RateLimitError, `${error.constructor.name}: ${error.message}`);
    assert.equal(error.status, 429);
    assert.equal(error.type, 'rate_limit_error');
    assert.equal(error.headers.get('retry-after'), '7');
  });

  test('context overflow becomes 400 "prompt is too long: …"', async () => {
    const { error } = await failing(params('context_overflow'));
    assert.ok(error instanceof BadRequestError, `${error.constructor.name}: ${error.message}`);
    assert.equal(error.type, 'invalid_request_error');
    assert.match(error.error.error.message, /^prompt is too long: /);
  });

  test('context overflow reported in-stream before any output is the same 400', async () => {
    const { error } = await failing(params('context_overflow mode=stream'));
    assert.ok(error instanceof BadRequestError, `${error.constructor.name}: ${error.message}`);
    assert.match(error.error.error.message, /^prompt is too long: /);
  });

  test('a failure mid-stream raises an APIError after the partial text', async () => {
    const { error, events } = await failing(params('failed_midstream'));
    assert.ok(error instanceof APIError, `${error.constructor.name}: ${error.message}`);
    assert.ok(events.some((e) => e.type === 'content_block_delta'), 'partial text was streamed');
  });

  test('an error event before any output raises an APIError', async () => {
    const { error } = await failing(params('error_before_output'));
    assert.ok(error instanceof APIError, `${error.constructor.name}: ${error.message}`);
  });

  test('a cut upstream stream raises an error, never end_turn', async () => {
    await failing(params('cut'));
  });

  test('upstream 500 becomes a 5xx InternalServerError', async () => {
    const { error } = await failing(params('http_500'));
    assert.ok(error instanceof InternalServerError, `${error.constructor.name}: ${error.message}`);
    assert.ok(error.status >= 500);
  });

  test('the proxy is still serving after all of that', async () => {
    const { message } = await streamed(params('text'));
    assert.equal(message.stop_reason, 'end_turn');
  });
});

describe('non-streaming and token counting', { skip }, () => {
  for (const marker of [`text ${USAGE_ARGS}`,
                        `tool_call name=Write file_path=/tmp/n.txt content=n ${USAGE_ARGS}`,
                        `tool_parallel names=Read,Write ${USAGE_ARGS}`]) {
    test(`stream:false equals the streamed message (${marker.split(' ')[0]})`, async () => {
      const { message: streamedMessage } = await streamed(params(marker));
      const created = await client.messages.create({ ...params(marker), stream: false });
      assert.deepEqual(comparable(created), comparable(streamedMessage));
      const upstream = (await fake.requests()).at(-1);
      assert.equal(upstream.body.stream, true, 'claudegpt always streams from upstream');
    });
  }

  test('countTokens returns a positive count without calling upstream', async () => {
    const result = await client.messages.countTokens({
      model: MODEL, system: 'You are a test assistant.', tools: TOOLS,
      messages: [{ role: 'user', content: 'How many tokens is this message?' }] });
    assert.ok(Number.isInteger(result.input_tokens) && result.input_tokens > 0);
    assert.equal((await fake.requests()).length, 0);
  });
});
