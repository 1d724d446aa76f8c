// Streaming through the official Anthropic SDK, and the stream grammar every streamed answer
// must follow, as the SDK tests use them.

import assert from 'node:assert/strict';

// Streams one request through `client` (an Anthropic client); returns the final message and
// every stream event. Rejects as the SDK does when the stream fails.
export async function streamMessage(client, params) {
  const stream = client.messages.stream(params);
  // Asked for before iterating, so a failure is never an unhandled rejection in the SDK.
  const final = stream.finalMessage();
  final.catch(() => {});
  const events = [];
  for await (const event of stream) events.push(event);
  return { message: await final, events };
}

// The Anthropic stream grammar: message_start, then blocks each started, delta'd and stopped
// in index order, then message_delta, then message_stop. With `pings`, pings may come anywhere
// (the proxy sends them while a slow step, such as a page fetch, runs); without, none may.
export function checkEventOrder(events, { pings = false } = {}) {
  const grammar = pings ? events.filter((e) => e.type !== 'ping') : events;
  assert.equal(grammar[0].type, 'message_start');
  assert.equal(grammar.at(-1).type, 'message_stop');
  assert.equal(grammar.at(-2).type, 'message_delta');
  let open = null;
  let next = 0;
  for (const e of grammar.slice(1, -2)) {
    if (e.type === 'content_block_start') {
      assert.equal(open, null, 'a block starts only after the previous one stopped');
      assert.equal(e.index, next, 'block indices count up from 0');
      open = e.index;
    } else if (e.type === 'content_block_delta') {
      assert.equal(e.index, open, 'deltas go to the open block');
    } else if (e.type === 'content_block_stop') {
      assert.equal(e.index, open);
      open = null;
      next += 1;
    } else {
      assert.fail(`unexpected ${e.type} between message_start and message_delta`);
    }
  }
  assert.equal(open, null, 'every block is stopped');
  // (The SDK accumulates into message_start's message object, so only its id is checked.)
  assert.match(grammar[0].message.id, /^msg_/);
}
