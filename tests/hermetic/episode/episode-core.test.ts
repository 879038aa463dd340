/**
 * The episode core's budgets and state transitions, without a Temporal server: what stops an
 * episode or a subtask run, what a subtask's outcome does to the episode, the re-drive rule, when a
 * run hands over, and the eval's bookkeeping (pause, concurrency, retry, bounded carried state).
 */
import {
  DEFAULT_EPISODE_CONFIG,
  DEFAULT_MAX_STEPS,
  recordedConfig,
  resolveSharedConfig,
} from '../../../src/agent/config';
import {
  absorbSubtask,
  budgetStatus,
  cancelledBeforeReset,
  episodeResultOf,
  initialState,
  shouldContinueAsNew,
  statusAfterSubtask,
} from '../../../src/episode/episode-state';
import { EvalBook } from '../../../src/episode/eval-book';
import { addIndex, compactPlan, expandPlan, hasIndex, indexesOf, rangesOf } from '../../../src/episode/eval-state';
import { evalEpisodeId, subtaskWorkflowId } from '../../../src/episode/ids';
import type { SubtaskOutcome } from '../../../src/episode/records';
import { redriveRefusal } from '../../../src/episode/redrive';
import { redriveLogSteps } from '../../../src/episode/redrive-log';
import {
  carryOf,
  continuesInNextPart,
  FRESH_SUBTASK,
  PART_RESULT_BYTE_BUDGET,
  subtaskInputOf,
  subtaskStopStatus,
} from '../../../src/episode/subtask-state';
import type { SlimOutcome } from '../../../src/episode/eval-types';

const config = recordedConfig({ spec: { env: 'builtin', task: 'boil-water' } });
const reset = {
  taskDescription: 'boil water',
  observation: { text: 'You are in the kitchen.' },
  score: 0,
  obsHash: 'h0',
  versions: { builtin: '1' },
  latencyMs: 1,
  reward: 0,
  done: false,
  won: false,
};

function outcome(extra: Partial<SubtaskOutcome>): SubtaskOutcome {
  return {
    status: 'subtask-done',
    transitions: [],
    steps: [{ action: 'go to stove', obsHash: 'h1' }],
    finalProgress: 'at the stove',
    observation: { text: 'You are at the stove.' },
    stepIndex: 1,
    stepsInSubtask: 1,
    score: 10,
    won: false,
    envDone: false,
    tokens: 30,
    spentTokens: 20,
    ...extra,
  };
}

