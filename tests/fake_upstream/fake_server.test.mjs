// The fake Responses API against the recordings it imitates, and against the rules of the
// real API it enforces; its Azure and Codex routes and sign-in authority; HTTPS, and the
// test helpers for certificates and forward proxies. Run:
// node --test tests/fake_upstream/fake_server.test.mjs

import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';

import { startFakeUpstream } from '../lib/fake_upstream.mjs';
import { readFixture } from '../lib/paths.mjs';
import { makeTestCertificates } from '../lib/tls.mjs';
import { startConnectProxy } from '../lib/connect_proxy.mjs';
import { httpRequest } from '../lib/http_client.mjs';

let fake;
before(async () => { fake = await startFakeUpstream(); });
after(async () => { await fake.close(); });
beforeEach(async () => { await fake.reset(); });

const WRITE_TOOL = {
  type: 'function', name: 'Write', description: 'Writes a file.',
  parameters: { type: 'object', properties: { file_path: { type: 'string' },
                                              content: { type: 'string' } },
                required: ['file_path', 'content'], additionalProperties: false },
  strict: false,
};
const READ_TOOL = {
  type: 'function', name: 'Read', description: 'Reads a file.',
  parameters: { type: 'object', properties: { file_path: { type: 'string' },
                                              limit: { type: 'integer' } },
                required: ['file_path'] },
  strict: false,
};

// A request shaped like the ones claudegpt sends (store:false, encrypted reasoning).
function request(text, extra = {}) {
  return {
    model: 'gpt-5.5',
    instructions: 'You are a helpful coding agent.',
    input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text }] }],
    tools: [WRITE_TOOL, READ_TOOL],
    tool_choice: 'auto',
    parallel_tool_calls: true,
    reasoning: { effort: 'medium', summary: 'auto' },
    include: ['reasoning.encrypted_content'],
    store: false,
    stream: true,
    ...extra,
  };
}

function post(body, { headers = {}, path = '/v1/responses', raw = false, signal } = {}) {
  return fetch(`${fake.url}${path}`, {
    method: 'POST',
    signal,
    headers: { authorization: 'Bearer test-key', 'content-type': 'application/json', ...headers },
    body: raw ? body : JSON.stringify(body),
  });
}

// Parses an SSE body insisting on the exact wire framing: `event: T\ndata: JSON\n\n`, the
// event name equal to data.type, sequence_number 0, 1, 2, …
function parseStrict(text) {
  assert.ok(text.endsWith('\n\n'), 'the body ends with a blank line');
  const blocks = text.slice(0, -2).split('\n\n');
  return blocks.map((block, i) => {
    const m = /^event: ([a-z_.]+)\ndata: (\{.*\})$/.exec(block);
    assert.ok(m, `block ${i} is framed as event/data: ${JSON.stringify(block.slice(0, 200))}`);
    const data = JSON.parse(m[2]);
    assert.equal(data.type, m[1], 'event name = data.type');
    assert.equal(data.sequence_number, i, 'sequence_number counts from 0');
    return data;
  });
}

async function stream(text, extra) {
  const res = await post(request(text, extra));
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/event-stream/);
  assert.match(res.headers.get('x-request-id'), /^req_/);
  return parseStrict(await res.text());
}

// Event types with runs of the same delta collapsed ("x+"), to compare event grammar.
function grammar(events) {
  const out = [];
  for (const e of events) {
    const t = e.type.endsWith('.delta') ? `${e.type}+` : e.type;
    if (out.at(-1) !== t || !t.endsWith('+')) out.push(t);
  }
  return out;
}

function recordedStreams(file) {
  const streams = [];
  for (const line of readFixture('openai-responses', file).split('\n')) {
    if (!line.trim()) continue;
    const e = JSON.parse(line);
    if (e.type === 'response.created') streams.push([]);
    streams.at(-1).push(e);
  }
  return streams;
}

const sortedKeys = (o) => Object.keys(o).sort();

// The recorded event matching `e` by type (and by item type for item events).
const recordedLike = (recorded, e) =>
  recorded.find((r) => r.type === e.type && (!e.item || r.item?.type === e.item.type));

// Checks the invariants every stream of the fake keeps: opening events, item ids, deltas
// adding up to the done values, the terminal response listing the finished items, usage.
function checkStreamInvariants(events) {
  assert.equal(events[0].type, 'response.created');
  assert.equal(events[1].type, 'response.in_progress');
  const terminal = events.at(-1);
  assert.match(terminal.type, /^response\.(completed|incomplete|failed)$/);
  const done = events.filter((e) => e.type === 'response.output_item.done').map((e) => e.item);
  assert.deepEqual(terminal.response.output, done);
  for (const item of done) {
    const prefix = { message: 'msg_', function_call: 'fc_', reasoning: 'rs_',
                     web_search_call: 'ws_' }[item.type];
    assert.match(item.id, new RegExp(`^${prefix}[0-9a-f]{50}$`));
    if (item.type === 'function_call') {
      assert.match(item.call_id, /^call_[A-Za-z0-9]{24}$/);
      const deltas = events.filter((e) => e.type === 'response.function_call_arguments.delta' &&
                                          e.item_id === item.id).map((e) => e.delta).join('');
      assert.equal(deltas, item.arguments);
      JSON.parse(item.arguments);
    }
    if (item.type === 'message' && item.content[0].type === 'output_text') {
      const deltas = events.filter((e) => e.type === 'response.output_text.delta' &&
                                          e.item_id === item.id).map((e) => e.delta).join('');
      assert.equal(deltas, item.content[0].text);
    }
  }
  for (const e of events.filter((x) => x.type.endsWith('.delta'))) {
    assert.equal(typeof e.obfuscation, 'string', `${e.type} carries obfuscation`);
  }
  if (terminal.type !== 'response.failed') {
    const u = terminal.response.usage;
    assert.deepEqual(sortedKeys(u), ['input_tokens', 'input_tokens_details', 'output_tokens',
                                     'output_tokens_details', 'total_tokens']);
    assert.deepEqual(sortedKeys(u.input_tokens_details), ['cached_tokens']);
    assert.deepEqual(sortedKeys(u.output_tokens_details), ['reasoning_tokens']);
    assert.equal(u.total_tokens, u.input_tokens + u.output_tokens);
    assert.ok(u.input_tokens > 0);
  }
  return terminal;
}

