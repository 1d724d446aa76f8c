// One response of the fake Responses API, built the way the real one streams it.
//
// A ResponseStream owns the `response` object (echoing the request like the real API does),
// the output items, the usage and the per-stream `sequence_number`. Scenario code calls its
// high-level steps (message, functionCall, reasoning, refusal, webSearchCall, then complete /
// incomplete / fail); each step emits exactly the event sequence found in the recordings under
// ../../../shared/fixtures/openai-responses/ (field order included), through a `sink`:
//   sink.event(obj)   frame and send one event   (SSE: `event: <type>\ndata: <json>\n\n`)
//   sink.pause(ms)    let time pass between deltas (flushes what is pending first)
// For a non-streaming request the same steps run against a sink that only collects, and the
// final `response` object is the JSON body.
//
// The output budget, as OpenAI's reasoning guide describes it (platform.openai.com/docs/guides/
// reasoning, "Allocating space for reasoning"): reasoning tokens count against
// max_output_tokens with the visible output, and a response that reaches it ends `incomplete`
// (reason max_output_tokens), possibly with reasoning only and no message item (as reported in
// community.openai.com/t/1373609). So, only when the request sets
// max_output_tokens: reasoning() spends at most what is left, message() writes only the text
// that still fits (about 4 characters a token, as usage() counts) and closes `incomplete`, a
// message with no budget left is not written, and complete() becomes incomplete().

import { randomBytes } from 'node:crypto';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
// Ids are a random per-process prefix plus a counter: unique, cheap, and shaped like the
// real ones (`rs_` + 50 hex digits, `call_` + 24 alphanumerics).
const processTag = randomBytes(12).toString('hex');
let idCounter = 0;

function hexId(prefix) {
  idCounter += 1;
  return `${prefix}_${processTag}${idCounter.toString(16).padStart(26, '0')}`;
}

// Not cryptographic, just varied: Math.random is far cheaper than randomBytes per delta.
function alnum(n) {
  let s = '';
  for (let i = 0; i < n; i += 1) s += ALNUM[Math.floor(Math.random() * ALNUM.length)];
  return s;
}

export const newResponseId = () => hexId('resp');
export const newCallId = () => `call_${alnum(24)}`;

// The real API pads each delta event with `obfuscation` so that delta + padding is about
// 16 characters (length-hiding); longer deltas get an empty string.
const obfuscation = (delta) => alnum(Math.max(0, 16 - delta.length));

// A Fernet-shaped opaque blob, like the real `encrypted_content` ("gAAAAA…", base64url).
// `key`: the name of the key it is issued under (reasoning_keys.mjs).
export function fakeEncryptedContent(itemId, key = 'original') {
  const payload = Buffer.from(JSON.stringify({ fake: 'claudegpt', item: itemId, n: idCounter,
                                               k: key }));
  return `gAAAAAB${randomBytes(12).toString('base64url')}${payload.toString('base64url')}`;
}

// Splits `text` into `n` roughly equal pieces (by code point, never inside a surrogate pair).
export function splitText(text, n) {
  const chars = [...text];
  const count = Math.max(1, Math.min(n, chars.length));
  const size = Math.ceil(chars.length / count);
  const pieces = [];
  for (let i = 0; i < chars.length; i += size) pieces.push(chars.slice(i, i + size).join(''));
  return pieces.length > 0 ? pieces : [''];
}

const TOOLS_MARK = '\u0000tools\u0000';
const INSTRUCTIONS_MARK = '\u0000instructions\u0000';
const TOOLS_MARK_JSON = JSON.stringify(TOOLS_MARK);
const INSTRUCTIONS_MARK_JSON = JSON.stringify(INSTRUCTIONS_MARK);

const estimateTokens = (text) => Math.ceil(text.length / 4);