describe('episode budgets and transitions', () => {
  test('the default step budget is defined once and is the paper’s 50', () => {
    expect(DEFAULT_MAX_STEPS).toBe(50);
    expect(DEFAULT_EPISODE_CONFIG.maxSteps).toBe(DEFAULT_MAX_STEPS);
  });

  test('budgets stop the episode in order: steps, subtasks, tokens; 0 means no cap', () => {
    const s = initialState(reset, 'q');
    expect(budgetStatus(s, config)).toBeUndefined();
    expect(budgetStatus({ ...s, stepIndex: 50 }, config)).toBe('step-budget');
    expect(budgetStatus({ ...s, subtasks: ['a', 'b'] }, { ...config, maxSubtasks: 2 })).toBe('subtask-budget');
    expect(budgetStatus({ ...s, subtasks: ['a', 'b'] }, { ...config, maxSubtasks: 0 })).toBeUndefined();
    expect(budgetStatus({ ...s, tokens: 100 }, { ...config, maxTokens: 100 })).toBe('token-budget');
    expect(budgetStatus({ ...s, stepIndex: 50, tokens: 100 }, { ...config, maxTokens: 100 })).toBe('step-budget');
  });

  test('absorbing a subtask appends its steps and counts; the episode is won once any subtask won', () => {
    const s = initialState(reset, 'q');
    absorbSubtask(s, outcome({ won: true }));
    absorbSubtask(s, outcome({ stepIndex: 2, steps: [{ action: 'look', obsHash: 'h2' }], won: false }));
    expect(redriveLogSteps(s.log).map((l) => l.action)).toEqual(['go to stove', 'look']);
    expect(s).toMatchObject({ stepIndex: 2, score: 10, won: true, tokens: 60, spentTokens: 40 });
  });

  test('a slim subtask result counts its calls per level from its levels (it holds no transition)', () => {
    const s = initialState(reset, 'q');
    const { transitions: _t, ...rest } = outcome({});
    const levels = { low: { calls: 3, prompt: 30, completion: 3 }, progress: { calls: 1, prompt: 20, completion: 5 } };
    absorbSubtask(s, { ...rest, record: 'events', levels });
    absorbSubtask(s, { ...rest, record: 'events', levels: { low: { calls: 1, prompt: 10, completion: 1 } } });
    expect(s.levels).toEqual({
      low: { calls: 4, prompt: 40, completion: 4 },
      progress: { calls: 1, prompt: 20, completion: 5 },
    });
  });

  test('a subtask goes on in a next part after its part cap or a lost session, from where the part left', () => {
    const part = outcome({ status: 'part-limit', finalProgress: 'half', stepsInSubtask: 7, previous: { look: 'L' } });
    expect(continuesInNextPart(part)).toBe(true);
    expect(continuesInNextPart(outcome({ status: 'session-lost' }))).toBe(true);
    expect(continuesInNextPart(outcome({ status: 'subtask-done' }))).toBe(false);
    const s = initialState(reset, 'q');
    absorbSubtask(s, part);
    const next = subtaskInputOf(
      { episodeId: 'e', config },
      s,
      { index: 0, text: 'heat', completedSubtasks: [] },
      carryOf(part),
    );
    expect(next).toMatchObject({ progress: 'half', stepsInSubtask: 7, previous: { look: 'L' }, stepIndex: 1 });
    expect(next.observation).toEqual(part.observation);
    const first = subtaskInputOf(
      { episodeId: 'e', config },
      s,
      { index: 1, text: 'x', completedSubtasks: ['heat'] },
      FRESH_SUBTASK,
    );
    expect(first).toMatchObject({ progress: 'None', stepsInSubtask: 0, tokensBefore: s.tokens });
    expect(first).not.toHaveProperty('previous');
  });

  test('what a subtask outcome means for the episode', () => {
    expect(statusAfterSubtask(outcome({ envDone: true, status: 'env-done' }))).toEqual({ status: 'env-done' });
    expect(statusAfterSubtask(outcome({ status: 'cancelled' }))).toEqual({ status: 'cancelled' });
    expect(statusAfterSubtask(outcome({ status: 'token-budget' }))).toEqual({ status: 'token-budget' });
    expect(statusAfterSubtask(outcome({ status: 'llm-error', error: 'down' }))).toEqual({
      status: 'llm-error',
      error: 'down',
    });
    expect(statusAfterSubtask(outcome({ status: 'subtask-done' }))).toEqual({});
  });

  test('a run hands over on Temporal’s suggestion or at the config’s event limit', () => {
    expect(shouldContinueAsNew({ continueAsNewSuggested: false, historyLength: 9_999 }, config)).toBe(false);
    expect(shouldContinueAsNew({ continueAsNewSuggested: false, historyLength: 10_000 }, config)).toBe(true);
    expect(shouldContinueAsNew({ continueAsNewSuggested: true, historyLength: 10 }, config)).toBe(true);
  });

  test('results: from the state, and for an episode cancelled before its reset', () => {
    const s = initialState(reset, 'q');
    absorbSubtask(s, outcome({}));
    expect(episodeResultOf('e', s, { status: 'step-budget', redrives: 1 })).toMatchObject({
      episodeId: 'e',
      status: 'step-budget',
      steps: 1,
      redrives: 1,
      envVersions: { builtin: '1' },
    });
    expect(cancelledBeforeReset('e')).toMatchObject({ status: 'cancelled', steps: 0, tokens: 0, subtasks: [] });
  });

  test('a subtask run stops at the episode budget, its own cap, the token budget, then at a part boundary', () => {
    const at = { stepIndex: 3, stepsInSubtask: 3, episodeTokens: 10, stepsThisRun: 3 };
    expect(subtaskStopStatus(at, config)).toBeUndefined();
    expect(subtaskStopStatus({ ...at, stepIndex: 50 }, config)).toBe('step-budget');
    expect(subtaskStopStatus(at, { ...config, maxStepsPerSubtask: 3 })).toBe('subtask-step-cap');
    expect(subtaskStopStatus(at, { ...config, maxTokens: 10 })).toBe('token-budget');
    expect(subtaskStopStatus(at, { ...config, maxStepsPerChildRun: 3 })).toBe('part-limit');
    // By bytes too: a part returns before its transitions near the payload limit, whatever the step cap.
    const big = { ...at, bytesThisRun: PART_RESULT_BYTE_BUDGET };
    expect(subtaskStopStatus(big, { ...config, maxStepsPerChildRun: 500 })).toBe('part-limit');
    expect(subtaskStopStatus({ ...big, bytesThisRun: PART_RESULT_BYTE_BUDGET - 1 }, config)).toBeUndefined();
    expect(PART_RESULT_BYTE_BUDGET).toBeLessThan(1024 * 1024);
  });

  test('re-drives stop after maxRedrives; the first re-drive of a resumed run is free', () => {
    expect(redriveRefusal({ redrives: 2 }, 0, { maxRedrives: 3 })).toBeUndefined();
    expect(redriveRefusal({ redrives: 3 }, 0, { maxRedrives: 3 })).toMatch(/lost 4 times; gave up after 3 re-drives/);
    expect(redriveRefusal({ redrives: 3, firstIsFree: true }, 0, { maxRedrives: 3 })).toBeUndefined();
    expect(redriveRefusal({ redrives: 3, firstIsFree: true }, 1, { maxRedrives: 3 })).toBeDefined();
  });

  test('ids are deterministic', () => {
    expect(subtaskWorkflowId('ep', 2, 1)).toBe('ep/subtask-2.1');
    expect(evalEpisodeId('ev', 7)).toBe('ev/ep-0007');
    expect(evalEpisodeId('ev', 12345)).toBe('ev/ep-12345');
  });
});

