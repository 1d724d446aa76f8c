// The web tools through claudegpt, as the official Anthropic SDK sees them, with the strict
// fake OpenAI upstream behind the proxy:
// - web search: Anthropic's web_search server tool is answered by the upstream's hosted
//   search (a recorded OpenAI run, and the fake's scripted one); the client gets Anthropic's
//   server tool blocks and cited text;
// - WebFetch: the proxy performs Claude Code's WebFetch itself against pages on loopback
//   (tests/lib/web_pages.mjs), has the small model summarise long pages, and continues the
//   upstream conversation inside the same message; every way a fetch fails is a
//   web_fetch_tool_result_error and the turn goes on. Behind the user's HTTPS_PROXY it
//   fetches through it, and still refuses private addresses.
//
// Needs the proxy binary: CLAUDEGPT_BIN (CTest sets it) or build/release/claudegpt.
// Run: CLAUDEGPT_BIN=… node --test tests/sdk/web_tools.test.mjs

import { test, describe, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

import Anthropic from '@anthropic-ai/sdk';

import { startFakeUpstream } from '../lib/fake_upstream.mjs';
import { startProxy } from '../lib/proxy.mjs';
import { proxyBinary, readFixture } from '../lib/paths.mjs';
import { checkEventOrder, streamMessage } from '../lib/sdk_stream.mjs';
import { readSse } from '../lib/sse.mjs';
import { makeTestCertificates } from '../lib/tls.mjs';
import { HUGE_BYTES, LONG_FIRST_LINE, LONG_SECRET, PAGE_CHROME, PAGE_SECRET, PAGE_TITLE,
         startWebPages } from '../lib/web_pages.mjs';

const BIN = proxyBinary();
const MODEL = 'claude-opus-5-5';
const UPSTREAM_MODEL = 'gpt-5.5';          // the opus tier's default
const SUMMARIZER_MODEL = 'gpt-5.4-mini';   // the haiku tier's default: the summariser's
const SUMMARY_MAX_CHARS = 4000;            // CLAUDEGPT_WEB_FETCH_SUMMARY_MAX_CHARS default
const PAGE_MAX_CHARS = 50_000;             // CLAUDEGPT_WEB_FETCH_MAX_CHARS default
const FETCH_TIMEOUT_S = 2;                 // CLAUDEGPT_WEB_FETCH_TIMEOUT for this file's proxy

const claudeCodeRequest = (name) =>
  JSON.parse(readFixture('claude-code-requests', `cc2.1.330-${name}.json`));
// Claude Code 2.1.330's WebFetch tool, as it sends it once ToolSearch loaded it.
const WEB_FETCH_TOOL = claudeCodeRequest('toolsearch-result-tool-reference').tools
  .find((t) => t.name === 'WebFetch');
const WRITE_TOOL = {
  name: 'Write',
  description: 'Writes a file to the local filesystem.',
  input_schema: { type: 'object',
                  properties: { file_path: { type: 'string' }, content: { type: 'string' } },
                  required: ['file_path', 'content'], additionalProperties: false },
};
const PROMPT = 'What is the secret word?';

let fake;
let pages;
let proxy;
let client;

before(async () => {
  if (!BIN) return;
  fake = await startFakeUpstream();
  pages = await startWebPages();
  proxy = await startProxy({ upstream: fake, env: {
    CLAUDEGPT_WEB_FETCH_ALLOW_PRIVATE: '1',   // the pages are on loopback
    CLAUDEGPT_WEB_FETCH_TIMEOUT: String(FETCH_TIMEOUT_S) } });
  client = new Anthropic({ baseURL: proxy.url, apiKey: 'dummy', maxRetries: 0, timeout: 30_000 });
});
after(async () => {
  const exit = await proxy?.stop();
  await fake?.close();
  await pages?.close();
  if (exit && exit.code !== 0 && exit.signal !== 'SIGTERM') {
    assert.fail(`proxy exited badly: ${JSON.stringify(exit)}\n${proxy.stderr}`);
  }
});
beforeEach(async () => {
  await fake?.reset();
  pages?.reset();
});

// ---------------------------------------------------------------------------------------
// Helpers

// Streams one request; returns the final message, every stream event, every upstream
// request the fake received for it (in order), and how long it took (ms).
async function streamed(p, via = client) {
  const started = performance.now();
  const { message, events } = await streamMessage(via, p);
  const ms = performance.now() - started;
  const upstream = (await fake.requests()).filter((r) => r.path.startsWith('/v1/responses'));
  for (const r of upstream) {
    assert.equal(r.status, 200, `upstream request ${r.id} refused: ${JSON.stringify(r.error)}`);
  }
  return { message, events, upstream, ms };
}

const sortedKeys = (o) => Object.keys(o).sort();
const codePoints = (s) => [...s];
const withoutTracking = (url) => url.replace(/[?&]utm_source=openai$/, '');

// A recorded Anthropic stream (anthropic-sse/*.chunks.txt) accumulated into its message.
function recordedAnthropicMessage(file) {
  const content = [];
  const json = new Map();
  let usage = null;
  for (const line of readFixture('anthropic-sse', file).split('\n')) {
    if (!line.trim()) continue;
    const e = JSON.parse(line);
    if (e.type === 'content_block_start') {
      content[e.index] = structuredClone(e.content_block);
      json.set(e.index, '');
    } else if (e.type === 'content_block_delta') {
      const block = content[e.index];
      if (e.delta.type === 'text_delta') block.text += e.delta.text;
      if (e.delta.type === 'citations_delta') (block.citations ??= []).push(e.delta.citation);
      if (e.delta.type === 'input_json_delta') {
        json.set(e.index, json.get(e.index) + e.delta.partial_json);
      }
    } else if (e.type === 'content_block_stop' && json.get(e.index)) {
      content[e.index].input = JSON.parse(json.get(e.index));
    } else if (e.type === 'message_delta') {
      usage = e.usage;
    }
  }
  return { content, usage };
}

// "server_tool_use web_search_tool_result text cited …": a message's block kinds in order.
const blockKinds = (content) => content.map((b) => (b.type !== 'text' ? b.type
  : b.citations?.length ? 'cited' : 'text')).join(' ');
const SEARCH_THEN_TEXT = /^(server_tool_use web_search_tool_result )+((text|cited) ?)+$/;

// The recorded OpenAI stream's events.
function recordedOpenAi(file) {
  return readFixture('openai-responses', file).split('\n').filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

// A request offering Claude Code's WebFetch tool, whose first answer upstream is a WebFetch
// of `path` on the page server (a scenario marker; the fake's brain answers the summariser
// and the continued turn: see scenarios.mjs).
function fetchParams(path) {
  return {
    model: MODEL,
    max_tokens: 4096,
    system: 'You are a test assistant.',
    tools: [WEB_FETCH_TOOL, WRITE_TOOL],
    messages: [{ role: 'user', content:
      `[[scenario:web_fetch url=${pages.urlOf(path)} prompt="${PROMPT}"]] Look at that page.` }],
  };
}

const blocksOfType = (message, type) => message.content.filter((b) => b.type === type);

// A fetch turn's blocks: server_tool_use (web_fetch, the call's input), its
// web_fetch_tool_result right after it (same id), then the continuation's text. Returns them.
function assertFetchBlocks(message, path) {
  assert.equal(blocksOfType(message, 'tool_use').length, 0,
               'no WebFetch tool_use reaches the client');
  const [use, result, ...rest] = message.content;
  assert.equal(use.type, 'server_tool_use', JSON.stringify(message.content).slice(0, 500));
  assert.equal(use.name, 'web_fetch');
  assert.match(use.id, /^srvtoolu_[A-Za-z0-9_-]+$/);
  assert.deepEqual(use.input, { url: pages.urlOf(path), prompt: PROMPT });
  assert.equal(result.type, 'web_fetch_tool_result');
  assert.equal(result.tool_use_id, use.id);
  assert.ok(rest.length > 0 && rest.every((b) => b.type === 'text'),
            `then the continuation's text: ${JSON.stringify(rest).slice(0, 300)}`);
  assert.equal(message.usage.server_tool_use?.web_fetch_requests, 1);
  assert.equal(message.usage.server_tool_use?.web_search_requests, 0);
  return { use, result, text: rest.map((b) => b.text).join('') };
}

// A successful fetch's result content, in the recorded web_fetch_result shape.
function assertFetchResult(result, url) {
  const recorded = recordedAnthropicMessage('anthropic-web-fetch-tool.1.chunks.txt').content
    .find((b) => b.type === 'web_fetch_tool_result');
  const content = result.content;
  assert.equal(content.type, 'web_fetch_result', JSON.stringify(content).slice(0, 300));
  assert.deepEqual(sortedKeys(content), sortedKeys(recorded.content));
  assert.equal(content.url, url);
  assert.match(content.retrieved_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
  assert.ok(Math.abs(Date.parse(content.retrieved_at) - Date.now()) < 60_000, 'retrieved now');
  assert.equal(content.content.type, 'document');
  assert.equal(content.content.source.type, 'text');
  assert.equal(content.content.source.media_type, 'text/plain');
  assert.equal(typeof content.content.source.data, 'string');
  return content.content;
}

// A failed fetch's result: the error block, and the continuation's input telling the model
// why. Returns the function_call_output text the model got.
function assertFetchError(message, upstream, path, errorCode) {
  const { use, result, text } = assertFetchBlocks(message, path);
  assert.deepEqual(result.content, { type: 'web_fetch_tool_result_error', error_code: errorCode });
  assert.equal(upstream.length, 2, 'no summariser for a failed fetch: the turn, its continuation');
  const output = continuationOutput(upstream[1], use.id);
  assert.ok(output.startsWith(`Fetching ${pages.urlOf(path)} failed: `), output);
  assert.ok(text.includes(output), 'the model\'s continuation saw the failure');
  assert.equal(message.stop_reason, 'end_turn');
  return output;
}

// The continuation request: the turn's own request with the WebFetch call and its output
// appended (call_id = the server_tool_use id). Returns the output.
function continuationOutput(continuation, toolUseId) {
  const input = continuation.body.input;
  const [call, output] = input.slice(-2);
  assert.equal(call.type, 'function_call');
  assert.equal(call.name, 'WebFetch');
  assert.equal(call.call_id, toolUseId);
  assert.equal('id' in call, false, 'no item id with store:false');
  assert.equal(output.type, 'function_call_output');
  assert.equal(output.call_id, toolUseId);
  assert.equal(typeof output.output, 'string');
  return output.output;
}

// The summariser's request: the small model, its instructions, one user message holding
// the page (as text) and the prompt. Returns that text.
function summariserText(request) {
  assert.equal(request.body.model, SUMMARIZER_MODEL);
  assert.match(request.body.instructions, /^You read one web page/);
  assert.equal(request.body.stream, true);
  assert.equal(request.body.store, false);
  assert.equal(request.body.tools, undefined, 'the summariser has no tools');
  const [message] = request.body.input;
  assert.equal(request.body.input.length, 1);
  assert.equal(message.role, 'user');
  return message.content.map((p) => p.text).join('\n');
}

// Another proxy, allowed to fetch the loopback pages, with the default fetch timeout (15 s).
const startLoopbackProxy = () => startProxy({ upstream: fake,
                                              env: { CLAUDEGPT_WEB_FETCH_ALLOW_PRIVATE: '1' } });

const skip = !BIN && 'no claudegpt binary';

// ---------------------------------------------------------------------------------------

describe('web search: the hosted search comes back as Anthropic server tool blocks', { skip },
         () => {
  const FILE = 'openai-web-search-tool.1.chunks.txt';
  const recorded = recordedOpenAi(FILE);
  const searches = recorded.filter((e) => e.type === 'response.output_item.done' &&
                                          e.item.type === 'web_search_call').map((e) => e.item);
  const annotations = recorded.filter((e) => e.type === 'response.output_text.annotation.added')
    .map((e) => e.annotation);
  const answer = recorded.find((e) => e.type === 'response.output_text.done').text;
  const recordedUsage = recorded.at(-1).response.usage;
  const anthropic = recordedAnthropicMessage('anthropic-web-search-tool.1.chunks.txt');

  const searchParams = ({ maxUses, ...extra } = {}) => ({
    model: MODEL,
    max_tokens: 4096,
    tools: [{ type: 'web_search_20250305', name: 'web_search',
              ...(maxUses !== undefined && { max_uses: maxUses }) }],
    messages: [{ role: 'user', content: `[[scenario:replay file=${FILE}]] Any tech news today?` }],
    ...extra,
  });

  test('the recorded OpenAI search run has the block sequence and block shapes of a recorded ' +
       'Anthropic search', async () => {
    const { message, events } = await streamed(searchParams());
    checkEventOrder(events, { pings: true });
    assert.match(blockKinds(anthropic.content), SEARCH_THEN_TEXT, 'the recording itself');
    assert.match(blockKinds(message.content), SEARCH_THEN_TEXT);
    assert.equal(message.stop_reason, 'end_turn');

    const byType = (content, type) => content.filter((b) => b.type === type);
    const shape = (b) => sortedKeys(Object.fromEntries(Object.entries(b)
      .filter(([, v]) => v != null)));
    for (const type of ['server_tool_use', 'web_search_tool_result']) {
      for (const block of byType(message.content, type)) {
        assert.deepEqual(shape(block), shape(byType(anthropic.content, type)[0]), type);
      }
    }
    const recordedResult = byType(anthropic.content, 'web_search_tool_result')[0].content[0];
    for (const block of byType(message.content, 'web_search_tool_result')) {
      for (const item of block.content) {
        assert.deepEqual(sortedKeys(item), sortedKeys(recordedResult));
      }
    }
    const recordedCited = anthropic.content.find((b) => b.citations?.length);
    const cited = message.content.filter((b) => b.citations?.length);
    assert.ok(cited.length > 0, 'some text blocks carry citations');
    for (const block of cited) {
      assert.deepEqual(shape(block), shape(recordedCited));
      for (const c of block.citations) {
        assert.deepEqual(sortedKeys(c), sortedKeys(recordedCited.citations[0]));
      }
    }
  });

  test('each upstream search is one server_tool_use then its web_search_tool_result, the ' +
       'sources as results', async () => {
    const { message } = await streamed(searchParams());
    const pairs = [];
    for (let i = 0; i < message.content.length && message.content[i].type !== 'text'; i += 2) {
      pairs.push([message.content[i], message.content[i + 1]]);
    }
    assert.equal(pairs.length, searches.length, 'one pair per web_search_call');
    const titles = new Map(annotations.map((a) => [withoutTracking(a.url), a.title]));
    for (const [n, [use, result]] of pairs.entries()) {
      const search = searches[n];
      assert.equal(use.type, 'server_tool_use');
      assert.equal(use.name, 'web_search');
      assert.equal(use.id, `srvtoolu_${search.id.replace(/^ws_/, '')}`,
                   'ids follow the upstream\'s');
      assert.equal(typeof use.input.query, 'string');
      assert.ok(use.input.query.length > 0);
      if (search.action.type === 'search') assert.equal(use.input.query, search.action.query);
      assert.equal(result.type, 'web_search_tool_result');
      assert.equal(result.tool_use_id, use.id);
      assert.ok(Array.isArray(result.content), JSON.stringify(result.content));
      if (search.action.sources) {
        assert.deepEqual(result.content.map((r) => r.url), search.action.sources.map((s) => s.url));
      }
      for (const item of result.content) {
        assert.equal(item.type, 'web_search_result');
        // A cited page is titled as cited; another by its host name.
        assert.equal(item.title, titles.get(item.url) ?? new URL(item.url).host, item.url);
      }
    }
    assert.equal(new Set(pairs.map(([use]) => use.id)).size, pairs.length, 'distinct ids');
    assert.deepEqual(pairs[0][0].input, { query: 'tech news today December 5 2025' });
  });

  test('the answer is split at its citations: each cited claim a block citing the page, the ' +
       'link taken out of the text', async () => {
    const { message } = await streamed(searchParams());
    const texts = message.content.filter((b) => b.type === 'text');
    // The whole answer, less the inline links the annotations cover.
    let expected = codePoints(answer);
    for (const a of [...annotations].sort((x, y) => y.start_index - x.start_index)) {
      expected = [...expected.slice(0, a.start_index), ...expected.slice(a.end_index)];
    }
    assert.equal(texts.map((b) => b.text).join(''), expected.join(''));

    const cited = texts.filter((b) => b.citations?.length);
    assert.equal(cited.length, annotations.length, 'one cited block per annotation');
    for (const [n, block] of cited.entries()) {
      assert.equal(block.citations.length, 1);
      const [c] = block.citations;
      const a = annotations[n];
      assert.equal(c.type, 'web_search_result_location');
      assert.equal(c.url, withoutTracking(a.url), 'utm_source=openai is dropped');
      assert.equal(c.title, a.title);
      assert.ok(c.cited_text.length > 0);
      assert.ok(block.text.includes(c.cited_text.replace(/\.\.\.$/, '')),
                `the cited text is the claim: ${JSON.stringify(c.cited_text)} in ` +
                `${JSON.stringify(block.text)}`);
      const link = codePoints(answer).slice(a.start_index, a.end_index).join('');
      assert.ok(!block.text.includes(link), 'the link is out of the text');
    }
  });

  test('usage counts the searches, and the upstream\'s tokens as recorded', async () => {
    const { message } = await streamed(searchParams());
    const cached = recordedUsage.input_tokens_details.cached_tokens;
    assert.deepEqual(message.usage, {
      input_tokens: recordedUsage.input_tokens - cached,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: cached,
      output_tokens: recordedUsage.output_tokens,
      output_tokens_details: { thinking_tokens: recordedUsage.output_tokens_details.reasoning_tokens },
      server_tool_use: { web_search_requests: searches.length, web_fetch_requests: 0 },
    });
    assert.equal(searches.length, 6);
    assert.deepEqual(sortedKeys(message.usage.server_tool_use),
                     sortedKeys(anthropic.usage.server_tool_use));
  });

  test('upstream, the tool is the hosted web_search, its sources included, max_uses as ' +
       'max_tool_calls', async () => {
    const { upstream } = await streamed(searchParams({ maxUses: 8 }));
    assert.equal(upstream.length, 1);
    const body = upstream[0].body;
    assert.equal(body.model, UPSTREAM_MODEL);
    assert.deepEqual(body.tools, [{ type: 'web_search' }]);
    assert.ok(body.include?.includes('web_search_call.action.sources'),
              JSON.stringify(body.include));
    assert.equal(body.max_tool_calls, 8);
    const unlimited = await streamed(searchParams());
    assert.equal('max_tool_calls' in unlimited.upstream.at(-1).body, false,
                 'no max_uses, no limit');
  });

  test('searches past max_uses get a max_uses_exceeded result', async () => {
    const { message, events } = await streamed(searchParams({ maxUses: 5 }));
    checkEventOrder(events, { pings: true });
    const results = message.content.filter((b) => b.type === 'web_search_tool_result');
    assert.equal(results.length, searches.length);
    assert.ok(results.slice(0, 5).every((r) => Array.isArray(r.content)));
    assert.deepEqual(results[5].content, { type: 'web_search_tool_result_error',
                                           error_code: 'max_uses_exceeded' });
    // The upstream did run (and bills) the sixth search: usage counts what it ran.
    assert.equal(message.usage.server_tool_use.web_search_requests, searches.length);
    assert.equal(message.stop_reason, 'end_turn');
  });

  test('Claude Code\'s WebSearch side request: one scripted search, its answer cited, the ' +
       'marker word in the text', async () => {
    // The very request Claude Code 2.1.330 sends when its model calls WebSearch.
    const side = claudeCodeRequest('websearch-side-request');
    const { message, events, upstream } = await streamed(side);
    checkEventOrder(events, { pings: true });
    assert.equal(upstream.length, 1);
    const body = upstream[0].body;
    assert.deepEqual(body.tools, [{ type: 'web_search' }]);
    assert.equal(body.tool_choice, 'auto');
    assert.equal(body.max_tool_calls, 8, 'max_uses: 8');
    assert.equal(upstream[0].scenario.name, 'web_search', 'the fake\'s brain searched');

    assert.equal(blockKinds(message.content), 'server_tool_use web_search_tool_result cited');
    const [use, result, text] = message.content;
    assert.deepEqual(use.input, { query: 'claudegpt proxy' });
    assert.deepEqual(result.content.map(({ url, title }) => ({ url, title })), [
      { url: 'https://example.com/search-result', title: 'Example search result' },
      { url: 'https://example.org/another-result', title: 'example.org' },
    ]);
    assert.match(text.text, /^Results for "claudegpt proxy": the marker word is quokka\.\s*$/);
    assert.deepEqual(text.citations.map(({ type, url, title }) => ({ type, url, title })), [
      { type: 'web_search_result_location', url: 'https://example.com/search-result',
        title: 'Example search result' }]);
    assert.equal(message.usage.server_tool_use.web_search_requests, 1);
    assert.equal(message.stop_reason, 'end_turn');
  });

  test('a search answer sent back as history is accepted upstream, the search as a call and ' +
       'its results', async () => {
    const side = claudeCodeRequest('websearch-side-request');
    const first = await streamed(side);
    await fake.reset();
    const second = await streamed({ ...side, messages: [
      ...side.messages,
      { role: 'assistant', content: first.message.content },
      { role: 'user', content: '[[scenario:text text="Noted."]] Thanks.' }] });
    assert.equal(second.message.content[0].text, 'Noted.');
    const input = second.upstream[0].body.input;
    const [use] = first.message.content;
    const call = input.find((i) => i.type === 'function_call');
    const output = input.find((i) => i.type === 'function_call_output');
    assert.equal(call.call_id, use.id);
    assert.deepEqual(JSON.parse(call.arguments), use.input);
    assert.equal(output.call_id, use.id);
    assert.match(output.output, /https:\/\/example\.com\/search-result/);
  });
});

describe('WebFetch: the proxy fetches, summarises, and goes on with the turn', { skip }, () => {
  test('a long page is fetched once, summarised by the small model, and the continuation\'s ' +
       'text follows in the same message', async () => {
    const { message, events, upstream } = await streamed(fetchParams('/long.html'));
    checkEventOrder(events, { pings: true });
    const { use, result, text } = assertFetchBlocks(message, '/long.html');
    assert.equal(message.stop_reason, 'end_turn');

    assert.equal(upstream.length, 3, 'the turn, the summariser, the continuation');
    const [turn, summariser, continuation] = upstream;
    assert.equal(turn.body.model, UPSTREAM_MODEL);
    assert.ok(turn.body.tools.some((t) => t.type === 'function' && t.name === 'WebFetch'));
    // The summariser read the page, as text, with the model's prompt.
    const read = summariserText(summariser);
    assert.ok(read.includes(LONG_SECRET), 'the page\'s secret word reached the summariser');
    assert.ok(read.includes(LONG_FIRST_LINE));
    assert.ok(read.includes(PROMPT), 'the model\'s prompt reached the summariser');
    assert.ok(read.length > SUMMARY_MAX_CHARS, 'a page longer than a summary');
    const summary = summariser.output[0].content[0].text;
    assert.match(summary, new RegExp(`secret word ${LONG_SECRET}\\.$`));

    // The client gets the summary as the document; the model gets it as the call's output.
    const document = assertFetchResult(result, pages.urlOf('/long.html'));
    assert.equal(document.source.data, summary);
    assert.equal(continuationOutput(continuation, use.id), summary);
    assert.equal(continuation.body.model, UPSTREAM_MODEL);
    // The continuation is the turn's request plus the call and its output.
    assert.deepEqual(continuation.body.input.slice(0, -2), turn.body.input);
    assert.deepEqual(continuation.body.tools, turn.body.tools);
    assert.equal(continuation.body.instructions, turn.body.instructions);
    assert.equal(text, `The tool said: ${summary}`, 'the continuation\'s answer');

    assert.deepEqual(pages.requests.map((r) => [r.method, r.path]), [['GET', '/long.html']]);
  });

  test('a short page needs no summariser: the page itself, as Markdown without its chrome, ' +
       'is the result', async () => {
    const { message, upstream } = await streamed(fetchParams('/page.html'));
    const { use, result, text } = assertFetchBlocks(message, '/page.html');
    assert.equal(upstream.length, 2, 'the turn and its continuation, no summariser');
    const document = assertFetchResult(result, pages.urlOf('/page.html'));
    const data = document.source.data;
    assert.ok(data.includes(PAGE_SECRET), data);
    assert.ok(data.length <= SUMMARY_MAX_CHARS);
    for (const chrome of PAGE_CHROME) {
      assert.ok(!data.includes(chrome), `"${chrome}" (script, nav, footer) is not in: ${data}`);
    }
    assert.ok(!/<\/?(p|strong|main|html|body)\b/i.test(data), `no HTML tags left: ${data}`);
    assert.equal(document.title, PAGE_TITLE);
    assert.equal(continuationOutput(upstream[1], use.id), data);
    assert.ok(text.includes(PAGE_SECRET));
  });

  test('the next request carries the fetch as WebFetch call and output, the continuation\'s ' +
       'input as its prefix', async () => {
    const p = fetchParams('/long.html');
    const first = await streamed(p);
    const continuation = first.upstream.at(-1);
    await fake.reset();
    const next = await streamed({ ...p, messages: [
      ...p.messages,
      { role: 'assistant', content: first.message.content },
      { role: 'user', content: '[[scenario:text text="Thanks."]] Good.' }] });
    assert.equal(next.upstream.length, 1);
    const input = next.upstream[0].body.input;
    // What the upstream saw during the turn, it sees again (its prompt cache still fits).
    assert.deepEqual(input.slice(0, continuation.body.input.length), continuation.body.input);
    const rest = input.slice(continuation.body.input.length);
    assert.deepEqual(rest.map((i) => [i.type, i.role]), [
      ['message', 'assistant'], ['message', 'user']]);
    assert.equal(next.message.content[0].text, 'Thanks.');
  });

  test('a WebFetch beside a client tool call: the fetch runs, the turn stops for the client ' +
       'tool, with no continuation upstream', async () => {
    const file = '/tmp/claudegpt-web-tools-mixed.txt';
    await fake.script({ name: 'tool_calls', args: { calls: [
      { name: 'WebFetch', args: { url: pages.urlOf('/page.html'), prompt: PROMPT } },
      { name: 'Write', args: { file_path: file, content: 'x' } }] } });
    const p = { ...fetchParams('/page.html'), messages: [{ role: 'user', content: 'Do both.' }] };
    const { message, events, upstream } = await streamed(p);
    checkEventOrder(events, { pings: true });
    assert.equal(message.stop_reason, 'tool_use');
    assert.deepEqual(message.content.map((b) => b.type).sort(),
                     ['server_tool_use', 'tool_use', 'web_fetch_tool_result']);
    const use = blocksOfType(message, 'server_tool_use')[0];
    const resultAt = message.content.findIndex((b) => b.type === 'web_fetch_tool_result');
    assert.equal(message.content[resultAt - 1], use, 'the result right after its call');
    assert.equal(message.content[resultAt].tool_use_id, use.id);
    const [write] = blocksOfType(message, 'tool_use');
    assert.equal(write.name, 'Write');
    assert.deepEqual(write.input, { file_path: file, content: 'x' });
    assert.equal(message.usage.server_tool_use.web_fetch_requests, 1);
    assert.equal(upstream.length, 1, 'no continuation: the client has a tool to run');
    assert.equal(pages.requests.length, 1, 'the page was fetched');

    // The client's next request: the fetch and the client call both go back, paired.
    await fake.reset();
    const next = await streamed({ ...p, messages: [
      ...p.messages,
      { role: 'assistant', content: message.content },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: write.id,
                                  content: 'ok' }] }] });
    const items = next.upstream[0].body.input;
    const calls = items.filter((i) => i.type === 'function_call');
    assert.deepEqual(calls.map((c) => c.name).sort(), ['WebFetch', 'Write']);
    const fetchOutput = items.find((i) => i.type === 'function_call_output' &&
                                          i.call_id === use.id);
    assert.ok(fetchOutput.output.includes(PAGE_SECRET), 'the page text is the fetch\'s output');
    assert.equal(next.message.content[0].text, 'done');
  });
});