export class ResponseStream {
  // `request` is the parsed request body; `options`: {sink, gapMs, usage: {input_tokens,
  // cached_tokens, output_tokens, reasoning_tokens} overrides}.
  constructor(request, { sink, gapMs = 0, usage = {}, inputTokens = 0, cachedTokens = 0,
                         reasoningKey = 'original' }) {
    this.reasoningKey = reasoningKey;
    this.request = request;
    this.sink = sink;
    this.gapMs = gapMs;
    this.usageOverrides = usage;
    this.inputTokens = inputTokens;
    this.cachedTokens = cachedTokens;
    this.sequence = 0;
    this.output = [];
    this.outputChars = 0;
    this.reasoningTokens = 0;
    this.outOfBudget = false;  // max_output_tokens was reached: the response ends incomplete
    this.id = newResponseId();
    this.createdAt = Math.floor(Date.now() / 1000);
    this.response = null;
    this.include = new Set(request.include ?? []);
  }

  get wantsEncryptedReasoning() { return this.include.has('reasoning.encrypted_content'); }
  get wantsReasoningSummary() { return Boolean(this.request.reasoning?.summary); }
  get reasoningDisabled() { return this.request.reasoning?.effort === 'none'; }

  // Output tokens still allowed by max_output_tokens (Infinity when the request sets none).
  budgetLeft() {
    const limit = this.request.max_output_tokens;
    if (!Number.isInteger(limit)) return Infinity;
    return limit - this.reasoningTokens - estimateTokens(' '.repeat(this.outputChars));
  }

  // The leading pieces of `pieces` that fit in the budget, the last one shortened (by code
  // point) when it does not fit whole; marks the response out of budget when some text is left.
  withinBudget(pieces) {
    const limit = this.request.max_output_tokens;
    if (!Number.isInteger(limit)) return pieces;
    let chars = (limit - this.reasoningTokens) * 4 - this.outputChars;
    const kept = [];
    for (const piece of pieces) {
      if (piece.length <= chars) {
        kept.push(piece);
        chars -= piece.length;
        continue;
      }
      const part = [...piece].reduce((acc, c) => (acc.length + c.length <= chars ? acc + c : acc), '');
      if (part.length > 0) kept.push(part);
      this.outOfBudget = true;
      break;
    }
    return kept;
  }

  // The response object as the real API echoes it (field order from the recordings).
  snapshot(status, extra = {}) {
    const r = this.request;
    return {
      id: this.id,
      object: 'response',
      created_at: this.createdAt,
      status,
      background: r.background ?? false,
      error: extra.error ?? null,
      incomplete_details: extra.incomplete_details ?? null,
      instructions: r.instructions ?? null,
      max_output_tokens: r.max_output_tokens ?? null,
      max_tool_calls: r.max_tool_calls ?? null,
      model: r.model,
      output: extra.output ?? [],
      parallel_tool_calls: r.parallel_tool_calls ?? true,
      previous_response_id: r.previous_response_id ?? null,
      prompt_cache_key: r.prompt_cache_key ?? null,
      prompt_cache_retention: r.prompt_cache_retention ?? null,
      reasoning: { effort: r.reasoning?.effort ?? (/^(gpt-5|o\d)/.test(r.model) ? 'medium' : null),
                   summary: r.reasoning?.summary ?? null },
      safety_identifier: r.safety_identifier ?? null,
      service_tier: r.service_tier ?? 'auto',
      store: r.store ?? true,
      temperature: r.temperature ?? 1,
      text: { format: r.text?.format ?? { type: 'text' },
              verbosity: r.text?.verbosity ?? 'medium' },
      tool_choice: r.tool_choice ?? 'auto',
      tools: this.snapshotTools(),
      top_logprobs: r.top_logprobs ?? 0,
      top_p: r.top_p ?? 1,
      truncation: r.truncation ?? 'disabled',
      usage: extra.usage ?? null,
      user: r.user ?? null,
      metadata: r.metadata ?? {},
    };
  }

