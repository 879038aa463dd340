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
import {
  checkpointServedSignal,
  currentStage,
  EMPTY_TRAINING_STATE,
  trainingEndUpdates,
  trainingProgressQuery,
  type TrainingActivityTypes,
  type TrainingEvaluateStage,
  type TrainingInput,
  type TrainingProgress,
  type TrainingResult,
  type TrainingState,
} from '../episode/training-records';
import {
  chunkLimits,
  serveCheckpointInput,
  serveEnded,
  trainingActivityOptions,
  trainingEndMemo,
  trainingEvalStart,
  trainingFailure,
  trainingProgressOf,
  trainingResultOf,
} from '../episode/training-state';
import { recordEndAttributes } from './outcome-attributes';

function activitiesFor(input: TrainingInput) {
  const options = trainingActivityOptions(input);
  return {
    setup: proxyActivities<TrainingActivityTypes>(options.setup),
    chunk: proxyActivities<TrainingActivityTypes>(options.chunk),
    serve: proxyActivities<TrainingActivityTypes>(options.serve),
  };
}

type TrainingActivities = ReturnType<typeof activitiesFor>;

/** Runs (or, carried by `input.state`, continues) a training run; see the file header. */
export async function trainingWorkflow(input: TrainingInput): Promise<TrainingResult> {
  const state: TrainingState = { ...EMPTY_TRAINING_STATE, ...input.state };
  let phase: TrainingProgress['phase'] = state.prepared ? 'training' : 'preparing';
  setHandler(trainingProgressQuery, () => trainingProgressOf(input, state, 'running', phase));
  setHandler(checkpointServedSignal, (served) => {
    state.served = served;
  });
  const acts = activitiesFor(input);
  const { chunkSteps, chunksPerRun } = chunkLimits(input);
  const end = (status: TrainingResult['status'], evaluation?: unknown): TrainingResult => {
    recordEndAttributes(trainingEndUpdates(status, state), trainingEndMemo);
    return trainingResultOf(input, state, status, evaluation);
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
    recordEndAttributes(trainingEndUpdates('failed', state), trainingEndMemo);
    throw trainingFailure(err);
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
  const serveInput = serveCheckpointInput(input, stage, state);
  const scope = new CancellationScope();
  const serving = scope.run(() => acts.serve.serveCheckpoint(serveInput));
  // The activity never returns while serving: its end (a failure, past its retries) ends the stage.
  const ended = serving.then(() => {
    throw serveEnded();
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
  const options = trainingEvalStart(input.evaluate!, workflowInfo().workflowId);
  state.evalId = options.workflowId;
  return executeChild('evalWorkflow', options);
}
