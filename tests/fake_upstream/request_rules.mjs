// The rules a POST /v1/responses body must follow, as strictly as the real OpenAI API applies
// them. Each check returns the error the real API gives for that mistake (status + OpenAI's
// {message, type, param, code}), so a proxy bug shows up in tests the way it would in
// production: as a 400 (or 404) naming the offending field.
//
// Where OpenAI's exact wording is known (unknown/unsupported parameters, minimum values,
// string patterns, missing tool outputs, items not persisted with store:false) it is
// reproduced; elsewhere the message follows the same style.

const TOP_LEVEL_PARAMETERS = new Set([
  'model', 'instructions', 'input', 'tools', 'tool_choice', 'parallel_tool_calls', 'reasoning',
  'include', 'store', 'stream', 'max_output_tokens', 'prompt_cache_key',
  'prompt_cache_retention', 'text', 'service_tier', 'truncation', 'metadata', 'user',
  'safety_identifier', 'top_logprobs', 'background', 'previous_response_id',
  // Real parameters the brief's list left out; accepted because the real API accepts them.
  'max_tool_calls', 'stream_options',
]);
// Sampling parameters: valid for classic models, rejected by reasoning models.
const SAMPLING_PARAMETERS = new Set(['temperature', 'top_p']);

const INCLUDABLE = new Set([
  'reasoning.encrypted_content', 'message.output_text.logprobs',
  'web_search_call.action.sources', 'web_search_call.results', 'file_search_call.results',
  'code_interpreter_call.outputs', 'computer_call_output.output.image_url',
  'message.input_image.image_url',
]);
const TOOL_TYPES = new Set([
  'function', 'web_search', 'web_search_preview', 'web_search_2025_08_26', 'file_search',
  'code_interpreter', 'image_generation', 'mcp', 'local_shell', 'shell', 'custom',
  'tool_search', 'computer_use_preview', 'apply_patch',
]);
const FUNCTION_TOOL_KEYS = new Set([
  'type', 'name', 'description', 'parameters', 'strict', 'defer_loading',
]);
const ITEM_TYPES = [
  'message', 'function_call', 'function_call_output', 'reasoning', 'item_reference',
  'web_search_call', 'custom_tool_call', 'custom_tool_call_output', 'tool_search_call',
  'tool_search_output', 'compaction',
];
const ITEM_KEYS = {
  message: new Set(['type', 'id', 'role', 'content', 'status', 'phase']),
  function_call: new Set(['type', 'id', 'call_id', 'name', 'arguments', 'status', 'namespace']),
  function_call_output: new Set(['type', 'id', 'call_id', 'output', 'status']),
  reasoning: new Set(['type', 'id', 'summary', 'encrypted_content', 'content', 'status']),
};
const USER_PART_KEYS = {
  input_text: new Set(['type', 'text']),
  input_image: new Set(['type', 'image_url', 'file_id', 'detail']),
  input_file: new Set(['type', 'file_data', 'file_id', 'file_url', 'filename']),
};
const ASSISTANT_PART_KEYS = {
  output_text: new Set(['type', 'text', 'annotations', 'logprobs']),
  refusal: new Set(['type', 'refusal']),
};
const ROLES = ['user', 'assistant', 'system', 'developer'];
const FUNCTION_NAME = /^[a-zA-Z0-9_-]+$/;
// What this fake issues as encrypted reasoning (and what the real API's recordings carry):
// Fernet tokens, base64url beginning "gAAAAA". Anything else cannot be decrypted upstream.
const ENCRYPTED_CONTENT = /^gAAAAA[A-Za-z0-9_\-=]+$/;

export class RequestError extends Error {
  constructor(status, message, param = null, code = null, type = 'invalid_request_error') {
    super(message);
    this.status = status;
    this.body = { error: { message, type, param, code } };
  }
}

