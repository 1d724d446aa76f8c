// Where things are, for the Node tests: the repository, the recorded fixtures, the proxy binary.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const TESTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_DIR = path.resolve(TESTS_DIR, '..');
export const FIXTURES_DIR = process.env.CLAUDEGPT_FIXTURES_DIR ??
                            path.resolve(REPO_DIR, '../shared/fixtures');

export function fixturePath(...parts) {
  return path.join(FIXTURES_DIR, ...parts);
}

export function readFixture(...parts) {
  return fs.readFileSync(fixturePath(...parts), 'utf8');
}

// The claudegpt binary: $CLAUDEGPT_BIN (CTest sets it), else the release build's, if built.
export function proxyBinary() {
  if (process.env.CLAUDEGPT_BIN) return process.env.CLAUDEGPT_BIN;
  const candidate = path.join(REPO_DIR, 'build/release/claudegpt');
  return fs.existsSync(candidate) ? candidate : null;
}