  emit(event) {
    // `type` then `sequence_number` first, as the real server orders them.
    const { type, ...rest } = event;
    const full = { type, sequence_number: this.sequence++, ...rest };
    this.sink.event(full, full.response ? this.serializeWithResponse(full) : undefined);
  }

  // The `response` object echoes the request's tools and instructions (tens of KB with
  // Claude Code) in three events; they are serialised once per stream and spliced in.
  serializeWithResponse(event) {
    if (this.echo === undefined) {
      this.echo = {
        tools: JSON.stringify(this.snapshotTools()),
        instructions: JSON.stringify(this.request.instructions ?? null),
      };
    }
    const response = { ...event.response, tools: TOOLS_MARK, instructions: INSTRUCTIONS_MARK };
    return JSON.stringify({ ...event, response })
      .replace(TOOLS_MARK_JSON, () => this.echo.tools)
      .replace(INSTRUCTIONS_MARK_JSON, () => this.echo.instructions);
  }

  snapshotTools() {
    return (this.request.tools ?? []).map((t) => (t.type === 'function' ?
      { ...t, description: t.description ?? null, strict: t.strict ?? true } : t));
  }

  async gap() {
    if (this.gapMs > 0) await this.sink.pause(this.gapMs);
  }

  start() {
    this.emit({ type: 'response.created', response: this.snapshot('in_progress') });
    this.emit({ type: 'response.in_progress', response: this.snapshot('in_progress') });
  }

  // An assistant message; `pieces` are the text deltas. The item closes with `status`
  // ("completed", or "incomplete" when max_output_tokens cut it); with `leaveOpen` it never
  // closes (the stream is about to fail or be cut). `annotations` (url_citation objects,
  // start/end in code points of the whole text) are announced as in the web search
  // recording: each by a response.output_text.annotation.added right after the delta that
  // completes the text it covers, then listed in the finished part.
  async message(pieces, { phase, status = 'completed', leaveOpen = false,
                          annotations = [] } = {}) {
    if (this.outOfBudget || this.budgetLeft() <= 0) {
      this.outOfBudget = true;
      return '';
    }
    pieces = this.withinBudget(pieces);
    if (this.outOfBudget) status = 'incomplete';
    const outputIndex = this.output.length;
    const id = hexId('msg');
    const item = { id, type: 'message', status: 'in_progress', content: [] };
    if (phase) item.phase = phase;
    item.role = 'assistant';
    this.emit({ type: 'response.output_item.added', output_index: outputIndex, item });
    const part = { type: 'output_text', annotations: [], logprobs: [], text: '' };
    this.emit({ type: 'response.content_part.added', item_id: id, output_index: outputIndex,
                content_index: 0, part });
    let text = '';
    let codePoints = 0;
    let announced = 0;
    for (const [n, delta] of pieces.entries()) {
      if (n > 0) await this.gap();
      text += delta;
      codePoints += [...delta].length;
      this.emit({ type: 'response.output_text.delta', item_id: id, output_index: outputIndex,
                  content_index: 0, delta, logprobs: [], obfuscation: obfuscation(delta) });
      while (announced < annotations.length && annotations[announced].end_index <= codePoints) {
        this.emit({ type: 'response.output_text.annotation.added', item_id: id,
                    output_index: outputIndex, content_index: 0, annotation_index: announced,
                    annotation: annotations[announced] });
        announced += 1;
      }
    }
    this.outputChars += text.length;
    if (leaveOpen) return text;
    this.emit({ type: 'response.output_text.done', item_id: id, output_index: outputIndex,
                content_index: 0, text, logprobs: [] });
    const donePart = { type: 'output_text', annotations: [...annotations], logprobs: [], text };
    this.emit({ type: 'response.content_part.done', item_id: id, output_index: outputIndex,
                content_index: 0, part: donePart });
    const done = { id, type: 'message', status, content: [donePart] };
    if (phase) done.phase = phase;
    done.role = 'assistant';
    this.emit({ type: 'response.output_item.done', output_index: outputIndex, item: done });
    this.output.push(done);
    return text;
  }

