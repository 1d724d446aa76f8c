// What the fake upstream answers: named scenarios, the `[[scenario:NAME k=v …]]` marker
// syntax, and the small default "brain" that lets a real agent loop (Claude Code) finish.
//
// Scenarios (see SCENARIOS below for their arguments): text, echo, tool_call, write, read,
// bash, tool_parallel, commentary_tool, reasoning, reasoning_tool, refusal, incomplete,
// rate_limit, context_overflow, failed_midstream, error_before_output, cut, slow, stall,
// garbage, http_500, http_error, replay:<file>, tool_calls, drop, for the web tools
// web_search, web_fetch, page_summary, echo_output, and for tests/faults big_event, flood,
// tool_fanout, garbage_midstream. Arguments every scenario
// takes: gap_ms (pause between deltas), ttfb_ms (before the headers), chunk_bytes (write the
// stream in pieces this small), input_tokens / cached_tokens / output_tokens /
// reasoning_tokens (usage figures; default: estimated from the request, cached as a prompt
// cache would).
//
// A scenario is `async (ctx) => void`. ctx gives it:
//   ctx.request          the parsed request body
//   ctx.args             the scenario's arguments (strings, from the marker or /_script)
//   ctx.open()           starts the 200 response (SSE, or JSON when not streaming) and
//                        returns a ResponseStream (response_stream.mjs) to emit items with
//   ctx.finish()         ends the response normally
//   ctx.reply(status, headers, body)   a plain HTTP (error) response instead
//   ctx.destroy()        drops the TCP connection (after flushing what was written)
//   ctx.hang()           never answers further; resolves when the client goes away
//   ctx.pause(ms)        flushes, then waits
//   ctx.raw(text)        writes bytes verbatim (replays)
//   ctx.fixture(name)    lines of a recorded *.chunks.txt
//   ctx.note(fields)     reports progress on the request's record (its `notes`)
//
// The brain (for requests with no queued script entry and no marker), first rule that fits:
//   - instructions beginning "You read one web page" (claudegpt's WebFetch summariser):
//     page_summary, which proves what it read (see there);
//   - the input ends with a tool output: echo_output when that output answers a WebFetch
//     call (the turn claudegpt continues after its own fetch: the final text quotes what the
//     fetch gave), else the text "done";
//   - the request offers the hosted web_search tool (what claudegpt makes of Anthropic's
//     web_search server tool, e.g. Claude Code's WebSearch side request): web_search, its
//     query taken from "Perform a web search for the query: <query>" or the whole prompt;
//   - "write/create/save <path>" with a Write tool: write; "read/show/cat/open <path>" with
//     a Read tool: read;
//   - else plain text.
// Everything the brain and these scenarios answer is a function of the request alone
// (deterministic), apart from ids.

import { splitText, newCallId } from './response_stream.mjs';

// ---------------------------------------------------------------------------------------
// Marker and argument syntax:  NAME key=value key="quoted value with \"escapes\" and \n"

export function parseScenarioSpec(spec) {
  const text = spec.trim();
  const nameMatch = /^\S+/.exec(text);
  if (!nameMatch) return null;
  const args = {};
  const re = /([A-Za-z_][\w-]*)=(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|(\S*))/g;
  const rest = text.slice(nameMatch[0].length);
  let m;
  while ((m = re.exec(rest)) !== null) {
    const quoted = m[2] ?? m[3];
    args[m[1]] = quoted !== undefined ? unescape(quoted) : m[4];
  }
  let name = nameMatch[0];
  // `replay:<file>` is shorthand for `replay file=<file>`.
  const colon = name.indexOf(':');
  if (colon > 0) {
    args.file ??= name.slice(colon + 1);
    name = name.slice(0, colon);
  }
  return { name, args };
}

function unescape(s) {
  return s.replace(/\\(.)/g, (_, c) => ({ n: '\n', t: '\t', r: '\r' }[c] ?? c));
}

const MARKER = /\[\[scenario:([^\]]*)\]\]/;

// ---------------------------------------------------------------------------------------
// Reading the request

// The input as a list of items (a plain string input is one user message).
export function inputItems(request) {
  if (typeof request.input === 'string') return [{ role: 'user', content: request.input }];
  return Array.isArray(request.input) ? request.input : [];
}

const isUserMessage = (item) =>
  (item.type === undefined || item.type === 'message') && item.role === 'user';

export function messageText(item) {
  if (typeof item.content === 'string') return item.content;
  if (!Array.isArray(item.content)) return '';
  return item.content.filter((p) => typeof p?.text === 'string').map((p) => p.text).join('\n');
}

