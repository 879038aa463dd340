/**
 * The durable training run (issue 19): `prepareRun`, then per stage a loop of `trainChunk`
 * activities (each at most `chunkSteps` optimizer steps from the stage's last checkpoint,
 * heartbeating), then `finalizeStage`, and optionally an eval of the final checkpoint as a child
 * `evalWorkflow` (with `evaluate.serve`: against the final checkpoint, which the `serveCheckpoint`
 * activity serves while the eval runs). The activities run on a Python worker polling `trainingTaskQueue`; this code only
 * sequences them. A killed Python worker loses at most its chunk: the chunk's heartbeat times out,
 * the retry (on any worker of that queue) resumes from the last checkpoint. The workflow continues
 * as new every `chunksPerRun` chunks, carrying only {@link TrainingState}.
 *
 * Cancellation (Temporal UI, `temporal workflow cancel`, `step-hrl cancel`) abandons the chunk in
 * flight at its next progress report (its last checkpoint stays) and the run ends `cancelled`;
 * running `step-hrl train` again with the same id resumes it.
 */
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  ContinueAsNew,
  continueAsNew,
  executeChild,
  isCancellation,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { RetryPolicy } from '@temporalio/common';
import { evalStartAttributes, StepHrlParent } from '../episode/search-attributes';
import {
  checkpointServedSignal,
  currentStage,
  DEFAULT_CHUNK_STEPS,
  DEFAULT_CHUNKS_PER_RUN,
  DEFAULT_HEARTBEAT_TIMEOUT_MS,
  EMPTY_TRAINING_STATE,
  NON_RETRYABLE_TRAINING_ERRORS,
  trainingEndUpdates,
  trainingProgressQuery,
  type TrainingActivityTypes,
  type TrainingEvaluateStage,
  type TrainingInput,
  type TrainingProgress,
  type TrainingResult,
  type TrainingState,
  type TrainingStatus,
} from '../episode/training-records';
import { recordTrainingEnd } from './training-attributes';

export {
  trainingProgressQuery,
  type TrainingInput,
  type TrainingProgress,
  type TrainingResult,
} from '../episode/training-records';

function activitiesFor(input: TrainingInput) {
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
    setup: proxyActivities<TrainingActivityTypes>({ ...common, startToCloseTimeout: '1 hour' }),
    chunk: proxyActivities<TrainingActivityTypes>({
      ...common,
      startToCloseTimeout: input.chunkTimeoutMs ?? 2 * 60 * 60 * 1000,
    }),
    // Lives as long as the eval; its heartbeats say the server is up. Waiting for its cancellation
    // means the server has stopped when the run ends.
    serve: proxyActivities<TrainingActivityTypes>({
      ...common,
      startToCloseTimeout: '30 days',
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    }),
  };
}

type TrainingActivities = ReturnType<typeof activitiesFor>;

