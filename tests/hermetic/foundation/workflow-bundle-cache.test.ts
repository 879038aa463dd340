/** The disk cache of the workflow bundle: same code, same bundle; any source change, a new key. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleCacheKey, readCachedBundle, writeCachedBundle } from '../../../src/workflow-bundle-cache';

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'bundle-cache-'));
  mkdirSync(path.join(root, 'dist', 'workflows'), { recursive: true });
  mkdirSync(path.join(root, 'dist', 'agent'), { recursive: true });
  writeFileSync(path.join(root, 'package-lock.json'), '{"lockfileVersion":3}');
  writeFileSync(path.join(root, 'dist', 'workflows', 'index.js'), 'exports.a = 1;');
  writeFileSync(path.join(root, 'dist', 'agent', 'prompts.js'), 'exports.p = "Subtask:";');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const keyOf = (converter?: string) => bundleCacheKey(path.join(root, 'dist', 'workflows', 'index.js'), converter, root);

test('the key is stable for the same tree and changes with any source file, the lockfile or the converter', () => {
  const key = keyOf();
  expect(keyOf()).toBe(key);
  writeFileSync(path.join(root, 'dist', 'agent', 'prompts.js'), 'exports.p = "Subtask: ";'); // imported, not the entry
  const changedImport = keyOf();
  expect(changedImport).not.toBe(key);
  writeFileSync(path.join(root, 'package-lock.json'), '{"lockfileVersion":3,"x":1}');
  expect(keyOf()).not.toBe(changedImport);
  expect(keyOf('/x/failure-converter.js')).not.toBe(keyOf());
  writeFileSync(path.join(root, 'dist', 'workflows', 'index.js.map'), '{}'); // source maps do not count
  expect(keyOf()).toBe(keyOf());
});

test('a written bundle is read back; nothing is read when absent or with the cache off', () => {
  const env = { STEP_HRL_TOOLS_DIR: path.join(root, 'tools') };
  expect(readCachedBundle('k1', env)).toBeUndefined();
  writeCachedBundle('k1', { code: 'bundle code' }, env);
  expect(readCachedBundle('k1', env)).toEqual({ code: 'bundle code' });
  expect(readCachedBundle('k1', { ...env, STEP_HRL_BUNDLE_CACHE: 'off' })).toBeUndefined();
  writeCachedBundle('k2', { code: 'other' }, { ...env, STEP_HRL_BUNDLE_CACHE: 'off' });
  expect(readCachedBundle('k2', env)).toBeUndefined();
});