describe('streams look like the recordings', () => {
  const recordedReasoning = recordedStreams('openai-reasoning-encrypted-content.1.chunks.txt');

  test('a text answer has the grammar and field sets of the recorded text stream', async () => {
    const events = await stream('[[scenario:text]] hi');
    checkStreamInvariants(events);
    const recorded = recordedReasoning[3];
    assert.deepEqual(grammar(events), grammar(recorded));
    for (const [i, e] of events.entries()) {
      const r = recordedLike(recorded, e);
      assert.deepEqual(sortedKeys(e), sortedKeys(r), `keys of ${e.type} (#${i})`);
      if (e.item) {
        assert.deepEqual(sortedKeys(e.item), sortedKeys(r.item), `item keys of ${e.type}`);
      }
      if (e.response) {
        assert.deepEqual(sortedKeys(e.response), sortedKeys(r.response), 'response keys');
      }
    }
  });

  test('reasoning then a tool call has the grammar and fields of the recorded stream', async () => {
    const events = await stream('[[scenario:reasoning_tool name=Write]]');
    checkStreamInvariants(events);
    const recorded = recordedReasoning[0];
    assert.deepEqual(grammar(events), grammar(recorded));
    for (const e of events) {
      const r = recordedLike(recorded, e);
      assert.deepEqual(sortedKeys(e), sortedKeys(r), `keys of ${e.type}`);
      if (e.item) {
        assert.deepEqual(sortedKeys(e.item), sortedKeys(r.item), `item keys of ${e.type}`);
      }
    }
    const reasoning = events.at(-1).response.output[0];
    assert.match(reasoning.encrypted_content, /^gAAAAA[A-Za-z0-9_-]+$/);
    assert.equal(reasoning.summary.length, 1);
    assert.ok(events.at(-1).response.usage.output_tokens_details.reasoning_tokens > 0);
  });

  test('an error before output is framed like openai-error.1', async () => {
    const events = await stream('[[scenario:error_before_output]]');
    const recorded = recordedStreams('openai-error.1.chunks.txt')[0];
    assert.deepEqual(events.map((e) => e.type), recorded.map((e) => e.type));
    assert.deepEqual(sortedKeys(events[2]), sortedKeys(recorded[2]));
    assert.deepEqual(sortedKeys(events[2].error), sortedKeys(recorded[2].error));
    assert.deepEqual(events[3].response.error, recorded[3].response.error);
  });

  test('reasoning items follow the request: no summary unless asked, no encrypted content ' +
       'unless included, nothing with effort none', async () => {
    let events = await stream('[[scenario:reasoning]]',
                              { reasoning: { effort: 'low' }, include: [] });
    let item = events.at(-1).response.output[0];
    assert.equal(item.type, 'reasoning');
    assert.deepEqual(item.summary, []);
    assert.equal('encrypted_content' in item, false);
    assert.equal(events.some((e) => e.type.startsWith('response.reasoning_summary')), false);
    events = await stream('[[scenario:reasoning]]', { reasoning: { effort: 'none' } });
    assert.deepEqual(events.at(-1).response.output.map((i) => i.type), ['message']);
    item = (await stream('[[scenario:reasoning parts=2]]')).at(-1).response.output[0];
    assert.equal(item.summary.length, 2);
  });

  for (const scenario of ['text', 'tool_call', 'tool_parallel', 'reasoning', 'reasoning_tool',
                          'refusal', 'incomplete', 'failed_midstream', 'commentary_tool', 'echo',
                          'write', 'read', 'bash']) {
    test(`scenario ${scenario} keeps the stream invariants`, async () => {
      checkStreamInvariants(await stream(`[[scenario:${scenario}]]`));
    });
  }

  test('tool_parallel makes two calls with distinct call ids in one response', async () => {
    const events = await stream('[[scenario:tool_parallel names=Read,Write]]');
    const calls = events.at(-1).response.output;
    assert.deepEqual(calls.map((c) => c.name), ['Read', 'Write']);
    assert.notEqual(calls[0].call_id, calls[1].call_id);
    assert.deepEqual(events.filter((e) => e.type === 'response.output_item.added')
      .map((e) => e.output_index), [0, 1]);
  });

  test('incomplete closes the message as incomplete, then response.incomplete', async () => {
    const events = await stream('[[scenario:incomplete]]');
    const terminal = events.at(-1);
    assert.equal(terminal.type, 'response.incomplete');
    assert.deepEqual(terminal.response.incomplete_details, { reason: 'max_output_tokens' });
    assert.equal(terminal.response.output[0].status, 'incomplete');
  });

  // OpenAI's reasoning guide ("Allocating space for reasoning"): reasoning tokens count
  // against max_output_tokens; a response that reaches it ends incomplete.
  const ANSWER = 'The answer is 42, and here is why it is so.';  // 43 characters, 11 tokens
  const reasoningWith = (tokens) =>
    `[[scenario:reasoning reasoning_tokens=${tokens} text="${ANSWER}"]]`;

  test('reasoning that spends all of max_output_tokens leaves no message, and ends incomplete',
       async () => {
    const events = await stream(reasoningWith(500), { max_output_tokens: 400 });
    const terminal = events.at(-1);
    assert.equal(terminal.type, 'response.incomplete');
    assert.deepEqual(terminal.response.incomplete_details, { reason: 'max_output_tokens' });
    assert.deepEqual(terminal.response.output.map((o) => o.type), ['reasoning']);
    assert.equal(terminal.response.usage.output_tokens_details.reasoning_tokens, 400);
    assert.equal(terminal.response.usage.output_tokens, 400);
    assert.equal(events.some((e) => e.type === 'response.output_text.delta'), false);
  });

  test('reasoning plus text past max_output_tokens keeps the text that fits, incomplete',
       async () => {
    const events = await stream(reasoningWith(100), { max_output_tokens: 105 });
    const terminal = events.at(-1);
    assert.equal(terminal.type, 'response.incomplete');
    const message = terminal.response.output.find((o) => o.type === 'message');
    assert.equal(message.status, 'incomplete');
    assert.equal(message.content[0].text, ANSWER.slice(0, 20));
    assert.equal(events.filter((e) => e.type === 'response.output_text.delta')
      .map((e) => e.delta).join(''), ANSWER.slice(0, 20));
    assert.ok(terminal.response.usage.output_tokens <= 105);
  });

  test('room enough for reasoning and text completes; no max_output_tokens, no budget',
       async () => {
    for (const extra of [{ max_output_tokens: 111 }, {}]) {
      const events = await stream(reasoningWith(100), extra);
      const terminal = events.at(-1);
      assert.equal(terminal.type, 'response.completed', JSON.stringify(extra));
      assert.equal(terminal.response.output.at(-1).content[0].text, ANSWER);
    }
    // Effort none reasons not at all: the whole budget is the text's.
    const events = await stream(reasoningWith(100), {
      max_output_tokens: 16, reasoning: { effort: 'none', summary: 'auto' } });
    assert.equal(events.at(-1).type, 'response.completed');
  });

  test('refusal streams refusal deltas into a refusal content part', async () => {
    const events = await stream('[[scenario:refusal text="No can do."]]');
    assert.equal(events.filter((e) => e.type === 'response.refusal.delta')
      .map((e) => e.delta).join(''), 'No can do.');
    assert.deepEqual(events.at(-1).response.output[0].content,
                     [{ type: 'refusal', refusal: 'No can do.' }]);
  });

  test('failed_midstream ends with response.failed server_error after some text', async () => {
    const events = await stream('[[scenario:failed_midstream]]');
    assert.ok(events.some((e) => e.type === 'response.output_text.delta'));
    assert.equal(events.at(-1).type, 'response.failed');
    assert.equal(events.at(-1).response.error.code, 'server_error');
    assert.equal(events.some((e) => e.type === 'response.output_item.done'), false);
  });

  test('commentary_tool sends a phase:"commentary" message before the call', async () => {
    const events = await stream('[[scenario:commentary_tool name=Read]]');
    const [message, call] = events.at(-1).response.output;
    assert.equal(message.phase, 'commentary');
    assert.equal(call.name, 'Read');
  });

  test('replay sends a recording verbatim with the wire framing', async () => {
    const file = 'openai-web-search-tool.1.chunks.txt';
    const res = await post(request(`[[scenario:replay:${file}]]`));
    const text = await res.text();
    const expected = readFixture('openai-responses', file).split('\n').filter((l) => l.trim())
      .map((l) => `event: ${JSON.parse(l).type}\ndata: ${l}\n\n`).join('');
    assert.equal(text, expected);
  });

  test('replay picks one stream of a multi-stream recording', async () => {
    const res = await post(request('[[scenario:replay file=openai-reasoning-encrypted-content.1 ' +
                                   'stream=3]]'));
    const lines = (await res.text()).split('\n').filter((l) => l.startsWith('data: '));
    assert.equal(lines.length, recordedStreams('openai-reasoning-encrypted-content.1.chunks.txt')[3]
      .length);
    assert.match(lines.at(-1), /The final result is/);
  });

  test('chunk_bytes splits the stream into small writes without changing it', async () => {
    const events = await stream('[[scenario:text chunk_bytes=7 text="small pieces"]]');
    assert.equal(events.at(-1).response.output[0].content[0].text, 'small pieces');
  });

  test('a non-streaming request gets the completed response object', async () => {
    const res = await post(request('[[scenario:tool_call name=Write]]', { stream: false }));
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.object, 'response');
    assert.equal(body.status, 'completed');
    assert.equal(body.output[0].type, 'function_call');
    assert.equal(body.output[0].name, 'Write');
  });

  test('a repeated prefix with the same prompt_cache_key reports cached tokens', async () => {
    const long = 'lorem ipsum '.repeat(2000);
    const body = request(`[[scenario:text]] ${long}`, { prompt_cache_key: 'session-1' });
    const first = (await stream(body.input[0].content[0].text, { prompt_cache_key: 'session-1' }));
    const second = (await stream(body.input[0].content[0].text, { prompt_cache_key: 'session-1' }));
    assert.equal(first.at(-1).response.usage.input_tokens_details.cached_tokens, 0);
    const cached = second.at(-1).response.usage.input_tokens_details.cached_tokens;
    assert.ok(cached >= 1024 && cached % 128 === 0, `cached ${cached}`);
  });

  test('usage figures can be set by the scenario', async () => {
    const events = await stream('[[scenario:text input_tokens=1000 cached_tokens=200 ' +
                                'output_tokens=50]]');
    assert.deepEqual(events.at(-1).response.usage, {
      input_tokens: 1000, input_tokens_details: { cached_tokens: 200 }, output_tokens: 50,
      output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 1050 });
  });
});