  // A hosted web search (web_search_call), as openai-web-search-tool.1 streams one: added
  // in_progress, its in_progress / searching / completed events, then done with its action.
  // The action lists `sources` only when the request included
  // "web_search_call.action.sources", as with the real API.
  async webSearchCall(query, sources = []) {
    const outputIndex = this.output.length;
    const id = hexId('ws');
    this.emit({ type: 'response.output_item.added', output_index: outputIndex,
                item: { id, type: 'web_search_call', status: 'in_progress' } });
    for (const [n, phase] of ['in_progress', 'searching', 'completed'].entries()) {
      if (n > 0) await this.gap();
      this.emit({ type: `response.web_search_call.${phase}`, output_index: outputIndex,
                  item_id: id });
    }
    const action = { type: 'search', query };
    if (this.include.has('web_search_call.action.sources')) {
      action.sources = sources.map((url) => ({ type: 'url', url }));
    }
    const item = { id, type: 'web_search_call', status: 'completed', action };
    this.emit({ type: 'response.output_item.done', output_index: outputIndex, item });
    this.output.push(item);
    return item;
  }

  async refusal(pieces) {
    const outputIndex = this.output.length;
    const id = hexId('msg');
    this.emit({ type: 'response.output_item.added', output_index: outputIndex,
                item: { id, type: 'message', status: 'in_progress', content: [],
                        role: 'assistant' } });
    this.emit({ type: 'response.content_part.added', item_id: id, output_index: outputIndex,
                content_index: 0, part: { type: 'refusal', refusal: '' } });
    let refusal = '';
    for (const [n, delta] of pieces.entries()) {
      if (n > 0) await this.gap();
      refusal += delta;
      this.emit({ type: 'response.refusal.delta', item_id: id, output_index: outputIndex,
                  content_index: 0, delta, obfuscation: obfuscation(delta) });
    }
    this.emit({ type: 'response.refusal.done', item_id: id, output_index: outputIndex,
                content_index: 0, refusal });
    const part = { type: 'refusal', refusal };
    this.emit({ type: 'response.content_part.done', item_id: id, output_index: outputIndex,
                content_index: 0, part });
    const item = { id, type: 'message', status: 'completed', content: [part], role: 'assistant' };
    this.emit({ type: 'response.output_item.done', output_index: outputIndex, item });
    this.output.push(item);
    this.outputChars += refusal.length;
  }

  // A function call; `argumentPieces` are the argument deltas (concatenated: JSON text).
  async functionCall(name, argumentPieces, { callId = newCallId() } = {}) {
    const outputIndex = this.output.length;
    const id = hexId('fc');
    this.emit({ type: 'response.output_item.added', output_index: outputIndex,
                item: { id, type: 'function_call', status: 'in_progress', arguments: '',
                        call_id: callId, name } });
    let args = '';
    for (const [n, delta] of argumentPieces.entries()) {
      if (n > 0) await this.gap();
      args += delta;
      this.emit({ type: 'response.function_call_arguments.delta', item_id: id,
                  output_index: outputIndex, delta, obfuscation: obfuscation(delta) });
    }
    this.emit({ type: 'response.function_call_arguments.done', item_id: id,
                output_index: outputIndex, arguments: args });
    const item = { id, type: 'function_call', status: 'completed', arguments: args,
                   call_id: callId, name };
    this.emit({ type: 'response.output_item.done', output_index: outputIndex, item });
    this.output.push(item);
    this.outputChars += args.length;
    return item;
  }

