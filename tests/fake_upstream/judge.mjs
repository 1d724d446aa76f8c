// The fake's judge (issue 16 §1): what the upstream answers to claudegpt's own safety judge
// and to Claude Code's own fallback classifier, both of which reach the fake as ordinary
// Responses requests.
//
// - claudegpt's judge: a request whose `instructions` begin with the line
//   "You are claudegpt's safety judge." (src/core/safety_judge.h, kJudgeFirstLine). Its one
//   user message holds, among other things, the call being judged as
//   <call>{"name":"Bash","input":{"command":"rm -rf ~"}}</call>. The answer is text:
//   <decision>allow</decision>, or
//   <decision>block</decision><explanation>[Rule Name] one sentence</explanation>
//   with <rule>auto_mode.soft_deny.N</rule> when a user's rule decided it.
//   That prompt and answer format are claudegpt's own (there is no external contract to
//   follow); the answers scripted here model what a small GPT model answers to it: the tags
//   and nothing else, one decision per call.
// - Claude Code's fallback classifier: a request with no function tools whose instructions
//   (Claude Code's system prompt) say "You are a security monitor for autonomous AI coding
//   agents". It expects exactly <severity>N</severity> (stage 1, max_tokens 64; stage 2,
//   8192, takes the same answer) and stop_reason end_turn
//   (shared/docs/claude-code-auto-mode.md §3.3; shared/fixtures/claude-code-requests/
//   cc2.1.332-auto-mode-classifier-stage{1,2}.json). The client blocks above its threshold
//   (25 on stage 1), so the default 5 lets the action run.
//
// The switch `judge` (POST /_config {judge: …}, startFakeServer option `judge`; POST /_reset
// restores the value the fake was started with; GET /_config shows it unless it is the default):
//   {rules: [{match, decision, explanation?, rule?}, …], default: "allow" | "block",
//    delayMs: 0, fail: false | "500" | "hang", client_severity: 5}
// - rules: the first whose `match` is found in the judged call's JSON decides: a string is a
//   substring, "/re/flags" or a RegExp (in-process) a regular expression. decision "block"
//   answers `explanation` (default "[Scripted Block] The fake's judge blocks this call.")
//   and `rule` (a cited_rule path) when given.
// - default: the decision when no rule matches (default "allow": everything runs).
// - delayMs: the judge's thinking time before it answers.
// - fail: "500" (or another status) answers the judge with that HTTP error, "hang" never
//   answers (until the proxy hangs up). Only claudegpt's judge fails; the client's
//   classifier is still answered.
// - client_severity: the N the client's classifier gets (0..100).
// Keys may also be camelCase (clientSeverity, delay_ms). `true` is the default judge, `false`
// or null restores it.
//
// claudegpt's judge never takes a queued /_script entry: it runs while the turn streams,
// beside the turn's own requests. Claude Code's classifier runs between them, so an entry
// queued for it answers it (a test that scripts its answer means it); with none queued, it
// gets <severity>client_severity</severity>.
//
// Each such request is recorded with `kind`: "judge" or "client_classifier" (so
// fake.requests({kind: 'judge'}) counts them), source "judge" in its scenario (unless a
// queued entry answered it), and `notes`:
// {call (the judged call, parsed; null if the request held none), decision, rule_index
// (the rule that decided, or null)} for the judge, {severity} for the classifier.

import { inputItems, messageText } from './scenarios.mjs';
import { splitText } from './response_stream.mjs';

export const JUDGE_FIRST_LINE = "You are claudegpt's safety judge.";
const CLIENT_CLASSIFIER = /You are a security monitor for autonomous AI coding agents/;
const DEFAULT_EXPLANATION = "[Scripted Block] The fake's judge blocks this call.";

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

export function defaultJudge() {
  return { rules: [], default: 'allow', delayMs: 0, fail: false, clientSeverity: 5 };
}

function matcherOf(match, where) {
  if (match instanceof RegExp) return match;
  if (typeof match !== 'string' || match === '') {
    throw new Error(`${where}.match: a non-empty string or a RegExp`);
  }
  const re = /^\/(.+)\/([a-z]*)$/s.exec(match);
  if (!re) return match;
  try {
    return new RegExp(re[1], re[2]);
  } catch (e) {
    throw new Error(`${where}.match: ${e.message}`);
  }
}

function decisionOf(value, where) {
  if (value !== 'allow' && value !== 'block') throw new Error(`${where}: "allow" or "block"`);
  return value;
}

// The switch's value from what a test gives (see the top of the file); throws on a value it
// cannot take.
export function judgeOf(value) {
  if (value === undefined || value === null || value === false || value === true) {
    return defaultJudge();
  }
  if (!isObject(value)) throw new Error('judge: an object, true or false');
  const pick = (...keys) => keys.map((k) => value[k]).find((v) => v !== undefined);
  const judge = defaultJudge();
  const rules = value.rules ?? [];
  if (!Array.isArray(rules)) throw new Error('judge.rules: a list');
  judge.rules = rules.map((rule, i) => {
    const where = `judge.rules[${i}]`;
    if (!isObject(rule)) throw new Error(`${where}: an object`);
    return { match: matcherOf(rule.match, where),
             decision: decisionOf(rule.decision ?? 'block', `${where}.decision`),
             explanation: rule.explanation ?? DEFAULT_EXPLANATION,
             rule: rule.rule ?? null };
  });
  const fallback = pick('default');
  if (fallback !== undefined) judge.default = decisionOf(fallback, 'judge.default');
  const delay = pick('delayMs', 'delay_ms');
  if (delay !== undefined) {
    if (!(Number(delay) >= 0)) throw new Error('judge.delayMs: a number of milliseconds');
    judge.delayMs = Number(delay);
  }
  const fail = pick('fail');
  if (fail !== undefined && fail !== false && fail !== null) {
    if (fail !== 'hang' && !/^[45]\d\d$/.test(String(fail))) {
      throw new Error('judge.fail: false, "hang" or an HTTP error status such as "500"');
    }
    judge.fail = String(fail);
  }
  const severity = pick('clientSeverity', 'client_severity');
  if (severity !== undefined) {
    const n = Number(severity);
    if (!Number.isInteger(n) || n < 0 || n > 100) {
      throw new Error('judge.client_severity: an integer from 0 to 100');
    }
    judge.clientSeverity = n;
  }
  return judge;
}

