// The fake's ChatGPT sign-in authority: the access, id and refresh tokens the Codex backend
// accepts, and POST /oauth/token, which rotates them.
//
// Tokens look like the real ones: JWTs (header.payload.signature, base64url) whose payload
// carries `exp` and the claim "https://api.openai.com/auth".chatgpt_account_id, so a client
// can read the expiry and the account id out of them. The signature is random bytes: only
// this fake can tell its tokens apart from forgeries, by remembering what it issued.
//
// Rules, as the real service applies them:
// - An access token is accepted until its `exp` (or until a test expires it early).
// - A refresh token works once: refreshing answers a new token set with a new refresh token
//   and kills the old one; presenting it again is 401 with code refresh_token_reused (below).
//   One the fake never issued is 400 {"error":"invalid_grant"}.
// - The client id must be the Codex CLI's.
// - With the switch codex_refresh_needs_scope (service_switches.mjs), a refresh without
//   `scope` is refused with 401 (below).
// Knobs for tests: rejectRefresh (every refresh fails: the login was revoked, 401
// refresh_token_invalidated), refreshDelayMs (a slow token endpoint, to make concurrent
// refreshes overlap), tokenTtlSeconds.

import { randomBytes, randomUUID } from 'node:crypto';

export const CODEX_CLIENT_ID = 'app_EMoamEEZ73f0CkXaXp7hrann';
const AUTH_CLAIM = 'https://api.openai.com/auth';
const PROFILE_CLAIM = 'https://api.openai.com/profile';
const ISSUER = 'https://auth.openai.com';

const b64url = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

export function makeJwt(payload) {
  return `${b64url({ alg: 'RS256', kid: 'fake-upstream', typ: 'JWT' })}.${b64url(payload)}.` +
         randomBytes(64).toString('base64url');
}