describe('requests are checked like the real API checks them', () => {
  async function rejected(body, status = 400, options = {}) {
    const res = await post(body, options);
    const json = await res.json();
    assert.equal(res.status, status, JSON.stringify(json));
    assert.deepEqual(sortedKeys(json), ['error']);
    assert.deepEqual(sortedKeys(json.error), ['code', 'message', 'param', 'type']);
    return json.error;
  }
  const tools = (...list) => ({ tools: list });

  test('a request without a bearer token is refused with 401', async () => {
    const res = await post(request('hi'), { headers: { authorization: '' } });
    assert.equal(res.status, 401);
    assert.match((await res.json()).error.message, /didn't provide an API key/);
  });

  test('unknown top-level parameters are refused by name', async () => {
    for (const key of ['foo', 'max_tokens', 'stop', 'system', 'messages', 'thinking']) {
      const e = await rejected(request('hi', { [key]: 1 }));
      assert.equal(e.message, `Unknown parameter: '${key}'.`);
      assert.equal(e.param, key);
      assert.equal(e.code, 'unknown_parameter');
    }
  });

  test('temperature and top_p are refused on reasoning models but not on others', async () => {
    for (const model of ['gpt-5.5', 'gpt-5.4-mini', 'o3']) {
      const e = await rejected(request('hi', { model, temperature: 0.5, reasoning: undefined }));
      assert.equal(e.code, 'unsupported_parameter');
      assert.equal((await rejected(request('hi', { model, top_p: 0.9 }))).param, 'top_p');
    }
    const res = await post(request('hi', { model: 'gpt-4.1', temperature: 0.5, reasoning: undefined,
                                           include: undefined }));
    assert.equal(res.status, 200);
    await res.text();
  });

  test('reasoning settings are refused on a non-reasoning model', async () => {
    const e = await rejected(request('hi', { model: 'gpt-4.1' }));
    assert.equal(e.param, 'reasoning.effort');
  });

  test('max_output_tokens below 16 is refused', async () => {
    const e = await rejected(request('hi', { max_output_tokens: 15 }));
    assert.equal(e.code, 'integer_below_min_value');
    const res = await post(request('hi', { max_output_tokens: 16 }));
    assert.equal(res.status, 200);
    await res.text();
  });

  test('max_output_tokens above the model\'s output limit is refused', async () => {
    const e = await rejected(request('hi', { max_output_tokens: 128001 }));
    assert.equal(e.code, 'integer_above_max_value');
    const res = await post(request('hi', { max_output_tokens: 128000 }));
    assert.equal(res.status, 200);
    await res.text();
  });

  test('a strict json_schema response format must be a strict-compatible schema', async () => {
    const format = { type: 'json_schema', name: 'title', strict: true,
                     schema: { type: 'object', properties: { title: { type: 'string' },
                                                             extra: { type: 'string' } },
                               required: ['title'], additionalProperties: false } };
    const e = await rejected(request('hi', { text: { format } }));
    assert.equal(e.param, 'text.format.schema');
    const res = await post(request('hi', { text: { format: { ...format, strict: false } } }));
    assert.equal(res.status, 200);
    await res.text();
  });

  test('function names must match ^[a-zA-Z0-9_-]{1,64}$', async () => {
    let e = await rejected(request('hi', tools({ ...WRITE_TOOL, name: 'mcp__srv__do.thing' })));
    assert.equal(e.param, 'tools[0].name');
    e = await rejected(request('hi', tools({ ...WRITE_TOOL, name: 'x'.repeat(65) })));
    assert.equal(e.code, 'string_above_max_length');
  });

  test('Anthropic-shaped tools are refused', async () => {
    let e = await rejected(request('hi', tools({ name: 'Write', input_schema: {} })));
    assert.equal(e.param, 'tools[0].type');
    e = await rejected(request('hi', tools({ ...WRITE_TOOL, input_schema: {} })));
    assert.equal(e.message, "Unknown parameter: 'tools[0].input_schema'.");
    e = await rejected(request('hi', tools({ ...WRITE_TOOL,
                                             cache_control: { type: 'ephemeral' } })));
    assert.equal(e.param, 'tools[0].cache_control');
  });

  test('strict:true needs every property required and additionalProperties false', async () => {
    const e = await rejected(request('hi', tools({ ...READ_TOOL, strict: true })));
    assert.equal(e.code, 'invalid_function_parameters');
    const ok = await post(request('hi', tools({ ...WRITE_TOOL, strict: true })));
    assert.equal(ok.status, 200);
    await ok.text();
  });

  test('tool outputs and calls must pair up by call_id', async () => {
    const user = { role: 'user', content: 'hi' };
    const call = { type: 'function_call', call_id: 'call_1', name: 'Write', arguments: '{}' };
    const output = { type: 'function_call_output', call_id: 'call_1', output: 'ok' };
    let e = await rejected(request('hi', { input: [user, output] }));
    assert.equal(e.message, 'No tool call found for function call output with call_id call_1.');
    e = await rejected(request('hi', { input: [user, call] }));
    assert.equal(e.message, 'No tool output found for function call call_1.');
    e = await rejected(request('hi', { input: [user, call,
      { ...output, call_id: 'call_2' }] }));
    assert.match(e.message, /call_2/);
    const res = await post(request('hi', { input: [user, call, output] }));
    assert.equal(res.status, 200);
    await res.text();
  });

  test('function_call arguments must be a JSON string, not an object', async () => {
    const e = await rejected(request('hi', { input: [
      { type: 'function_call', call_id: 'c', name: 'Write', arguments: {} },
      { type: 'function_call_output', call_id: 'c', output: 'ok' }] }));
    assert.equal(e.code, 'invalid_type');
    assert.equal(e.param, 'input[0].arguments');
  });

  test('item ids with store:false are not found (404)', async () => {
    const e = await rejected(request('hi', { input: [
      { type: 'reasoning', id: 'rs_123', summary: [], encrypted_content: 'gAAAAABabc' },
      { role: 'user', content: 'hi' }] }), 404);
    assert.match(e.message, /^Item with id 'rs_123' not found\. Items are not persisted/);
  });

  test('ids the fake returned with store:true can be referred to later', async () => {
    const res = await post(request('[[scenario:reasoning_tool name=Write]]',
                                   { store: true, stream: false }));
    const first = await res.json();
    const [reasoning, call] = first.output;
    const next = await post(request('go on', { store: true, input: [
      { role: 'user', content: 'hi' }, reasoning, call,
      { type: 'function_call_output', call_id: call.call_id, output: 'ok' }] }));
    assert.equal(next.status, 200, await next.clone().text());
    await next.text();
    await rejected(request('hi', { store: true, input: [{ ...reasoning, id: 'rs_unknown' }] }),
                   404);
  });

  test('reasoning items need encrypted content that decrypts, and a summary', async () => {
    const user = { role: 'user', content: 'hi' };
    let e = await rejected(request('hi', { input: [user, { type: 'reasoning', summary: [] }] }));
    assert.equal(e.param, 'input[1].encrypted_content');
    e = await rejected(request('hi', { input: [user, { type: 'reasoning', summary: [],
      encrypted_content: 'EqQBCkgIARABGAIiQL2gAnthropicSignature' }] }));
    assert.equal(e.code, 'invalid_encrypted_content');
    e = await rejected(request('hi', { input: [user, { type: 'reasoning',
      encrypted_content: 'gAAAAABxyz' }] }));
    assert.equal(e.param, 'input[1].summary');
  });

  test('unknown item types and content part types are refused', async () => {
    let e = await rejected(request('hi', { input: [{ type: 'tool_result', content: 'x' }] }));
    assert.equal(e.param, 'input[0].type');
    e = await rejected(request('hi', { input: [{ role: 'user',
      content: [{ type: 'text', text: 'x' }] }] }));
    assert.equal(e.param, 'input[0].content[0].type');
    e = await rejected(request('hi', { input: [{ role: 'user', content: 'hi' }, { role: 'assistant',
      content: [{ type: 'input_text', text: 'x' }] }] }));
    assert.equal(e.message, "Invalid value: 'input_text'. Supported values are: 'output_text' " +
                            "and 'refusal'.");
    e = await rejected(request('hi', { input: [{ role: 'tool', content: 'x' }] }));
    assert.equal(e.param, 'input[0].role');
    e = await rejected(request('hi', { input: [{ role: 'user', content: [
      { type: 'input_text', text: 'x', cache_control: { type: 'ephemeral' } }] }] }));
    assert.equal(e.param, 'input[0].content[0].cache_control');
    e = await rejected(request('hi', { input: [{ role: 'user', content: [
      { type: 'input_image', image_url: 'data:image/png;base64,%%%' }] }] }));
    assert.equal(e.param, 'input[0].content[0].image_url');
  });

  test('the hosted web_search tool\'s options and max_tool_calls are checked', async () => {
    const web = (tool, extra = {}) => request('hi', { tools: [tool], ...extra });
    let error = await rejected(web({ type: 'web_search', max_uses: 3 }));
    assert.equal(error.param, 'tools[0].max_uses');
    error = await rejected(web({ type: 'web_search', filters: { allowed: ['a.com'] } }));
    assert.equal(error.param, 'tools[0].filters.allowed');
    error = await rejected(web({ type: 'web_search', filters: { blocked_domains: 'a.com' } }));
    assert.equal(error.code, 'invalid_type');
    error = await rejected(web({ type: 'web_search', search_context_size: 'huge' }));
    assert.equal(error.code, 'invalid_value');
    error = await rejected(web({ type: 'web_search', user_location: { type: 'exact' } }));
    assert.equal(error.param, 'tools[0].user_location.type');
    error = await rejected(web({ type: 'web_search' }, { max_tool_calls: '5' }));
    assert.equal(error.param, 'max_tool_calls');
    error = await rejected(web({ type: 'web_search' }, { max_tool_calls: 0 }));
    assert.equal(error.code, 'integer_below_min_value');
    const ok = await post(web({ type: 'web_search', search_context_size: 'low',
                                filters: { allowed_domains: ['a.com'], blocked_domains: ['b.com'] },
                                user_location: { type: 'approximate', country: 'US',
                                                 city: 'Boston' } },
                              { max_tool_calls: 5 }));
    assert.equal(ok.status, 200, await ok.text());
  });

  test('tool_choice must name a function that exists', async () => {
    const e = await rejected(request('hi', { tool_choice: { type: 'function', name: 'Nope' } }));
    assert.equal(e.param, 'tool_choice');
  });

  test('invalid JSON is refused and a wrong path is a 404', async () => {
    let e = await rejected('{"model":', 400, { raw: true });
    assert.match(e.message, /could not parse the JSON body/);
    e = await rejected(request('hi'), 404, { path: '/v1/chat/completion' });
    assert.equal(e.message, 'Invalid URL (POST /v1/chat/completion)');
  });

  test('a full Claude-Code-like tool round trip is accepted', async () => {
    const first = await post(request('[[scenario:reasoning_tool name=Write]]', { stream: false }));
    const { output } = await first.json();
    const [reasoning, call] = output;
    const { id: _r, ...reasoningItem } = reasoning;
    const { id: _c, status: _s, ...callItem } = call;
    const res = await post(request('ignored', { prompt_cache_key: 'abc', input: [
      { type: 'message', role: 'developer', content: 'environment details' },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'write it' }] },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Sure.' }] },
      reasoningItem, callItem,
      { type: 'function_call_output', call_id: call.call_id, output: [
        { type: 'input_text', text: 'File created' },
        { type: 'input_image', image_url: 'data:image/png;base64,iVBORw0KGgo=' }] }] }));
    assert.equal(res.status, 200, await res.clone().text());
    const events = parseStrict(await res.text());
    // After a tool output the brain answers "done".
    assert.equal(events.at(-1).response.output[0].content[0].text, 'done');
  });

  test('rejected requests are recorded with their error', async () => {
    await rejected(request('hi', { foo: 1 }));
    const last = await fake.lastRequest();
    assert.equal(last.status, 400);
    assert.equal(last.error.code, 'unknown_parameter');
    assert.equal(last.body.foo, 1);
  });
});