/** Runs (or, carried by `input.state`, continues) a training run; see the file header. */
export async function trainingWorkflow(input: TrainingInput): Promise<TrainingResult> {
  const state: TrainingState = { ...EMPTY_TRAINING_STATE, ...input.state };
  let phase: TrainingProgress['phase'] = state.prepared ? 'training' : 'preparing';
  const progress = (status: TrainingStatus): TrainingProgress => ({
    ...state,
    status,
    stage: currentStage(state),
    runDir: input.runDir,
    trainingTaskQueue: input.trainingTaskQueue,
    phase,
  });
  setHandler(trainingProgressQuery, () => progress('running'));
  setHandler(checkpointServedSignal, (served) => {
    state.served = served;
  });
  const acts = activitiesFor(input);
  const chunkSteps = Math.max(1, input.chunkSteps ?? DEFAULT_CHUNK_STEPS);
  const chunksPerRun = Math.max(1, input.chunksPerRun ?? DEFAULT_CHUNKS_PER_RUN);
  const end = (status: Exclude<TrainingStatus, 'running'>, evaluation?: unknown): TrainingResult => {
    recordTrainingEnd(trainingEndUpdates(status, state));
    return { ...state, status, runDir: input.runDir, ...(evaluation !== undefined && { evaluation }) };
  };

  try {
    state.prepared ??= await acts.setup.prepareRun({ runDir: input.runDir, config: input.config });
    let chunksThisRun = 0;
    for (let stage = currentStage(state); stage; stage = currentStage(state)) {
      phase = 'training';
      while (!(state.last?.stage === stage && state.last.done)) {
        if (chunksThisRun >= chunksPerRun || workflowInfo().continueAsNewSuggested) {
          await continueAsNew<typeof trainingWorkflow>({ ...input, state });
        }
        state.last = await acts.chunk.trainChunk({ runDir: input.runDir, stage, maxSteps: chunkSteps });
        state.chunks++;
        chunksThisRun++;
      }
      phase = 'finalizing';
      state.finals[stage] = await acts.setup.finalizeStage({ runDir: input.runDir, stage });
      state.stageIndex++;
      state.last = undefined;
    }
    let evaluation: unknown;
    if (input.evaluate?.serve) {
      phase = 'serving';
      evaluation = await evaluateServed(input, input.evaluate, state, acts, () => (phase = 'evaluating'));
    } else if (input.evaluate) {
      phase = 'evaluating';
      evaluation = await evaluate(input, state);
    }
    phase = 'done';
    return end('finished', evaluation);
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err; // not an end: the next run carries the state on
    if (isCancellation(err)) return CancellationScope.nonCancellable(async () => end('cancelled'));
    recordTrainingEnd(trainingEndUpdates('failed', state));
    // The activity's own message (a bad config names the field), not the SDK's "Activity task failed".
    if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure)
      throw ApplicationFailure.nonRetryable(
        `${err.activityType}: ${err.cause.message}`,
        err.cause.type ?? 'TrainingFailed',
      );
    throw err;
  }
}

/**
 * The eval stage with `serve`: `serveCheckpoint` serves the last stage's final checkpoint and
 * signals its base URL; once it has, the child eval runs (its workers, which the starter points at
 * `state.served`, call that server); then the serve activity is cancelled and awaited, so the
 * server is gone when the run ends. The serve activity failing for good fails the stage.
 */
async function evaluateServed(
  input: TrainingInput,
  stage: TrainingEvaluateStage,
  state: TrainingState,
  acts: TrainingActivities,
  onServed: () => void,
): Promise<unknown> {
  const stages = state.prepared?.stages ?? [];
  const last = stages[stages.length - 1];
  const checkpoint = last ? state.finals[last]?.final : undefined;
  if (!checkpoint) throw ApplicationFailure.nonRetryable('the eval stage found no final checkpoint to serve');
  const { modelName, host, threads, loadTimeoutSeconds } = stage.serve!;
  const scope = new CancellationScope();
  const serving = scope.run(() =>
    acts.serve.serveCheckpoint({
      runDir: input.runDir,
      checkpoint,
      modelName,
      host,
      ...(threads !== undefined && { threads }),
      loadTimeoutSeconds,
    }),
  );
  // The activity never returns while serving: its end (a failure, past its retries) ends the stage.
  const ended = serving.then(() => {
    throw ApplicationFailure.nonRetryable('serveCheckpoint ended before the eval did', 'ServeEnded');
  });
  ended.catch(() => undefined); // raced below; its rejection after the cancel below is expected
  try {
    await Promise.race([condition(() => state.served !== undefined), ended]);
    onServed();
    return await Promise.race([evaluate(input, state), ended]);
  } finally {
    scope.cancel();
    await serving.catch(() => undefined);
    state.served = undefined;
  }
}

/** The eval stage: a child `evalWorkflow` on the eval workers' queue, linked to this run by `StepHrlParent`. */
async function evaluate(input: TrainingInput, state: TrainingState): Promise<unknown> {
  const stage = input.evaluate!;
  const trainingId = workflowInfo().workflowId;
  const evalId = stage.evalId ?? `${trainingId}/eval`;
  state.evalId = evalId;
  return executeChild('evalWorkflow', {
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
  });
}
