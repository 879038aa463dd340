/**
 * One eval run's state apart from Temporal (src/episode/eval-run.ts), without a server: the child
 * start options it builds, when it may launch and when it is done (with and without handing its
 * running episodes over), the change token of the long-poll, cancel and failure outcomes, and the
 * next run's input and the result it records.
 */
import { DEFAULT_MAX_STEPS } from '../../../src/agent/config';
import { EvalRun } from '../../../src/episode/eval-run';
import type { EvalInput } from '../../../src/episode/eval-records';
import type { SlimOutcome } from '../../../src/episode/eval-types';
import { StepHrlEvalId } from '../../../src/episode/search-attributes';

const spec = (variation: number) => ({ env: 'builtin' as const, task: 'find-key-open-chest', variation });
const input = (extra: Partial<EvalInput> = {}): EvalInput => ({
  agent: 'step-hrl',
  selection: 'test',
  env: 'builtin',
  config: { maxSteps: 7 },
  episodes: [0, 1, 2, 3].map((v) => ({ spec: spec(v), group: 'find-key-open-chest' })),
  concurrency: 2,
  episodesPerRun: 2,
  ...extra,
});
const won = (index: number): SlimOutcome => ({
  index,
  episodeId: `e/ep-${index}`,
  status: 'env-done',
  score: 100,
  won: true,
  steps: 3,
  tokens: {},
  spentTokens: 10,
});

test('a child gets the frozen config with its own spec, and step-hrl attributes only when the eval has them', () => {
  const run = new EvalRun('e', input(), true);
  const start = run.childStart(2, false);
  expect(start).toEqual({ workflowId: 'e/ep-0002', args: [{ config: { ...run.config, spec: spec(2) } }] });
  expect(run.config.maxSteps).toBe(7);
  expect(run.config.maxSubtasks).toEqual(expect.any(Number)); // resolved complete at start
  const withAttributes = run.childStart(2, true);
  expect(withAttributes.typedSearchAttributes).toContainEqual({ key: StepHrlEvalId, value: 'e' });
  expect(withAttributes.memo).toEqual({ stepHrl: expect.objectContaining({ evalId: 'e' }) });
});

test('launches up to the concurrency, hands over once its share is played, and is done at the end', () => {
  const run = new EvalRun('e', input({ episodesPerRun: 1 }), true);
  const a = run.launch();
  const b = run.launch();
  expect([a, b]).toEqual([0, 1]);
  expect(run.mayLaunch(false)).toBe(false); // concurrency 2
  run.startConfirmed(a);
  run.settle(a, won(a));
  run.closed(a);
  expect(run.done(false)).toBe(false); // `b` has not confirmed its start yet: not handed over
  run.startConfirmed(b);
  expect(run.done(false)).toBe(true); // its one episode per run played, `b` running: continues as new at once
  expect(run.book.needsNextRun()).toBe(true);

  const next = new EvalRun('e', run.nextRunInput(), true);
  expect(next.waitingStragglers()).toEqual([b]); // carried, awaited, never started again
  expect(next.launch()).toBe(2);
});

test('a run recorded before the hand-over counts only its own children and waits for them', () => {
  const run = new EvalRun('e', input({ episodesPerRun: 1 }), false);
  const a = run.launch();
  run.startConfirmed(a);
  run.settle(a, won(a));
  expect(run.done(false)).toBe(false); // its child has not closed yet
  run.closed(a);
  expect(run.done(false)).toBe(true);
});

test('every visible change moves the long-poll token; a repeated outcome does not', () => {
  const run = new EvalRun('e', input(), true);
  const versions = [run.version()];
  const a = run.launch();
  versions.push(run.version());
  run.settle(a, won(a));
  versions.push(run.version());
  run.settle(a, won(a));
  expect(run.version()).toBe(versions.at(-1));
  expect(run.setPaused(true)).toMatchObject({ paused: true, version: run.version() });
  versions.push(run.version());
  expect(run.setConcurrency(3)).toMatchObject({ concurrency: 3 });
  versions.push(run.version());
  expect(new Set(versions).size).toBe(versions.length);
  expect(versions[0]).toBe('1.0');
});

test('cancel names the carried episodes still running; a cancelled child counts as cancelled', () => {
  const first = new EvalRun('e', input(), true);
  const a = first.launch();
  const b = first.launch();
  first.startConfirmed(a);
  first.startConfirmed(b);
  first.settle(a, won(a));
  const run = new EvalRun('e', first.nextRunInput(), true);
  const c = run.launch();
  expect(run.cancel()).toEqual([b]);
  expect(run.progress()).toMatchObject({ status: 'cancelled', running: ['e/ep-0001', 'e/ep-0002'] });
  run.childFailed(c, 'cancelled', true);
  run.childFailed(b, 'boom', false);
  expect(run.book.totals).toMatchObject({ done: 3, failed: 1 });
  expect(run.result()).toMatchObject({ evalId: 'e', cancelled: true, runs: 2, total: 4, maxSteps: 7 });
});

test('the next run carries the plan compacted, never the list, and a default max steps in the result', () => {
  const run = new EvalRun('e', input({ config: {} }), true);
  const next = run.nextRunInput();
  expect(next.episodes).toBeUndefined();
  expect(next.plan).toEqual([expect.objectContaining({ count: 4 })]);
  expect(next.config).toEqual(run.config);
  expect(next.state).toMatchObject({ runs: 1 });
  expect(run.result().maxSteps).toBe(DEFAULT_MAX_STEPS);
});