describe('choosing what to answer', () => {
  const lastRecord = () => fake.lastRequest();

  test('a marker in the last user message picks the scenario and its arguments', async () => {
    const events = await stream('please [[scenario:write path=/tmp/x.txt content="two words"]]');
    const call = events.at(-1).response.output[0];
    assert.equal(call.name, 'Write');
    assert.deepEqual(JSON.parse(call.arguments), { file_path: '/tmp/x.txt', content: 'two words' });
    assert.deepEqual((await lastRecord()).scenario,
                     { name: 'write', args: { path: '/tmp/x.txt', content: 'two words' },
                       source: 'marker' });
  });

  test('a marker followed by a tool output is not acted on again: the brain says done',
       async () => {
    const res = await post(request('x', { input: [
      { role: 'user', content: '[[scenario:write path=/tmp/x.txt]]' },
      { type: 'function_call', call_id: 'call_9', name: 'Write', arguments: '{}' },
      { type: 'function_call_output', call_id: 'call_9', output: 'ok' }] }));
    const events = parseStrict(await res.text());
    assert.equal(events.at(-1).response.output[0].content[0].text, 'done');
    assert.equal((await lastRecord()).scenario.source, 'brain');
  });

  test('a marker only in an earlier user message is ignored', async () => {
    await stream('x', { input: [
      { role: 'user', content: '[[scenario:refusal]]' },
      { role: 'assistant', content: [{ type: 'output_text', text: 'ok' }] },
      { role: 'user', content: 'and now?' }] });
    assert.equal((await lastRecord()).scenario.name, 'text');
  });

  test('a queued script entry wins over the marker, once', async () => {
    await fake.script('text text="scripted"');
    let events = await stream('[[scenario:refusal]]');
    assert.equal(events.at(-1).response.output[0].content[0].text, 'scripted');
    events = await stream('[[scenario:refusal]]');
    assert.equal(events.at(-1).response.output[0].content[0].type, 'refusal');
  });

  test('script entries may be objects and unknown names are refused', async () => {
    await fake.script({ name: 'text', args: { text: 'object form' } });
    const events = await stream('hi');
    assert.equal(events.at(-1).response.output[0].content[0].text, 'object form');
    await assert.rejects(fake.script('no_such_scenario'), /unknown scenario/);
  });

  test('the brain writes a file when asked, ignoring system reminders', async () => {
    let events = await stream('<system-reminder>read CLAUDE.md</system-reminder>\n' +
                              'Write the file /tmp/out.txt containing "hi there"');
    const call = events.at(-1).response.output[0];
    assert.equal(call.name, 'Write');
    assert.deepEqual(JSON.parse(call.arguments),
                     { file_path: '/tmp/out.txt', content: 'hi there' });
    events = await stream('<system-reminder>write /x/y.md</system-reminder>say hi');
    assert.equal(events.at(-1).response.output[0].type, 'message');
  });

  test('tool scenarios use the request\'s own function name for a client tool name', async () => {
    const renamed = { ...WRITE_TOOL, name: 'mcp__files__Write' };
    const events = await stream('[[scenario:write path=/a]]', { tools: [renamed] });
    assert.equal(events.at(-1).response.output[0].name, 'mcp__files__Write');
  });

  test('a long client tool name finds the shortened function sharing its prefix', async () => {
    const long = `mcp__documentation_server__${'search_everything_'.repeat(3)}`;
    const shortened = { ...READ_TOOL, name: `${long.slice(0, 52)}_a1b2c3d4e5f` };
    const events = await stream(`[[scenario:tool_call name=${long}]]`, { tools: [shortened] });
    assert.equal(events.at(-1).response.output[0].name, shortened.name);
  });

  test('tool arguments are made from the schema when not given, and coerced to it', async () => {
    let events = await stream('[[scenario:tool_call name=Read]]');
    assert.deepEqual(JSON.parse(events.at(-1).response.output[0].arguments),
                     { file_path: '/tmp/fake-upstream-1.txt' });
    events = await stream('[[scenario:tool_call name=Read file_path=/x limit=5]]');
    assert.deepEqual(JSON.parse(events.at(-1).response.output[0].arguments),
                     { file_path: '/x', limit: 5 });
    events = await stream('[[scenario:tool_call name=Read args=\'{"file_path":"/j"}\']]');
    assert.deepEqual(JSON.parse(events.at(-1).response.output[0].arguments), { file_path: '/j' });
  });
});

describe('the web tools: hosted search, WebFetch, its summariser and continuation', () => {
  const WEB_FETCH_TOOL = {
    type: 'function', name: 'WebFetch', description: 'Fetches a URL.', strict: false,
    parameters: { type: 'object', properties: { url: { type: 'string' },
                                                prompt: { type: 'string' } },
                  required: ['url', 'prompt'], additionalProperties: false },
  };
  const search = (text, extra = {}) => stream(text, {
    tools: [{ type: 'web_search' }], include: ['web_search_call.action.sources'], ...extra });

  test('web_search streams like the recorded search: a web_search_call, then text with a ' +
       'url_citation', async () => {
    const events = await search('[[scenario:web_search query="cats" marker=ocelot]]');
    checkStreamInvariants(events);
    const recorded = recordedStreams('openai-web-search-tool.1.chunks.txt')[0];
    for (const e of events) {
      const r = recordedLike(recorded, e);
      assert.ok(r, `the recording has ${e.type}`);
      assert.deepEqual(sortedKeys(e), sortedKeys(r), `keys of ${e.type}`);
      if (e.item) assert.deepEqual(sortedKeys(e.item), sortedKeys(r.item), `item of ${e.type}`);
      if (e.annotation) assert.deepEqual(sortedKeys(e.annotation), sortedKeys(r.annotation));
    }
    assert.deepEqual(grammar(events), [
      'response.created', 'response.in_progress', 'response.output_item.added',
      'response.web_search_call.in_progress', 'response.web_search_call.searching',
      'response.web_search_call.completed', 'response.output_item.done',
      'response.output_item.added', 'response.content_part.added', 'response.output_text.delta+',
      'response.output_text.annotation.added', 'response.output_text.done',
      'response.content_part.done', 'response.output_item.done', 'response.completed']);
    const [call, message] = events.at(-1).response.output;
    assert.match(call.id, /^ws_[0-9a-f]{50}$/);
    assert.deepEqual(call.action, { type: 'search', query: 'cats', sources: [
      { type: 'url', url: 'https://example.com/search-result' },
      { type: 'url', url: 'https://example.org/another-result' }] });
    const [part] = message.content;
    assert.equal(part.text, 'Results for "cats": the marker word is ocelot. ' +
                 '([example.com](https://example.com/search-result?utm_source=openai))');
    const [annotation] = part.annotations;
    assert.deepEqual(annotation, { type: 'url_citation', end_index: [...part.text].length,
                                   start_index: part.text.indexOf('(['),
                                   title: 'Example search result',
                                   url: 'https://example.com/search-result?utm_source=openai' });
    assert.equal(part.text.slice(annotation.start_index, annotation.end_index),
                 '([example.com](https://example.com/search-result?utm_source=openai))');
    // Announced right after the delta that completes the cited text, as recorded.
    const at = events.findIndex((e) => e.type === 'response.output_text.annotation.added');
    const before = events.slice(0, at).filter((e) => e.type === 'response.output_text.delta')
      .map((e) => e.delta).join('');
    assert.ok([...before].length >= annotation.end_index);
    assert.equal(events[at - 1].type, 'response.output_text.delta');
  });

  test('web_search lists its sources only when the request includes them', async () => {
    const events = await search('[[scenario:web_search]] x', { include: [] });
    assert.deepEqual(events.at(-1).response.output[0].action, { type: 'search', query: 'x' });
  });

  test('the brain searches when the hosted web_search is offered, with Claude Code\'s query',
       async () => {
    const events = await search('Perform a web search for the query: claudegpt proxy');
    assert.equal((await fake.lastRequest()).scenario.name, 'web_search');
    const [call, message] = events.at(-1).response.output;
    assert.equal(call.action.query, 'claudegpt proxy');
    assert.match(message.content[0].text,
                 /^Results for "claudegpt proxy": the marker word is quokka/);
  });

  test('web_fetch calls WebFetch with the url and prompt given', async () => {
    const events = await stream('[[scenario:web_fetch url=http://127.0.0.1:9/p.html]]',
                                { tools: [WRITE_TOOL, WEB_FETCH_TOOL] });
    const [call] = events.at(-1).response.output;
    assert.equal(call.name, 'WebFetch');
    assert.deepEqual(JSON.parse(call.arguments),
                     { url: 'http://127.0.0.1:9/p.html', prompt: 'What is the secret word?' });
  });

  test('claudegpt\'s summariser gets page_summary, which proves what it read', async () => {
    const page = '# A heading\n\nSome text. The secret word is **kumquat**.\nMore text.';
    const events = await stream(`Page: https://example.com/x\n---\n${page}\n---\n\nQuestion: ` +
                                'What is the secret word?', {
      instructions: 'You read one web page for another model and answer its question.',
      tools: undefined, tool_choice: undefined, reasoning: { effort: 'low' }, include: undefined });
    assert.equal((await fake.lastRequest()).scenario.name, 'page_summary');
    assert.equal(events.at(-1).response.output[0].content[0].text,
                 `Summary of https://example.com/x: ${page.length} characters read, first line ` +
                 '"A heading", secret word kumquat.');
  });

  test('after a WebFetch output the brain quotes it; after another tool\'s output it says done',
       async () => {
    const after = (name, output) => stream('x', { tools: [WRITE_TOOL, WEB_FETCH_TOOL], input: [
      { role: 'user', content: 'go' },
      { type: 'function_call', call_id: 'srvtoolu_1', name, arguments: '{}' },
      { type: 'function_call_output', call_id: 'srvtoolu_1', output }] });
    let events = await after('WebFetch', 'Fetching x failed: HTTP 404 Not Found');
    assert.equal(events.at(-1).response.output[0].content[0].text,
                 'The tool said: Fetching x failed: HTTP 404 Not Found');
    assert.equal((await fake.lastRequest()).scenario.name, 'echo_output');
    events = await after('Write', 'written');
    assert.equal(events.at(-1).response.output[0].content[0].text, 'done');
  });
});

