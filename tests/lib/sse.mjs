// Reading Server-Sent Events from a fetch() Response, the way a client parses them.

// Yields {event, data, raw} per event; `data` is parsed JSON when it parses, else the text.
export async function* readSse(response) {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk, { stream: true });
    let end;
    while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const raw = buffer.slice(0, end);
      buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
      const event = parseEvent(raw);
      if (event) yield event;
    }
  }
  buffer += decoder.decode();
  if (buffer.trim()) {
    const event = parseEvent(buffer);
    if (event) yield event;
  }
}

function parseEvent(raw) {
  let event = null;
  const data = [];
  for (const line of raw.split(/\r?\n/)) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  if (event === null && data.length === 0) return null;
  const text = data.join('\n');
  let parsed = text;
  try { parsed = JSON.parse(text); } catch { /* keep the text */ }
  return { event, data: parsed, raw };
}

// Every event of the response, with the time (ms, performance.now()) it arrived.
export async function collectSse(response) {
  const events = [];
  for await (const e of readSse(response)) events.push({ ...e, at: performance.now() });
  return events;
}
