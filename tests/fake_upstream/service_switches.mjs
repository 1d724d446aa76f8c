// Real-service behaviours the default fake does not show, each behind a switch that is off
// by default (issue 15). Each switch reproduces one refusal the real services are known to
// give today, from the source cited beside it; everything else is served as usual. The
// evidence is collected in shared/docs/real-services-2026.md (section numbers below).
//
// Switches (POST /_config {…}, GET /_config shows them; startFakeServer options; CLI flags;
// POST /_reset restores the values the fake was started with):
//
//   unverified_org: true | "openai" | ["openai", "azure"]     (option unverifiedOrg,
//       CLI --unverified-org [openai,azure])
//       The API key belongs to an organisation OpenAI has not verified: any request on the
//       named routes (true: the OpenAI route) whose body sets `reasoning.summary` is refused
//       with 400 unsupported_value. Requests without a summary are served.
//   model_capabilities: true | {MODEL: {efforts, summary, reasoning}, …}
//       (option modelCapabilities, CLI --model-capabilities)
//       Each model in MODEL_CAPABILITIES (plus the entries given, which win) accepts only
//       what its entry says; models not in the table are judged by the ordinary rules only.
//   codex_refresh_needs_scope: true | false
//       POST /oauth/token refuses a refresh whose body has no `scope` with 401 "Could not
//       validate your token." (codex_tokens.mjs cites the source: §2, earendil-works/pi
//       #7001, 2026-07-23); the record's status is 401.
//   codex_usage_limit, usage_not_included, cloudflare_challenge     (codex_limits.mjs)
//       A spent ChatGPT plan (429 usage_limit_reached with resets_at), a plan without Codex
//       (429 usage_not_included), Cloudflare's challenge in front of a route (403 HTML,
//       cf-mitigated: challenge); codex_limits.mjs documents their values and cites sources.
//   cache_writes: true | false   (option cacheWrites; cache_writes.mjs)
//       Responses report usage.input_tokens_details.cache_write_tokens, as GPT-5.6 does: the
//       first request of a prompt_cache_key writes its input, later ones read and write the
//       rest. Refuses nothing.
//   reasoning_key: "<name>" | true (a fresh name) | false (the original)   (reasoning_keys.mjs)
//       The key reasoning is issued under: after a change, reasoning issued under the old
//       key is refused with 400 invalid_encrypted_content (a key rotation).
//   judge: {rules, default, delayMs, fail, client_severity} | true | false   (judge.mjs)
//       What claudegpt's safety judge and Claude Code's own classifier are answered (issue
//       16); by default every call is allowed. Refuses nothing.
//
// A request refused by a switch is recorded like any refusal (status 400, `error`), with
// `refused_by` naming the switch, so a test can count them:
// fake.requests({refused_by: 'unverified_org'}).

import { RequestError, quoteList } from './request_rules.mjs';
import { defaultLimitSwitches, configureLimitSwitches, describeLimitSwitches } from './codex_limits.mjs';
import { cacheWritesOf } from './cache_writes.mjs';
import { ORIGINAL_KEY, checkReasoningKey, reasoningKeyOf } from './reasoning_keys.mjs';
import { defaultJudge, judgeOf, describeJudge } from './judge.mjs';

const PROVIDERS = ['openai', 'azure', 'codex'];

// --- unverified organisation ----------------------------------------------------------------
// Source: real-services-2026.md §1. OpenAI answers HTTP 400 with this body, quoted whole in
// continuedev/continue #9602 (GPT-5, 2026-01-17) and #12031 (2026-04-03), also #9283 and
// #9854, and in OpenHands/software-agent-sdk #987; windmill-labs/windmill PR #10147
// (2026-07-16) names the same param and code and retries without the summary. The doc quotes
// the message only up to "…reasoning summaries…"; the rest of the wording ("Please go to: …
// propagate.") is completed from those threads, which quote it in full.
export const UNVERIFIED_ORG_MESSAGE = 'Your organization must be verified to generate ' +
  'reasoning summaries. Please go to: https://platform.openai.com/settings/organization/' +
  'general and click on Verify Organization. If you just verified, it can take up to 15 ' +
  'minutes for access to propagate.';
// The doc cites nothing for Azure beyond its reasoning how-to ("o4-mini … Request access:
// reasoning summary feature"), so on Azure (only when asked for) the fake gives OpenAI's
// body, which Azure's v1 route passes through for request errors.