// The text of the last user message, and whether it is the newest turn (no tool output
// after it: a tool loop started by a marked prompt must not repeat the marked action).
export function lastUserTurn(request) {
  const items = inputItems(request);
  let lastUser = -1;
  let lastOutput = -1;
  items.forEach((item, i) => {
    if (isUserMessage(item)) lastUser = i;
    if (item.type === 'function_call_output') lastOutput = i;
  });
  return {
    text: lastUser >= 0 ? messageText(items[lastUser]) : '',
    isNewest: lastUser > lastOutput,
    afterToolOutput: items.at(-1)?.type === 'function_call_output',
  };
}

// Which scenario answers this request, given a queued /_script entry (or null).
export function chooseScenario(request, scripted) {
  if (scripted) return { ...scripted, source: 'script' };
  const turn = lastUserTurn(request);
  const marker = turn.isNewest ? MARKER.exec(turn.text) : null;
  if (marker) {
    const parsed = parseScenarioSpec(marker[1]);
    if (parsed) return { ...parsed, source: 'marker' };
  }
  return { ...brain(request, turn), source: 'brain' };
}

// An absolute/relative path or a bare file name, not counting a sentence's final dot.
const PATH = new RegExp(
  /(?:^|[\s"'`(])((?:~|\.{0,2})?\/[\w.\-/]+|[\w-]+\.[A-Za-z0-9]{1,8})/.source +
  /(?=$|[\s"'`),;:!?]|\.(?:\s|$))/.source);

// The default behaviour for unmarked requests: just enough for an agent loop to make
// progress and stop. Claude Code's <system-reminder> blocks are ignored, and a tool is only
// called when the request offers it (side requests such as /compact's offer none).
function brain(request, turn) {
  if (isPageSummaryRequest(request)) return { name: 'page_summary', args: {} };
  if (turn.afterToolOutput) {
    if (lastToolOutput(request)?.call?.name === 'WebFetch') {
      return { name: 'echo_output', args: {} };
    }
    return { name: 'text', args: { text: 'done' } };
  }
  const text = turn.text.replace(/<system-reminder>[\s\S]*?<\/system-reminder>/g, ' ');
  if (offersHostedWebSearch(request)) return { name: 'web_search', args: {} };
  const path = PATH.exec(text)?.[1];
  const offers = (name) => functionTools(request).some((t) => t.name === name);
  if (path && /\b(write|create|save)\b/i.test(text) && offers('Write')) {
    const content = /\b(?:containing|content|with the text|saying|with)\s+["'`]([^"'`]*)["'`]/i
      .exec(text)?.[1] ?? 'hello';
    return { name: 'write', args: { path, content } };
  }
  if (path && /\b(read|show|cat|open)\b/i.test(text) && offers('Read')) {
    return { name: 'read', args: { path } };
  }
  return { name: 'text', args: {} };
}

// ---------------------------------------------------------------------------------------
// Tools: the request's function names, and arguments that fit their schemas

function functionTools(request) {
  return (request.tools ?? []).filter((t) => t?.type === 'function');
}

// The request's function tool for a client-side name (e.g. "Write"): exact, then
// case-insensitive, then a prefixed form containing it ("mcp__x__Write"), then — comparing
// with the characters a function name cannot hold as "_" — the one sharing the longest
// prefix (16+ characters) with it (an MCP name the proxy had to shorten or clean);
// else the name itself.
export function resolveTool(request, clientName) {
  const tools = functionTools(request);
  if (!clientName) return tools[0] ?? { name: 'Write' };
  const lower = clientName.toLowerCase();
  const found = tools.find((t) => t.name === clientName) ??
                tools.find((t) => t.name.toLowerCase() === lower) ??
                tools.find((t) => t.name.toLowerCase().includes(lower));
  if (found) return found;
  const cleaned = clientName.replace(/[^a-zA-Z0-9_-]/g, '_');
  let best = null;
  let bestLength = Math.min(15, cleaned.length - 1);
  for (const t of tools) {
    let n = 0;
    while (n < t.name.length && t.name[n] === cleaned[n]) n += 1;
    if (n > bestLength) [best, bestLength] = [t, n];
  }
  return best ?? { name: clientName };
}

// Values for a tool's properties. Explicit `given` values win (coerced to the schema's
// type); required properties without one get a plausible example.
export function toolArguments(tool, given = {}, n = 1) {
  const props = tool.parameters?.properties ?? {};
  const required = tool.parameters?.required ?? [];
  const out = {};
  for (const [key, value] of Object.entries(given)) out[key] = coerce(value, props[key]);
  for (const key of required) {
    if (!(key in out)) out[key] = example(key, props[key] ?? {}, n);
  }
  return out;
}

function coerce(value, schema) {
  if (typeof value !== 'string' || !schema) return value;
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (type === 'number' || type === 'integer') return Number(value);
  if (type === 'boolean') return value === 'true';
  if (type === 'array' || type === 'object') {
    try { return JSON.parse(value); } catch { return value; }
  }
  return value;
}

function example(key, schema, n) {
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'number': case 'integer': return n;
    case 'boolean': return false;
    case 'array': return [];
    case 'object': return {};
    default: break;
  }
  if (/path|file/i.test(key)) return `/tmp/fake-upstream-${n}.txt`;
  if (/command/i.test(key)) return `echo fake-upstream-${n}`;
  if (/pattern|glob/i.test(key)) return '*';
  if (/content|text/i.test(key)) return 'hello from the fake upstream';
  if (/url/i.test(key)) return 'https://example.com/';
  return `example-${n}`;
}

// Argument keys that configure a scenario rather than being tool arguments.
const CONTROL_KEYS = new Set([
  'name', 'args', 'text', 'deltas', 'gap_ms', 'ttfb_ms', 'chunk_bytes', 'phase', 'preface',
  'input_tokens', 'cached_tokens', 'output_tokens', 'reasoning_tokens', 'summary', 'parts',
  'call_id',
]);

// The function call a tool scenario makes: {name, arguments JSON pieces}.
function plannedCall(ctx, { clientName, given, n = 1 }) {
  const tool = resolveTool(ctx.request, clientName);
  let args;
  if (ctx.args.args !== undefined) {
    args = JSON.parse(ctx.args.args);
  } else {
    const explicit = given ?? Object.fromEntries(
      Object.entries(ctx.args).filter(([k]) => !CONTROL_KEYS.has(k)));
    args = toolArguments(tool, explicit, n);
  }
  const json = JSON.stringify(args);
  return { name: tool.name, pieces: splitText(json, Math.max(2, Math.ceil(json.length / 12))) };
}

// ---------------------------------------------------------------------------------------
// The scenarios

const int = (v, fallback) => (v === undefined || v === '' ? fallback : Number.parseInt(v, 10));

function textPieces(ctx, fallback, deltas = 5) {
  return splitText(ctx.args.text ?? fallback, int(ctx.args.deltas, deltas));
}

const SERVER_ERROR_MESSAGE = 'An error occurred while processing your request. You can retry ' +
  'your request, or contact us through our help center at help.openai.com if the error ' +
  'persists. Please include the request ID req_0f3c9a8e5b7d4c2a9e1f6b3d8a7c5e21 in your message.';
const CONTEXT_MESSAGE = 'Your input exceeds the context window of this model. Please adjust ' +
  'your input and try again.';
const QUOTA_MESSAGE = 'You exceeded your current quota, please check your plan and billing ' +
  'details. For more information on this error, read the docs: ' +
  'https://platform.openai.com/docs/guides/error-codes/api-errors.';

async function toolScenario(ctx, clientName, given) {
  const s = ctx.open();
  s.start();
  if (ctx.args.preface) await s.message(splitText(ctx.args.preface, 3), { phase: ctx.args.phase });
  const call = plannedCall(ctx, { clientName, given });
  await s.functionCall(call.name, call.pieces, { callId: ctx.args.call_id ?? newCallId() });
  s.complete();
  ctx.finish();
}

export const SCENARIOS = {
  // Plain text in several deltas.
  async text(ctx) {
    const s = ctx.open();
    s.start();
    await s.message(textPieces(ctx, 'Hello from the fake upstream. How can I help?'),
                    { phase: ctx.args.phase });
    s.complete();
    ctx.finish();
  },

  // Text repeating the last user message (shows what the model was given).
  async echo(ctx) {
    const said = lastUserTurn(ctx.request).text
      .replace(/<system-reminder>[\s\S]*?<\/system-reminder>/g, '').trim().slice(0, 400);
    ctx.args.text ??= `You said: ${said}`;
    return SCENARIOS.text(ctx);
  },

  // One function call. name=<client tool name> (default: the request's first function);
  // arguments from args='<json>' or from the other key=value pairs, else from the schema.
  async tool_call(ctx) { return toolScenario(ctx, ctx.args.name); },

  async write(ctx) {
    return toolScenario(ctx, ctx.args.name ?? 'Write', {
      file_path: ctx.args.path ?? ctx.args.file_path ?? '/tmp/fake-upstream.txt',
      content: ctx.args.content ?? 'hello',
    });
  },

  async read(ctx) {
    return toolScenario(ctx, ctx.args.name ?? 'Read',
                        { file_path: ctx.args.path ?? ctx.args.file_path ?? '/etc/hostname' });
  },

  async bash(ctx) {
    return toolScenario(ctx, ctx.args.name ?? 'Bash',
                        { command: ctx.args.command ?? 'echo hello' });
  },

  // Two function calls in one response. names=A,B (default: the first tool twice).
  async tool_parallel(ctx) {
    const names = (ctx.args.names ?? '').split(',').filter(Boolean);
    const s = ctx.open();
    s.start();
    for (const n of [1, 2]) {
      const call = plannedCall(ctx, { clientName: names[n - 1] ?? names[0], given: {}, n });
      await s.functionCall(call.name, call.pieces);
    }
    s.complete();
    ctx.finish();
  },

  // A preamble message with phase "commentary", then a function call (gpt-5.4-style).
  async commentary_tool(ctx) {
    ctx.args.preface ??= "I'll take care of that now.";
    ctx.args.phase ??= 'commentary';
    return toolScenario(ctx, ctx.args.name);
  },

  // A reasoning item (summary + encrypted_content, as far as the request asked for them),
  // then text. parts=N summary parts.
  async reasoning(ctx) {
    const s = ctx.open();
    s.start();
    await s.reasoning(summaryParts(ctx), { tokens: int(ctx.args.reasoning_tokens, 64) });
    await s.message(textPieces(ctx, 'The answer is 42.', 4));
    s.complete();
    ctx.finish();
  },

  async reasoning_tool(ctx) {
    const s = ctx.open();
    s.start();
    await s.reasoning(summaryParts(ctx), { tokens: int(ctx.args.reasoning_tokens, 64) });
    const call = plannedCall(ctx, { clientName: ctx.args.name });
    await s.functionCall(call.name, call.pieces);
    s.complete();
    ctx.finish();
  },

  async refusal(ctx) {
    const s = ctx.open();
    s.start();
    await s.refusal(splitText(ctx.args.text ?? "I'm sorry, but I can't help with that.", 4));
    s.complete();
    ctx.finish();
  },

  // Partial text, the message item closing "incomplete", then response.incomplete.
  async incomplete(ctx) {
    const s = ctx.open();
    s.start();
    await s.message(textPieces(ctx, 'This answer was going to be long, but it ran out of'),
                    { status: 'incomplete' });
    s.incomplete(ctx.args.reason ?? 'max_output_tokens');
    ctx.finish();
  },

  // HTTP 429 as OpenAI sends it. retry_after=none omits the header.
  async rate_limit(ctx) {
    const retryAfter = ctx.args.retry_after ?? '7';
    const headers = {
      'x-ratelimit-limit-requests': '10000', 'x-ratelimit-remaining-requests': '9999',
      'x-ratelimit-reset-requests': '6ms', 'x-ratelimit-limit-tokens': '30000',
      'x-ratelimit-remaining-tokens': '0', 'x-ratelimit-reset-tokens': '6.5s',
    };
    if (retryAfter !== 'none') headers['retry-after'] = retryAfter;
    const wait = ctx.args.try_again ?? '6.5s';
    ctx.reply(429, headers, { error: {
      message: `Rate limit reached for ${ctx.request.model} in organization org-fakeupstream on ` +
               'tokens per min (TPM): Limit 30000, Used 28000, Requested 5000. Please try ' +
               `again in ${wait}. Visit https://platform.openai.com/account/rate-limits to ` +
               'learn more.',
      type: 'tokens', param: null, code: 'rate_limit_exceeded' } });
  },

  // HTTP 400 context_length_exceeded (mode=stream: a response.failed instead).
  async context_overflow(ctx) {
    if (ctx.args.mode === 'stream') {
      const s = ctx.open();
      s.start();
      s.fail('context_length_exceeded', CONTEXT_MESSAGE);
      ctx.finish();
      return;
    }
    ctx.reply(400, {}, { error: { message: CONTEXT_MESSAGE, type: 'invalid_request_error',
                                  param: 'input', code: 'context_length_exceeded' } });
  },

  // Some text, then response.failed (server_error) with the item left open.
  async failed_midstream(ctx) {
    const s = ctx.open();
    s.start();
    await s.message(textPieces(ctx, 'Here is the beginning of an answer that', 3),
                    { leaveOpen: true });
    s.fail(ctx.args.code ?? 'server_error', ctx.args.message ?? SERVER_ERROR_MESSAGE);
    ctx.finish();
  },

  // Like openai-error.1.chunks.txt: created, in_progress, an `error` event, response.failed.
  async error_before_output(ctx) {
    const code = ctx.args.code ?? 'insufficient_quota';
    const message = ctx.args.message ?? QUOTA_MESSAGE;
    const s = ctx.open();
    s.start();
    s.errorEvent(ctx.args.type ?? code, code, message);
    s.fail(code, message);
    ctx.finish();
  },

  // Some text, then the connection is dropped without a terminal event.
  async cut(ctx) {
    const s = ctx.open();
    s.start();
    await s.message(textPieces(ctx, 'This stream will be cut off in the', 3), { leaveOpen: true });
    await ctx.destroy();
  },

  // Deltas gap_ms apart (default 1000), also gap_ms before the first one.
  async slow(ctx) {
    const gap = int(ctx.args.gap_ms, 1000);
    const s = ctx.open({ gapMs: gap });
    s.start();
    await ctx.pause(gap);
    await s.message(textPieces(ctx, 'This answer arrives slowly.', 3));
    s.complete();
    ctx.finish();
  },

  // 200 and SSE headers, then nothing (after=created: the two opening events first).
  async stall(ctx) {
    const s = ctx.open();
    if (ctx.args.after === 'created') s.start();
    await ctx.hang();
  },

  // A 200 event stream whose data is not JSON, then the end (a broken upstream or proxy).
  async garbage(ctx) {
    ctx.open({ raw: true });
    ctx.raw('event: response.created\ndata: {this is not json\n\n');
    ctx.raw('data: \u0000\u0001 still not json\n\n');
    ctx.finish();
  },

  async http_500(ctx) {
    ctx.reply(500, {}, { error: {
      message: 'The server had an error while processing your request. Sorry about that!',
      type: 'server_error', param: null, code: null } });
  },

  // Any status: status=N [type=…] [code=…] [message=…] [retry_after=…].
  async http_error(ctx) {
    const status = int(ctx.args.status, 500);
    const headers = ctx.args.retry_after ? { 'retry-after': ctx.args.retry_after } : {};
    ctx.reply(status, headers, { error: {
      message: ctx.args.message ?? `Fake upstream error with status ${status}.`,
      type: ctx.args.type ?? (status >= 500 ? 'server_error' : 'invalid_request_error'),
      param: null, code: ctx.args.code ?? null } });
  },

  // A recorded stream, framed as the wire frames it. file=<name in openai-responses/>
  // (".chunks.txt" optional); files holding several streams: stream=N (default 0) or all.
  async replay(ctx) {
    const lines = ctx.fixture(ctx.args.file);
    const streams = [];
    for (const line of lines) {
      const type = JSON.parse(line).type;
      if (type === 'response.created' || streams.length === 0) streams.push([]);
      streams.at(-1).push({ type, line });
    }
    const chosen = ctx.args.stream === 'all' ? streams.flat() : streams[int(ctx.args.stream, 0)];
    if (!chosen) throw new Error(`replay: ${ctx.args.file} has ${streams.length} stream(s)`);
    ctx.open({ raw: true });
    const gap = int(ctx.args.gap_ms, 0);
    for (const [i, { type, line }] of chosen.entries()) {
      if (i > 0 && gap > 0) await ctx.pause(gap);
      ctx.raw(`event: ${type}\ndata: ${line}\n\n`);
    }
    ctx.finish();
  },
};

function summaryParts(ctx) {
  if (ctx.args.summary) return ctx.args.summary.split('||');
  const all = ['**Planning the answer**\n\nThe user wants a short reply, so I will answer ' +
               'directly.',
               '**Checking details**\n\nNothing else is needed before answering.'];
  return all.slice(0, Math.max(1, int(ctx.args.parts, 1)));
}

// ---------------------------------------------------------------------------------------
// Added for tests/e2e (the real Claude Code CLI): several function calls in one response,
// each with its own explicit arguments, which tool_parallel cannot express.
//   calls='[{"name":"Write","args":{"file_path":"/tmp/a","content":"x"}},
//           {"name":"Bash","args":{"command":"echo hi"}}]'
// `name` is the client-side tool name (resolved like tool_call's); `call_id` is optional.

SCENARIOS.tool_calls = async (ctx) => {
  const calls = JSON.parse(ctx.args.calls ?? '[]');
  if (!Array.isArray(calls) || calls.length === 0) {
    throw new Error('tool_calls needs calls=<non-empty JSON array of {name, args}>');
  }
  const s = ctx.open();
  s.start();
  for (const call of calls) {
    const json = JSON.stringify(call.args ?? {});
    await s.functionCall(resolveTool(ctx.request, call.name).name,
                         splitText(json, Math.max(2, Math.ceil(json.length / 12))),
                         call.call_id ? { callId: call.call_id } : {});
  }
  s.complete();
  ctx.finish();
};

// ---------------------------------------------------------------------------------------
// Added for tests/providers (retries): the connection is dropped before any byte of a
// response, headers included — what a client sees as a connection failure (reset / empty
// reply), as opposed to `cut`, which drops it after some output.

SCENARIOS.drop = async (ctx) => { await ctx.destroy(); };

// ---------------------------------------------------------------------------------------
// Added for the web tools (tests/sdk/web_tools, tests/e2e): the hosted web search, the
// WebFetch call claudegpt performs itself, its summariser, and the turn it continues.

const PAGE_SUMMARY_INSTRUCTIONS = /^You read one web page/;

// A request from claudegpt's WebFetch summariser.
export function isPageSummaryRequest(request) {
  return typeof request.instructions === 'string' &&
         PAGE_SUMMARY_INSTRUCTIONS.test(request.instructions);
}

// The request offers the Responses API's hosted web search.
function offersHostedWebSearch(request) {
  return (request.tools ?? []).some((t) => typeof t?.type === 'string' &&
                                           t.type.startsWith('web_search'));
}

// A function_call_output's text (a string, or the text of its input_text parts).
export function toolOutputText(output) {
  if (typeof output === 'string') return output;
  if (!Array.isArray(output)) return '';
  return output.filter((p) => p?.type === 'input_text').map((p) => p.text).join('\n');
}

// The input's last function_call_output, the call it answers, and its text; or null.
export function lastToolOutput(request) {
  const items = inputItems(request);
  const output = items.findLast((i) => i.type === 'function_call_output');
  if (!output) return null;
  const call = items.find((i) => i.type === 'function_call' && i.call_id === output.call_id);
  return { output, call: call ?? null, text: toolOutputText(output.output) };
}

// The user's words without Claude Code's reminders and without scenario markers.
function promptText(request) {
  return lastUserTurn(request).text
    .replace(/<system-reminder>[\s\S]*?<\/system-reminder>/g, ' ')
    .replace(new RegExp(MARKER.source, 'g'), ' ')
    .replace(/\s+/g, ' ').trim();
}

const withTracking = (url) => `${url}${url.includes('?') ? '&' : '?'}utm_source=openai`;

// A hosted web search, then an answer citing one page, shaped like openai-web-search-tool.1:
// a web_search_call (action "search"; its sources when the request asked for them), then a
// message whose text ends with an inline Markdown link to the page, "answer ([host](url))",
// covered by a url_citation whose url carries ?utm_source=openai (as OpenAI cites).
//   query=<default: X of the prompt's "Perform a web search for the query: X" (Claude Code's
//          WebSearch side request), else the prompt>
//   marker=<a word the answer contains, default "quokka">
//   text=<the answer before the link, default 'Results for "<query>": the marker word is
//         <marker>.'>
//   url=<the cited page, default https://example.com/search-result>  title=<its title>
//   sources=<comma list: the search's source URLs, default the cited page and one more>
SCENARIOS.web_search = async (ctx) => {
  const prompt = promptText(ctx.request);
  const query = ctx.args.query ??
    (/Perform a web search for the query:\s*(.+)/.exec(prompt)?.[1].trim() ?? prompt).slice(0, 200);
  const marker = ctx.args.marker ?? 'quokka';
  const answer = ctx.args.text ?? `Results for "${query}": the marker word is ${marker}.`;
  const page = ctx.args.url ?? 'https://example.com/search-result';
  const title = ctx.args.title ?? 'Example search result';
  const sources = ctx.args.sources ? ctx.args.sources.split(',')
                                   : [page, 'https://example.org/another-result'];
  const cited = withTracking(page);
  const link = `([${new URL(page).host}](${cited}))`;
  const full = `${answer} ${link}`;
  const start = [...answer].length + 1;
  const annotation = { type: 'url_citation', end_index: start + [...link].length,
                       start_index: start, title, url: cited };
  const s = ctx.open();
  s.start();
  await s.webSearchCall(query, sources);
  await s.message(splitText(full, int(ctx.args.deltas, 6)), { annotations: [annotation] });
  s.complete();
  ctx.finish();
};

// A WebFetch call (Claude Code's client tool, which claudegpt performs itself).
//   url=<the page, default https://example.com/>
//   prompt=<what the model wants from it, default "What is the secret word?">
SCENARIOS.web_fetch = async (ctx) => toolScenario(ctx, ctx.args.name ?? 'WebFetch', {
  url: ctx.args.url ?? 'https://example.com/',
  prompt: ctx.args.prompt ?? 'What is the secret word?',
});

// What claudegpt's WebFetch summariser answers, made to prove what it was given. The
// request's user text is read as "Page: <url>\n---\n<page>\n---\n\nQuestion: <prompt>" (in
// any other layout the whole text counts as the page). The answer:
//   Summary of <url>: <N> characters read, first line "<first line>", secret word <word>.
// <N> counts the page's characters (code points); <first line> is its first non-empty line
// without Markdown heading marks (at most 120 characters); <word> is the word after "secret
// word is" in the page, or "none". text=<...> answers that instead.
SCENARIOS.page_summary = async (ctx) => {
  if (ctx.args.text === undefined) {
    const user = inputItems(ctx.request).findLast(isUserMessage);
    const all = user ? messageText(user) : '';
    const url = /^Page: (\S+)/m.exec(all)?.[1] ?? 'the page';
    const first = all.indexOf('\n---\n');
    const last = all.lastIndexOf('\n---\n');
    const page = first >= 0 && last > first ? all.slice(first + 5, last) : all;
    const firstLine = (page.split('\n').find((l) => l.trim() !== '') ?? '')
      .replace(/^\s*#+\s*/, '').trim().slice(0, 120);
    const word = /secret word is\W*([A-Za-z][\w-]*)/i.exec(page)?.[1] ?? 'none';
    ctx.args.text = `Summary of ${url}: ${[...page].length} characters read, first line ` +
                    `"${firstLine}", secret word ${word}.`;
  }
  return SCENARIOS.text(ctx);
};

// Text quoting the input's last tool output: "<prefix><output>", cut to max_chars.
//   prefix=<default "The tool said: ">  max_chars=<default 4000>
SCENARIOS.echo_output = async (ctx) => {
  const last = lastToolOutput(ctx.request);
  const said = (last?.text ?? '(no tool output)').slice(0, int(ctx.args.max_chars, 4000));
  ctx.args.text ??= `${ctx.args.prefix ?? 'The tool said: '}${said}`;
  return SCENARIOS.text(ctx);
};

// ---------------------------------------------------------------------------------------
// Added for tests/faults: sizes and loads beyond what a model sends, and tool calls a test
// can count.

// The text `bytes` long that big_event and flood send: a repeating, position-revealing
// pattern (a test can check every byte arrived, in order, without keeping a copy).
export function patternText(bytes, offset = 0) {
  const unit = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-_';  // 64
  const start = offset % unit.length;
  const reps = Math.ceil((bytes + start) / unit.length);
  return unit.repeat(reps).slice(start, start + bytes);
}

// An assistant message whose deltas come from `next()` (a string, or null at the end), the
// events as ResponseStream.message() emits them, without its per-character bookkeeping
// (too slow for megabytes). `flushEvery` bytes, `flush()` runs (back-pressure). The done
// events repeat the whole text, each in one event: with `done: false` they are left out
// (the message item is then only in response.completed's output, without its text).
async function bulkMessage(s, next, { flushEvery = Infinity, flush = async () => {},
                                      done = true } = {}) {
  const outputIndex = s.output.length;
  const id = `msg_${newCallId().slice(5)}${outputIndex}`;
  s.emit({ type: 'response.output_item.added', output_index: outputIndex,
           item: { id, type: 'message', status: 'in_progress', content: [], role: 'assistant' } });
  s.emit({ type: 'response.content_part.added', item_id: id, output_index: outputIndex,
           content_index: 0, part: { type: 'output_text', annotations: [], logprobs: [],
                                     text: '' } });
  const kept = [];
  let length = 0;
  let pending = 0;
  for (let delta = next(); delta !== null; delta = next()) {
    s.emit({ type: 'response.output_text.delta', item_id: id, output_index: outputIndex,
             content_index: 0, delta, logprobs: [], obfuscation: '' });
    if (done) kept.push(delta);
    length += delta.length;
    pending += delta.length;
    if (pending >= flushEvery) {
      pending = 0;
      await flush(length);
    }
  }
  s.outputChars += length;
  const text = done ? kept.join('') : '';
  const part = { type: 'output_text', annotations: [], logprobs: [], text };
  if (done) {
    s.emit({ type: 'response.output_text.done', item_id: id, output_index: outputIndex,
             content_index: 0, text, logprobs: [] });
    s.emit({ type: 'response.content_part.done', item_id: id, output_index: outputIndex,
             content_index: 0, part });
    const item = { id, type: 'message', status: 'completed', content: [part], role: 'assistant' };
    s.emit({ type: 'response.output_item.done', output_index: outputIndex, item });
    s.output.push(item);
  } else {
    s.output.push({ id, type: 'message', status: 'completed', content: [], role: 'assistant' });
  }
  return length;
}

// One text delta `bytes` long (default 10 MiB): a single SSE event that size, followed by
// the done events and response.completed, which repeat the text (each about as large).
// The text is patternText(bytes).
SCENARIOS.big_event = async (ctx) => {
  let text = patternText(int(ctx.args.bytes, 10 * 1024 * 1024));
  const s = ctx.open();
  s.start();
  await bulkMessage(s, () => { const t = text; text = null; return t; });
  s.complete();
  ctx.finish();
};

// Text as fast as the reader takes it: deltas of delta_bytes (default 1000) until `bytes`
// (default 50 MiB), flushed every batch_bytes (default 256 KiB), each flush waiting until
// the socket takes it. So a reader that does not keep up holds the writer back, and the
// request's notes say how far it got: {written (bytes of text handed to the socket),
// longest_wait_ms (the longest flush), waiting_since (when the flush in progress began, or
// null), done}. Over full_text_max (default 8 MiB) the done events, which would carry the
// whole text in one event, are left out. The text is patternText(bytes).
SCENARIOS.flood = async (ctx) => {
  const total = int(ctx.args.bytes, 50 * 1024 * 1024);
  const deltaBytes = int(ctx.args.delta_bytes, 1000);
  const unitText = patternText(deltaBytes * 64 + 64);
  let sent = 0;
  const next = () => {
    if (sent >= total) return null;
    const n = Math.min(deltaBytes, total - sent);
    const start = sent % 64;   // the pattern's period: the text stays patternText(total)
    sent += n;
    return unitText.slice(start, start + n);
  };
  const notes = { written: 0, longest_wait_ms: 0, waiting_since: null, done: false };
  ctx.note(notes);
  const flush = async (length) => {
    const began = performance.timeOrigin + performance.now();
    ctx.note({ waiting_since: began });
    await ctx.pause(0);
    const waited = performance.timeOrigin + performance.now() - began;
    ctx.note({ written: length, waiting_since: null,
               longest_wait_ms: Math.max(waited, notes.longest_wait_ms) });
    notes.longest_wait_ms = Math.max(waited, notes.longest_wait_ms);
  };
  const s = ctx.open();
  s.start();
  const length = await bulkMessage(s, next, {
    flushEvery: int(ctx.args.batch_bytes, 256 * 1024), flush,
    done: total <= int(ctx.args.full_text_max, 8 * 1024 * 1024) });
  s.complete();
  await ctx.pause(0);
  ctx.note({ written: length, done: true });
  ctx.finish();
};

// n function calls (default 3) of the tool `name` (default: the request's first), with
// call ids call_<tag>_<i> and arguments {"tag": <tag>, "i": <i>} (i from 1), after a text
// part when text= is given. gap_ms apart as usual. A test knows exactly which tool_use ids
// to expect, each once.
SCENARIOS.tool_fanout = async (ctx) => {
  const n = int(ctx.args.n, 3);
  const tag = ctx.args.tag ?? 'x';
  const s = ctx.open();
  s.start();
  if (ctx.args.text) await s.message(splitText(ctx.args.text, int(ctx.args.deltas, 3)));
  const tool = resolveTool(ctx.request, ctx.args.name);
  for (let i = 1; i <= n; i += 1) {
    const json = JSON.stringify({ tag, i });
    await s.functionCall(tool.name, splitText(json, 3), { callId: `call_${tag}_${i}` });
  }
  s.complete();
  ctx.finish();
};

// Some text, then (pause_ms later, default 50) an event whose data is not JSON: a broken
// upstream after output began.
SCENARIOS.garbage_midstream = async (ctx) => {
  const s = ctx.open();
  s.start();
  await s.message(textPieces(ctx, 'This stream turns into garbage after', 3), { leaveOpen: true });
  await ctx.pause(int(ctx.args.pause_ms, 50));   // the text goes out on its own first
  ctx.raw('event: response.output_text.delta\ndata: {this is not json\n\n');
  ctx.finish();
};
