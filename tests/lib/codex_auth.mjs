// The Codex CLI's credential file, as tests write and read it: $CODEX_HOME/auth.json,
// {"OPENAI_API_KEY": null, "tokens": {id_token, access_token, refresh_token, account_id},
// "last_refresh": ISO time}, mode 0600. Token sets come from the fake upstream's sign-in
// authority (FakeUpstream.codexLogin()).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// A new temp directory to serve as CODEX_HOME. Returns {dir, authFile, remove()}.
export function makeCodexHome() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'claudegpt-codex-'));
  return { dir, authFile: path.join(dir, 'auth.json'),
           remove() { fs.rmSync(dir, { recursive: true, force: true }); } };
}

// Writes auth.json for `tokens`; `extra` adds or overrides top-level fields. Returns what it
// wrote (parsed).
export function writeCodexAuth(file, tokens, extra = {}) {
  const content = { OPENAI_API_KEY: null, tokens,
                    last_refresh: new Date(Date.now() - 3_600_000).toISOString(), ...extra };
  fs.writeFileSync(file, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  return content;
}

export function readCodexAuth(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

// The permission bits of a file (e.g. 0o600).
export function fileMode(file) {
  return fs.statSync(file).mode & 0o777;
}

// The payload of a JWT (no signature check), or null: the fake authority's own reader.
export { jwtPayload as jwtClaims } from '../fake_upstream/codex_tokens.mjs';
