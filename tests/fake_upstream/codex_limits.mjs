// Switches for what stands between a ChatGPT subscription and the Codex backend (issue 15
// parts 3 and 4): a spent plan, a plan without Codex, and Cloudflare's challenge in front of
// chatgpt.com. Each is off by default; service_switches.mjs holds them with the others and
// documents how they are set (POST /_config).
//
//   codex_usage_limit: true | N | {resets_in_s, plan_type, shape}    (off: false)
//       Every Codex request is answered 429 usage_limit_reached, resetting N seconds after
//       the request (true: 12000, i.e. 3 h 20 min), with x-codex-primary-used-percent 100.
//       shape: 2025 sends resets_in_seconds in place of resets_at.
//   usage_not_included: true | {plan_type}                            (off: false)
//       Every Codex request is answered 429 usage_not_included (plan_type "free" by default).
//   cloudflare_challenge: true | ROUTE | [ROUTE, …]                   (off: false)
//       Requests on the named routes (true: "codex"; the others: openai, azure_v1,
//       azure_dated, oauth_token) get Cloudflare's managed challenge: 403, cf-mitigated:
//       challenge, an HTML page. It comes before anything else is checked, as Cloudflare
//       answers in front of the service.
//
// A request one of these refuses is recorded with its status and `refused_by`: the switch.

import { BackendError, codexUsageLimit } from './backends.mjs';

const ROUTE_NAMES = ['openai', 'azure_v1', 'azure_dated', 'codex', 'oauth_token'];
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const off = (v) => v === false || v === null || v === undefined;

// --- usage limit ----------------------------------------------------------------------------
// Source: real-services-2026.md §4. The body is backends.mjs codexUsageLimit (cited there):
// the 2026 Codex CLI reads {type: "usage_limit_reached", plan_type, resets_at} from a 429
// (codex-rs/codex-api/src/api_bridge.rs @02fbf027, core/src/api_bridge.rs @edb4efee, 2026).
export const DEFAULT_RESET_SECONDS = 12000;

function usageLimitOf(value) {
  if (off(value)) return null;
  if (value === true) return { resetsInSeconds: DEFAULT_RESET_SECONDS, planType: 'plus', shape: 2026 };
  if (typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value))) {
    return { resetsInSeconds: Number(value), planType: 'plus', shape: 2026 };
  }
  if (!isObject(value)) throw new Error('codex_usage_limit: true, seconds or {resets_in_s, plan_type, shape}');
  const seconds = Number(value.resets_in_s ?? DEFAULT_RESET_SECONDS);
  if (!Number.isFinite(seconds)) throw new Error('codex_usage_limit.resets_in_s: not a number');
  const shape = Number(value.shape ?? 2026);
  if (shape !== 2025 && shape !== 2026) throw new Error('codex_usage_limit.shape: 2025 or 2026');
  return { resetsInSeconds: seconds, planType: value.plan_type ?? 'plus', shape };
}

// --- usage not included ---------------------------------------------------------------------
// Source: real-services-2026.md §4; openai/codex codex-rs/codex-api/src/api_bridge.rs
// @02fbf027 (2026, read 2026-12-07): on HTTP 429 the CLI parses the same UsageErrorBody
// {type, plan_type, resets_at} and maps error.type "usage_not_included" to
// CodexErr::UsageNotIncluded, which it does not retry and shows as "To use Codex with your
// ChatGPT plan, upgrade to Plus: https://chatgpt.com/explore/plus." Other clients' tests
// carry the same body, e.g. {"error":{"type":"usage_not_included"}} with status 429. No
// source quotes a message for it, so the fake sends none; plan_type is the field the CLI
// reads.
function notIncludedOf(value) {
  if (off(value)) return null;
  if (value === true) return { planType: 'free' };
  if (!isObject(value)) throw new Error('usage_not_included: true or {plan_type}');
  return { planType: value.plan_type ?? 'free' };
}

export function usageNotIncluded({ planType = 'free' } = {}) {
  return { status: 429, headers: {}, body: { error: { type: 'usage_not_included', plan_type: planType } } };
}