  // A reasoning item. Its summary parts stream only when the request asked for a summary
  // (reasoning.summary), its encrypted_content appears only when the request included
  // "reasoning.encrypted_content" — as with the real API. Nothing at all with effort "none".
  async reasoning(summaryParts, { tokens = 64 } = {}) {
    if (this.reasoningDisabled || this.outOfBudget) return null;
    if (tokens >= this.budgetLeft()) {  // reasoning spends the whole budget
      tokens = Math.max(0, this.budgetLeft());
      this.outOfBudget = true;
    }
    const outputIndex = this.output.length;
    const id = hexId('rs');
    const added = { id, type: 'reasoning' };
    if (this.wantsEncryptedReasoning) {
      added.encrypted_content = fakeEncryptedContent(id, this.reasoningKey);
    }
    added.summary = [];
    this.emit({ type: 'response.output_item.added', output_index: outputIndex, item: added });
    const summary = [];
    if (this.wantsReasoningSummary) {
      for (const [summaryIndex, text] of summaryParts.entries()) {
        this.emit({ type: 'response.reasoning_summary_part.added', item_id: id,
                    output_index: outputIndex, summary_index: summaryIndex,
                    part: { type: 'summary_text', text: '' } });
        for (const [n, delta] of splitText(text, 4).entries()) {
          if (n > 0 || summaryIndex > 0) await this.gap();
          this.emit({ type: 'response.reasoning_summary_text.delta', item_id: id,
                      output_index: outputIndex, summary_index: summaryIndex, delta,
                      obfuscation: obfuscation(delta) });
        }
        this.emit({ type: 'response.reasoning_summary_text.done', item_id: id,
                    output_index: outputIndex, summary_index: summaryIndex, text });
        this.emit({ type: 'response.reasoning_summary_part.done', item_id: id,
                    output_index: outputIndex, summary_index: summaryIndex,
                    part: { type: 'summary_text', text } });
        summary.push({ type: 'summary_text', text });
      }
    }
    // As recorded: the final item carries a fresh encrypted_content (the complete reasoning).
    const item = { id, type: 'reasoning' };
    if (this.wantsEncryptedReasoning) {
      item.encrypted_content = fakeEncryptedContent(id, this.reasoningKey);
    }
    item.summary = summary;
    this.emit({ type: 'response.output_item.done', output_index: outputIndex, item });
    this.output.push(item);
    this.reasoningTokens += tokens;
    return item;
  }

  usage() {
    const o = this.usageOverrides;
    const input = o.input_tokens ?? this.inputTokens;
    const cached = Math.min(o.cached_tokens ?? this.cachedTokens, input);
    // Cut by max_output_tokens: what was written, whatever figures were asked for; effort
    // none reasons not at all.
    const spent = this.outOfBudget ? {} : o;
    const reasoning = this.reasoningDisabled ? 0 : spent.reasoning_tokens ?? this.reasoningTokens;
    const output = spent.output_tokens ??
                   (estimateTokens(' '.repeat(this.outputChars)) + reasoning);
    return {
      input_tokens: input,
      input_tokens_details: { cached_tokens: cached },
      output_tokens: output,
      output_tokens_details: { reasoning_tokens: reasoning },
      total_tokens: input + output,
    };
  }

  complete() {
    if (this.outOfBudget || this.budgetLeft() < 0) {
      this.incomplete('max_output_tokens');
      return;
    }
    this.response = this.snapshot('completed', { output: this.output, usage: this.usage() });
    this.emit({ type: 'response.completed', response: this.response });
  }

  incomplete(reason = 'max_output_tokens') {
    this.response = this.snapshot('incomplete', { output: this.output, usage: this.usage(),
                                                  incomplete_details: { reason } });
    this.emit({ type: 'response.incomplete', response: this.response });
  }

  fail(code, message) {
    this.response = this.snapshot('failed', { output: this.output, error: { code, message } });
    this.emit({ type: 'response.failed', response: this.response });
  }

  // A top-level `error` event (as in openai-error.1.chunks.txt), before response.failed.
  errorEvent(type, code, message) {
    this.emit({ type: 'error', error: { type, code, message, param: null } });
  }
}