// For GET /_config: {judge: …} when the judge is not the default one, else {} (the switches
// listed there are the real-service ones, all off by default).
export function describeJudge(judge) {
  const shown = {
    rules: judge.rules.map((r) => ({
      match: r.match instanceof RegExp ? String(r.match) : r.match, decision: r.decision,
      explanation: r.explanation, ...(r.rule && { rule: r.rule }) })),
    default: judge.default, delayMs: judge.delayMs, fail: judge.fail,
    client_severity: judge.clientSeverity,
  };
  const fallback = defaultJudge();
  const isDefault = judge.rules.length === 0 && ['default', 'delayMs', 'fail', 'clientSeverity']
    .every((k) => judge[k] === fallback[k]);
  return isDefault ? {} : { judge: shown };
}

// "judge" (claudegpt's), "client_classifier" (Claude Code's own), or null (anything else).
export function judgeKindOf(body) {
  const instructions = typeof body?.instructions === 'string' ? body.instructions : '';
  if (instructions.startsWith(JUDGE_FIRST_LINE)) return 'judge';
  const functions = (body?.tools ?? []).filter((t) => t?.type === 'function');
  if (functions.length === 0 && CLIENT_CLASSIFIER.test(instructions)) return 'client_classifier';
  return null;
}

// The call a judge request asks about: the last <call>…</call> of its user text, as
// {text, call (parsed, or null when it is not JSON)}; null when there is none.
export function judgedCall(body) {
  const text = inputItems(body).filter((i) => i.role === 'user').map(messageText).join('\n');
  const blocks = [...text.matchAll(/<call>([\s\S]*?)<\/call>/g)];
  if (blocks.length === 0) return null;
  const callText = blocks.at(-1)[1].trim();
  let call = null;
  try { call = JSON.parse(callText); } catch { /* matched as text */ }
  return { text: callText, call };
}

// The judge's decision for a call's JSON text: {decision, explanation, rule, index}.
export function decide(judge, callText) {
  const index = judge.rules.findIndex((r) => (r.match instanceof RegExp
    ? r.match.test(callText) : callText.includes(r.match)));
  if (index < 0) {
    return { decision: judge.default, explanation: DEFAULT_EXPLANATION, rule: null, index: null };
  }
  return { ...judge.rules[index], index };
}

// What the judge answers, as a small GPT model would: the tags, nothing else.
export function judgeAnswerText({ decision, explanation, rule }) {
  if (decision === 'allow') return '<decision>allow</decision>';
  return `<decision>block</decision><explanation>${explanation}</explanation>` +
         (rule ? `<rule>${rule}</rule>` : '');
}

async function answerText(ctx, text) {
  const s = ctx.open();
  s.start();
  await s.message(splitText(text, 3));
  s.complete();
  ctx.finish();
}

// For the fake's request handler: how to answer `body` when it is a judge's or the client
// classifier's request ({name, args, source: "judge", kind, run(ctx)}, or the queued entry
// `takeScripted()` gives the classifier, with its `kind`), else null.
export function judgeChoice(body, judge = defaultJudge(), takeScripted = () => null) {
  const kind = judgeKindOf(body);
  if (kind === 'client_classifier') {
    const queued = takeScripted();
    if (queued) return { ...queued, source: 'script', kind };
    const severity = judge.clientSeverity;
    return { name: 'client_classifier', args: { severity: String(severity) }, source: 'judge', kind,
             async run(ctx) {
               ctx.note({ severity });
               await answerText(ctx, `<severity>${severity}</severity>`);
             } };
  }
  if (kind !== 'judge') return null;
  return { name: 'judge', args: {}, source: 'judge', kind,
           async run(ctx) {
             const judged = judgedCall(ctx.request);
             const verdict = decide(judge, judged?.text ?? '');
             ctx.note({ call: judged ? (judged.call ?? judged.text) : null,
                        decision: judge.fail ? null : verdict.decision,
                        rule_index: judge.fail ? null : verdict.index });
             if (judge.delayMs > 0) await new Promise((r) => setTimeout(r, judge.delayMs));
             if (judge.fail === 'hang') return ctx.hang();
             if (judge.fail) {
               const status = Number(judge.fail);
               return ctx.reply(status, {}, { error: {
                 message: `The fake's judge failed with status ${status}.`,
                 type: status >= 500 ? 'server_error' : 'invalid_request_error',
                 param: null, code: null } });
             }
             return answerText(ctx, judgeAnswerText(verdict));
           } };
}