// --- Cloudflare challenge -------------------------------------------------------------------
// Source: real-services-2026.md §6: Cloudflare managed challenges on chatgpt.com, answered
// as 403 with `cf-mitigated: challenge`: router-for-me/CLIProxyAPI #3626 (2026-05-30) and PR
// #2900, openclaw #67673, better-ccflare #291, openai/codex PR #8517 and issue #16052 (the
// latter on auth.openai.com). The header is how Cloudflare documents detecting a challenge
// ("the Challenge Page response … will have the cf-mitigated header present and set to
// challenge", developers.cloudflare.com/cloudflare-challenges/challenge-types/challenge-pages/
// detect-response, read 2026-12-07). The page is the shape of Cloudflare's "Just a moment..." interstitial,
// shortened: its title, the noscript notice, and the challenge-platform script.
export const CLOUDFLARE_CHALLENGE_PAGE = '<!DOCTYPE html><html lang="en-US"><head>' +
  '<title>Just a moment...</title><meta http-equiv="Content-Type" content="text/html; ' +
  'charset=UTF-8"><meta name="robots" content="noindex,nofollow"><meta name="viewport" ' +
  'content="width=device-width,initial-scale=1"></head><body><div class="main-wrapper" ' +
  'role="main"><div class="main-content"><noscript><div class="h2"><span id="challenge-' +
  'error-text">Enable JavaScript and cookies to continue</span></div></noscript></div></div>' +
  '<script>(function(){window._cf_chl_opt={cvId: \'3\',cZone: "chatgpt.com",cType: ' +
  '\'managed\'};var cpo=document.createElement(\'script\');cpo.src=\'/cdn-cgi/challenge-' +
  'platform/h/g/orchestrate/chl_page/v1?ray=8f1c2d3e4a5b6c7d\';document.getElementsByTagName' +
  '(\'head\')[0].appendChild(cpo);}());</script></body></html>';

function routesOf(value) {
  if (off(value)) return new Set();
  if (value === true) return new Set(['codex']);
  const list = Array.isArray(value) ? value : String(value).split(',');
  const routes = new Set(list.map((r) => String(r).trim()).filter(Boolean));
  for (const r of routes) {
    if (!ROUTE_NAMES.includes(r)) throw new Error(`cloudflare_challenge: unknown route '${r}'`);
  }
  return routes;
}

export function cloudflareChallenge() {
  return {
    status: 403,
    headers: { 'content-type': 'text/html; charset=UTF-8', 'cf-mitigated': 'challenge',
               server: 'cloudflare', 'cf-ray': '8f1c2d3e4a5b6c7d-FRA',
               'cache-control': 'private, max-age=0, no-store, no-cache, must-revalidate' },
    body: CLOUDFLARE_CHALLENGE_PAGE,
  };
}

// --- the switches ---------------------------------------------------------------------------

export function defaultLimitSwitches() {
  return { codexUsageLimit: null, usageNotIncluded: null, cloudflareChallenge: new Set() };
}

// Applies the keys of `knobs` it knows (snake or camel case) to `next`.
export function configureLimitSwitches(next, knobs) {
  const pick = (snake, camel) => (snake in knobs ? knobs[snake] : knobs[camel]);
  const limit = pick('codex_usage_limit', 'codexUsageLimit');
  const notIncluded = pick('usage_not_included', 'usageNotIncluded');
  const cloudflare = pick('cloudflare_challenge', 'cloudflareChallenge');
  if (limit !== undefined) next.codexUsageLimit = usageLimitOf(limit);
  if (notIncluded !== undefined) next.usageNotIncluded = notIncludedOf(notIncluded);
  if (cloudflare !== undefined) next.cloudflareChallenge = routesOf(cloudflare);
}

export function describeLimitSwitches(switches) {
  const limit = switches.codexUsageLimit;
  return {
    codex_usage_limit: limit ? { resets_in_s: limit.resetsInSeconds, plan_type: limit.planType,
                                 shape: limit.shape } : false,
    usage_not_included: switches.usageNotIncluded ? { plan_type: switches.usageNotIncluded.planType }
                                                   : false,
    cloudflare_challenge: switches.cloudflareChallenge?.size ? [...switches.cloudflareChallenge] : false,
  };
}

function refusal(name, { status, headers, body }) {
  const err = new BackendError(status, body, headers);
  err.refusedBy = name;
  return err;
}

// Cloudflare, in front of everything on the route (the token endpoint included): a
// BackendError to answer with, or null.
export function edgeRefusal(route, switches) {
  if (!switches.cloudflareChallenge?.has(route.route)) return null;
  return refusal('cloudflare_challenge', cloudflareChallenge());
}

// The account's plan, judged by the Codex backend once it has let the request in: throws a
// BackendError.
export function checkCodexPlan(route, switches) {
  if (route.provider !== 'codex') return;
  if (switches.usageNotIncluded) {
    throw refusal('usage_not_included', usageNotIncluded(switches.usageNotIncluded));
  }
  const limit = switches.codexUsageLimit;
  if (limit) {
    throw refusal('codex_usage_limit', codexUsageLimit({ seconds: limit.resetsInSeconds,
                                                         planType: limit.planType,
                                                         shape: limit.shape }));
  }
}
