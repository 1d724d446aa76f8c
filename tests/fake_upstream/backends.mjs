// The three backends the fake serves at once, and where they differ: URL, authentication,
// the rules a body must follow on top of the Responses API's, and the shape of errors.
//
//   POST /v1/responses                   OpenAI: Authorization: Bearer <key>
//   POST /openai/v1/responses            Azure OpenAI, v1 API: header api-key (or Bearer with
//                                        an Entra token); api-version=preview|latest or none
//   POST /openai/responses?api-version=D Azure OpenAI, dated API: api-version required
//   POST /backend-api/codex/responses    the Codex backend (ChatGPT subscription): a Bearer
//                                        token the sign-in authority issued (codex_tokens.mjs),
//                                        chatgpt-account-id, store:false, stream:true,
//                                        instructions; errors are {"detail": "…"}
//   POST /oauth/token                    the sign-in authority's refresh (codex_tokens.mjs)
//
// On Azure the body's `model` is a deployment name. The fake accepts any deployment unless
// given a list (then others are 404 DeploymentNotFound), and judges the body as if for the
// model the deployment maps to (default: a GPT-5 model).
//
// Unknown api-version values are accepted (the record shows what was sent): Azure adds new
// ones often, and a test asserts on the recorded value rather than on a refusal.

import { randomUUID } from 'node:crypto';

import { RequestError } from './request_rules.mjs';

export const ROUTES = {
  '/v1/responses': { provider: 'openai', route: 'openai' },
  '/openai/v1/responses': { provider: 'azure', route: 'azure_v1' },
  '/openai/responses': { provider: 'azure', route: 'azure_dated' },
  '/backend-api/codex/responses': { provider: 'codex', route: 'codex' },
  '/oauth/token': { provider: 'auth', route: 'oauth_token' },
};

const MISSING_KEY_MESSAGE = "You didn't provide an API key. You need to provide your API key " +
  'in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as ' +
  'the password field (with blank username) if you\'re accessing the API from your browser and ' +
  'are prompted for a username and password. You can obtain an API key from ' +
  'https://platform.openai.com/account/api-keys.';
const AZURE_DENIED_MESSAGE = 'Access denied due to invalid subscription key or wrong API ' +
  'endpoint. Make sure to provide a valid key for an active subscription and use a correct ' +
  'regional API endpoint for your resource.';

// An error answer: status, body, extra headers.
export class BackendError extends Error {
  constructor(status, body, headers = {}) {
    super(JSON.stringify(body));
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}

const azureError = (status, code, message) =>
  new BackendError(status, { error: { code, message } });
const codexError = (status, detail) => new BackendError(status, { detail });

export function bearerToken(req) {
  return /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? null;
}

// Checks the URL's query and the credentials of a request to `route` (an entry of ROUTES).
// Throws a BackendError (or RequestError) for the real service's refusal. `config` has
// apiKey, azureApiKey, azureAdToken; `tokens` is the CodexTokens authority.
export function authenticate(route, req, url, config, tokens) {
  switch (route.provider) {
    case 'openai': {
      const token = bearerToken(req);
      if (!token) throw new RequestError(401, MISSING_KEY_MESSAGE, null, null);
      if (config.apiKey !== null && token !== config.apiKey) {
        const masked = `${token.slice(0, 3)}*****${token.slice(-4)}`;
        throw new RequestError(401, `Incorrect API key provided: ${masked}. You can find your ` +
                               'API key at https://platform.openai.com/account/api-keys.', null,
                               'invalid_api_key');
      }
      return;
    }
    case 'azure': {
      const key = req.headers['api-key'];
      const token = bearerToken(req);
      const keyOk = key !== undefined && key !== '' &&
                    (config.azureApiKey === null || key === config.azureApiKey);
      const tokenOk = token !== null &&
                      (config.azureAdToken === null || token === config.azureAdToken);
      if (!keyOk && !tokenOk) throw azureError(401, '401', AZURE_DENIED_MESSAGE);
      if (route.route === 'azure_dated' && !url.searchParams.get('api-version')) {
        throw azureError(400, 'MissingApiVersionParameter', 'The api-version query parameter ' +
                         '(?api-version=) is required for all requests.');
      }
      return;
    }
    case 'codex': {
      const refused = tokens.check(bearerToken(req), req.headers['chatgpt-account-id']);
      if (refused) throw codexError(refused.status, refused.detail);
      return;
    }
    default:
      return;
  }
}

// What the Codex backend insists on beyond the Responses API (checked before it).
const CODEX_UNSUPPORTED = ['max_output_tokens', 'temperature', 'prompt_cache_retention'];

export function checkBackendRules(route, body, config) {
  if (route.provider === 'codex') {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw codexError(400, 'Invalid request body.');
    }
    for (const key of CODEX_UNSUPPORTED) {
      if (key in body) throw codexError(400, `Unsupported parameter: ${key}`);
    }
    if (body.store !== false) throw codexError(400, 'Store must be set to false');
    if (body.stream !== true) throw codexError(400, 'Stream must be set to true');
    if (typeof body.instructions !== 'string' || body.instructions.trim() === '') {
      throw codexError(400, 'Instructions are required');
    }
  }
  if (route.provider === 'azure' && config.azureDeployments !== null &&
      !config.azureDeployments.has(String(body?.model))) {
    throw azureError(404, 'DeploymentNotFound', 'The API deployment for this resource does not ' +
                     'exist. If you created the deployment within the last 5 minutes, please ' +
                     'wait a moment and try again.');
  }
}

