// The real Claude Code CLI (claude -p, tests/package.json's version; one test on the previous
// pin, installed beside it) driving claudegpt, with
// the strict fake OpenAI upstream behind it. Each test scripts what "GPT" answers, lets Claude
// Code run the agent loop for real (tools execute on a temp directory), and then checks three
// things: what reached the upstream, what Claude Code reported, and what is on disk.
//
// Needs the proxy binary (CLAUDEGPT_BIN, or build/release/claudegpt) and the CLI
// (CLAUDEGPT_CLAUDE_BIN, or tests/node_modules/.bin/claude from `npm install` in tests/).
// Run: CLAUDEGPT_BIN=… node --test tests/e2e/claude_code.test.mjs
// CLAUDEGPT_TEST_VERBOSE=1 also streams the proxy's log.

import { test, describe, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { makeCodexHome, writeCodexAuth } from '../lib/codex_auth.mjs';
import { startFakeUpstream } from '../lib/fake_upstream.mjs';
import { startProxy } from '../lib/proxy.mjs';
import { proxyBinary } from '../lib/paths.mjs';
import { LONG_FIRST_LINE, LONG_SECRET, startWebPages } from '../lib/web_pages.mjs';
import { claudeBinary, makeSessionDirs, OLDER_CLAUDE_VERSION, removeSessionDirs, runClaude } from './claude_cli.mjs';

const PROXY_BIN = proxyBinary();
const CLAUDE_BIN = claudeBinary();
const OLDER_CLAUDE_BIN = claudeBinary(OLDER_CLAUDE_VERSION);
const SKIP = !PROXY_BIN ? 'no claudegpt binary (set CLAUDEGPT_BIN)'
           : !CLAUDE_BIN ? 'no Claude Code CLI (npm install in tests/, or CLAUDEGPT_CLAUDE_BIN)'
           : false;
// Under ctest a missing client is a failure, not a skip: a green run must mean it ran.
if (SKIP && process.env.CLAUDEGPT_REQUIRE_CLIENTS) throw new Error(SKIP);

// Claude Code asks for claude-opus-5-5; the proxy's default opus route.
const UPSTREAM_MODEL = 'gpt-5.5';

// An 8×8 RGB PNG (84 bytes), so that Read returns an image block.
const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAG0lEQVR42mP43+AARwzIiJoS' +
                   'DA5wxICMqCcBAOUMP+GKa0ynAAAAAElFTkSuQmCC';
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let fake;
let proxy;
let dirs;

before(async () => {
  if (SKIP) return;
  fake = await startFakeUpstream();
  proxy = await startProxy({ upstream: fake });
});
after(async () => {
  const exit = await proxy?.stop();
  await fake?.close();
  if (exit && exit.code !== 0 && exit.signal !== 'SIGTERM') {
    assert.fail(`proxy exited badly: ${JSON.stringify(exit)}\n${proxy.stderr}`);
  }
});
beforeEach(async () => {
  if (SKIP) return;
  await fake.reset();
  dirs = makeSessionDirs();
});
afterEach(() => {
  if (dirs) removeSessionDirs(dirs);
  dirs = null;
});

// ---------------------------------------------------------------------------------------
// Helpers

// One Claude Code session: queue the upstream's answers (one scenario per request, in
// order), run the prompt, return the run and every request the fake upstream received.
async function session(prompt, ...answers) {
  return sessionVia(proxy, prompt, ...answers);
}

async function sessionVia(through, prompt, ...answers) {
  await fake.script(...answers);
  const run = await runClaude({ proxyURL: through.url, prompt, dirs });
  const requests = await fake.requests();
  return { run, requests, proxy: through };
}

// Runs `check`; if it throws, the error carries everything needed to see why: Claude Code's
// output, the proxy's log, and what the upstream was asked and answered.
async function explained({ run, requests, proxy: through = proxy }, check) {
  try {
    await check();
  } catch (err) {
    const summary = requests.map((r) => ({
      id: r.id, path: r.path, status: r.status, scenario: r.scenario, error: r.error,
      input_tail: r.body?.input?.slice?.(-4), output: r.output,
    }));
    const details = '\n--- claude exit: ' + JSON.stringify({ code: run.code, signal: run.signal,
                                                             timedOut: run.timedOut, ms: run.ms }) +
      '\n--- claude stdout:\n' + run.stdout.slice(-8000) +
      '\n--- claude stderr:\n' + run.stderr.slice(-8000) +
      '\n--- proxy stderr (tail):\n' + through.stderr.slice(-8000) +
      '\n--- upstream requests:\n' + JSON.stringify(summary, null, 1).slice(0, 20000);
    // The reporter prints the stack, which was captured with the original message.
    err.message += details;
    err.stack = `${err.stack ?? ''}${details}`;
    throw err;
  }
}

// What every run must show: Claude Code exited 0 with a successful result, and made exactly
// `turns` upstream requests (retries would add more), each one accepted by the strict fake
// and answered with the scripted scenario. `model` is the upstream model of every request, or
// a function of the request giving it.
function assertCleanSession({ run, requests }, { turns, result, route = '/v1/responses',
                                                  model = UPSTREAM_MODEL }) {
  assert.equal(run.timedOut, false, 'claude timed out');
  assert.equal(run.code, 0, 'claude exit code');
  assert.ok(run.json, 'claude printed a JSON result');
  assert.equal(run.json.type, 'result');
  assert.equal(run.json.subtype, 'success');
  assert.equal(run.json.is_error, false);
  assert.equal(run.json.result, result);
  assert.equal(run.json.stop_reason, 'end_turn');
  assert.equal(requests.length, turns, 'one upstream request per model turn, no retries');
  for (const r of requests) {
    assert.equal(r.method, 'POST', `request ${r.id}`);
    assert.equal(r.path, route, `request ${r.id}`);
    assert.equal(r.error, undefined, `request ${r.id} refused: ${JSON.stringify(r.error)}`);
    assert.equal(r.status, 200, `request ${r.id} status`);
    assert.equal(r.scenario.source, 'script', `request ${r.id} answered by its scripted scenario`);
    assert.equal(r.body.model, typeof model === 'function' ? model(r) : model);
    assert.equal(r.body.stream, true);
    assert.equal(r.body.store, false);
    assert.equal(r.aborted, false, `request ${r.id}: the proxy hung up before the end`);
  }
}

// Whether a trace the proxy wrote shows `text` (in the client's request, say), waiting a
// moment: traces are written off the hot path.
async function traceShowing(text, through = proxy, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  do {
    const files = fs.existsSync(through.tracesDir)
      ? fs.readdirSync(through.tracesDir, { recursive: true }).map(String).filter((f) => f.endsWith('.json'))
      : [];
    if (files.some((f) => fs.readFileSync(path.join(through.tracesDir, f), 'utf8').includes(text))) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  } while (Date.now() < deadline);
  return false;
}

const itemsOfType = (request, type) => request.body.input.filter((item) => item.type === type);

// The user message the prompt became (Claude Code adds <system-reminder> parts around it).
function assertPromptArrived(request, prompt) {
  const texts = request.body.input
    .filter((item) => item.type === 'message' && item.role === 'user')
    .flatMap((item) => (typeof item.content === 'string' ? [item.content]
                        : item.content.map((part) => part.text)));
  assert.ok(texts.some((t) => t?.includes(prompt)), 'the prompt reached the upstream');
}

// The function_call items the upstream answered with, in order.
function calledFunctions(request) {
  return request.output.filter((item) => item.type === 'function_call');
}

// In the follow-up request: the call is replayed as it was made (no item id: store is false),
// and its output comes after it. Returns the function_call_output item.
function assertReplayedWithOutput(request, call) {
  const input = request.body.input;
  const callIndex = input.findIndex((i) => i.type === 'function_call' &&
                                           i.call_id === call.call_id);
  assert.ok(callIndex >= 0, `function_call ${call.call_id} replayed`);
  const replayed = input[callIndex];
  assert.equal(replayed.name, call.name);
  assert.deepEqual(JSON.parse(replayed.arguments), JSON.parse(call.arguments));
  assert.equal('id' in replayed, false, 'no item id with store:false');
  const outputIndex = input.findIndex((i) => i.type === 'function_call_output' &&
                                             i.call_id === call.call_id);
  assert.ok(outputIndex > callIndex, `function_call_output for ${call.call_id} after the call`);
  return input[outputIndex];
}

const outputText = (output) => (typeof output === 'string' ? output
  : output.filter((p) => p.type === 'input_text').map((p) => p.text).join('\n'));

// ---------------------------------------------------------------------------------------

describe('Claude Code through claudegpt', { skip: SKIP }, () => {
  test('a Write call runs, its result goes back upstream, and the final text is the result',
       async () => {
    const file = path.join(dirs.work, 'hello.txt');
    const prompt = 'Create hello.txt saying hi from gpt.';
    const final = 'I wrote hello.txt for you.';
    const s = await session(prompt,
                            { name: 'write', args: { path: file, content: 'hi from gpt' } },
                            { name: 'text', args: { text: final } });
    await explained(s, () => {
      assertCleanSession(s, { turns: 2, result: final });
      const [first, second] = s.requests;
      assertPromptArrived(first, prompt);
      assert.ok(first.body.tools.some((t) => t.type === 'function' && t.name === 'Write'),
                'Claude Code\'s Write tool offered upstream');
      const [call] = calledFunctions(first);
      assert.equal(call.name, 'Write');

      assert.equal(fs.readFileSync(file, 'utf8'), 'hi from gpt');
      const output = assertReplayedWithOutput(second, call);
      assert.match(outputText(output.output), /hello\.txt/);
      assert.equal(itemsOfType(second, 'function_call_output').length, 1);
    });
  });

  // The previous pin stays covered: users update Claude Code on their own schedule.
  // (Under ctest its absence fails the test, as a missing client does.)
  test(`Claude Code ${OLDER_CLAUDE_VERSION} (the previous pin): the same Write round trip`,
       { skip: !OLDER_CLAUDE_BIN && !process.env.CLAUDEGPT_REQUIRE_CLIENTS &&
               `no Claude Code ${OLDER_CLAUDE_VERSION} (npm ci in tests/)` },
       async () => {
    assert.ok(OLDER_CLAUDE_BIN, `Claude Code ${OLDER_CLAUDE_VERSION} is installed (npm ci in tests/)`);
    const bin = OLDER_CLAUDE_BIN;
    const file = path.join(dirs.work, 'hello.txt');
    const prompt = 'Create hello.txt saying hi from gpt.';
    const final = 'I wrote hello.txt for you.';
    await fake.script({ name: 'write', args: { path: file, content: 'hi from gpt' } },
                      { name: 'text', args: { text: final } });
    const run = await runClaude({ bin, proxyURL: proxy.url, prompt, dirs });
    const s = { run, requests: await fake.requests(), proxy };
    await explained(s, async () => {
      assertCleanSession(s, { turns: 2, result: final });
      // Its billing line, in the client's request as the trace keeps it, names its version.
      assert.ok(await traceShowing(`cc_version=${OLDER_CLAUDE_VERSION}.`),
                `the requests came from Claude Code ${OLDER_CLAUDE_VERSION}`);
      const [first, second] = s.requests;
      const [call] = calledFunctions(first);
      assert.equal(call.name, 'Write');
      assert.equal(fs.readFileSync(file, 'utf8'), 'hi from gpt');
      assertReplayedWithOutput(second, call);
    });
  });

  test('two tool calls in one response both run, and both outputs go back in one request',
       async () => {
    const fileA = path.join(dirs.work, 'a.txt');
    const fileB = path.join(dirs.work, 'b.txt');
    const prompt = 'Make a.txt and b.txt.';
    const final = 'Both files are there.';
    const calls = [
      { name: 'Write', args: { file_path: fileA, content: 'alpha' } },
      { name: 'Bash', args: { command: `echo bravo | tee ${fileB}`,
                              description: 'Write b.txt' } },
    ];
    const s = await session(prompt, { name: 'tool_calls', args: { calls } },
                            { name: 'text', args: { text: final } });
    await explained(s, () => {
      assertCleanSession(s, { turns: 2, result: final });
      const [first, second] = s.requests;
      assertPromptArrived(first, prompt);
      const made = calledFunctions(first);
      assert.deepEqual(made.map((c) => c.name), ['Write', 'Bash']);
      assert.notEqual(made[0].call_id, made[1].call_id);

      assert.equal(fs.readFileSync(fileA, 'utf8'), 'alpha');
      assert.equal(fs.readFileSync(fileB, 'utf8'), 'bravo\n');
      const outputs = made.map((call) => assertReplayedWithOutput(second, call));
      assert.match(outputText(outputs[0].output), /a\.txt/);
      assert.match(outputText(outputs[1].output), /bravo/);
      assert.equal(itemsOfType(second, 'function_call_output').length, 2);
      // Both calls belong to one assistant turn: replayed together, before both outputs.
      const kinds = second.body.input.map((i) => i.type)
        .filter((t) => t === 'function_call' || t === 'function_call_output');
      assert.deepEqual(kinds, ['function_call', 'function_call',
                               'function_call_output', 'function_call_output']);
    });
  });

  test('an image Read comes back upstream as input_image inside the function_call_output',
       async () => {
    const png = Buffer.from(PNG_BASE64, 'base64');
    const file = path.join(dirs.work, 'pixels.png');
    fs.writeFileSync(file, png);
    const prompt = 'Look at pixels.png.';
    const final = 'It is a tiny picture.';
    const s = await session(prompt, { name: 'read', args: { path: file } },
                            { name: 'text', args: { text: final } });
    await explained(s, () => {
      assertCleanSession(s, { turns: 2, result: final });
      const [first, second] = s.requests;
      const [call] = calledFunctions(first);
      assert.equal(call.name, 'Read');
      const output = assertReplayedWithOutput(second, call);
      assert.ok(Array.isArray(output.output), 'an image output is a list of input parts');
      const images = output.output.filter((p) => p.type === 'input_image');
      assert.equal(images.length, 1, JSON.stringify(output.output).slice(0, 500));
      const prefix = 'data:image/png;base64,';
      assert.ok(images[0].image_url.startsWith(prefix), images[0].image_url.slice(0, 60));
      const sent = Buffer.from(images[0].image_url.slice(prefix.length), 'base64');
      assert.deepEqual(sent.subarray(0, 8), PNG_SIGNATURE, 'the data URL holds a PNG');
      // Claude Code passes an image this small through as it is.
      assert.deepEqual(sent, png, 'the very bytes of the file');
      // The image is only in the tool output, not duplicated into a message.
      const everywhere = JSON.stringify(second.body.input).split('data:image/').length - 1;
      assert.equal(everywhere, 1);
    });
  });

  test('reasoning before a tool call is sent back with the same encrypted_content and no id',
       async () => {
    const file = path.join(dirs.work, 'thought.txt');
    const prompt = 'Think, then write thought.txt.';
    const final = 'Thought about it and wrote the file.';
    const thinking = { name: 'reasoning_tool',
                       args: { name: 'Write', args: { file_path: file, content: 'considered' },
                               summary: '**Deciding**\n\nA file is wanted, so I write it.' } };
    const s = await session(prompt, thinking, { name: 'text', args: { text: final } });
    await explained(s, () => {
      assertCleanSession(s, { turns: 2, result: final });
      const [first, second] = s.requests;
      assert.ok(first.body.include?.includes('reasoning.encrypted_content'),
                'the proxy asks for encrypted reasoning (store is false)');
      const reasoning = first.output.find((i) => i.type === 'reasoning');
      assert.ok(reasoning?.encrypted_content, 'the fake answered with encrypted reasoning');
      const [call] = calledFunctions(first);
      assert.equal(fs.readFileSync(file, 'utf8'), 'considered');

      assertReplayedWithOutput(second, call);
      const input = second.body.input;
      const reasoningIndex = input.findIndex((i) => i.type === 'reasoning');
      assert.ok(reasoningIndex >= 0, 'a reasoning item is sent back');
      const replayed = input[reasoningIndex];
      assert.equal(replayed.encrypted_content, reasoning.encrypted_content);
      assert.equal('id' in replayed, false, 'no item id with store:false');
      assert.equal(itemsOfType(second, 'reasoning').length, 1);
      const callIndex = input.findIndex((i) => i.type === 'function_call');
      assert.equal(reasoningIndex, callIndex - 1, 'reasoning right before its function call');
    });
  });
});

// The same Write round trip on the other two backends: only URL, auth and body rules differ.
describe('Claude Code on every backend', { skip: SKIP }, () => {
  async function writeRoundTrip(through, { route, model }) {
    const file = path.join(dirs.work, 'backend.txt');
    const final = 'Written.';
    const s = await sessionVia(through, 'Create backend.txt.',
                               { name: 'write', args: { path: file, content: 'via backend' } },
                               { name: 'text', args: { text: final } });
    await explained(s, () => {
      assertCleanSession(s, { turns: 2, result: final, route, model });
      assert.equal(fs.readFileSync(file, 'utf8'), 'via backend');
      const [call] = calledFunctions(s.requests[0]);
      assertReplayedWithOutput(s.requests[1], call);
    });
  }

  test('Azure OpenAI: the deployment answers through /openai/v1/responses', async () => {
    const azure = await startProxy({ upstream: fake, env: {
      CLAUDEGPT_PROVIDER: 'azure', AZURE_OPENAI_ENDPOINT: fake.azureEndpoint,
      AZURE_OPENAI_API_KEY: 'az-e2e-key' } });
    try {
      await writeRoundTrip(azure, { route: '/openai/v1/responses?api-version=preview', model: 'gpt-5-5' });
    } finally {
      await azure.stop();
    }
  });

  test('Codex: the ChatGPT login of the Codex CLI answers through the Codex backend', async () => {
    const home = makeCodexHome();
    writeCodexAuth(home.authFile, await fake.codexLogin({ accountId: 'acct-e2e' }));
    const codex = await startProxy({ upstream: fake, env: {
      CLAUDEGPT_PROVIDER: 'codex', CLAUDEGPT_CODEX_AUTH: home.authFile,
      CLAUDEGPT_CODEX_BASE_URL: fake.codexBaseURL, CLAUDEGPT_CODEX_TOKEN_URL: fake.tokenURL } });
    try {
      await writeRoundTrip(codex, { route: '/backend-api/codex/responses', model: UPSTREAM_MODEL });
    } finally {
      await codex.stop();
      home.remove();
    }
  });
});

// Claude Code's deferred web tools: the model loads them with ToolSearch, then calls them.
// WebSearch makes Claude Code send its own side request declaring Anthropic's web_search
// server tool, which the proxy answers with the upstream's hosted search. WebFetch the proxy
// performs itself (against a page on loopback here), so Claude Code never runs its own (whose
// preflight to claude.ai would fail: "Unable to verify if domain … is safe to fetch").
describe('Claude Code\'s web tools through claudegpt', { skip: SKIP }, () => {
  let pages;
  let webProxy;   // allowed to fetch loopback pages
  before(async () => {
    if (SKIP) return;
    pages = await startWebPages();
    webProxy = await startProxy({ upstream: fake,
                                  env: { CLAUDEGPT_WEB_FETCH_ALLOW_PRIVATE: '1' } });
  });
  after(async () => {
    await webProxy?.stop();
    await pages?.close();
  });
  beforeEach(() => pages?.reset());

  // The proxy's summariser asks the haiku tier's model; everything else is the opus tier's.
  const modelFor = (r) => (/^You read one web page/.test(r.body.instructions ?? '')
    ? 'gpt-5.4-mini' : UPSTREAM_MODEL);
  const call = (name, args) => ({ name: 'tool_calls', args: { calls: [{ name, args }] } });
  const toolSearch = (tool) => call('ToolSearch', { query: `select:${tool}`, max_results: 1 });
  const offers = (request, name) =>
    request.body.tools.some((t) => t.type === 'function' && t.name === name);

  // Loading a deferred tool: the first request does not offer it, ToolSearch's answer (a
  // tool_reference) goes back as "Tool loaded: <tool>", and from then on it is offered.
  function assertLoadedByToolSearch([first, second], tool) {
    assert.equal(offers(first, tool), false, `${tool} is deferred at first`);
    assert.ok(offers(first, 'ToolSearch'));
    const [search] = calledFunctions(first);
    assert.equal(search.name, 'ToolSearch');
    const output = assertReplayedWithOutput(second, search);
    assert.match(outputText(output.output), new RegExp(`Tool loaded: ${tool}`));
    assert.ok(offers(second, tool), `${tool} offered once loaded`);
  }

  // Claude Code ran no WebFetch of its own: no failed preflight anywhere, and every WebFetch
  // call upstream is the proxy's (its call_id is the server_tool_use id, srvtoolu_…).
  function assertNoClientWebFetch(requests) {
    for (const r of requests) {
      assert.ok(!JSON.stringify(r.body).includes('Unable to verify if domain'),
                `request ${r.id}: Claude Code tried its own WebFetch`);
      for (const item of r.body.input ?? []) {
        if (item.type === 'function_call' && item.name === 'WebFetch') {
          assert.match(item.call_id, /^srvtoolu_/, `request ${r.id}: a client-side WebFetch call`);
        }
      }
    }
  }

  test('WebSearch: loaded by ToolSearch, run through Claude Code\'s side request as a hosted ' +
       'search, its answer back in the loop', async () => {
    const query = 'claudegpt proxy news';
    const marker = 'quokka';
    const s = await sessionVia(webProxy, 'Search the web for news about claudegpt.',
                               toolSearch('WebSearch'),
                               call('WebSearch', { query }),
                               { name: 'web_search', args: { marker } },   // the side request
                               { name: 'echo_output', args: {} });
    await explained(s, () => {
      const [first, second, side, last] = s.requests;
      const webSearch = calledFunctions(second)[0];
      const output = last && assertReplayedWithOutput(last, webSearch);
      assertCleanSession(s, { turns: 4, result: `The tool said: ${outputText(output.output)}` });
      assertLoadedByToolSearch([first, second], 'WebSearch');
      assert.equal(webSearch.name, 'WebSearch');
      assert.deepEqual(JSON.parse(webSearch.arguments), { query });

      // Claude Code's own request for the search: only the hosted search, as tool.
      assert.deepEqual(side.body.tools, [{ type: 'web_search' }]);
      assert.ok(side.body.include.includes('web_search_call.action.sources'));
      assert.equal(side.body.max_tool_calls, 8);
      assert.equal(side.body.tool_choice, 'auto');
      assert.match(side.body.instructions, /web search/i);
      const sideText = side.body.input.map((i) => JSON.stringify(i.content)).join('\n');
      assert.ok(sideText.includes(`Perform a web search for the query: ${query}`), sideText);
      assert.equal(side.output[0].type, 'web_search_call');
      assert.equal(side.output[0].action.query, query);

      // What the search found reached the model, and Claude Code's answer.
      assert.match(outputText(output.output), /^Web search results for query: /);
      // Claude Code lists the web_search_tool_result's pages as links.
      assert.match(outputText(output.output),
                   /"title":"Example search result","url":"https:\/\/example\.com\/search-result"/);
      assert.ok(outputText(output.output).includes(marker), outputText(output.output));
      assert.ok(s.run.json.result.includes(marker));
    });
  });

  test('WebFetch: performed by the proxy, the page summarised upstream, the continuation\'s ' +
       'text is Claude Code\'s answer', async () => {
    const url = pages.urlOf('/long.html');
    const prompt = 'What is the secret word?';
    const s = await sessionVia(webProxy, `What is the secret word on ${url}?`,
                               toolSearch('WebFetch'),
                               call('WebFetch', { url, prompt }),
                               { name: 'page_summary', args: {} },   // the proxy's summariser
                               { name: 'echo_output', args: {} });   // the continued turn
    await explained(s, () => {
      const [first, second, summariser, continuation] = s.requests;
      const summary = summariser?.output?.[0]?.content?.[0]?.text;
      assert.equal(s.requests.length, 4, 'ToolSearch, WebFetch, summariser, continuation');
      assertCleanSession(s, { turns: 4, result: `The tool said: ${summary}`,
                              model: modelFor });
      assertLoadedByToolSearch([first, second], 'WebFetch');
      const [fetchCall] = calledFunctions(second);
      assert.equal(fetchCall.name, 'WebFetch');

      // The page reached the summariser (the small model), and its answer the main model.
      assert.equal(summariser.body.model, 'gpt-5.4-mini');
      assert.match(summariser.body.instructions, /^You read one web page/);
      const page = JSON.stringify(summariser.body.input);
      assert.ok(page.includes(LONG_SECRET) && page.includes(LONG_FIRST_LINE),
                'the page\'s text reached the summariser');
      assert.match(summary, new RegExp(`secret word ${LONG_SECRET}\\.$`));
      assert.equal(continuation.body.model, UPSTREAM_MODEL);
      assert.deepEqual(continuation.body.input.slice(0, -2), second.body.input,
                       'the continuation is the WebFetch turn\'s request, plus…');
      const [replayed, output] = continuation.body.input.slice(-2);
      assert.equal(replayed.type, 'function_call');
      assert.equal(replayed.name, 'WebFetch');
      assert.match(replayed.call_id, /^srvtoolu_/);
      assert.deepEqual(JSON.parse(replayed.arguments), { url, prompt });
      assert.deepEqual(output, { type: 'function_call_output', call_id: replayed.call_id,
                                 output: summary }, '…the fetch as call and output');

      assert.ok(s.run.json.result.includes(LONG_SECRET));
      assert.equal(s.run.json.usage.server_tool_use?.web_fetch_requests, 1,
                   'Claude Code counted the proxy\'s fetch');
      assertNoClientWebFetch(s.requests);
      assert.deepEqual(pages.requests.map((r) => r.path), ['/long.html'], 'fetched once');
    });
  });

  test('WebFetch then a Write: Claude Code sends the fetch back as WebFetch call and output, ' +
       'the continuation\'s input as its prefix', async () => {
    const url = pages.urlOf('/long.html');
    const prompt = 'What is the secret word?';
    const file = path.join(dirs.work, 'secret.txt');
    const final = 'Saved the secret word.';
    const s = await sessionVia(webProxy, `Save the secret word on ${url} to secret.txt.`,
                               toolSearch('WebFetch'),
                               call('WebFetch', { url, prompt }),
                               { name: 'page_summary', args: {} },
                               { name: 'commentary_tool', args: {
                                 name: 'Write', preface: 'The page says it; saving it.',
                                 args: JSON.stringify({ file_path: file,
                                                        content: LONG_SECRET }) } },
                               { name: 'text', args: { text: final } });
    await explained(s, () => {
      assertCleanSession(s, { turns: 5, result: final, model: modelFor });
      const [, , summariser, continuation, last] = s.requests;
      assert.equal(fs.readFileSync(file, 'utf8'), LONG_SECRET);
      const summary = summariser.output[0].content[0].text;

      // Claude Code's next request starts with exactly what the upstream saw during the turn
      // (so its prompt cache still fits)…
      const seen = continuation.body.input;
      assert.deepEqual(last.body.input.slice(0, seen.length), seen);
      // …then the rest of that message — the continuation's text and its Write call — and the
      // Write's result.
      const rest = last.body.input.slice(seen.length);
      assert.deepEqual(rest.map((i) => i.type),
                       ['message', 'function_call', 'function_call_output'], JSON.stringify(rest));
      assert.equal(rest[0].role, 'assistant');
      assert.match(JSON.stringify(rest[0].content), /The page says it; saving it\./);
      const [write] = calledFunctions(continuation);
      assertReplayedWithOutput(last, write);
      // The fetch is in there as the proxy's WebFetch call with the summary as its output.
      const fetchOutput = seen.at(-1);
      assert.equal(fetchOutput.output, summary);
      assertNoClientWebFetch(s.requests);
    });
  });
});
