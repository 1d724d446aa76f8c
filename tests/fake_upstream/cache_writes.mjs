// The `cache_writes` switch: responses report what they wrote to the prompt cache, as GPT-5.6
// and later models do. Off by default (the fake then answers as the models before GPT-5.6,
// whose usage has no such figure).
//
// Source: real-services-2026.md §12 "Cache-write accounting" (OpenAI's prompt-caching guide:
// GPT-5.6 bills cache writes at 1.25× input, "reported as `cache_write_tokens`"). Where the
// figure sits and what it is part of:
//   - usage.input_tokens_details.cache_write_tokens, beside cached_tokens: the prompt-caching
//     guide (developers.openai.com/api/docs/guides/prompt-caching), "On GPT-5.6 models and
//     later model families, cache writes are billed at 1.25× the uncached input token rate
//     and reported in `cache_write_tokens`. Cache reads continue to be reported in
//     `cached_tokens`", as quoted in mindroom-ai/mindroom PR #2134 (2026), which also quotes
//     openai-python's generated type (src/openai/types/responses/response_usage.py,
//     InputTokensDetails: cache_write_tokens, cached_tokens);
//   - input_tokens counts them, as it counts the cached ones: Kilo-Org/cloud PR #4964
//     (2026-08-03: "Responses `input_tokens` already includes cache-read and cache-write
//     tokens", on real responses);
//   - a live gpt-5.6-sol call with a prompt_cache_key: cache_write_tokens 3207 on the first
//     call, cached_tokens 3207 on the second (coder/mux #3705, 2026-07-09); a cold call
//     input 3438 / cached 0 / written 3435, then warm 3438 / 3423 / 12
//     (charmbracelet/fantasy PR #331, 2026-08-09): what is not read is written.
//
// So, with the switch on: the first request of a prompt_cache_key writes its whole input, a
// later one reads the prefix it shares with the previous one (the fake's cache, as without
// the switch) and writes the rest; a prompt under the 1,024-token minimum cacheable prefix
// (GPT-5.6, same guide) writes nothing. A scenario's explicit `cache_write_tokens` argument
// wins, and is reported even with the switch off.

// The minimum cacheable prefix on GPT-5.6 and later (the prompt-caching guide).
export const MIN_CACHEABLE_TOKENS = 1024;

// The switch's value: true | false.
export function cacheWritesOf(value) {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw new Error('cache_writes: true or false');
  return value;
}

// What a response with `input` tokens, `cached` of them read from the cache, writes to it.
export function cacheWriteTokens({ input, cached }) {
  if (input < MIN_CACHEABLE_TOKENS) return 0;
  return Math.max(0, input - cached);
}

// The usage object with its cache writes: `written` tokens (cut to what the uncached input
// holds), in input_tokens_details beside cached_tokens.
export function withCacheWrites(usage, written) {
  const details = usage.input_tokens_details ?? {};
  const room = Math.max(0, usage.input_tokens - (details.cached_tokens ?? 0));
  return { ...usage,
           input_tokens_details: { ...details, cache_write_tokens: Math.min(written, room) } };
}

// Makes `stream` (a ResponseStream) report cache writes when the switch is on or the scenario
// gave a figure (`explicit`, a number); leaves it alone otherwise.
export function reportCacheWrites(stream, on, explicit) {
  if (!on && explicit === undefined) return;
  const usage = stream.usage.bind(stream);
  stream.usage = () => {
    const base = usage();
    const written = explicit ?? cacheWriteTokens({
      input: base.input_tokens, cached: base.input_tokens_details?.cached_tokens ?? 0 });
    return withCacheWrites(base, written);
  };
}