// The payload of a JWT, or null when it is not one.
export function jwtPayload(token) {
  const parts = String(token).split('.');
  if (parts.length !== 3) return null;
  try {
    return JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    return null;
  }
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

// The token endpoint's refusals, in OpenAI's error shape ({"error":{message, type, param,
// code}}), which is where the Codex CLI reads the code from (extract_refresh_token_error_code:
// error.code, else error as a string, else code; codex-rs/login/src/auth/manager.rs, 2026).
// Only three codes mean a dead refresh token to it: refresh_token_expired, _reused and
// _invalidated (real-services-2026.md §2 and §12).
const oauthError = (status, message, code) =>
  ({ status, body: { error: { message, type: 'invalid_request_error', param: null, code } } });
// A refresh token used twice: the words as the Codex CLI printed them from a 401,
// openai/codex #6028 (2025-10-31): "Failed to refresh token: 401 Unauthorized: Your refresh
// token has already been used to generate a new access token. Please try signing in again.";
// the code is the one the CLI names for it.
export const REFRESH_TOKEN_REUSED_MESSAGE = 'Your refresh token has already been used to ' +
  'generate a new access token. Please try signing in again.';
// A revoked login (rejectRefresh): no report quotes these words; they follow the one above.
export const REFRESH_TOKEN_INVALIDATED_MESSAGE = 'Your refresh token has been invalidated. ' +
  'Please try signing in again.';
// A refresh without `scope`, under codex_refresh_needs_scope: real-services-2026.md §2,
// earendil-works/pi #7001 (2026-07-23): OpenAI's token endpoint "rejects
// grant_type=refresh_token without scope: "openid profile email" ("Could not validate your
// token")" with a 401. The report is weak (agent-drafted, labelled no-action) and quotes only
// these words: the fake puts them in OpenAI's error shape with no code (none is quoted; not
// one of the three dead-token codes).
export const SCOPE_MISSING_MESSAGE = 'Could not validate your token.';

export class CodexTokens {
  constructor({ tokenTtlSeconds = 3600 } = {}) {
    this.defaults = { tokenTtlSeconds };
    this.reset();
  }

  // Forgets every token (signs everyone out) and restores the knobs.
  reset() {
    this.access = new Map();    // access token → {account_id, exp, expired}
    this.refreshTokens = new Map();   // refresh token → {account_id, used}
    this.resetKnobs();
  }

  // Restores the knobs and the refresh count; tokens stay valid (what POST /_reset does, so
  // that a proxy holding a token keeps working from one test to the next).
  resetKnobs() {
    this.refreshCalls = 0;
    this.knobs = { rejectRefresh: false, refreshDelayMs: 0,
                   tokenTtlSeconds: this.defaults.tokenTtlSeconds };
  }

  // Changes the knobs ({reject_refresh, refresh_delay_ms, token_ttl_s}, snake or camel case).
  configure(knobs = {}) {
    const pick = (snake, camel) => knobs[snake] ?? knobs[camel];
    const reject = pick('reject_refresh', 'rejectRefresh');
    const delay = pick('refresh_delay_ms', 'refreshDelayMs');
    const ttl = pick('token_ttl_s', 'tokenTtlSeconds');
    if (reject !== undefined) this.knobs.rejectRefresh = Boolean(reject);
    if (delay !== undefined) this.knobs.refreshDelayMs = Number(delay);
    if (ttl !== undefined) this.knobs.tokenTtlSeconds = Number(ttl);
    return this.status();
  }

  status() {
    return { refresh_calls: this.refreshCalls, issued_access_tokens: this.access.size,
             reject_refresh: this.knobs.rejectRefresh,
             refresh_delay_ms: this.knobs.refreshDelayMs,
             token_ttl_s: this.knobs.tokenTtlSeconds };
  }

  // A new token set, as `codex login` would store it in auth.json's "tokens". ttlSeconds may
  // be negative (an access token that has already expired).
  issue({ accountId = `acct-${randomUUID()}`, ttlSeconds = this.knobs.tokenTtlSeconds } = {}) {
    const iat = nowSeconds();
    const exp = iat + Number(ttlSeconds);
    const userId = `user-${randomBytes(8).toString('hex')}`;
    const auth = { chatgpt_account_id: accountId, chatgpt_plan_type: 'plus',
                   chatgpt_user_id: userId, user_id: userId };
    const accessToken = makeJwt({
      aud: ['https://api.openai.com/v1'], client_id: CODEX_CLIENT_ID, exp, iat, iss: ISSUER,
      jti: randomUUID(), scp: ['openid', 'profile', 'email', 'offline_access'],
      sub: `auth0|${userId}`, [AUTH_CLAIM]: auth,
      [PROFILE_CLAIM]: { email: 'tester@example.com', email_verified: true },
    });
    const idToken = makeJwt({
      aud: [CODEX_CLIENT_ID], email: 'tester@example.com', email_verified: true,
      exp: iat + 3600, iat, iss: ISSUER, sub: `auth0|${userId}`, [AUTH_CLAIM]: auth,
    });
    const refreshToken = `rt_${randomBytes(32).toString('base64url')}`;
    this.access.set(accessToken, { account_id: accountId, exp, expired: false });
    this.refreshTokens.set(refreshToken, { account_id: accountId, used: false });
    return { id_token: idToken, access_token: accessToken, refresh_token: refreshToken,
             account_id: accountId };
  }

  // Ends access tokens now: the one given, else every one issued so far. Returns how many.
  expire(accessToken) {
    let n = 0;
    for (const [token, info] of this.access) {
      if (accessToken && token !== accessToken) continue;
      info.expired = true;
      n += 1;
    }
    return n;
  }

  // Checks a Codex request's credentials. Returns null when they are good, else
  // {status, detail} (the backend's error).
  check(accessToken, accountHeader) {
    if (!accessToken) return { status: 401, detail: 'Unauthorized' };
    const info = this.access.get(accessToken);
    if (!info) {
      return { status: 401, detail: 'Could not parse your authentication token. Please try ' +
                                    'signing in again.' };
    }
    if (info.expired || info.exp <= nowSeconds()) {
      return { status: 401, detail: 'Your authentication token has expired. Please try ' +
                                    'signing in again.' };
    }
    if (!accountHeader) {
      return { status: 400, detail: 'Missing chatgpt-account-id header.' };
    }
    if (accountHeader !== info.account_id) {
      return { status: 403, detail: 'The chatgpt-account-id header does not match the access ' +
                                    'token.' };
    }
    return null;
  }

  // POST /oauth/token with a parsed body. Resolves with {status, body}, and `refusedBy`
  // (the switch's name) when a switch refused it. `needsScope`: the switch
  // codex_refresh_needs_scope is on.
  async refresh(body, { needsScope = false } = {}) {
    this.refreshCalls += 1;
    if (this.knobs.refreshDelayMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, this.knobs.refreshDelayMs));
    }
    const fail = (status, error, description) =>
      ({ status, body: { error, error_description: description } });
    if (body?.client_id !== CODEX_CLIENT_ID) {
      return fail(401, 'invalid_client', `Unknown client_id: ${body?.client_id}`);
    }
    if (body.grant_type !== 'refresh_token') {
      return fail(400, 'unsupported_grant_type', `Unsupported grant_type: ${body.grant_type}`);
    }
    if (typeof body.refresh_token !== 'string' || body.refresh_token === '') {
      return fail(400, 'invalid_request', 'Missing refresh_token.');
    }
    if (needsScope && (typeof body.scope !== 'string' || body.scope.trim() === '')) {
      return { ...oauthError(401, SCOPE_MISSING_MESSAGE, null),
               refusedBy: 'codex_refresh_needs_scope' };
    }
    const known = this.refreshTokens.get(body.refresh_token);
    if (!known) return fail(400, 'invalid_grant', 'Invalid refresh token.');
    if (this.knobs.rejectRefresh) {
      return oauthError(401, REFRESH_TOKEN_INVALIDATED_MESSAGE, 'refresh_token_invalidated');
    }
    if (known.used) return oauthError(401, REFRESH_TOKEN_REUSED_MESSAGE, 'refresh_token_reused');
    known.used = true;
    const fresh = this.issue({ accountId: known.account_id });
    return { status: 200, body: { id_token: fresh.id_token, access_token: fresh.access_token,
                                  refresh_token: fresh.refresh_token, token_type: 'Bearer',
                                  expires_in: this.knobs.tokenTtlSeconds,
                                  scope: 'openid profile email offline_access' } };
  }
}
