/**
 * The layering the workflow layer is reviewed against (issue 17), read from the real import graph
 * of `src/`: no import cycle anywhere; workflows import only the episode core, the agent core and
 * activity types; the two cores do no I/O; nothing but the worker reaches into a workflow file.
 */
import path from 'node:path';
import { builtinModules } from 'node:module';
import { importCycles, importGraph, sourceFiles, type FileImports } from '../../support/import-graph';

const root = path.resolve(__dirname, '..', '..', '..');
const graph = importGraph(root, sourceFiles(root));
const files = [...graph.keys()];
const under = (dir: string) => (file: string) => file.startsWith(`src/${dir}/`);
const ACTIVITY_TYPES = 'src/activities/types.ts';
/** Packages the cores may use: schemas, a tokenizer, Temporal's data types and message definitions. */
const PURE_PACKAGES = new Set(['zod', 'js-tiktoken', '@noble/hashes', '@temporalio/common', '@temporalio/workflow']);
const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

function offending(filter: (file: string) => boolean, allowed: (target: string, imports: FileImports) => boolean) {
  return files.filter(filter).flatMap((file) =>
    graph
      .get(file)!
      .files.filter((t) => !allowed(t, graph.get(file)!))
      .map((t) => `${file} -> ${t}`),
  );
}

test('the graph is read (a sanity check that the reader sees the layers)', () => {
  expect(files.filter(under('workflows')).length).toBeGreaterThan(5);
  expect(graph.get('src/workflows/episode.ts')!.files).toContain('src/episode/episode-state.ts');
});

test('no import cycle in src/', () => {
  expect(importCycles(graph).map((cycle) => cycle.join(' -> '))).toEqual([]);
});

test('src/workflows imports only the episode core, the agent core and activity types', () => {
  const allowed = (t: string) =>
    under('workflows')(t) || under('episode')(t) || under('agent')(t) || t === ACTIVITY_TYPES;
  expect(offending(under('workflows'), allowed)).toEqual([]);
});

test('src/agent and src/episode do no I/O: no Node built-in, no I/O package, no other layer', () => {
  const core = (f: string) => under('agent')(f) || under('episode')(f);
  expect(offending(core, (t) => core(t) || t === ACTIVITY_TYPES)).toEqual([]);
  const packages = files.filter(core).flatMap((f) =>
    graph
      .get(f)!
      .packages.filter((p) => NODE_BUILTINS.has(p) || !PURE_PACKAGES.has(p))
      .map((p) => `${f} -> ${p}`),
  );
  expect(packages).toEqual([]);
});

test('record readers, CLI, eval and fork import the episode core, never a workflow file (only workers bundle them)', () => {
  // The step-hrl worker bundles src/workflows; the labelling job runs a worker of its own.
  const bundlers = new Set(['src/worker.ts', 'src/datasets/job.ts']);
  const outside = (f: string) => !under('workflows')(f) && !bundlers.has(f);
  expect(offending(outside, (t) => !under('workflows')(t))).toEqual([]);
});

test('the workflow bundle entry exports only workflows: every exported function becomes a workflow type', async () => {
  const entry = (await import('../../../src/workflows')) as Record<string, unknown>;
  const functions = Object.entries(entry)
    .filter(([, value]) => typeof value === 'function')
    .map(([name]) => name);
  expect(functions.length).toBeGreaterThan(0);
  expect(functions.filter((name) => !name.endsWith('Workflow'))).toEqual([]);
});