// The body the Responses rules judge: on Azure, `model` names a deployment, so the rules
// see the model behind it.
export function bodyForRules(route, body, config) {
  if (route.provider !== 'azure' || body === null || typeof body !== 'object') return body;
  return { ...body, model: config.azureModel };
}

// The Codex backend's answer to a spent plan: HTTP 429, {"error": {"type":
// "usage_limit_reached", "message", "plan_type", "resets_at": <unix seconds>}}, and the
// primary window's headers at 100% (with the 2026 header name, -reset-at). Source:
// real-services-2026.md §4; openai/codex codex-rs/core/src/api_bridge.rs @edb4efee and
// codex-rs/codex-api/src/api_bridge.rs @02fbf027 (both 2026, read 2026-12-07) parse exactly
// {type, plan_type, resets_at} from a 429. The message is the 2025 fake's wording (the CLI
// ignores it). `shape: 2025` gives the older body, resets_in_seconds in place of resets_at
// (client.rs @edd459a9, autumn 2025).
export function codexUsageLimit({ seconds = 12000, planType = 'plus', shape = 2026 } = {}) {
  const resetsAt = Math.floor(Date.now() / 1000) + seconds;
  const reset = Number(shape) === 2025 ? { resets_in_seconds: seconds } : { resets_at: resetsAt };
  return {
    status: 429,
    headers: { 'x-codex-primary-used-percent': '100', 'x-codex-primary-reset-at': String(resetsAt) },
    body: { error: { type: 'usage_limit_reached', message: 'The usage limit has been reached',
                     plan_type: planType, ...reset } },
  };
}

// An OpenAI-shaped error body ({error: {message, type, param, code}}) as `provider` sends
// it: Codex says {"detail": message}, except a 429, which is its usage-limit error (resetting
// after the retry-after asked for, 60 s by default); Azure words a 429 its own way. Returns
// {body, headers}.
export function errorFor(provider, status, openAiBody, headers = {}) {
  const error = openAiBody?.error ?? {};
  const message = error.message ?? openAiBody?.detail ?? `HTTP ${status}`;
  if (provider === 'codex') {
    if (status === 429) {
      const limit = codexUsageLimit({ seconds: Number(headers['retry-after'] ?? 60) || 60 });
      return { headers: { ...headers, ...limit.headers }, body: limit.body };
    }
    return { headers, body: { detail: message } };
  }
  if (provider === 'azure' && status === 429) {
    const seconds = headers['retry-after'] ?? '60';
    return { headers, body: { error: { code: '429', message: 'Requests to the Responses_Create ' +
      'Operation under Azure OpenAI API version preview have exceeded token rate limit of your ' +
      `current AIServices S0 pricing tier. Please retry after ${seconds} seconds. Try again in ` +
      `${seconds} seconds.` } } };
  }
  return { headers, body: openAiBody };
}

// Response headers each service adds (the request id header is set by the server).
export function serviceHeaders(provider) {
  switch (provider) {
    case 'azure':
      return { 'apim-request-id': randomUUID(), 'x-ms-region': 'Sweden Central' };
    case 'codex': {
      // The plan's usage windows, with the 2026 names: a reset time in Unix epoch seconds
      // (`-reset-at`), where the 2025 backend sent `-reset-after-seconds`. Source:
      // real-services-2026.md §12 "Rate-limit headers"; openai/codex
      // codex-rs/codex-api/src/rate_limits.rs @5d24c10b (2026) reads
      // x-codex-{primary,secondary}-{used-percent,window-minutes,reset-at}. Here 3% of the 5-hour
      // window (resetting in 4 h) and 1% of the week (in 5 days) are used.
      const now = Math.floor(Date.now() / 1000);
      return { 'x-codex-primary-used-percent': '3', 'x-codex-primary-window-minutes': '300',
               'x-codex-primary-reset-at': String(now + 4 * 3600),
               'x-codex-secondary-used-percent': '1',
               'x-codex-secondary-window-minutes': '10080',
               'x-codex-secondary-reset-at': String(now + 5 * 86400) };
    }
    case 'openai':
      return { 'openai-version': '2020-10-01', 'openai-processing-ms': '42' };
    default:
      return {};
  }
}