describe('a failed fetch is a tool result, not a broken turn', { skip }, () => {
  test('404: url_not_accessible, and the model reads "HTTP 404"', async () => {
    const { message, events, upstream } = await streamed(fetchParams('/missing'));
    checkEventOrder(events, { pings: true });
    const output = assertFetchError(message, upstream, '/missing', 'url_not_accessible');
    assert.match(output, /HTTP 404/);
  });

  test(`a page that never answers: an error after the ${FETCH_TIMEOUT_S} s fetch timeout`,
       async () => {
    const { message, events, upstream, ms } = await streamed(fetchParams('/slow'));
    checkEventOrder(events, { pings: true });
    const output = assertFetchError(message, upstream, '/slow', 'url_not_accessible');
    assert.match(output, /timed out/);
    assert.ok(ms >= FETCH_TIMEOUT_S * 1000 - 100 && ms < FETCH_TIMEOUT_S * 1000 + 1500,
              `the turn took ${Math.round(ms)} ms`);
    const [slow] = pages.requests;
    assert.ok(slow.closed_at !== null, 'the proxy hung up on the page');
  });

  test('a 50 MB page: read up to the cap only, the turn done quickly, the text truncated',
       async () => {
    const { message, events, upstream, ms } = await streamed(fetchParams('/huge'));
    checkEventOrder(events, { pings: true });
    const { use, result } = assertFetchBlocks(message, '/huge');
    assertFetchResult(result, pages.urlOf('/huge'));
    assert.ok(ms < 5000, `the turn took ${Math.round(ms)} ms`);
    assert.equal(upstream.length, 3, 'the turn, the summariser, the continuation');
    const read = summariserText(upstream[1]);
    assert.ok(read.length <= PAGE_MAX_CHARS + 2000,
              `the summariser got the page cut to ${PAGE_MAX_CHARS} characters, ` +
              `not ${read.length}`);
    assert.equal(continuationOutput(upstream[2], use.id), result.content.content.source.data);
    const huge = await pages.until((rs) => rs.find((r) => r.path === '/huge' && r.closed_at));
    assert.ok(huge.bytes_sent < HUGE_BYTES / 2,
              `the proxy stopped reading (${huge.bytes_sent} bytes)`);
    assert.equal(huge.aborted, true);
  });

  test('a redirect loop: an error naming the redirects', async () => {
    const { message, events, upstream } = await streamed(fetchParams('/loop'));
    checkEventOrder(events, { pings: true });
    const output = assertFetchError(message, upstream, '/loop', 'url_not_accessible');
    assert.match(output, /redirect/i);
    assert.ok(pages.requests.length <= 12, `followed ${pages.requests.length} redirects`);
  });

  test('an image: unsupported_content_type', async () => {
    const { message, events, upstream } = await streamed(fetchParams('/image.png'));
    checkEventOrder(events, { pings: true });
    const output = assertFetchError(message, upstream, '/image.png', 'unsupported_content_type');
    assert.match(output, /image\/png|content type/i);
  });

  test('the proxy is still serving after all of that', async () => {
    const { message } = await streamed({ ...fetchParams('/page.html'), messages: [
      { role: 'user', content: '[[scenario:text text="Still here."]] Hello?' }] });
    assert.equal(message.content[0].text, 'Still here.');
    assert.ok(proxy.alive);
  });
});

