/**
 * Low level of STEP-HRL: one child workflow per subtask (or part of a long one). Loop: chooseAction
 * → envStep → updateProgress, until the low level flags the subtask done, the env ends, or a budget
 * is hit. Every prompt holds only (subtask, current observation, local progress): no history. Runs
 * PINNED to the build that started it.
 */
import { CancellationScope, isCancellation, setHandler, sleep } from '@temporalio/workflow';
import type { EnvStepOutput } from '../activities/types';
import { lowLevelCall, progressCall } from '../episode/policy-calls';
import type { CallRecord } from '../agent/records';
import { PROGRESS_CANCEL_GRACE_SECONDS } from '../episode/limits';
import { cancelSignal, transitionsQuery } from '../episode/messages';
import type { PendingDecision, SubtaskInput, SubtaskPartResult, SubtaskRunStatus } from '../episode/records';
import {
  absorbLowCall,
  absorbProgressCall,
  endAfterStep,
  newSubtaskRun,
  nextObservationText,
  observationText,
  subtaskPartResultOf,
  subtaskStopStatus,
  recordStep,
  transitionBytes,
} from '../episode/subtask-state';
import { isLlmStop } from '../episode/call-record';
import { decideOrStop } from './policy-call';
import { onPinnedWorker } from './pinned-env';
import { isSessionLoss } from '../episode/failures';

export type { SubtaskInput, SubtaskOutcome, SubtaskPartResult } from '../episode/records';

/**
 * Runs one subtask (or one part of a long one). Session loss returns early (status `session-lost`)
 * so the episode can re-drive; cancellation (Temporal's or our signal) returns `cancelled` with
 * every step so far. An applied env step is always recorded whole; a cancel during the progress
 * call after it keeps the step with its progress unchanged rather than waiting out an LLM outage.
 */
export async function subtaskWorkflow(input: SubtaskInput): Promise<SubtaskPartResult> {
  const { config } = input;
  let cancelled = false;
  const run = newSubtaskRun(input);
  setHandler(transitionsQuery, () => run.transitions);
  setHandler(cancelSignal, () => void (cancelled = true));
  let pending = input.pending;
  const part = { stepsThisRun: 0, bytesThisRun: 0 };
  // The result is stored in the child's history and again in the episode's: it holds no transition.
  // The steps are recorded once, by this history's activity events (readers rebuild them).
  const finish = (status: SubtaskRunStatus, extra?: Parameters<typeof subtaskPartResultOf>[2]): SubtaskPartResult =>
    subtaskPartResultOf(run, status, extra);
  const cancelRequested = () => cancelled || CancellationScope.current().consideredCancelled;

  try {
    for (;;) {
      if (cancelRequested()) return finish('cancelled');
      const stop = subtaskStopStatus({ ...run, episodeTokens: input.tokensBefore + run.tokens, ...part }, config);
      if (stop) return finish(stop);

      const obsText = observationText(config, run);
      let low: PendingDecision;
      if (pending) {
        low = pending; // decided (and its tokens counted) before the session was lost: never asked twice
        pending = undefined;
      } else {
        const answer = await decideOrStop(
          lowLevelCall(config, input.subtask, obsText, run.observation, run.progress),
          config,
        );
        if (isLlmStop(answer)) return finish('llm-error', { error: answer.llmError });
        low = absorbLowCall(run, answer);
      }
      const decision = low.decision;
      // Like the reference, an unparseable reply still costs a step: "None" is sent as the action.
      const action = decision?.action ?? 'None';

      let result: EnvStepOutput;
      try {
        // Once decided, the step is applied and recorded even if cancellation arrives meanwhile.
        result = await CancellationScope.nonCancellable(() =>
          onPinnedWorker(input.envQueue, config, (env) =>
            env.envStep({ episodeId: input.episodeId, stepIndex: run.stepIndex, action }),
          ),
        );
      } catch (err) {
        if (isSessionLoss(err)) return finish('session-lost', { pending: low });
        throw err;
      }
      const nextObsText = nextObservationText(config, run.observation, result.observation);

      let progressAfter = run.progress;
      let progressRecord: CallRecord | undefined;
      let cut: { status: SubtaskRunStatus; error?: string } | undefined;
      if (!result.done) {
        try {
          const update = await withinCancelGrace(() =>
            decideOrStop(progressCall(config, input.subtask, run.progress, action, nextObsText), config),
          );
          if (isLlmStop(update)) {
            cut = { status: 'llm-error', error: update.llmError }; // the step stays, progress unchanged
          } else {
            progressRecord = update.record;
            progressAfter = absorbProgressCall(run, update);
          }
        } catch (err) {
          if (!isCancellation(err)) throw err;
          cut = { status: 'cancelled' }; // the step stays, progress unchanged
        }
      }

      const step = { obsText, nextObsText, action, progressAfter, result, low, progressRecord };
      part.bytesThisRun += transitionBytes(recordStep(input, run, step));
      part.stepsThisRun += 1;
      const end = endAfterStep(step, cut);
      if (end) return finish(end.status, end.extra);
    }
  } catch (err) {
    // Temporal's cancellation (UI, CLI, handle.cancel()) ends the subtask with its record kept.
    if (isCancellation(err)) return finish('cancelled');
    throw err;
  }
}

/** Runs `work` shielded from a cancellation for {@link PROGRESS_CANCEL_GRACE_SECONDS}, then cancels it. */
async function withinCancelGrace<T>(work: () => Promise<T>): Promise<T> {
  const outer = CancellationScope.current();
  return CancellationScope.nonCancellable(async () => {
    const scope = new CancellationScope();
    void outer.cancelRequested.catch(async () => {
      await sleep(PROGRESS_CANCEL_GRACE_SECONDS * 1000);
      scope.cancel();
    });
    return scope.run(work);
  });
}
