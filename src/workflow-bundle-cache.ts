/**
 * A disk cache of the workflow bundle, so a CLI process starts in well under a second instead of
 * re-running webpack (about 2.5 s on a loaded 2-core machine) on every `run`, `resume` or `eval`:
 * `resume` after a crash is the first thing a user waits on. The key hashes every source file of
 * the project tree the workflows are loaded from (`dist/` or `src/`), the lockfile and the failure
 * converter, so any change of code or dependencies builds a new bundle; the same code gives the
 * same bundle, hence the same build id. Written atomically (temp file + rename): processes
 * starting at once may both build, never read half a file.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowBundle } from '@temporalio/worker';
import { projectRoot, toolsDir } from './project';

/** Set to `off` to build the bundle in every process (no disk cache). */
export const BUNDLE_CACHE_ENV = 'STEP_HRL_BUNDLE_CACHE';

/** The cache key of the bundle of `workflowsPath` (under `root`) built with `failureConverterPath`. */
export function bundleCacheKey(
  workflowsPath: string,
  failureConverterPath: string | undefined,
  root: string = projectRoot(),
): string {
  const hash = createHash('sha256');
  // The tree the workflows module lives in: dist/ for the built CLI, src/ under ts-node and jest.
  const tree = path.join(root, path.relative(root, workflowsPath).split(path.sep)[0]!);
  for (const file of sourceFiles(tree)) hash.update(path.relative(tree, file)).update('\0').update(readFileSync(file));
  hash.update('\0lock\0').update(readFileSync(path.join(root, 'package-lock.json')));
  hash.update(`\0${path.relative(root, workflowsPath)}\0${failureConverterPath ?? ''}`);
  return hash.digest('hex').slice(0, 32);
}

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) files.push(...sourceFiles(full));
    else if (/\.(js|ts|json)$/.test(name) && !name.endsWith('.map')) files.push(full);
  }
  return files;
}

/** The cached bundle of `key`, or undefined (not cached, unreadable, or the cache is off). */
export function readCachedBundle(key: string, env: NodeJS.ProcessEnv = process.env): WorkflowBundle | undefined {
  if (env[BUNDLE_CACHE_ENV] === 'off') return undefined;
  try {
    return { code: readFileSync(cacheFile(key, env), 'utf8') };
  } catch {
    return undefined;
  }
}

/** Stores `bundle` under `key` (best effort: a read-only tools folder only costs the next start). */
export function writeCachedBundle(key: string, bundle: WorkflowBundle, env: NodeJS.ProcessEnv = process.env): void {
  if (env[BUNDLE_CACHE_ENV] === 'off') return;
  try {
    const file = cacheFile(key, env);
    mkdirSync(path.dirname(file), { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, bundle.code);
    renameSync(temp, file);
  } catch {
    // no cache this time
  }
}

function cacheFile(key: string, env: NodeJS.ProcessEnv): string {
  return path.join(toolsDir(env), 'workflow-bundles', `${key}.js`);
}
