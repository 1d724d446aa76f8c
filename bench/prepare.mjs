// Builds the benchmark inputs from the recorded traffic in ../shared/fixtures, into OUT_DIR:
//
//   req49k.json           the recorded 49 KB first turn of Claude Code 2.1.330, plus a marker
//   req49k-nostream.json  the same with "stream": false
//   reqtiny.json          the same without system prompt, tools and history (~300 bytes): what
//                         an open stream costs apart from its request
//   req1m.json            a ~1 MB late-session request (see below), plus the marker
//   text.sse              the recorded plain text turn (4th response of
//                         openai-reasoning-encrypted-content.1), SSE-framed
//   tools.sse             a turn with 3 parallel function calls (Bash), built from the recorded
//                         function_call item of the same file; call ids carry @@NONCE@@
//   deltas.sse            the text turn with 2,000 small output_text deltas
//   hold.sse              the first events of the text turn (up to the first delta)
//   events1000.sse        recorded responses (the whole reasoning-encrypted-content file, four
//                         responses) repeated until >= 1,000 events, for the translation cost
//
// The marker is a text block "BENCHSCN=<scenario:5>/<pace ms:5>/<nonce:10>" at the end of the
// last user message: the load generator overwrites its fixed-width fields, the proxy passes
// it on as user text, and bench_upstream reads it to choose what to answer.
//
//   node bench/prepare.mjs OUT_DIR
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = process.env.CLAUDEGPT_FIXTURES_DIR ?? path.join(here, '../../shared/fixtures');
const out = process.argv[2];
if (!out) throw new Error('usage: node bench/prepare.mjs OUT_DIR');
mkdirSync(out, { recursive: true });

const read = (rel) => readFileSync(path.join(fixtures, rel), 'utf8');
const MARKER = 'BENCHSCN=text_/00000/0000000000';

function addMarker(request) {
  const lastUser = request.messages.findLast((m) => m.role === 'user');
  if (typeof lastUser.content === 'string') lastUser.content = [{ type: 'text', text: lastUser.content }];
  lastUser.content.push({ type: 'text', text: MARKER });
  return request;
}

// --- requests --------------------------------------------------------------------------------
const firstTurnText = read('claude-code-requests/cc2.1.330-first-turn.json');
const firstTurn = addMarker(JSON.parse(firstTurnText));
writeFileSync(path.join(out, 'req49k.json'), JSON.stringify(firstTurn));
writeFileSync(path.join(out, 'req49k-nostream.json'), JSON.stringify({ ...firstTurn, stream: false }));
writeFileSync(path.join(out, 'reqtiny.json'), JSON.stringify({
  model: firstTurn.model, max_tokens: firstTurn.max_tokens, stream: true,
  messages: [{ role: 'user', content: [{ type: 'text', text: 'hello' }, { type: 'text', text: MARKER }] }] }));

// The late session: the current client's request (system prompt, tools, settings of the
// 2.1.330 first turn) whose history is the longest conversation of the recorded whole session
// (cc1.0.6-session-traffic.jsonl, request 33: 25 messages, 11 tool round trips, 42 KB),
// repeated until the body passes 1 MiB. Tool ids get a per-copy suffix so they stay unique;
// consecutive messages of the same role (where one copy ends and the next begins) are merged.
const session = read('claude-code-requests/cc1.0.6-session-traffic.jsonl').trim().split('\n')
  .map((line) => JSON.parse(line).request.body).filter((b) => b && Array.isArray(b.messages));
const history = session.reduce((a, b) => (JSON.stringify(b.messages).length > JSON.stringify(a.messages).length ? b : a)).messages;
const late = JSON.parse(firstTurnText);
const messages = [...late.messages];
const blocks = (content) => (typeof content === 'string' ? [{ type: 'text', text: content }] : content);
const push = (m) => {
  const last = messages.at(-1);
  if (last && last.role === m.role) last.content = [...blocks(last.content), ...blocks(m.content)];
  else messages.push({ role: m.role, content: blocks(m.content) });
};
let copies = 0;
while (JSON.stringify({ ...late, messages }).length < 1024 * 1024) {
  copies += 1;
  const copy = JSON.parse(JSON.stringify(history).replaceAll(/"(toolu_[A-Za-z0-9]+)"/g, `"$1_${copies}"`));
  for (const m of copy) push(m);
}
late.messages = messages;
addMarker(late);
writeFileSync(path.join(out, 'req1m.json'), JSON.stringify(late));