describe('faults and timing', () => {
  test('rate_limit is a 429 with retry-after and OpenAI\'s "try again in" message', async () => {
    const res = await post(request('[[scenario:rate_limit]]'));
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '7');
    const { error } = await res.json();
    assert.equal(error.code, 'rate_limit_exceeded');
    assert.match(error.message, /Please try again in 6\.5s\./);
  });

  test('context_overflow is a 400 context_length_exceeded', async () => {
    const res = await post(request('[[scenario:context_overflow]]'));
    assert.equal(res.status, 400);
    const { error } = await res.json();
    assert.equal(error.code, 'context_length_exceeded');
    assert.equal(error.param, 'input');
  });

  test('http_500 and http_error give those statuses', async () => {
    let res = await post(request('[[scenario:http_500]]'));
    assert.equal(res.status, 500);
    assert.equal((await res.json()).error.type, 'server_error');
    res = await post(request('[[scenario:http_error status=503 retry_after=2]]'));
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('retry-after'), '2');
    await res.text();
  });

  test('cut drops the connection after some text, with no terminal event', async () => {
    const res = await post(request('[[scenario:cut]]'));
    let text = '';
    const decoder = new TextDecoder();
    await assert.rejects(async () => {
      for await (const chunk of res.body) text += decoder.decode(chunk);
    });
    assert.match(text, /response\.output_text\.delta/);
    assert.doesNotMatch(text, /response\.(completed|failed|incomplete)/);
    const record = await fake.lastRequest();
    assert.equal(record.server_closed, true);
  });

  test('slow spaces its deltas by gap_ms', async () => {
    const res = await post(request('[[scenario:slow gap_ms=120 deltas=3]]'));
    const times = [];
    const decoder = new TextDecoder();
    for await (const chunk of res.body) {
      if (decoder.decode(chunk).includes('output_text.delta')) times.push(performance.now());
    }
    assert.equal(times.length, 3);
    assert.ok(times[2] - times[0] >= 200, `deltas spread over ${times[2] - times[0]} ms`);
  });

  test('stall sends headers then nothing; a client abort is recorded within 100 ms',
       async () => {
    const controller = new AbortController();
    const res = await post(request('[[scenario:stall after=created]]'),
                           { headers: {}, signal: controller.signal });
    assert.equal(res.status, 200);
    const reader = res.body.getReader();
    const first = await reader.read();
    assert.match(new TextDecoder().decode(first.value), /response\.created/);
    const nothing = await Promise.race([reader.read().then(() => 'data'),
                                        sleep(300).then(() => 'silence')]);
    assert.equal(nothing, 'silence');
    const abortedAt = performance.timeOrigin + performance.now();
    controller.abort();
    await sleep(150);
    const record = await fake.lastRequest();
    assert.equal(record.aborted, true);
    const delay = record.closed_at - abortedAt;
    assert.ok(delay < 100, `closed ${delay} ms later`);
  });

  test('the CLI prints its address and stops on SIGTERM', async () => {
    const spawned = await startFakeUpstream({ spawn: true });
    try {
      const res = await fetch(`${spawned.baseURL}/responses`, {
        method: 'POST', headers: { authorization: 'Bearer k' },
        body: JSON.stringify(request('[[scenario:text text=cli]]', { stream: false })) });
      assert.equal((await res.json()).output[0].content[0].text, 'cli');
      assert.equal((await spawned.requests()).length, 1);
    } finally {
      await spawned.close();
    }
  });
});

describe('Azure OpenAI routes', () => {
  const azure = (path, headers = {}) => ({ path, headers: { authorization: '', 'api-key': 'k',
                                                            ...headers } });

  test('the v1 route takes an api-key, api-version preview or none, and a deployment as model',
       async () => {
    for (const query of ['?api-version=preview', '']) {
      const body = request('[[scenario:text text=azure]]',
                           { model: 'my-gpt5-deployment', prompt_cache_retention: '24h' });
      const res = await post(body, azure(`/openai/v1/responses${query}`));
      assert.equal(res.status, 200, await res.clone().text());
      const events = parseStrict(await res.text());
      assert.equal(events.at(-1).response.output[0].content[0].text, 'azure');
      assert.equal(events.at(-1).response.model, 'my-gpt5-deployment');
      const record = await fake.lastRequest();
      assert.equal(record.provider, 'azure');
      assert.equal(record.route, 'azure_v1');
      assert.equal(record.api_version, query ? 'preview' : null);
      assert.equal(res.headers.get('x-ms-region'), 'Sweden Central');
    }
  });

  test('an unknown api-version is accepted and recorded', async () => {
    const res = await post(request('hi'), azure('/openai/v1/responses?api-version=2099-01-01'));
    assert.equal(res.status, 200);
    await res.text();
    assert.equal((await fake.lastRequest()).api_version, '2099-01-01');
  });

  test('the dated route needs an api-version query', async () => {
    let res = await post(request('hi'), azure('/openai/responses'));
    assert.equal(res.status, 400);
    assert.deepEqual(sortedKeys((await res.json()).error), ['code', 'message']);
    assert.equal((await fake.lastRequest()).error.code, 'MissingApiVersionParameter');
    res = await post(request('hi'), azure('/openai/responses?api-version=2025-04-01-preview'));
    assert.equal(res.status, 200);
    await res.text();
    const record = await fake.lastRequest();
    assert.equal(record.route, 'azure_dated');
    assert.equal(record.api_version, '2025-04-01-preview');
  });

  test('an Entra ID bearer token is accepted instead of api-key; neither is a 401', async () => {
    let res = await post(request('hi'), { path: '/openai/v1/responses',
                                          headers: { authorization: 'Bearer entra-token' } });
    assert.equal(res.status, 200);
    await res.text();
    res = await post(request('hi'), { path: '/openai/v1/responses',
                                      headers: { authorization: '' } });
    assert.equal(res.status, 401);
    const { error } = await res.json();
    assert.equal(error.code, '401');
    assert.match(error.message, /Access denied due to invalid subscription key/);
  });

  test('a configured key and deployment list are enforced', async () => {
    const strict = await startFakeUpstream({ azureApiKey: 'right',
                                             azureDeployments: ['gpt-5-5', 'gpt-54-mini'] });
    try {
      const send = (model, key) => fetch(`${strict.url}/openai/v1/responses`, {
        method: 'POST', headers: { 'api-key': key, 'content-type': 'application/json' },
        body: JSON.stringify(request('hi', { model })) });
      let res = await send('gpt-5-5', 'wrong');
      assert.equal(res.status, 401);
      await res.text();
      res = await send('gpt-54-nano', 'right');
      assert.equal(res.status, 404);
      assert.equal((await res.json()).error.code, 'DeploymentNotFound');
      res = await send('gpt-54-mini', 'right');
      assert.equal(res.status, 200);
      await res.text();
    } finally {
      await strict.close();
    }
  });

  test('body rules are the Responses API\'s, with OpenAI-shaped errors', async () => {
    const res = await post(request('hi', { max_tokens: 5 }), azure('/openai/v1/responses'));
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error.message, "Unknown parameter: 'max_tokens'.");
  });

  test('a 429 is worded the Azure way and keeps retry-after', async () => {
    const res = await post(request('[[scenario:rate_limit retry_after=35]]'),
                           azure('/openai/v1/responses'));
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '35');
    const { error } = await res.json();
    assert.equal(error.code, '429');
    assert.match(error.message, /Try again in 35 seconds/);
  });
});