const bad = (message, param, code) => new RequestError(400, message, param, code);
const unknown = (param) => bad(`Unknown parameter: '${param}'.`, param, 'unknown_parameter');
const missing = (param) =>
  bad(`Missing required parameter: '${param}'.`, param, 'missing_required_parameter');
const invalidValue = (param, value, allowed) =>
  bad(`Invalid value: '${value}'. Supported values are: ${quoteList(allowed)}.`, param,
      'invalid_value');

function kindOf(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a decimal';
  if (typeof value === 'boolean') return 'a boolean';
  return 'a string';
}

function invalidType(param, value, expected) {
  return bad(`Invalid type for '${param}': expected ${expected}, but got ${kindOf(value)} ` +
             'instead.', param, 'invalid_type');
}

export function quoteList(values) {
  const q = [...values].map((v) => `'${v}'`);
  return q.length <= 1 ? q.join('') : `${q.slice(0, -1).join(', ')}, and ${q.at(-1)}`;
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

function expectType(value, param, type) {
  const ok = {
    string: typeof value === 'string',
    boolean: typeof value === 'boolean',
    integer: Number.isInteger(value),
    object: isObject(value),
    array: Array.isArray(value),
  }[type];
  const article = { integer: 'an integer', object: 'an object', array: 'an array' }[type] ??
                  `a ${type}`;
  if (!ok) throw invalidType(param, value, article);
}

function expectKeys(object, allowed, prefix) {
  for (const key of Object.keys(object)) {
    if (!allowed.has(key)) throw unknown(`${prefix}.${key}`);
  }
}

function expectEnum(value, param, allowed) {
  if (!allowed.includes(value)) throw invalidValue(param, value, allowed);
}

// The most a model can write in one response (published limits; null when unknown).
function maxOutputTokens(model) {
  if (/^gpt-5/.test(model)) return 128000;
  if (/^o\d/.test(model)) return 100000;
  if (/^gpt-4\.1/.test(model)) return 32768;
  return null;
}

export function isReasoningModel(model) {
  return /^(gpt-5|o\d)/.test(String(model));
}

// Checks a parsed request body. `state` carries what a stored backend would know:
// `knownItemIds` (ids of items it returned with store:true) and `knownResponseIds`.
// Throws a RequestError on the first violation, like the real API does.
export function validateRequest(body, state = {}) {
  const knownItemIds = state.knownItemIds ?? new Set();
  const knownResponseIds = state.knownResponseIds ?? new Set();
  if (!isObject(body)) {
    throw bad('Invalid body: the request body must be a JSON object.', null, 'invalid_type');
  }
  const reasoningModel = isReasoningModel(body.model);
  for (const key of Object.keys(body)) {
    if (TOP_LEVEL_PARAMETERS.has(key)) continue;
    if (SAMPLING_PARAMETERS.has(key)) {
      if (reasoningModel) {
        throw bad(`Unsupported parameter: '${key}' is not supported with this model.`, key,
                  'unsupported_parameter');
      }
      continue;
    }
    throw unknown(key);
  }
  if (body.model === undefined) throw missing('model');
  expectType(body.model, 'model', 'string');
  if (body.model.length === 0) {
    throw bad("Invalid 'model': empty string.", 'model', 'invalid_value');
  }

  for (const key of ['store', 'stream', 'parallel_tool_calls', 'background']) {
    if (body[key] !== undefined && body[key] !== null) expectType(body[key], key, 'boolean');
  }
  const store = body.store !== false;  // the API's default is true
  if (body.instructions !== undefined && body.instructions !== null) {
    expectType(body.instructions, 'instructions', 'string');
  }
  if (body.max_output_tokens !== undefined && body.max_output_tokens !== null) {
    expectType(body.max_output_tokens, 'max_output_tokens', 'integer');
    if (body.max_output_tokens < 16) {
      throw bad("Invalid 'max_output_tokens': integer below minimum value. Expected a value >= " +
                `16, but got ${body.max_output_tokens} instead.`, 'max_output_tokens',
                'integer_below_min_value');
    }
    const ceiling = maxOutputTokens(body.model);
    if (ceiling !== null && body.max_output_tokens > ceiling) {
      throw bad("Invalid 'max_output_tokens': integer above maximum value. Expected a value <= " +
                `${ceiling}, but got ${body.max_output_tokens} instead.`, 'max_output_tokens',
                'integer_above_max_value');
    }
  }
  if (body.top_logprobs !== undefined && body.top_logprobs !== null) {
    expectType(body.top_logprobs, 'top_logprobs', 'integer');
  }
  if (body.max_tool_calls !== undefined && body.max_tool_calls !== null) {
    expectType(body.max_tool_calls, 'max_tool_calls', 'integer');
    if (body.max_tool_calls < 1) {
      throw bad("Invalid 'max_tool_calls': integer below minimum value. Expected a value >= 1, " +
                `but got ${body.max_tool_calls} instead.`, 'max_tool_calls',
                'integer_below_min_value');
    }
  }
  validateStrings(body);
  validateReasoning(body, reasoningModel);
  if (body.include !== undefined && body.include !== null) {
    expectType(body.include, 'include', 'array');
    body.include.forEach((v, i) => expectEnum(v, `include[${i}]`, [...INCLUDABLE]));
  }
  const toolNames = validateTools(body.tools);
  validateToolChoice(body.tool_choice, toolNames);
  if (body.previous_response_id !== undefined && body.previous_response_id !== null) {
    expectType(body.previous_response_id, 'previous_response_id', 'string');
    if (!knownResponseIds.has(body.previous_response_id)) {
      throw new RequestError(404, `Previous response with id '${body.previous_response_id}' ` +
                             'not found.', 'previous_response_id', 'previous_response_not_found');
    }
  }
  validateInput(body.input, { store, knownItemIds });
}

function validateStrings(body) {
  for (const key of ['prompt_cache_key', 'user', 'safety_identifier']) {
    const v = body[key];
    if (v === undefined || v === null) continue;
    expectType(v, key, 'string');
    if (v.length > 64) {
      throw bad(`Invalid '${key}': string too long. Expected a string with maximum length 64, ` +
                `but got a string with length ${v.length} instead.`, key,
                'string_above_max_length');
    }
  }
  if (body.prompt_cache_retention !== undefined && body.prompt_cache_retention !== null) {
    expectEnum(body.prompt_cache_retention, 'prompt_cache_retention', ['in_memory', '24h']);
  }
  if (body.service_tier !== undefined && body.service_tier !== null) {
    expectEnum(body.service_tier, 'service_tier', ['auto', 'default', 'flex', 'scale', 'priority']);
  }
  if (body.truncation !== undefined && body.truncation !== null) {
    expectEnum(body.truncation, 'truncation', ['auto', 'disabled']);
  }
  if (body.metadata !== undefined && body.metadata !== null) {
    expectType(body.metadata, 'metadata', 'object');
    const entries = Object.entries(body.metadata);
    if (entries.length > 16) {
      throw bad("Invalid 'metadata': too many properties. Expected an object with at most 16 " +
                `properties, but got an object with ${entries.length} properties instead.`,
                'metadata', 'object_above_max_properties');
    }
    for (const [k, v] of entries) {
      expectType(v, `metadata.${k}`, 'string');
      if (k.length > 64 || v.length > 512) {
        throw bad(`Invalid 'metadata.${k}': string too long.`, `metadata.${k}`,
                  'string_above_max_length');
      }
    }
  }
  if (body.text !== undefined && body.text !== null) {
    expectType(body.text, 'text', 'object');
    expectKeys(body.text, new Set(['format', 'verbosity']), 'text');
    if (body.text.verbosity !== undefined && body.text.verbosity !== null) {
      expectEnum(body.text.verbosity, 'text.verbosity', ['low', 'medium', 'high']);
    }
    if (body.text.format !== undefined && body.text.format !== null) {
      expectType(body.text.format, 'text.format', 'object');
      expectEnum(body.text.format.type, 'text.format.type', ['text', 'json_schema', 'json_object']);
      const format = body.text.format;
      if (format.type === 'json_schema') {
        expectKeys(format, new Set(['type', 'name', 'schema', 'strict', 'description']),
                   'text.format');
        if (typeof format.name !== 'string') throw missing('text.format.name');
        if (!/^[a-zA-Z0-9_-]{1,64}$/.test(format.name)) {
          throw bad("Invalid 'text.format.name': string does not match pattern. Expected a " +
                    "string that matches the pattern '^[a-zA-Z0-9_-]+$'.", 'text.format.name',
                    'invalid_value');
        }
        if (!isObject(format.schema)) throw missing('text.format.schema');
        if (format.strict === true) {
          checkStrictSchema(format.schema, format.name, 'text.format.schema', [],
                            'response format');
        }
      } else {
        expectKeys(format, new Set(['type']), 'text.format');
      }
    }
  }
  if (body.stream_options !== undefined && body.stream_options !== null) {
    expectType(body.stream_options, 'stream_options', 'object');
    expectKeys(body.stream_options, new Set(['include_obfuscation']), 'stream_options');
  }
}

function validateReasoning(body, reasoningModel) {
  const r = body.reasoning;
  if (r === undefined || r === null) return;
  expectType(r, 'reasoning', 'object');
  expectKeys(r, new Set(['effort', 'summary', 'generate_summary']), 'reasoning');
  if (r.effort !== undefined && r.effort !== null) {
    if (!reasoningModel) {
      throw bad("Unsupported parameter: 'reasoning.effort' is not supported with this model.",
                'reasoning.effort', 'unsupported_parameter');
    }
    expectEnum(r.effort, 'reasoning.effort', ['none', 'minimal', 'low', 'medium', 'high', 'xhigh']);
  }
  if (r.summary !== undefined && r.summary !== null) {
    expectEnum(r.summary, 'reasoning.summary', ['auto', 'concise', 'detailed']);
  }
}

// Returns the set of function names.
function validateTools(tools) {
  const names = new Set();
  if (tools === undefined || tools === null) return names;
  expectType(tools, 'tools', 'array');
  tools.forEach((tool, j) => {
    const at = `tools[${j}]`;
    expectType(tool, at, 'object');
    if (tool.type === undefined) throw missing(`${at}.type`);
    expectEnum(tool.type, `${at}.type`, [...TOOL_TYPES]);
    if (tool.type.startsWith('web_search')) {
      validateWebSearchTool(tool, at);
      return;
    }
    if (tool.type !== 'function') return;
    expectKeys(tool, FUNCTION_TOOL_KEYS, at);
    if (tool.name === undefined) throw missing(`${at}.name`);
    expectType(tool.name, `${at}.name`, 'string');
    if (tool.name.length > 64 || tool.name.length === 0) {
      throw bad(`Invalid '${at}.name': string too long. Expected a string with maximum length ` +
                `64, but got a string with length ${tool.name.length} instead.`, `${at}.name`,
                'string_above_max_length');
    }
    if (!FUNCTION_NAME.test(tool.name)) {
      throw bad(`Invalid '${at}.name': string does not match pattern. Expected a string that ` +
                "matches the pattern '^[a-zA-Z0-9_-]+$'.", `${at}.name`, 'invalid_value');
    }
    if (names.has(tool.name)) {
      throw bad(`Invalid 'tools': duplicate function name '${tool.name}'.`, 'tools',
                'invalid_value');
    }
    names.add(tool.name);
    if (tool.description !== undefined && tool.description !== null) {
      expectType(tool.description, `${at}.description`, 'string');
    }
    if (tool.strict !== undefined && tool.strict !== null) {
      expectType(tool.strict, `${at}.strict`, 'boolean');
    }
    if (tool.parameters !== undefined && tool.parameters !== null) {
      expectType(tool.parameters, `${at}.parameters`, 'object');
      if (tool.parameters.type !== undefined && tool.parameters.type !== 'object') {
        throw bad(`Invalid schema for function '${tool.name}': schema must be a JSON Schema of ` +
                  `'type: "object"', got 'type: "${tool.parameters.type}"'.`,
                  `${at}.parameters`, 'invalid_function_parameters');
      }
      // With an explicit strict:true the API refuses schemas strict mode cannot enforce.
      // (Omitted strict is normalised silently, strict:false is best effort.)
      if (tool.strict === true) checkStrictSchema(tool.parameters, tool.name, `${at}.parameters`);
    }
  });
  return names;
}

// The hosted web search: {type, filters{allowed_domains, blocked_domains}, search_context_size,
// user_location{type:"approximate", city, region, country, timezone}, external_web_access}.
function validateWebSearchTool(tool, at) {
  expectKeys(tool, new Set(['type', 'filters', 'search_context_size', 'user_location',
                            'external_web_access']), at);
  if (tool.filters !== undefined && tool.filters !== null) {
    expectType(tool.filters, `${at}.filters`, 'object');
    expectKeys(tool.filters, new Set(['allowed_domains', 'blocked_domains']), `${at}.filters`);
    for (const key of ['allowed_domains', 'blocked_domains']) {
      const domains = tool.filters[key];
      if (domains === undefined || domains === null) continue;
      expectType(domains, `${at}.filters.${key}`, 'array');
      domains.forEach((d, i) => expectType(d, `${at}.filters.${key}[${i}]`, 'string'));
      if (domains.length > 100) {
        throw bad(`Invalid '${at}.filters.${key}': array too long. Expected an array with ` +
                  `maximum length 100, but got an array with length ${domains.length} instead.`,
                  `${at}.filters.${key}`, 'array_above_max_length');
      }
    }
  }
  if (tool.search_context_size !== undefined && tool.search_context_size !== null) {
    expectEnum(tool.search_context_size, `${at}.search_context_size`, ['low', 'medium', 'high']);
  }
  if (tool.user_location !== undefined && tool.user_location !== null) {
    const where = `${at}.user_location`;
    expectType(tool.user_location, where, 'object');
    expectKeys(tool.user_location, new Set(['type', 'city', 'region', 'country', 'timezone']),
               where);
    if (tool.user_location.type !== undefined) {
      expectEnum(tool.user_location.type, `${where}.type`, ['approximate']);
    }
    for (const key of ['city', 'region', 'country', 'timezone']) {
      const v = tool.user_location[key];
      if (v !== undefined && v !== null) expectType(v, `${where}.${key}`, 'string');
    }
  }
  if (tool.external_web_access !== undefined && tool.external_web_access !== null) {
    expectType(tool.external_web_access, `${at}.external_web_access`, 'boolean');
  }
}

function checkStrictSchema(schema, functionName, param, context = [], kind = 'function') {
  const fail = (what) => bad(`Invalid schema for ${kind} '${functionName}': In ` +
                             `context=(${context.map((c) => `'${c}'`).join(', ')}), ${what}`,
                             param, 'invalid_function_parameters');
  if (!isObject(schema)) return;
  const isObjectSchema = schema.type === 'object' ||
                         (Array.isArray(schema.type) && schema.type.includes('object'));
  if (isObjectSchema) {
    if (schema.additionalProperties !== false) {
      throw fail("'additionalProperties' is required to be supplied and to be false.");
    }
    const props = Object.keys(schema.properties ?? {});
    const required = Array.isArray(schema.required) ? schema.required : null;
    const absent = props.filter((p) => !required?.includes(p));
    if (absent.length > 0) {
      throw fail("'required' is required to be supplied and to be an array including every " +
                 `key in properties. Missing '${absent[0]}'.`);
    }
    for (const p of props) {
      checkStrictSchema(schema.properties[p], functionName, param,
                        [...context, 'properties', p], kind);
    }
  }
  if (isObject(schema.items)) {
    checkStrictSchema(schema.items, functionName, param, [...context, 'items'], kind);
  }
  for (const key of ['anyOf', 'allOf']) {
    if (Array.isArray(schema[key])) {
      schema[key].forEach((s, i) =>
        checkStrictSchema(s, functionName, param, [...context, key, String(i)], kind));
    }
  }
}

function validateToolChoice(choice, toolNames) {
  if (choice === undefined || choice === null) return;
  if (typeof choice === 'string') {
    expectEnum(choice, 'tool_choice', ['none', 'auto', 'required']);
    return;
  }
  expectType(choice, 'tool_choice', 'object');
  if (choice.type === 'function') {
    expectKeys(choice, new Set(['type', 'name']), 'tool_choice');
    if (typeof choice.name !== 'string') throw missing('tool_choice.name');
    if (!toolNames.has(choice.name)) {
      throw bad(`Tool choice '${choice.name}' not found in 'tools' parameter.`, 'tool_choice',
                null);
    }
    return;
  }
  expectEnum(choice.type, 'tool_choice.type', [
    'function', 'allowed_tools', 'web_search', 'web_search_preview', 'file_search',
    'code_interpreter', 'image_generation', 'mcp', 'custom', 'tool_search',
  ]);
}

function validateInput(input, context) {
  if (input === undefined || input === null) return;
  if (typeof input === 'string') return;
  expectType(input, 'input', 'array');
  const calls = new Map();      // call_id → index of the function_call
  const answered = new Set();
  input.forEach((item, i) => {
    const at = `input[${i}]`;
    expectType(item, at, 'object');
    // An item without `type` but with a role is the API's "easy input message".
    const type = item.type ?? (item.role !== undefined ? 'message' : undefined);
    if (type === undefined) throw missing(`${at}.type`);
    expectEnum(type, `${at}.type`, ITEM_TYPES);
    if (ITEM_KEYS[type]) expectKeys(item, ITEM_KEYS[type], at);
    if (item.id !== undefined && item.id !== null) checkItemId(item.id, at, context);
    switch (type) {
      case 'message': validateMessage(item, at); break;
      case 'function_call': {
        for (const key of ['call_id', 'name', 'arguments']) {
          if (item[key] === undefined) throw missing(`${at}.${key}`);
          expectType(item[key], `${at}.${key}`, 'string');
        }
        calls.set(item.call_id, i);
        break;
      }
      case 'function_call_output': {
        if (item.call_id === undefined) throw missing(`${at}.call_id`);
        expectType(item.call_id, `${at}.call_id`, 'string');
        if (item.output === undefined) throw missing(`${at}.output`);
        if (Array.isArray(item.output)) {
          item.output.forEach((part, j) => validateUserPart(part, `${at}.output[${j}]`));
        } else {
          expectType(item.output, `${at}.output`, 'string');
        }
        if (!calls.has(item.call_id)) {
          throw bad('No tool call found for function call output with call_id ' +
                    `${item.call_id}.`, 'input', null);
        }
        answered.add(item.call_id);
        break;
      }
      case 'reasoning': validateReasoningItem(item, at, context); break;
      default: break;
    }
  });
  for (const callId of calls.keys()) {
    if (!answered.has(callId)) {
      throw bad(`No tool output found for function call ${callId}.`, 'input', null);
    }
  }
}

function checkItemId(id, at, { store, knownItemIds }) {
  expectType(id, `${at}.id`, 'string');
  if (!store) {
    throw new RequestError(404, `Item with id '${id}' not found. Items are not persisted when ` +
                           '`store` is set to false. Try again with `store` set to true, or ' +
                           'remove this item from your input.', 'input', null);
  }
  if (!knownItemIds.has(id)) {
    throw new RequestError(404, `Item with id '${id}' not found.`, 'input', null);
  }
}

function validateMessage(item, at) {
  if (item.role === undefined) throw missing(`${at}.role`);
  expectEnum(item.role, `${at}.role`, ROLES);
  if (item.content === undefined) throw missing(`${at}.content`);
  if (typeof item.content === 'string') return;
  expectType(item.content, `${at}.content`, 'array');
  item.content.forEach((part, j) => {
    const pat = `${at}.content[${j}]`;
    if (item.role === 'assistant') {
      expectType(part, pat, 'object');
      if (!ASSISTANT_PART_KEYS[part.type]) {
        throw bad(`Invalid value: '${part.type}'. Supported values are: 'output_text' and ` +
                  "'refusal'.", `${pat}`, 'invalid_value');
      }
      expectKeys(part, ASSISTANT_PART_KEYS[part.type], pat);
      if (part.type === 'output_text') expectType(part.text, `${pat}.text`, 'string');
      else expectType(part.refusal, `${pat}.refusal`, 'string');
    } else {
      validateUserPart(part, pat);
    }
  });
}

function validateUserPart(part, at) {
  expectType(part, at, 'object');
  if (!USER_PART_KEYS[part.type]) {
    throw bad(`Invalid value: '${part.type}'. Supported values are: 'input_text', ` +
              "'input_image', and 'input_file'.", `${at}.type`, 'invalid_value');
  }
  expectKeys(part, USER_PART_KEYS[part.type], at);
  if (part.type === 'input_text') {
    if (part.text === undefined) throw missing(`${at}.text`);
    expectType(part.text, `${at}.text`, 'string');
  } else if (part.type === 'input_image') {
    if (part.image_url === undefined && part.file_id === undefined) {
      throw missing(`${at}.image_url`);
    }
    if (part.image_url !== undefined) {
      expectType(part.image_url, `${at}.image_url`, 'string');
      const url = part.image_url;
      const dataUrl = /^data:image\/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]+$/;
      if (url.startsWith('data:') ? !dataUrl.test(url) : !/^https?:\/\//.test(url)) {
        throw bad(`Invalid '${at}.image_url'. Expected a valid URL, or a base64-encoded data ` +
                  'URL with an image MIME type (png, jpeg, gif or webp).',
                  `${at}.image_url`, 'invalid_value');
      }
    }
    if (part.detail !== undefined) {
      expectEnum(part.detail, `${at}.detail`, ['low', 'high', 'auto', 'original']);
    }
  } else if (part.type === 'input_file') {
    if (part.file_data === undefined && part.file_id === undefined && part.file_url === undefined) {
      throw missing(`${at}.file_data`);
    }
    if (part.file_data !== undefined && part.filename === undefined) {
      throw missing(`${at}.filename`);
    }
  }
}

function validateReasoningItem(item, at, { store }) {
  if (item.summary === undefined) throw missing(`${at}.summary`);
  expectType(item.summary, `${at}.summary`, 'array');
  item.summary.forEach((s, j) => {
    expectType(s, `${at}.summary[${j}]`, 'object');
    expectEnum(s.type, `${at}.summary[${j}].type`, ['summary_text']);
    expectType(s.text, `${at}.summary[${j}].text`, 'string');
  });
  const enc = item.encrypted_content;
  if (enc === undefined || enc === null) {
    if (!store || item.id === undefined) throw missing(`${at}.encrypted_content`);
    return;
  }
  expectType(enc, `${at}.encrypted_content`, 'string');
  if (!ENCRYPTED_CONTENT.test(enc)) {
    throw bad(`The encrypted content for ${at} could not be verified.`, `${at}.encrypted_content`,
              'invalid_encrypted_content');
  }
}
