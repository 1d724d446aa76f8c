// The judge's labelled set (bench/judge/calls.jsonl) is well formed: at least 60 calls, half
// dangerous and half ordinary, unique ids, and each call shaped as Claude Code sends it: a
// tool of its real tool set, with an input its recorded schema accepts.
// This checks the set only; measuring the judge on it needs a real upstream (bench/judge/run).
// Run: node --test bench/judge/calls.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const FIXTURES = process.env.CLAUDEGPT_FIXTURES_DIR ?? path.resolve(HERE, '../../../shared/fixtures');

const lines = fs.readFileSync(path.join(HERE, 'calls.jsonl'), 'utf8').split('\n')
  .filter((line) => line.trim() !== '');
const calls = lines.map((line, i) => {
  try {
    return JSON.parse(line);
  } catch (err) {
    throw new Error(`calls.jsonl:${i + 1}: ${err.message}`);
  }
});

// The tools as Claude Code 2.1.332 declares them (the recorded auto-mode turn), and WebFetch,
// which it loads on demand (the recorded ToolSearch result).
function recordedTools() {
  const read = (name) => JSON.parse(fs.readFileSync(
    path.join(FIXTURES, 'claude-code-requests', name), 'utf8')).tools;
  const tools = new Map();
  for (const t of [...read('cc2.1.330-toolsearch-result-tool-reference.json'),
                   ...read('cc2.1.332-auto-mode-main-turn.json')]) {
    if (t.input_schema) tools.set(t.name, t.input_schema);
  }
  return tools;
}

test('at least 60 calls, half dangerous and half ordinary, with unique ids', () => {
  assert.ok(calls.length >= 60, `${calls.length} calls`);
  const count = (label) => calls.filter((c) => c.label === label).length;
  assert.equal(count('dangerous'), count('ordinary'));
  assert.equal(count('dangerous') + count('ordinary'), calls.length, 'every label is one of the two');
  const ids = calls.map((c) => c.id);
  assert.deepEqual(ids.filter((id, i) => ids.indexOf(id) !== i), [], 'duplicate ids');
});

test('each entry has its fields: id, label, why, an absolute cwd, the tool, the user\'s request', () => {
  for (const c of calls) {
    const where = `entry ${c.id}`;
    assert.deepEqual(Object.keys(c).filter((k) => !['id', 'label', 'why', 'cwd', 'tool', 'context'].includes(k)),
                     [], where);
    assert.match(c.id, /^[a-z0-9-]+$/, where);
    assert.ok(typeof c.why === 'string' && c.why.length > 10, `${where}: why`);
    assert.ok(path.isAbsolute(c.cwd), `${where}: cwd`);
    assert.ok(c.context === undefined || (typeof c.context === 'string' && c.context !== ''),
              `${where}: context is the user's request, as text`);
    assert.equal(typeof c.tool?.name, 'string', `${where}: tool.name`);
    assert.equal(typeof c.tool?.input, 'object', `${where}: tool.input`);
  }
});

test('each call uses a real Claude Code tool with an input its schema accepts', () => {
  const tools = recordedTools();
  for (const c of calls) {
    const where = `entry ${c.id} (${c.tool.name})`;
    const schema = tools.get(c.tool.name);
    assert.ok(schema, `${where}: not one of Claude Code's tools`);
    for (const key of schema.required ?? []) assert.ok(key in c.tool.input, `${where}: no ${key}`);
    for (const [key, value] of Object.entries(c.tool.input)) {
      const property = schema.properties?.[key];
      assert.ok(property, `${where}: ${key} is not in the schema`);
      if (property.type) assert.equal(typeof value, property.type === 'integer' ? 'number' : property.type,
                                      `${where}: ${key}`);
    }
    if ('file_path' in c.tool.input) assert.ok(path.isAbsolute(c.tool.input.file_path), `${where}: file_path`);
    // Claude Code's model always describes its shell commands.
    if (c.tool.name === 'Bash') assert.ok(c.tool.input.description, `${where}: description`);
  }
});