describe('the Codex backend and its sign-in authority', () => {
  const CLIENT_ID = 'app_EMoamEEZ73f0CkXaXp7hrann';
  const codexHeaders = (tokens, extra = {}) => ({
    authorization: `Bearer ${tokens.access_token}`, 'chatgpt-account-id': tokens.account_id,
    originator: 'claudegpt', session_id: 'session-1', 'openai-beta': 'responses=experimental',
    accept: 'text/event-stream', ...extra });
  const codexBody = (text, extra = {}) => {
    const body = request(text, extra);
    for (const [k, v] of Object.entries(extra)) if (v === undefined) delete body[k];
    return body;
  };
  const codexPost = (tokens, body, extra) =>
    post(body, { path: '/backend-api/codex/responses', headers: codexHeaders(tokens, extra) });
  const refresh = (refreshToken, extra = {}) => fetch(`${fake.url}/oauth/token`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: CLIENT_ID, grant_type: 'refresh_token',
                           refresh_token: refreshToken, ...extra }) });
  const claims = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());

  async function codexRefused(res, status) {
    const json = await res.json();
    assert.equal(res.status, status, JSON.stringify(json));
    assert.deepEqual(sortedKeys(json), ['detail']);
    return json.detail;
  }

  test('login issues JWTs carrying exp and the account id', async () => {
    const tokens = await fake.codexLogin({ accountId: 'acct-1', ttlSeconds: 600 });
    assert.deepEqual(sortedKeys(tokens), ['access_token', 'account_id', 'id_token',
                                          'refresh_token']);
    const access = claims(tokens.access_token);
    assert.equal(access['https://api.openai.com/auth'].chatgpt_account_id, 'acct-1');
    assert.ok(Math.abs(access.exp - (Date.now() / 1000 + 600)) < 5);
    assert.equal(claims(tokens.id_token)['https://api.openai.com/auth'].chatgpt_account_id,
                 'acct-1');
  });

  test('a valid token and account id stream an answer, recorded as codex', async () => {
    const tokens = await fake.codexLogin();
    const res = await codexPost(tokens, codexBody('[[scenario:text text=codex]]'));
    assert.equal(res.status, 200, await res.clone().text());
    const events = parseStrict(await res.text());
    assert.equal(events.at(-1).response.output[0].content[0].text, 'codex');
    const record = await fake.lastRequest();
    assert.equal(record.provider, 'codex');
    assert.equal(record.route, 'codex');
    assert.equal(record.headers['chatgpt-account-id'], tokens.account_id);
    assert.ok(res.headers.get('x-codex-primary-used-percent'));
  });

  test('credentials are checked: none, unknown, expired, wrong or missing account', async () => {
    const tokens = await fake.codexLogin();
    const body = codexBody('hi');
    assert.equal(await codexRefused(await codexPost(tokens, body, { authorization: '' }), 401),
                 'Unauthorized');
    assert.match(await codexRefused(await codexPost({ ...tokens, access_token: 'a.b.c' }, body),
                                    401), /Could not parse your authentication token/);
    const old = await fake.codexLogin({ ttlSeconds: -60 });
    assert.match(await codexRefused(await codexPost(old, body), 401), /has expired/);
    assert.match(await codexRefused(await codexPost(tokens, body,
                                                    { 'chatgpt-account-id': 'acct-other' }), 403),
                 /does not match/);
    assert.match(await codexRefused(await codexPost(tokens, body, { 'chatgpt-account-id': '' }),
                                    400), /chatgpt-account-id/);
  });

  test('expiring a token ends it (only it, when named)', async () => {
    await fake.codexForget();
    const a = await fake.codexLogin();
    const b = await fake.codexLogin();
    assert.equal(await fake.codexExpire(a.access_token), 1);
    assert.match(await codexRefused(await codexPost(a, codexBody('hi')), 401), /has expired/);
    let res = await codexPost(b, codexBody('hi'));
    assert.equal(res.status, 200);
    await res.text();
    assert.equal(await fake.codexExpire(), 2);
    res = await codexPost(b, codexBody('hi'));
    assert.equal(res.status, 401);
    await res.text();
  });

  test('max_output_tokens, temperature and prompt_cache_retention are unsupported', async () => {
    const tokens = await fake.codexLogin();
    for (const [key, value] of [['max_output_tokens', 1000], ['temperature', 1],
                                ['prompt_cache_retention', '24h']]) {
      const detail = await codexRefused(await codexPost(tokens, codexBody('hi', { [key]: value })),
                                        400);
      assert.equal(detail, `Unsupported parameter: ${key}`);
      assert.deepEqual((await fake.lastRequest()).error, { detail });
    }
  });

  test('store:false, stream:true and non-empty instructions are required', async () => {
    const tokens = await fake.codexLogin();
    assert.equal(await codexRefused(await codexPost(tokens, codexBody('hi', { store: true })), 400),
                 'Store must be set to false');
    assert.equal(await codexRefused(await codexPost(tokens, codexBody('hi', { store: undefined })),
                                    400), 'Store must be set to false');
    assert.equal(await codexRefused(await codexPost(tokens, codexBody('hi', { stream: false })),
                                    400), 'Stream must be set to true');
    for (const instructions of [undefined, '', '  ']) {
      assert.equal(await codexRefused(await codexPost(tokens, codexBody('hi', { instructions })),
                                      400), 'Instructions are required');
    }
  });

  test('the Responses API\'s own rules apply too, with errors as {"detail"}', async () => {
    const tokens = await fake.codexLogin();
    assert.equal(await codexRefused(await codexPost(tokens, codexBody('hi', { foo: 1 })), 400),
                 "Unknown parameter: 'foo'.");
    const res = await post(codexBody('hi'), { path: '/backend-api/codex/responses', raw: false,
      headers: { ...codexHeaders(tokens), 'content-type': 'application/json' } });
    assert.equal(res.status, 200);
    await res.text();
  });

  test('scenario errors take the Codex shapes: {"detail"}, and usage_limit_reached for 429',
       async () => {
    const tokens = await fake.codexLogin();
    let res = await codexPost(tokens, codexBody('[[scenario:http_error status=400 ' +
                                                'message="Unsupported parameter: x"]]'));
    assert.equal(await codexRefused(res, 400), 'Unsupported parameter: x');
    res = await codexPost(tokens, codexBody('[[scenario:rate_limit retry_after=12]]'));
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '12');
    const { error } = await res.json();
    assert.equal(error.type, 'usage_limit_reached');
    assert.ok(Math.abs(error.resets_at - (Math.floor(Date.now() / 1000) + 12)) <= 2, JSON.stringify(error));
  });

  test('a refresh rotates the tokens: the new ones work, the used refresh token is dead',
       async () => {
    const first = await fake.codexLogin({ accountId: 'acct-r' });
    let res = await refresh(first.refresh_token);
    assert.equal(res.status, 200);
    const next = await res.json();
    assert.deepEqual(sortedKeys(next), ['access_token', 'expires_in', 'id_token',
                                        'refresh_token', 'scope', 'token_type']);
    assert.notEqual(next.access_token, first.access_token);
    assert.notEqual(next.refresh_token, first.refresh_token);
    assert.equal(claims(next.access_token)['https://api.openai.com/auth'].chatgpt_account_id,
                 'acct-r');
    res = await codexPost({ ...next, account_id: 'acct-r' }, codexBody('hi'));
    assert.equal(res.status, 200);
    await res.text();
    res = await refresh(first.refresh_token);
    assert.equal(res.status, 401);
    assert.equal((await res.json()).error.code, 'refresh_token_reused');
    assert.equal((await fake.codexStatus()).refresh_calls, 2);
    const records = await fake.requests({ route: 'oauth_token' });
    assert.deepEqual(records.map((r) => r.status), [200, 401]);
    assert.equal(records[0].body.refresh_token, first.refresh_token);
    assert.equal(records[0].provider, 'auth');
  });

  test('the refresh checks client id and grant type; a form body is read too', async () => {
    const tokens = await fake.codexLogin();
    let res = await refresh(tokens.refresh_token, { client_id: 'someone-else' });
    assert.equal(res.status, 401);
    assert.equal((await res.json()).error, 'invalid_client');
    res = await refresh(tokens.refresh_token, { grant_type: 'password' });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error, 'unsupported_grant_type');
    res = await fetch(`${fake.url}/oauth/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: CLIENT_ID, grant_type: 'refresh_token',
                                  refresh_token: tokens.refresh_token }).toString() });
    assert.equal(res.status, 200);
    await res.json();
  });

  test('another fake can share the sign-in authority (tokens on one host, Codex on another)',
       async () => {
    const signIn = await startFakeUpstream({ codexTokens: fake.tokens });
    try {
      const tokens = await signIn.codexLogin({ accountId: 'acct-shared' });
      const res = await codexPost(tokens, codexBody('hi'));
      assert.equal(res.status, 200, 'the backend knows the token the other host issued');
      await res.text();
    } finally {
      await signIn.close();
    }
  });

  test('knobs: every refresh rejected, or slow; reset restores them and keeps tokens',
       async () => {
    let tokens = await fake.codexLogin();
    await fake.codexConfigure({ reject_refresh: true });
    let res = await refresh(tokens.refresh_token);
    assert.equal(res.status, 401);
    assert.equal((await res.json()).error.code, 'refresh_token_invalidated');
    await fake.codexConfigure({ reject_refresh: false, refresh_delay_ms: 200 });
    const started = performance.now();
    res = await refresh(tokens.refresh_token);
    assert.equal(res.status, 200);
    await res.json();
    assert.ok(performance.now() - started >= 190);
    const issued = (await fake.codexStatus()).issued_access_tokens;
    await fake.reset();
    assert.deepEqual(await fake.codexStatus(), { refresh_calls: 0, issued_access_tokens: issued,
                                                 reject_refresh: false, refresh_delay_ms: 0,
                                                 token_ttl_s: 3600 });
    res = await codexPost(tokens, codexBody('hi'));
    assert.equal(res.status, 200, 'tokens issued before a reset still work');
    await res.text();
    await fake.codexForget();
    assert.equal((await fake.codexStatus()).issued_access_tokens, 0);
    res = await codexPost(tokens, codexBody('hi'));
    assert.equal(res.status, 401, 'forgotten tokens are unknown');
    await res.text();
    tokens = await fake.codexLogin();
    res = await codexPost(tokens, codexBody('hi'));
    assert.equal(res.status, 200);
    await res.text();
  });
});

describe('HTTPS and forward proxies (tests/lib/tls.mjs, connect_proxy.mjs)', () => {
  let certs;
  let secure;
  before(async () => {
    certs = makeTestCertificates();
    secure = await startFakeUpstream({ tls: certs });
  });
  after(async () => {
    await secure?.close();
    certs?.remove();
  });

  const secureRequest = (options = {}) =>
    httpRequest(`${secure.url}/v1/responses`, {
      method: 'POST', ca: certs.ca, headers: { authorization: 'Bearer k' },
      body: request('[[scenario:text text=tls]]', { stream: false }), ...options });

  test('with TLS the fake serves https:// and a client trusting the test CA gets answers',
       async () => {
    assert.match(secure.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const res = await secureRequest();
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json().output[0].content[0].text, 'tls');
    assert.equal((await secure.requests()).length, 1, 'the controls work over TLS');
  });

  test('a client that does not trust the test CA is refused in the handshake', async () => {
    await assert.rejects(secureRequest({ ca: undefined }),
                         /self-signed|unable to (get|verify)|certificate/i);
  });

  test('the spawned CLI serves HTTPS with --tls-cert/--tls-key', async () => {
    const spawned = await startFakeUpstream({ spawn: true, tls: certs });
    try {
      assert.match(spawned.url, /^https:/);
      const res = await httpRequest(`${spawned.baseURL}/responses`, {
        method: 'POST', ca: certs.ca, headers: { authorization: 'Bearer k' },
        body: request('[[scenario:text text=cli]]', { stream: false }) });
      assert.equal(res.json().output[0].content[0].text, 'cli');
      assert.equal((await spawned.requests()).length, 1);
    } finally {
      await spawned.close();
    }
  });

  test('the CONNECT proxy tunnels TLS to its target and records it', async () => {
    const forward = await startConnectProxy();
    try {
      const target = new URL(secure.url).host;
      const tunnel = await new Promise((resolve, reject) => {
        http.request(forward.url, { method: 'CONNECT', path: target })
          .on('connect', (res, socket) => (res.statusCode === 200 ? resolve(socket)
            : reject(new Error(`CONNECT ${res.statusCode}`))))
          .on('error', reject).end();
      });
      const res = await httpRequest(`${secure.url}/v1/responses`, {
        method: 'POST', headers: { authorization: 'Bearer k' },
        body: request('[[scenario:text text=tunnelled]]', { stream: false }),
        agent: new https.Agent({ ca: certs.ca,
                                 createConnection: (options) =>
                                   tls.connect({ ...options, socket: tunnel }) }) });
      assert.equal(res.json().output[0].content[0].text, 'tunnelled');
      assert.deepEqual(forward.connects, [target]);
    } finally {
      await forward.close();
    }
  });

  test('the proxy forwards plain http requests by absolute URI, and can refuse tunnels',
       async () => {
    const forward = await startConnectProxy({ refuse: true });
    try {
      const url = `${fake.url}/_health`;
      const res = await httpRequest(forward.url, { method: 'GET' }).catch((e) => e);
      assert.equal(res.status, 400, 'a request that is not by absolute URI');
      const ok = await new Promise((resolve, reject) => {
        http.request({ host: '127.0.0.1', port: forward.port, path: url }, (r) => {
          let text = '';
          r.on('data', (c) => { text += c; });
          r.on('end', () => resolve({ status: r.statusCode, text }));
        }).on('error', reject).end();
      });
      assert.equal(ok.status, 200);
      assert.deepEqual(JSON.parse(ok.text), { ok: true });
      assert.deepEqual(forward.forwards, ['/', url]);
      const status = await new Promise((resolve, reject) => {
        http.request(forward.url, { method: 'CONNECT', path: '127.0.0.1:9' })
          .on('connect', (r, socket) => { socket.destroy(); resolve(r.statusCode); })
          .on('error', reject).end();
      });
      assert.equal(status, 403);
      assert.deepEqual(forward.connects, ['127.0.0.1:9']);
    } finally {
      await forward.close();
    }
  });
});

// Issue 15: real-service behaviours behind switches (service_switches.mjs), off by default.
describe('real-service switches', () => {
  const setSwitches = (knobs) => fake.control('POST', '/_config', knobs);
  // Every switch, off (the other switches have tests of their own beside their modules).
  const OFF = { unverified_org: false, model_capabilities: false, codex_refresh_needs_scope: false,
                codex_usage_limit: false, usage_not_included: false, cloudflare_challenge: false,
                cache_writes: false, reasoning_key: 'original' };
  const UNVERIFIED = {
    error: {
      message: 'Your organization must be verified to generate reasoning summaries. Please go ' +
               'to: https://platform.openai.com/settings/organization/general and click on ' +
               'Verify Organization. If you just verified, it can take up to 15 minutes for ' +
               'access to propagate.',
      type: 'invalid_request_error', param: 'reasoning.summary', code: 'unsupported_value',
    },
  };
  const openaiError = (message, param, code) =>
    ({ error: { message, type: 'invalid_request_error', param, code } });
  const azure = { path: '/openai/v1/responses', headers: { authorization: '', 'api-key': 'k' } };

  async function refusedWith(res, expected) {
    assert.equal(res.status, 400);
    assert.match(res.headers.get('content-type'), /^application\/json/);
    assert.deepEqual(await res.json(), expected);
  }
  async function served(res) {
    const text = await res.text();
    assert.equal(res.status, 200, text);
    return text;
  }
  // A body without the parts named undefined (request() keeps reasoning and the include).
  const bodyWith = (extra) => {
    const body = request('hi', extra);
    for (const [k, v] of Object.entries(extra)) if (v === undefined) delete body[k];
    return body;
  };

  test('both are off by default: summaries, every effort and gpt-4.1 includes are served',
       async () => {
    assert.deepEqual(await fake.control('GET', '/_config'),
                     OFF);
    await served(await post(request('hi')));
    await served(await post(request('hi', { model: 'gpt-5-mini',
                                            reasoning: { effort: 'xhigh', summary: 'auto' } })));
    await served(await post(request('hi', { model: 'gpt-5.3-codex-spark' })));
    await served(await post(bodyWith({ model: 'gpt-4.1', reasoning: undefined })));
    assert.ok((await fake.requests()).every((r) => r.status === 200 && !r.refused_by));
  });

  test('unverified_org: a summary on the OpenAI route is a 400 with OpenAI\'s body; nothing ' +
       'else is', async () => {
    assert.deepEqual(await setSwitches({ unverified_org: true }),
                     { ...OFF, unverified_org: ['openai'] });
    for (const summary of ['auto', 'concise', 'detailed']) {
      await refusedWith(await post(request('hi', { reasoning: { effort: 'high', summary } })),
                        UNVERIFIED);
    }
    await refusedWith(await post(request('hi', { stream: false })), UNVERIFIED);
    await refusedWith(await post(request('hi', { model: 'gpt-5.4-mini',
                                                 reasoning: { summary: 'auto' } })), UNVERIFIED);
    // No summary: served, reasoning and all.
    await served(await post(request('[[scenario:reasoning_tool]]',
                                    { reasoning: { effort: 'medium' } })));
    await served(await post(request('hi', { reasoning: { effort: 'low', summary: null } })));
    await served(await post(bodyWith({ reasoning: undefined })));
    // Other routes are not an OpenAI organisation's.
    await served(await post(request('hi'), azure));
    const tokens = await fake.codexLogin();
    await served(await post(request('hi'), {
      path: '/backend-api/codex/responses',
      headers: { authorization: `Bearer ${tokens.access_token}`,
                 'chatgpt-account-id': tokens.account_id } }));

    const refused = await fake.requests({ refused_by: 'unverified_org' });
    assert.equal(refused.length, 5);
    for (const r of refused) {
      assert.equal(r.status, 400);
      assert.equal(r.provider, 'openai');
      assert.deepEqual(r.error, UNVERIFIED.error);
      assert.equal(r.scenario, null, 'no scenario ran');
    }
    assert.equal((await fake.requests({ status: 200 })).length, 5);
  });

  test('unverified_org can cover Azure too; the ordinary rules still come first', async () => {
    await setSwitches({ unverified_org: ['openai', 'azure'] });
    await refusedWith(await post(request('hi'), azure), UNVERIFIED);
    assert.equal((await fake.lastRequest()).refused_by, 'unverified_org');
    await served(await post(request('hi', { reasoning: { effort: 'high' } }), azure));
    const res = await post(request('hi', { foo: 1 }));
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error.code, 'unknown_parameter');
    assert.equal((await fake.lastRequest()).refused_by, undefined);
  });

  test('POST /_reset turns the switches off again; bad values are refused', async () => {
    await setSwitches({ unverified_org: true, model_capabilities: true });
    await fake.reset();
    assert.deepEqual(await fake.control('GET', '/_config'),
                     OFF);
    await served(await post(request('hi')));
    for (const knobs of [{ unverified_org: ['mars'] }, { model_capabilities: 'yes' }]) {
      await assert.rejects(setSwitches(knobs), /400 .*bad config/);
    }
    assert.deepEqual(await fake.control('GET', '/_config'),
                     OFF);
  });

  test('model_capabilities: gpt-5-mini has no xhigh, gpt-5 no none; the rest is served',
       async () => {
    assert.deepEqual(await setSwitches({ model_capabilities: true }),
                     { ...OFF, model_capabilities: true });
    const effort = (model, value) =>
      post(request('hi', { model, reasoning: { effort: value, summary: 'auto' } }));
    const refusedEffort = (model, value) => openaiError(
      `Unsupported value: '${value}' is not supported with the '${model}' model. Supported ` +
      "values are: 'minimal', 'low', 'medium', and 'high'.", 'reasoning.effort',
      'unsupported_value');
    await refusedWith(await effort('gpt-5-mini', 'xhigh'), refusedEffort('gpt-5-mini', 'xhigh'));
    await refusedWith(await effort('gpt-5-mini-2025-08-07', 'xhigh'),
                      refusedEffort('gpt-5-mini-2025-08-07', 'xhigh'));
    await refusedWith(await effort('gpt-5', 'none'), refusedEffort('gpt-5', 'none'));
    await refusedWith(await effort('gpt-5', 'xhigh'), refusedEffort('gpt-5', 'xhigh'));
    await refusedWith(await effort('gpt-5.1', 'minimal'), openaiError(
      "Unsupported value: 'minimal' is not supported with the 'gpt-5.1' model. Supported " +
      "values are: 'none', 'low', 'medium', and 'high'.", 'reasoning.effort',
      'unsupported_value'));
    for (const value of ['minimal', 'low', 'medium', 'high']) {
      await served(await effort('gpt-5-mini', value));
      await served(await effort('gpt-5', value));
    }
    await served(await effort('gpt-5.1', 'none'));
    // Models outside the table take every value the API knows.
    for (const value of ['none', 'minimal', 'xhigh']) {
      await served(await effort('gpt-5.5', value));
      await served(await effort('gpt-5.4-mini', value));
    }
    const refused = await fake.requests({ refused_by: 'model_capabilities' });
    assert.equal(refused.length, 5);
    assert.ok(refused.every((r) => r.status === 400 && r.error.param === 'reasoning.effort'));
  });

  test('model_capabilities: gpt-5.3-codex-spark refuses reasoning.summary, and only that',
       async () => {
    await setSwitches({ model_capabilities: true });
    const SPARK = openaiError("Unsupported parameter: 'reasoning.summary' is not supported with " +
                              "the 'gpt-5.3-codex-spark' model.", 'reasoning.summary',
                              'unsupported_parameter');
    const spark = (reasoning) => request('hi', { model: 'gpt-5.3-codex-spark', reasoning });
    await refusedWith(await post(spark({ effort: 'high', summary: 'auto' })), SPARK);
    await refusedWith(await post(spark({ summary: 'detailed' })), SPARK);
    for (const value of ['low', 'medium', 'high', 'xhigh']) {
      await served(await post(spark({ effort: value })));
    }
    // The Codex backend words it its own way: the message as {"detail"}.
    const tokens = await fake.codexLogin();
    const codex = (body) => post(body, {
      path: '/backend-api/codex/responses',
      headers: { authorization: `Bearer ${tokens.access_token}`,
                 'chatgpt-account-id': tokens.account_id } });
    let res = await codex(spark({ effort: 'xhigh', summary: 'auto' }));
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), { detail: SPARK.error.message });
    const record = await fake.lastRequest();
    assert.equal(record.status, 400);
    assert.equal(record.refused_by, 'model_capabilities');
    res = await codex(spark({ effort: 'xhigh' }));
    await served(res);
  });

  test('model_capabilities: gpt-4.1 takes no reasoning and no encrypted reasoning include',
       async () => {
    await setSwitches({ model_capabilities: true });
    const ENCRYPTED = openaiError('Encrypted content is not supported with this model.',
                                  'include', null);
    for (const model of ['gpt-4.1', 'gpt-4.1-mini', 'gpt-4o']) {
      await refusedWith(await post(request('hi', { model })), openaiError(
        "Unsupported parameter: 'reasoning.effort' is not supported with this model.",
        'reasoning.effort', 'unsupported_parameter'));
      await refusedWith(await post(request('hi', { model, reasoning: { summary: 'auto' } })),
                        openaiError("Unsupported parameter: 'reasoning.summary' is not " +
                                    'supported with this model.', 'reasoning.summary',
                                    'unsupported_parameter'));
      await refusedWith(await post(bodyWith({ model, reasoning: undefined })), ENCRYPTED);
      await served(await post(bodyWith({ model, reasoning: undefined, include: undefined })));
      await served(await post(bodyWith({ model, reasoning: undefined, temperature: 0.2,
                                         include: ['web_search_call.action.sources'] })));
    }
    // reasoning.effort was refused by the ordinary rules already; the rest by the switch.
    assert.equal((await fake.requests({ refused_by: 'model_capabilities' })).length, 6);
    assert.equal((await fake.requests({ status: 400 })).length, 9);
  });

  test('model_capabilities takes extra entries, judged by the Azure deployment\'s model too',
       async () => {
    await setSwitches({ model_capabilities: {
      'gpt-5.5': { summary: false },
      'gpt-5.4-mini': { efforts: ['low', 'medium', 'high'] },
    } });
    assert.deepEqual((await fake.control('GET', '/_config')).model_capabilities['gpt-5.5'],
                     { efforts: null, summary: false, reasoning: true });
    const SUMMARY = openaiError("Unsupported parameter: 'reasoning.summary' is not supported " +
                                "with the 'gpt-5.5' model.", 'reasoning.summary',
                                'unsupported_parameter');
    await refusedWith(await post(request('hi')), SUMMARY);
    await refusedWith(await post(request('hi', { model: 'my-gpt55-deployment' }), azure),
                      SUMMARY);
    await served(await post(request('hi', { reasoning: { effort: 'xhigh' } })));
    await refusedWith(await post(request('hi', { model: 'gpt-5.4-mini',
                                                 reasoning: { effort: 'xhigh' } })),
                      openaiError("Unsupported value: 'xhigh' is not supported with the " +
                                  "'gpt-5.4-mini' model. Supported values are: 'low', " +
                                  "'medium', and 'high'.", 'reasoning.effort',
                                  'unsupported_value'));
    // The built-in table still applies.
    const res = await post(request('hi', { model: 'gpt-5-mini',
                                           reasoning: { effort: 'xhigh' } }));
    assert.equal(res.status, 400);
    await res.text();
  });

  test('with both on, a model\'s own refusal comes first, then the organisation\'s', async () => {
    await setSwitches({ unverified_org: true, model_capabilities: true });
    await refusedWith(await post(request('hi', { model: 'gpt-5-mini',
                                                 reasoning: { effort: 'xhigh', summary: 'auto' } })),
                      openaiError("Unsupported value: 'xhigh' is not supported with the " +
                                  "'gpt-5-mini' model. Supported values are: 'minimal', " +
                                  "'low', 'medium', and 'high'.", 'reasoning.effort',
                                  'unsupported_value'));
    await refusedWith(await post(request('hi', { model: 'gpt-5-mini',
                                                 reasoning: { effort: 'high', summary: 'auto' } })),
                      UNVERIFIED);
    // What a recovering client sends next: served.
    await served(await post(request('hi', { model: 'gpt-5-mini',
                                            reasoning: { effort: 'high' } })));
    assert.deepEqual((await fake.requests()).map((r) => [r.status, r.refused_by]),
                     [[400, 'model_capabilities'], [400, 'unverified_org'], [200, undefined]]);
  });

  test('the CLI flags turn them on, and /_reset keeps what the CLI set', async () => {
    const spawned = await startFakeUpstream({
      spawn: true, args: ['--unverified-org', 'openai,azure', '--model-capabilities'] });
    try {
      const expected = { ...OFF, unverified_org: ['openai', 'azure'], model_capabilities: true };
      assert.deepEqual(await spawned.control('GET', '/_config'), expected);
      await spawned.reset();
      assert.deepEqual(await spawned.control('GET', '/_config'), expected);
      const send = (body) => fetch(`${spawned.baseURL}/responses`, {
        method: 'POST', headers: { authorization: 'Bearer k' }, body: JSON.stringify(body) });
      await refusedWith(await send(request('hi')), UNVERIFIED);
      await served(await send(request('hi', { reasoning: { effort: 'high' } })));
      assert.deepEqual((await spawned.requests()).map((r) => r.status), [400, 200]);
    } finally {
      await spawned.close();
    }
    const plain = await startFakeUpstream({ spawn: true, args: ['--unverified-org'] });
    try {
      assert.deepEqual(await plain.control('GET', '/_config'),
                       { ...OFF, unverified_org: ['openai'] });
    } finally {
      await plain.close();
    }
  });
});