// --- per-model capabilities -----------------------------------------------------------------
// Source: real-services-2026.md §8, and the threads cited per entry. Each entry:
//   efforts:   the reasoning.effort values the model takes (null: every value the API knows)
//   summary:   whether it takes reasoning.summary
//   reasoning: whether it is a reasoning model at all (false: `reasoning` and the
//              `reasoning.encrypted_content` include are refused)
// A dated snapshot (gpt-5-mini-2025-08-07) is judged as its model.
const GPT5_EFFORTS = ['minimal', 'low', 'medium', 'high'];
const NON_REASONING = { efforts: [], summary: false, reasoning: false };
export const MODEL_CAPABILITIES = {
  // No 'none' before gpt-5.1, no 'xhigh' before gpt-5.1-codex-max (issue 15; zed PR #45234,
  // 2025-12-18: xhigh "is a supported value for all models after gpt-5.1-codex-max"). The
  // supported list is the one OpenAI names for this family: microsoft/vscode #301045
  // (2026-03-12) for gpt-5-mini, rikkahub/rikkahub #856 (2026-02-23, Responses API) for
  // gpt-5-nano refusing 'none'.
  'gpt-5': { efforts: GPT5_EFFORTS, summary: true, reasoning: true },
  // kaitranntt/ccs #344 (2026-01-16): gpt-5-mini "does not support 'xhigh'"; that thread
  // quotes the Chat Completions wording (via Copilot); the Responses wording is vscode
  // #301045's.
  'gpt-5-mini': { efforts: GPT5_EFFORTS, summary: true, reasoning: true },
  'gpt-5-nano': { efforts: GPT5_EFFORTS, summary: true, reasoning: true },
  // anomalyco/opencode #4451 (2025-11-18): 'minimal' refused, "Supported values are: 'none',
  // 'low', 'medium', and 'high'."; CortexReach/memory-lancedb-pro #201 (2026-03-14): 'xhigh'
  // refused with the same list.
  'gpt-5.1': { efforts: ['none', 'low', 'medium', 'high'], summary: true, reasoning: true },
  // openai/codex #31846, #32537 (its reporter: high and xhigh still work), #34247 (July
  // 2026), anomalyco/opencode #18791 (the OpenAI API route too), can1357/oh-my-pi #3928/PR
  // #3929: "Unsupported parameter: 'reasoning.summary' is not supported with the
  // 'gpt-5.3-codex-spark' model.", param reasoning.summary, code unsupported_parameter
  // (the full error object is quoted in superset-sh/superset #1898, 2026-02-27).
  'gpt-5.3-codex-spark': { efforts: null, summary: false, reasoning: true },
  // Non-reasoning models. reasoning.effort: "Unsupported parameter: 'reasoning.effort' is not
  // supported with this model." (BoundaryML/baml PR #2708, 2025-11-08, gpt-4.1; the fake's
  // default rules refuse it too). The include: "Encrypted content is not supported with this
  // model.", param include, code null (ShishirPatil/gorilla #1148, 2025-08-14, gpt-4o, and
  // PR #1150, gpt-4.1-mini). NousResearch/hermes-agent PR #46550: the reasoning object is
  // refused for the GPT-4 generation.
  'gpt-4.1': NON_REASONING,
  'gpt-4.1-mini': NON_REASONING,
  'gpt-4.1-nano': NON_REASONING,
  'gpt-4o': NON_REASONING,
  'gpt-4o-mini': NON_REASONING,
};

const isSet = (v) => v !== undefined && v !== null;
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

function refusal(switchName, message, param, code) {
  const err = new RequestError(400, message, param, code);
  err.refusedBy = switchName;
  return err;
}

// The switches as the fake holds them: {unverifiedOrg: Set of providers,
// modelCapabilities: null (off) or {overrides}}.
export function defaultSwitches() {
  return { unverifiedOrg: new Set(), modelCapabilities: null, codexRefreshNeedsScope: false,
           ...defaultLimitSwitches(), cacheWrites: false, reasoningKey: ORIGINAL_KEY,
           judge: defaultJudge() };
}

function providersOf(value) {
  if (value === false || value === null || value === undefined) return new Set();
  if (value === true) return new Set(['openai']);
  const list = Array.isArray(value) ? value : String(value).split(',');
  const providers = new Set(list.map((p) => String(p).trim()).filter(Boolean));
  for (const p of providers) {
    if (!PROVIDERS.includes(p)) throw new Error(`unverified_org: unknown provider '${p}'`);
  }
  return providers;
}

function capabilityOverrides(value) {
  if (value === false || value === null || value === undefined) return null;
  if (value === true) return {};
  if (!isObject(value)) throw new Error('model_capabilities: true, false or {model: entry}');
  const overrides = {};
  for (const [model, entry] of Object.entries(value)) {
    if (!isObject(entry)) throw new Error(`model_capabilities.${model}: not an object`);
    const reasoning = entry.reasoning ?? true;
    overrides[model] = {
      efforts: entry.efforts === undefined ? (reasoning ? null : []) : entry.efforts,
      summary: entry.summary ?? reasoning,
      reasoning,
    };
  }
  return overrides;
}