describe('frozen configs', () => {
  test('an eval’s shared config is complete: every default field present, whatever the flags', () => {
    const shared = resolveSharedConfig({ maxSteps: 60, profile: 'paper' });
    for (const key of Object.keys(DEFAULT_EPISODE_CONFIG)) expect(shared).toHaveProperty(key);
    expect(shared).toMatchObject({ maxSteps: 60, profile: 'paper', highLevelWindow: 0 });
    expect(shared).not.toHaveProperty('spec');
    expect(resolveSharedConfig(shared)).toEqual(shared); // idempotent: a recorded config is kept as is
  });
});

describe('eval bookkeeping', () => {
  const won = (index: number): SlimOutcome => ({
    index,
    episodeId: `e${index}`,
    status: 'env-done',
    score: 100,
    won: true,
    steps: 5,
    tokens: {},
    spentTokens: 0,
  });
  const failed = (index: number): SlimOutcome => ({ ...won(index), status: 'failed', score: 0, won: false });

  test('index ranges stay compact and exact', () => {
    let r = rangesOf([0, 1, 2, 5, 6, 9]);
    expect(r).toEqual([
      [0, 3],
      [5, 7],
      [9, 10],
    ]);
    r = addIndex(addIndex(r, 3), 4);
    expect(r).toEqual([
      [0, 7],
      [9, 10],
    ]);
    expect(hasIndex(r, 8)).toBe(false);
    expect(indexesOf(r)).toEqual([0, 1, 2, 3, 4, 5, 6, 9]);
  });

  test('a 5,000-episode built-in plan compacts to a handful of entries and expands back exactly', () => {
    const tasks = ['boil-water', 'make-tea', 'plant-seed'];
    const plan = Array.from({ length: 5000 }, (_, i) => ({
      spec: { env: 'builtin' as const, task: tasks[Math.floor(i / 1667)]!, variation: i % 1667 },
      group: tasks[Math.floor(i / 1667)]!,
    }));
    const compact = compactPlan(plan);
    expect(compact.length).toBeLessThanOrEqual(4);
    expect(JSON.stringify(compact).length).toBeLessThan(500);
    expect(expandPlan(compact)).toEqual(plan);
  });

  test('launch rules: concurrency, pause, the run’s share, cancel; a paused run with work left is not settled', () => {
    const book = new EvalBook(6, undefined, 2, 3);
    expect(book.mayLaunch(1, false)).toBe(true);
    expect(book.mayLaunch(2, false)).toBe(false);
    book.paused = true;
    expect(book.mayLaunch(0, false)).toBe(false);
    expect(book.settled(0, false)).toBe(false);
    book.paused = false;
    for (const i of [0, 1, 2]) book.record(book.queue.shift()!, won(i));
    expect(book.runFull(false)).toBe(true); // 3 per run
    expect(book.settled(0, false)).toBe(true);
    expect(book.needsNextRun()).toBe(true);
    expect(book.carried()).toMatchObject({ runs: 1, finished: [[0, 3]], totals: { done: 3, won: 3 } });
    book.cancelled = true;
    expect(book.needsNextRun()).toBe(false);
    expect(() => book.assertOpen('ev')).toThrow(/eval ev is cancelled/);
  });

  test('the next run starts where the carried state left off, and retryFailed queues the failed again', () => {
    const first = new EvalBook(5, undefined, 2, 10);
    first.record(first.queue.shift()!, failed(0));
    first.record(first.queue.shift()!, won(1));
    const next = new EvalBook(5, first.carried(), 2, 10);
    expect(next.runs).toBe(2);
    expect(next.queue).toEqual([2, 3, 4]);
    expect(next.totals).toMatchObject({ done: 2, failed: 1, won: 1 });
    expect(next.retryFailed()).toBe(1);
    expect(next.queue).toEqual([2, 3, 4, 0]);
    expect(next.totals).toMatchObject({ done: 1, failed: 0 });
    expect(next.retryFailed()).toBe(0);
  });

  test('a state carried by an eval started before 0.2.0 (every outcome) becomes the bounded one', () => {
    const book = new EvalBook(4, { runs: 3, outcomes: [won(0), failed(2)] }, 1, 10);
    expect(book.queue).toEqual([1, 3]);
    expect(book.totals).toMatchObject({ done: 2, won: 1, failed: 1 });
    expect(book.failed).toEqual([[2, 3]]);
  });

  test('concurrency bounds', () => {
    expect(() => EvalBook.assertConcurrency(0)).toThrow(/from 1 to 1024/);
    expect(() => EvalBook.assertConcurrency(1.5)).toThrow();
    expect(() => EvalBook.assertConcurrency(1024)).not.toThrow();
  });
});
