// The key under which the fake "encrypts" reasoning, and the switch that rotates it.
//
// Source: real-services-2026.md §3. The Codex backend and OpenAI have refused reasoning they
// issued earlier, after an account or key change, a model rollout or an organisation
// migration, with HTTP 400 and this body (openai/codex #8132, #8128, #8126, 2025-12-16; the
// #8120 cluster; Azure in #8100; `cmp_` items in #35334, 2026-07-25):
//   {"error":{"message":"The encrypted content gAAA...Rg== could not be verified.",
//             "type":"invalid_request_error","param":null,"code":"invalid_encrypted_content"}}
// The message abbreviates the content to its first and last four characters. Users report
// that every later request of the session failed the same way (#8159: "The session became
// unusable after this").
//
// The fake writes the key's name into each encrypted_content it issues (response_stream.mjs
// fakeEncryptedContent). Switch `reasoning_key` (POST /_config {reasoning_key: "rotated"}):
// from then on, reasoning issued under any other key is refused as above. Contents the fake
// cannot read (a recording's) count as issued under the original key.

import { BackendError } from './backends.mjs';

export const ORIGINAL_KEY = 'original';

// The fake's payload sits after "gAAAAAB" and 16 characters of random bytes.
const PAYLOAD_AT = 'gAAAAAB'.length + 16;

export function keyOf(encrypted) {
  try {
    const payload = JSON.parse(Buffer.from(String(encrypted).slice(PAYLOAD_AT), 'base64url'));
    return typeof payload?.k === 'string' ? payload.k : ORIGINAL_KEY;
  } catch {
    return ORIGINAL_KEY;
  }
}

const abbreviated = (text) => `${text.slice(0, 4)}...${text.slice(-4)}`;

// Throws the service's refusal for the first reasoning item in `body.input` issued under
// another key than `key`.
export function checkReasoningKey(body, key) {
  if (!Array.isArray(body?.input)) return;
  for (const item of body.input) {
    const encrypted = item?.type === 'reasoning' ? item.encrypted_content : undefined;
    if (typeof encrypted !== 'string' || keyOf(encrypted) === key) continue;
    // OpenAI's shape on every route: the Codex CLI's users (#8132) and Azure's (#8100) quote
    // this body, not Codex's usual {"detail": …}.
    const err = new BackendError(400, { error: {
      message: `The encrypted content ${abbreviated(encrypted)} could not be verified.`,
      type: 'invalid_request_error', param: null, code: 'invalid_encrypted_content' } });
    err.refusedBy = 'reasoning_key';
    throw err;
  }
}

// The switch's value as POST /_config takes it: a key name (true: a fresh one).
export function reasoningKeyOf(value) {
  if (value === false || value === null) return ORIGINAL_KEY;
  if (value === true) return `rotated-${Date.now().toString(36)}`;
  if (typeof value !== 'string' || value === '') throw new Error('reasoning_key: a key name');
  return value;
}