// Applies {unverified_org, model_capabilities} (snake or camel case) to `switches`; a key
// left out keeps its value. Throws an Error for a value it cannot take.
export function configureSwitches(switches, knobs = {}) {
  const pick = (snake, camel) => (snake in knobs ? knobs[snake] : knobs[camel]);
  const org = pick('unverified_org', 'unverifiedOrg');
  const caps = pick('model_capabilities', 'modelCapabilities');
  const next = { ...switches };
  if (org !== undefined) next.unverifiedOrg = providersOf(org);
  if (caps !== undefined) next.modelCapabilities = capabilityOverrides(caps);
  const needsScope = pick('codex_refresh_needs_scope', 'codexRefreshNeedsScope');
  if (needsScope !== undefined) next.codexRefreshNeedsScope = Boolean(needsScope);
  configureLimitSwitches(next, knobs);  // codex_usage_limit, usage_not_included, cloudflare_challenge
  const cacheWrites = pick('cache_writes', 'cacheWrites');
  if (cacheWrites !== undefined) next.cacheWrites = cacheWritesOf(cacheWrites);
  const reasoningKey = pick('reasoning_key', 'reasoningKey');
  if (reasoningKey !== undefined) next.reasoningKey = reasoningKeyOf(reasoningKey);
  if (knobs.judge !== undefined) next.judge = judgeOf(knobs.judge);
  Object.assign(switches, next);
  return switches;
}

export function describeSwitches(switches) {
  return {
    unverified_org: switches.unverifiedOrg.size ? [...switches.unverifiedOrg] : false,
    model_capabilities: switches.modelCapabilities === null ? false
      : (Object.keys(switches.modelCapabilities).length ? switches.modelCapabilities : true),
    codex_refresh_needs_scope: switches.codexRefreshNeedsScope,
    ...describeLimitSwitches(switches),
    cache_writes: switches.cacheWrites,
    reasoning_key: switches.reasoningKey,
    ...describeJudge(switches.judge),   // {judge} when it is not the default judge
  };
}

// The table entry for `model`, or null (not in the table).
export function capabilitiesOf(model, overrides = {}) {
  const name = String(model);
  const undated = name.replace(/-\d{4}-\d{2}-\d{2}$/, '');
  return overrides[name] ?? overrides[undated] ?? MODEL_CAPABILITIES[name] ??
         MODEL_CAPABILITIES[undated] ?? null;
}

function checkModelCapabilities(body, overrides) {
  const caps = capabilitiesOf(body.model, overrides);
  if (!caps) return;
  const r = isObject(body.reasoning) ? body.reasoning : {};
  const includes = Array.isArray(body.include) ? body.include : [];
  const refuse = (message, param, code) =>
    refusal('model_capabilities', message, param, code);
  if (!caps.reasoning) {
    for (const key of ['effort', 'summary', 'generate_summary']) {
      // The effort wording is quoted (baml PR #2708); the same sentence for the summary keys
      // is inferred.
      if (isSet(r[key])) {
        throw refuse(`Unsupported parameter: 'reasoning.${key}' is not supported with this ` +
                     'model.', `reasoning.${key}`, 'unsupported_parameter');
      }
    }
    if (includes.includes('reasoning.encrypted_content')) {
      throw refuse('Encrypted content is not supported with this model.', 'include', null);
    }
    return;
  }
  if (isSet(r.effort) && caps.efforts !== null && !caps.efforts.includes(r.effort)) {
    throw refuse(`Unsupported value: '${r.effort}' is not supported with the '${body.model}' ` +
                 `model. Supported values are: ${quoteList(caps.efforts)}.`, 'reasoning.effort',
                 'unsupported_value');
  }
  if (!caps.summary) {
    for (const key of ['summary', 'generate_summary']) {
      if (isSet(r[key])) {
        throw refuse(`Unsupported parameter: 'reasoning.${key}' is not supported with the ` +
                     `'${body.model}' model.`, `reasoning.${key}`, 'unsupported_parameter');
      }
    }
  }
}

// Judges a request the ordinary rules accepted. `provider`: the route's provider; `body`:
// what the rules judged (on Azure, `model` is the deployment's model). Throws a RequestError
// with `refusedBy` set.
export function checkSwitches(provider, body, switches) {
  if (!isObject(body)) return;
  checkReasoningKey(body, switches.reasoningKey);
  if (switches.modelCapabilities !== null) {
    checkModelCapabilities(body, switches.modelCapabilities);
  }
  if (switches.unverifiedOrg.has(provider) && isObject(body.reasoning) &&
      isSet(body.reasoning.summary)) {
    throw refusal('unverified_org', UNVERIFIED_ORG_MESSAGE, 'reasoning.summary',
                  'unsupported_value');
  }
}
