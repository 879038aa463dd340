/**
 * A training run's rules apart from Temporal: its activities' options, the chunk limits, its live
 * progress and result, the end memo, the checkpoint the eval stage serves, the child eval's start
 * options and the failure a run ends with. Pure: the training workflow (src/workflows/training.ts)
 * only sequences its activities and its child with it.
 */
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  type ActivityOptions,
  type RetryPolicy,
  type SearchAttributePair,
  type TypedSearchAttributes,
} from '@temporalio/common';
import { evalStartAttributes, StepHrlParent, StepHrlStatus, StepHrlSteps } from './search-attributes';
import {
  currentStage,
  DEFAULT_CHUNK_STEPS,
  DEFAULT_CHUNKS_PER_RUN,
  DEFAULT_HEARTBEAT_TIMEOUT_MS,
  NON_RETRYABLE_TRAINING_ERRORS,
  type ServeCheckpointInput,
  type TrainingEvaluateStage,
  type TrainingInput,
  type TrainingProgress,
  type TrainingResult,
  type TrainingState,
  type TrainingStatus,
} from './training-records';

/** The training activities' options, by kind of work: all on the training queue, heartbeating. */
export function trainingActivityOptions(input: TrainingInput): Record<'setup' | 'chunk' | 'serve', ActivityOptions> {
  const heartbeatTimeout = input.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS;
  const retry: RetryPolicy = {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 10,
    nonRetryableErrorTypes: [...NON_RETRYABLE_TRAINING_ERRORS],
  };
  const common = { taskQueue: input.trainingTaskQueue, heartbeatTimeout, retry };
  return {
    // Loading a dataset (or a model, for the first chunk) is slow but heartbeats; the margin is for a big one.
    setup: { ...common, startToCloseTimeout: '1 hour' },
    chunk: { ...common, startToCloseTimeout: input.chunkTimeoutMs ?? 2 * 60 * 60 * 1000 },
    // Lives as long as the eval; its heartbeats say the server is up. Waiting for its cancellation
    // means the server has stopped when the run ends.
    serve: {
      ...common,
      startToCloseTimeout: '30 days',
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    },
  };
}

/** Optimizer steps per chunk and chunks per workflow run: the input's, or the defaults; at least 1. */
export function chunkLimits(input: TrainingInput): { chunkSteps: number; chunksPerRun: number } {
  return {
    chunkSteps: Math.max(1, input.chunkSteps ?? DEFAULT_CHUNK_STEPS),
    chunksPerRun: Math.max(1, input.chunksPerRun ?? DEFAULT_CHUNKS_PER_RUN),
  };
}

/** What the progress query answers for a run in `phase`. */
export function trainingProgressOf(
  input: TrainingInput,
  state: TrainingState,
  status: TrainingStatus,
  phase: TrainingProgress['phase'],
): TrainingProgress {
  return {
    ...state,
    status,
    stage: currentStage(state),
    runDir: input.runDir,
    trainingTaskQueue: input.trainingTaskQueue,
    phase,
  };
}

/** The run's result, with the eval stage's when it ran. */
export function trainingResultOf(
  input: TrainingInput,
  state: TrainingState,
  status: TrainingResult['status'],
  evaluation?: unknown,
): TrainingResult {
  return { ...state, status, runDir: input.runDir, ...(evaluation !== undefined && { evaluation }) };
}

/** The memo a run sets when it ends (after `trainingEndUpdates`): its kind, status and steps. */
export function trainingEndMemo(after: TypedSearchAttributes): object {
  return { kind: 'training', status: after.get(StepHrlStatus), steps: after.get(StepHrlSteps) };
}

/**
 * The input of `serveCheckpoint` for the eval stage: the last stage's final checkpoint, served with
 * the stage's `serve` settings. A run without one fails (nothing to serve).
 */
export function serveCheckpointInput(
  input: TrainingInput,
  stage: TrainingEvaluateStage,
  state: TrainingState,
): ServeCheckpointInput {
  const stages = state.prepared?.stages ?? [];
  const last = stages[stages.length - 1];
  const checkpoint = last ? state.finals[last]?.final : undefined;
  if (!checkpoint) throw ApplicationFailure.nonRetryable('the eval stage found no final checkpoint to serve');
  const { modelName, host, threads, loadTimeoutSeconds } = stage.serve!;
  return {
    runDir: input.runDir,
    checkpoint,
    modelName,
    host,
    ...(threads !== undefined && { threads }),
    loadTimeoutSeconds,
  };
}

/** Why the eval stage fails when `serveCheckpoint` ends (it never returns while serving). */
export const serveEnded = (): ApplicationFailure =>
  ApplicationFailure.nonRetryable('serveCheckpoint ended before the eval did', 'ServeEnded');

/** The eval stage's child `evalWorkflow`: id `<training id>/eval` unless given, linked to the run by `StepHrlParent`. */
export function trainingEvalStart(
  stage: TrainingEvaluateStage,
  trainingId: string,
): { workflowId: string; taskQueue: string; args: [unknown]; typedSearchAttributes: SearchAttributePair[] } {
  const evalId = stage.evalId ?? `${trainingId}/eval`;
  return {
    workflowId: evalId,
    taskQueue: stage.taskQueue,
    args: [stage.input],
    typedSearchAttributes: [
      ...evalStartAttributes({
        evalId,
        env: stage.input.env,
        agent: stage.input.agent,
        split: stage.input.split,
        model: stage.input.model,
        profile: (stage.input.config as { profile?: string }).profile,
      }),
      { key: StepHrlParent, value: trainingId },
    ],
  };
}

/**
 * What a failed run throws: an activity's own failure as a non-retryable one named by the activity
 * (a bad config names the field), not the SDK's "Activity task failed"; anything else as it is.
 */
export function trainingFailure(err: unknown): unknown {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure)
    return ApplicationFailure.nonRetryable(
      `${err.activityType}: ${err.cause.message}`,
      err.cause.type ?? 'TrainingFailed',
    );
  return err;
}
