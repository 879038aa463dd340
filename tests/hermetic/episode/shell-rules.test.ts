/**
 * The rules the workflow shells moved into the episode core (issue 17), without a server: the
 * training run's options, progress, result, memo, serve input, eval child and failure; the
 * labelling job's drops and counts; the episode's end updates, next-run input and subtask text; a
 * subtask step's end; an eval child's error; the pinned queue wait; lease reading; the invalid
 * config failure.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  ChildWorkflowFailure,
  TypedSearchAttributes,
  WorkflowExecutionAlreadyStartedError,
} from '@temporalio/common';
import { withDefaults, type EpisodeConfig } from '../../../src/agent/config';
import { MAX_PINNED_QUEUE_WAIT_SECONDS, nextPinnedQueueWait } from '../../../src/episode/activity-options';
import { episodeContinueInput, episodeEndUpdates, subtaskTextOf } from '../../../src/episode/episode-state';
import { EvalRun } from '../../../src/episode/eval-run';
import type { EvalInput } from '../../../src/episode/eval-records';
import { invalidConfigFailure } from '../../../src/episode/failures';
import {
  absorbTrajectory,
  EMPTY_LABEL_STATE,
  NO_TEACHER_TOTALS,
  teacherErrorDrop,
  trajectoryNotSegmented,
  trajectoryWorkflowId,
} from '../../../src/episode/labelling-state';
import type { EpisodeState } from '../../../src/episode/records';
import { envQueueOf } from '../../../src/episode/redrive';
import {
  episodeOutcomeUpdates,
  StepHrlParent,
  StepHrlStatus,
  StepHrlSteps,
} from '../../../src/episode/search-attributes';
import { endAfterStep } from '../../../src/episode/subtask-state';
import type { TrainingInput, TrainingState } from '../../../src/episode/training-records';
import {
  chunkLimits,
  serveCheckpointInput,
  trainingActivityOptions,
  trainingEndMemo,
  trainingEvalStart,
  trainingFailure,
  trainingProgressOf,
  trainingResultOf,
} from '../../../src/episode/training-state';

const training = (extra: Partial<TrainingInput> = {}): TrainingInput => ({
  config: {},
  configSource: { path: 'cfg.yaml', sha256: 'x' },
  runDir: '/runs/a',
  trainingTaskQueue: 'py',
  ...extra,
});
const prepared: TrainingState = {
  stageIndex: 2,
  chunks: 3,
  finals: { bc: { final: '/runs/a/bc/final' }, rl: { final: '/runs/a/rl/final' } },
  prepared: { stages: ['bc', 'rl'], totalSteps: { bc: 4, rl: 6 } },
} as unknown as TrainingState;
const evalStage = {
  taskQueue: 'evalq',
  input: { env: 'builtin', agent: 'step-hrl', split: 'test', model: 'm', config: { profile: 'paper' } },
  serve: { modelName: 'ckpt', host: '127.0.0.1', loadTimeoutSeconds: 60 },
} as unknown as NonNullable<TrainingInput['evaluate']>;

test('training activities: one queue and retry policy, a chunk timeout from the input, a serve that waits for its cancel', () => {
  const options = trainingActivityOptions(training({ chunkTimeoutMs: 5000, heartbeatTimeoutMs: 1000 }));
  expect(options.setup).toMatchObject({ taskQueue: 'py', heartbeatTimeout: 1000, startToCloseTimeout: '1 hour' });
  expect(options.chunk.startToCloseTimeout).toBe(5000);
  expect(options.chunk.retry).toMatchObject({ maximumAttempts: 10, nonRetryableErrorTypes: ['BadTrainingConfig'] });
  expect(options.serve).toMatchObject({
    startToCloseTimeout: '30 days',
    cancellationType: 'WAIT_CANCELLATION_COMPLETED',
  });
  expect(trainingActivityOptions(training()).chunk.startToCloseTimeout).toBe(2 * 60 * 60 * 1000);
  expect(chunkLimits(training({ chunkSteps: 0, chunksPerRun: 3 }))).toEqual({ chunkSteps: 1, chunksPerRun: 3 });
});

test('training progress, result and end memo', () => {
  const progress = trainingProgressOf(training(), prepared, 'running', 'serving');
  expect(progress).toMatchObject({ status: 'running', phase: 'serving', runDir: '/runs/a', trainingTaskQueue: 'py' });
  expect(progress.stage).toBeUndefined(); // every stage done
  expect(trainingResultOf(training(), prepared, 'finished')).not.toHaveProperty('evaluation');
  expect(trainingResultOf(training(), prepared, 'finished', { won: 1 }).evaluation).toEqual({ won: 1 });
  const after = new TypedSearchAttributes([
    { key: StepHrlStatus, value: 'finished' },
    { key: StepHrlSteps, value: 10 },
  ]);
  expect(trainingEndMemo(after)).toEqual({ kind: 'training', status: 'finished', steps: 10 });
});

test("the eval stage serves the last stage's final checkpoint and starts its child linked to the run", () => {
  expect(serveCheckpointInput(training(), evalStage, prepared)).toEqual({
    runDir: '/runs/a',
    checkpoint: '/runs/a/rl/final',
    modelName: 'ckpt',
    host: '127.0.0.1',
    loadTimeoutSeconds: 60,
  });
  expect(() => serveCheckpointInput(training(), evalStage, { ...prepared, finals: {} })).toThrow('no final checkpoint');
  const start = trainingEvalStart(evalStage, 'train-1');
  expect(start).toMatchObject({ workflowId: 'train-1/eval', taskQueue: 'evalq', args: [evalStage.input] });
  expect(start.typedSearchAttributes).toContainEqual({ key: StepHrlParent, value: 'train-1' });
  expect(trainingEvalStart({ ...evalStage, evalId: 'mine' }, 'train-1').workflowId).toBe('mine');
});

test("a failed run throws the activity's own failure, named by the activity; anything else as it is", () => {
  const cause = ApplicationFailure.nonRetryable('bad field lr', 'BadTrainingConfig');
  const failed = new ActivityFailure('Activity task failed', 'prepareRun', '1', 'NON_RETRYABLE_FAILURE', 'id', cause);
  const thrown = trainingFailure(failed) as ApplicationFailure;
  expect(thrown).toBeInstanceOf(ApplicationFailure);
  expect([thrown.message, thrown.type, thrown.nonRetryable]).toEqual([
    'prepareRun: bad field lr',
    'BadTrainingConfig',
    true,
  ]);
  const other = new Error('bug');
  expect(trainingFailure(other)).toBe(other);
});

test("labelling: a failed teacher call's drop, the not-segmented failure, the child id, a child's count", () => {
  const failed = new ActivityFailure(
    'x',
    'teacherSegment',
    '1',
    'NON_RETRYABLE_FAILURE',
    'id',
    new Error('503 from the teacher'),
  );
  expect(teacherErrorDrop(failed)).toEqual({ drop: { reason: 'teacher-error', detail: '503 from the teacher' } });
  expect(teacherErrorDrop('plain')).toEqual({ drop: { reason: 'teacher-error', detail: 'plain' } });
  const notSegmented = trajectoryNotSegmented('t1');
  expect([notSegmented.type, notSegmented.nonRetryable]).toEqual(['NotSegmented', true]);
  expect(notSegmented.message).toContain('t1 is not segmented');
  expect(trajectoryWorkflowId('job', 't1')).toBe('job/t1');
  const state = { ...EMPTY_LABEL_STATE };
  absorbTrajectory(state, { id: 'a', labelled: true, ...NO_TEACHER_TOTALS, teacherCalls: 2 });
  absorbTrajectory(state, { id: 'b', labelled: false, ...NO_TEACHER_TOTALS, teacherCalls: 1 });
  expect(state).toMatchObject({ labelled: 1, dropped: 1, teacherCalls: 3 });
});

test("an episode's end updates, next run's input and subtask text", () => {
  expect(episodeEndUpdates(undefined, 'cancelled')).toEqual(
    episodeOutcomeUpdates({ status: 'cancelled', won: false, score: 0, steps: 0, tokens: 0 }),
  );
  const s = { won: true, score: 100, stepIndex: 4, tokens: 50, runs: 2 } as EpisodeState;
  expect(episodeEndUpdates(s, 'failed')).toEqual(
    episodeOutcomeUpdates({ status: 'failed', won: true, score: 100, steps: 4, tokens: 50 }),
  );
  const config = { spec: { env: 'builtin', task: 't', variation: 0 } } as EpisodeConfig;
  expect(episodeContinueInput(config, s, 3)).toEqual({ config, state: { ...s, runs: 3, redrives: 3 } });
  const forkOf = { episodeId: 'e', runId: 'r', subtaskIndex: 1 } as never;
  expect(episodeContinueInput(config, s, 0, forkOf).forkOf).toBe(forkOf);
  expect(subtaskTextOf({ output: { role: 'high', subtask: 'open the chest' } as never, lastReply: 'x' })).toBe(
    'open the chest',
  );
  expect(subtaskTextOf({ lastReply: '  ' })).toBe('None');
  expect(subtaskTextOf({ lastReply: ' go north ' })).toBe('go north');
});

test('a subtask run ends after a step when the env ends, the progress call was cut, or the subtask is done', () => {
  const result = { done: false, won: false } as never;
  const low = { record: {} as never, decision: { action: 'look', subtaskDone: false } } as never;
  expect(endAfterStep({ result, low })).toBeUndefined();
  expect(endAfterStep({ result: { done: true, won: true } as never, low }, { status: 'cancelled' })).toEqual({
    status: 'env-done',
    extra: { won: true, envDone: true },
  });
  expect(endAfterStep({ result, low }, { status: 'llm-error', error: 'down' })).toEqual({
    status: 'llm-error',
    extra: { error: 'down', progressDropped: true },
  });
  const done = { record: {} as never, decision: { action: 'look', subtaskDone: true } } as never;
  expect(endAfterStep({ result, low: done })).toEqual({ status: 'subtask-done' });
});

test("an eval child's error: a failure counted, an earlier run's child a straggler, a cancelled start unplayed, else fatal", () => {
  const input: EvalInput = {
    agent: 'step-hrl',
    selection: 'test',
    env: 'builtin',
    config: { maxSteps: 7 },
    episodes: [0, 1, 2].map((v) => ({ spec: { env: 'builtin', task: 'find-key-open-chest', variation: v } })),
    concurrency: 3,
  } as EvalInput;
  const run = new EvalRun('e', input, true);
  const failure = new ChildWorkflowFailure(
    'ns',
    { workflowId: 'e/ep-0000', runId: 'r' },
    'episodeWorkflow',
    'NON_RETRYABLE_FAILURE',
    new CancelledFailure('cancelled'),
  );
  expect(run.childError(run.launch(), failure, false)).toBeUndefined();
  expect(run.book.totals.cancelled).toBe(1);
  const started = new WorkflowExecutionAlreadyStartedError('started', 'e/ep-0001', 'episodeWorkflow');
  expect(run.childError(run.launch(), started, false)).toBeUndefined(); // not cancelled: awaited
  expect(run.waitingStragglers()).toEqual([1]);
  expect(run.childError(run.launch(), new Error('bug'), false)).toBe('fatal');
  run.cancel();
  expect(run.childError(1, started, false)).toBe('cancel');
});

test('pinned queue waits double up to the cap; a lease or a plain queue name is read; an invalid config fails', () => {
  expect(nextPinnedQueueWait(10)).toBe(20);
  expect(nextPinnedQueueWait(200)).toBe(MAX_PINNED_QUEUE_WAIT_SECONDS);
  expect(envQueueOf('q.env.abc')).toBe('q.env.abc');
  expect(envQueueOf({ envQueue: 'q.env.def', incarnation: 'def' })).toBe('q.env.def');
  const valid = withDefaults({ spec: { env: 'builtin', task: 'find-key-open-chest', variation: 0 } });
  expect(invalidConfigFailure(valid)).toBeUndefined();
  const bad = invalidConfigFailure({ ...valid, maxSteps: -1 });
  expect([bad?.type, bad?.nonRetryable]).toEqual(['InvalidEpisodeConfig', true]);
  expect(bad?.message).toMatch(/^invalid episode config: /);
});