// --- streams ---------------------------------------------------------------------------------
const recorded = read('openai-responses/openai-reasoning-encrypted-content.1.chunks.txt').trim().split('\n');
const frame = (e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;
const responses = [];
for (const line of recorded) {
  const e = JSON.parse(line);
  if (e.type === 'response.created') responses.push([]);
  responses.at(-1).push(e);
}
const textTurn = responses.find((r) => r.some((e) => e.type === 'response.output_text.delta'));
const toolTurn = responses.find((r) => r.some((e) => e.type === 'response.function_call_arguments.delta'));
writeFileSync(path.join(out, 'text.sse'), textTurn.map(frame).join(''));

// Renumbers sequence_number from 0 over a built stream.
const renumber = (events) => events.map((e, i) => ({ ...e, sequence_number: i }));

// Three parallel Bash calls: the recorded function_call item's events, three times, with
// their own item ids, call ids and output_index.
{
  const head = toolTurn.filter((e) => e.type === 'response.created' || e.type === 'response.in_progress');
  const fcId = toolTurn.find((e) => e.type === 'response.output_item.added' && e.item.type === 'function_call').item.id;
  const item = toolTurn.filter((e) => (e.item && e.item.id === fcId) || e.item_id === fcId);
  const completed = toolTurn.find((e) => e.type === 'response.completed');
  const args = '{"command":"ls -la","description":"List files"}';
  const pieces = args.match(/.{1,6}/g);
  const calls = [];
  const doneItems = [];
  for (let k = 0; k < 3; k++) {
    const itemId = `fc_bench${k}`;
    const callId = `call_@@NONCE@@_${k}`;
    for (const e of item) {
      if (e.type === 'response.function_call_arguments.delta') {
        if (e !== item.find((x) => x.type === 'response.function_call_arguments.delta')) continue;
        for (const p of pieces) calls.push({ ...e, item_id: itemId, output_index: k, delta: p });
        continue;
      }
      const c = JSON.parse(JSON.stringify(e));
      c.output_index = k;
      if (c.item_id) c.item_id = itemId;
      if (c.item) {
        c.item.id = itemId;
        c.item.call_id = callId;
        c.item.name = 'Bash';
        if (c.item.status === 'completed') { c.item.arguments = args; doneItems.push(c.item); }
      }
      if (c.type === 'response.function_call_arguments.done') c.arguments = args;
      calls.push(c);
    }
  }
  const done = JSON.parse(JSON.stringify(completed));
  done.response.output = doneItems;
  writeFileSync(path.join(out, 'tools.sse'), renumber([...head, ...calls, done]).map(frame).join(''));
}

// 2,000 small deltas: the text turn with its deltas replaced.
{
  const firstDelta = textTurn.find((e) => e.type === 'response.output_text.delta');
  const before = textTurn.slice(0, textTurn.indexOf(firstDelta));
  const after = textTurn.slice(textTurn.findLastIndex((e) => e.type === 'response.output_text.delta') + 1);
  const words = 'the quick brown fox jumps over a lazy dog and then rests '.split(' ');
  const deltas = Array.from({ length: 2000 }, (_, i) => ({ ...firstDelta, delta: `${words[i % words.length]} ` }));
  const text = deltas.map((d) => d.delta).join('');
  const patched = after.map((e) => {
    const c = JSON.parse(JSON.stringify(e));
    if (c.type === 'response.output_text.done') c.text = text;
    if (c.type === 'response.content_part.done') c.part.text = text;
    if (c.type === 'response.output_item.done') c.item.content[0].text = text;
    if (c.type === 'response.completed') {
      const msg = c.response.output.find((o) => o.type === 'message');
      if (msg) msg.content[0].text = text;
    }
    return c;
  });
  writeFileSync(path.join(out, 'deltas.sse'), renumber([...before, ...deltas, ...patched]).map(frame).join(''));
  writeFileSync(path.join(out, 'hold.sse'), [...before, firstDelta].map(frame).join(''));
}

// >= 1,000 recorded events for the translation cost.
{
  let events = [];
  while (events.length < 1000) events = events.concat(recorded.map((l) => JSON.parse(l)));
  writeFileSync(path.join(out, 'events1000.sse'), events.map(frame).join(''));
  writeFileSync(path.join(out, 'inputs.json'), JSON.stringify({
    req49k_bytes: JSON.stringify(firstTurn).length,
    req1m_bytes: JSON.stringify(late).length,
    req1m_messages: late.messages.length,
    req1m_copies: copies,
    events: events.length,
  }, null, 1));
}
console.log(readFileSync(path.join(out, 'inputs.json'), 'utf8'));