describe('WebFetch behind the user\'s HTTPS_PROXY, private addresses refused', { skip }, () => {
  // A forward proxy on loopback, as a user's own often is. It tunnels every CONNECT to a TLS
  // site on loopback standing for the public address asked for (a documentation address),
  // recording the targets. The claudegpt proxy reaches its (fake) upstream over http, which
  // HTTPS_PROXY does not cover.
  const PUBLIC = '203.0.113.7';
  const connects = [];   // the CONNECT targets (curl may reuse a tunnel: one serves many)
  const asked = [];      // the paths the site was asked for
  let certs;
  let site;
  let tunnel;
  let own;
  let ownClient;
  before(async () => {
    if (!BIN) return;
    certs = makeTestCertificates({ names: [PUBLIC] });
    site = https.createServer({ cert: certs.cert, key: certs.key }, (req, res) => {
      asked.push(req.url);
      if (req.url === '/to-private') {
        res.writeHead(302, { location: 'https://10.0.0.5/secret' }).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html' })
        .end(`<html><head><title>${PAGE_TITLE}</title></head>` +
             `<body><p>The secret word is ${PAGE_SECRET}.</p></body></html>`);
    });
    site.listen(0, '127.0.0.1');
    await once(site, 'listening');
    tunnel = http.createServer((req, res) => res.writeHead(405).end());
    tunnel.on('connect', (req, client, head) => {
      connects.push(req.url);
      const upstream = net.connect(site.address().port, '127.0.0.1', () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head?.length) upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    tunnel.listen(0, '127.0.0.1');
    await once(tunnel, 'listening');
    own = await startProxy({ upstream: fake, env: {
      HTTPS_PROXY: `http://127.0.0.1:${tunnel.address().port}`,
      CLAUDEGPT_CA_BUNDLE: certs.caFile } });
    ownClient = new Anthropic({ baseURL: own.url, apiKey: 'dummy', maxRetries: 0, timeout: 30_000 });
  });
  after(async () => {
    await own?.stop();
    for (const server of [tunnel, site]) {
      server?.closeAllConnections();
      await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
    }
    certs?.remove();
  });
  beforeEach(() => {
    connects.length = 0;
    asked.length = 0;
  });
  const onlyThePublicSite = () => assert.ok(connects.every((c) => c === `${PUBLIC}:443`),
                                            JSON.stringify(connects));

  const fetchOf = (url) => ({ ...fetchParams('/page.html'), messages: [{ role: 'user', content:
    `[[scenario:web_fetch url=${url} prompt="${PROMPT}"]] Look at that page.` }] });

  test('a public site is fetched through the proxy (on loopback, so not judged)', async () => {
    const url = `https://${PUBLIC}/page.html`;
    const { message } = await streamed(fetchOf(url), ownClient);
    const [result] = blocksOfType(message, 'web_fetch_tool_result');
    const document = assertFetchResult(result, url);
    assert.ok(document.source.data.includes(PAGE_SECRET), document.source.data);
    assert.deepEqual(asked, ['/page.html']);
    onlyThePublicSite();
  });

  test('a redirect to a private address: url_not_allowed, and the proxy is never asked for it',
       async () => {
    const { message, upstream } = await streamed(fetchOf(`https://${PUBLIC}/to-private`), ownClient);
    const [use] = blocksOfType(message, 'server_tool_use');
    const [result] = blocksOfType(message, 'web_fetch_tool_result');
    assert.deepEqual(result.content, { type: 'web_fetch_tool_result_error',
                                       error_code: 'url_not_allowed' });
    assert.match(continuationOutput(upstream.at(-1), use.id),
                 /refused: 10\.0\.0\.5 is a private address/);
    assert.deepEqual(asked, ['/to-private']);
    onlyThePublicSite();
  });
});

describe('a client that leaves during a fetch', { skip }, () => {
  // Each test has its own proxy with the default fetch timeout (15 s): only the client's
  // leaving can end the fetch early.
  let own;
  beforeEach(async () => {
    own = await startLoopbackProxy();
  });
  afterEach(async () => { await own?.stop(); });

  // Streams `p` with raw fetch until the web_fetch server_tool_use block arrived and
  // `ready()` resolves, then drops the connection. Returns when that was (ms, on the clock
  // the fake's and the page server's records use).
  async function leaveDuringFetch(p, ready) {
    const controller = new AbortController();
    const res = await fetch(`${own.url}/v1/messages`, {
      method: 'POST',
      signal: controller.signal,
      headers: { 'content-type': 'application/json', 'x-api-key': 'dummy',
                 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ ...p, stream: true }),
    });
    assert.equal(res.status, 200);
    // Read by hand: leaving a for-await loop would already cancel the body (and close).
    const events = readSse(res)[Symbol.asyncIterator]();
    for (;;) {
      const { value, done } = await events.next();
      assert.equal(done, false, 'the stream ended before the fetch started');
      if (value.event === 'content_block_start' &&
          value.data.content_block.type === 'server_tool_use') break;
    }
    await ready();
    const left = performance.timeOrigin + performance.now();
    controller.abort();
    return left;
  }

  // The proxy lived through it, asked the upstream nothing more, and still serves.
  async function assertStillServing(upstreamRequests) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.ok(own.alive, `the proxy died after the client left: ${JSON.stringify({
      code: own.child.exitCode, signal: own.child.signalCode })}\n${own.stderr}`);
    const upstream = await fake.requests();
    assert.deepEqual(upstream.map((r) => r.scenario.name), upstreamRequests,
                     'nothing more upstream for a client that left');
    assert.equal(upstream[0].aborted, false, 'the turn\'s own response had completed');
    await fake.reset();
    const again = await streamed({ ...fetchParams('/page.html'), messages: [
      { role: 'user', content: '[[scenario:text text="Still here."]] Hello?' }] },
      new Anthropic({ baseURL: own.url, apiKey: 'dummy', maxRetries: 0 }));
    assert.equal(again.message.content[0].text, 'Still here.');
  }

  test('while the page loads: the page server sees the fetch closed within 1 s', async (t) => {
    const loading = () => pages.until((rs) => rs.find((r) => r.path === '/slow'));
    const left = await leaveDuringFetch(fetchParams('/slow'), loading);
    const slow = await pages.until((rs) => rs.find((r) => r.path === '/slow' && r.closed_at), 5000);
    const closeMs = slow.closed_at - left;
    t.diagnostic(`client gone → page connection closed: ${closeMs.toFixed(1)} ms`);
    assert.ok(closeMs >= 0, 'the page was still loading when the client left');
    assert.ok(closeMs < 1000, `closed ${closeMs.toFixed(1)} ms after the client left`);
    await assertStillServing(['web_fetch']);
  });

  test('while the summariser answers: its upstream request is aborted within 1 s', async (t) => {
    await fake.script({ name: 'web_fetch',
                        args: { url: pages.urlOf('/long.html'), prompt: PROMPT } },
                      'stall');   // the summariser never answers
    const summariserAsked = async () => {
      const deadline = Date.now() + 5000;
      while ((await fake.requests()).length < 2) {
        assert.ok(Date.now() < deadline, 'the summariser was never asked');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    const left = await leaveDuringFetch({ ...fetchParams('/long.html'), messages: [
      { role: 'user', content: 'What is the secret word on that page?' }] }, summariserAsked);
    let summariser;
    for (const deadline = Date.now() + 5000; Date.now() < deadline;) {
      summariser = (await fake.requests())[1];
      if (summariser.closed_at) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.match(summariser.body.instructions, /^You read one web page/);
    const closeMs = summariser.closed_at - left;
    t.diagnostic(`client gone → summariser request closed: ${closeMs.toFixed(1)} ms`);
    assert.equal(summariser.aborted, true, 'the proxy hung up on the summariser');
    assert.ok(closeMs < 1000, `closed ${closeMs.toFixed(1)} ms after the client left`);
    await assertStillServing(['web_fetch', 'stall']);
  });
});

describe('the proxy stopping during a fetch', { skip }, () => {
  test('the stream ends with an overloaded_error event, the fetch is dropped, the proxy ' +
       'exits 0', async () => {
    const own = await startLoopbackProxy();
    try {
      const res = await fetch(`${own.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'dummy',
                   'anthropic-version': '2023-06-01' },
        body: JSON.stringify({ ...fetchParams('/slow'), stream: true }),
      });
      const events = readSse(res)[Symbol.asyncIterator]();
      const seen = [];
      while (!seen.some((e) => e.event === 'content_block_start')) {
        seen.push((await events.next()).value);
      }
      await pages.until((rs) => rs.find((r) => r.path === '/slow'));
      const exit = await own.stop();
      assert.deepEqual(exit, { code: 0, signal: null }, own.stderr);
      for (let e = await events.next(); !e.done; e = await events.next()) seen.push(e.value);
      const last = seen.at(-1);
      assert.equal(last.event, 'error');
      assert.equal(last.data.error.type, 'overloaded_error');
      assert.equal(seen.some((e) => e.event === 'message_stop'), false);
      const slow = await pages.until((rs) => rs.find((r) => r.path === '/slow' && r.closed_at));
      assert.equal(slow.aborted, true);
    } finally {
      await own.stop();
    }
  });
});
