/**
 * High level of STEP-HRL: one workflow per episode. Loop: proposeSubtask (high-level policy) →
 * executeChild(subtaskWorkflow) → absorb its outcome → repeat, until the env ends or a budget is
 * spent. The state transitions live in the episode core (`src/episode`); this shell calls
 * activities and children, answers messages and continues as new. Runs PINNED to the build that
 * started it (Worker Versioning), so it carries no `patched()` branches.
 */
import {
  CancellationScope,
  ContinueAsNew,
  continueAsNew,
  executeChild,
  isCancellation,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { recordedConfig } from '../agent/config';
import { highLevelCall, recordedHighCall } from '../episode/policy-calls';
import type { EpisodeStatus } from '../agent/records';
import {
  absorbHighCall,
  absorbSubtask,
  budgetStatus,
  cancelledBeforeReset,
  episodeContinueInput,
  episodeEndUpdates,
  episodeProgressOf,
  episodeResultOf,
  initialState,
  shouldContinueAsNew,
  statusAfterSubtask,
  subtaskTextOf,
} from '../episode/episode-state';
import { subtaskWorkflowId } from '../episode/ids';
import { cancelSignal, episodeProgressQuery } from '../episode/messages';
import type { EpisodeInput, EpisodeResult, EpisodeState, SubtaskPartResult } from '../episode/records';
import { carryOf, continuesInNextPart, FRESH_SUBTASK, subtaskInputOf } from '../episode/subtask-state';
import { isLlmStop } from '../episode/call-record';
import { decideOrStop } from './policy-call';
import { recordEndAttributes, refuseInvalidConfig } from './outcome-attributes';
import { adoptRedrive } from '../episode/redrive';
import { closeSession, openSessionUnlessCancelled, redriveSession } from './session';
import { reportedToEval } from './report-outcome';
import { subtaskWorkflow } from './subtask';

export type { EpisodeInput, EpisodeResult, EpisodeState, ForkOf } from '../episode/records';

/**
 * Runs one STEP-HRL episode. Cancellation, by our `cancel` signal or by Temporal (UI, CLI,
 * `handle.cancel()`), ends it as `cancelled` at the next decision point with its record kept; the
 * env session is closed on every way out, failure included.
 */
export async function episodeWorkflow(input: EpisodeInput): Promise<EpisodeResult> {
  const config = recordedConfig(input.config);
  refuseInvalidConfig(config);
  const episodeId = workflowInfo().workflowId;
  let state: EpisodeState | undefined = input.state;
  let status: EpisodeStatus | undefined;
  let error: string | undefined;
  let cancelReason: string | undefined;
  let currentChild: { workflowId: string; scope: CancellationScope } | undefined;
  let redrives = input.state?.redrives ?? 0;
  const cancelRequested = (): boolean => cancelReason !== undefined || CancellationScope.current().consideredCancelled;

  // Handlers are registered before the first await so no early message is lost.
  setHandler(episodeProgressQuery, () => episodeProgressOf(state, status, currentChild?.workflowId, redrives));
  setHandler(cancelSignal, (reason?: string) => {
    cancelReason = reason ?? 'cancelled';
    currentChild?.scope.cancel(); // Temporal's cancellation: reaches a child that has not started yet too
  });

  if (!state) {
    const opened = await openSessionUnlessCancelled(episodeId, config);
    if (!opened) {
      recordEndAttributes(episodeEndUpdates(undefined, 'cancelled'));
      return reportedToEval(cancelledBeforeReset(episodeId, input.forkOf));
    }
    state = initialState(opened.reset, opened.envQueue, opened.host);
  }
  const s = state;

  /** A fresh session through the recorded prefix; sets `status` when the episode gives up. */
  const redrive = async (firstIsFree = false): Promise<void> => {
    const outcome = await redriveSession(episodeId, config, s, { redrives, firstIsFree });
    redrives = outcome.redrives;
    const gaveUp = adoptRedrive(s, outcome);
    if (gaveUp !== undefined) [status, error] = ['env-error', gaveUp];
  };

  try {
    if (s.needsRedrive) {
      // Resumed from a failed or terminated run: a fresh session must reach the recorded prefix first.
      await redrive(true);
      s.needsRedrive = false;
      if (!status && s.envDone) status = 'env-done';
    }
    while (!status) {
      status = cancelRequested() ? 'cancelled' : budgetStatus(s, config);
      if (status) break;

      const highState = { ...s, subtasks: [...s.subtasks] }; // what the call is built from, for its record
      const high = await decideOrStop(highLevelCall(highState, config), config);
      if (isLlmStop(high)) {
        [status, error] = ['llm-error', high.llmError];
        break;
      }
      absorbHighCall(s, high.record, high.spentTokens);
      if (cancelRequested()) {
        status = 'cancelled'; // asked to stop while the high level decided: start no new subtask
        break;
      }
      const subtask = subtaskTextOf(high);
      const index = s.subtasks.length;
      const completedSubtasks = [...s.subtasks];
      s.subtasks.push(subtask); // appended before execution, as in the reference

      let outcome: SubtaskPartResult | undefined;
      let carry = FRESH_SUBTASK;
      for (let part = 0; ; part++) {
        const workflowId = subtaskWorkflowId(episodeId, index, part);
        const scope = new CancellationScope();
        currentChild = { workflowId, scope };
        if (cancelReason) scope.cancel();
        const childInput = subtaskInputOf(
          { episodeId, config },
          s,
          { index, text: subtask, completedSubtasks },
          carry,
          part === 0 ? recordedHighCall(high.record, highState, config) : {},
        );
        outcome = await scope.run(() => executeChild(subtaskWorkflow, { workflowId, args: [childInput] }));
        absorbSubtask(s, outcome);
        carry = carryOf(outcome);
        if (!continuesInNextPart(outcome)) break;
        if (outcome.status === 'session-lost') await redrive();
        if (status || cancelRequested()) break; // gave up re-driving, or asked to stop: no next part
      }
      currentChild = undefined;
      s.lastProgress = outcome.finalProgress;
      if (status) break;
      if (cancelRequested()) {
        status = 'cancelled';
        break;
      }
      const after = statusAfterSubtask(outcome);
      status = after.status;
      if (after.error !== undefined) error = after.error;

      if (!status && shouldContinueAsNew(workflowInfo(), config)) {
        // Nothing after continueAsNew runs: the next run starts from `state` alone.
        await continueAsNew<typeof episodeWorkflow>(episodeContinueInput(config, s, redrives, input.forkOf));
      }
    }
  } catch (err) {
    if (isCancellation(err)) {
      status = 'cancelled'; // the record so far is the episode's record
    } else {
      if (!(err instanceof ContinueAsNew)) {
        await closeSession(episodeId, s.envQueue, config);
        recordEndAttributes(episodeEndUpdates(s, 'failed'));
      }
      throw err;
    }
  }

  await closeSession(episodeId, s.envQueue, config);
  recordEndAttributes(episodeEndUpdates(s, status!));
  return reportedToEval(episodeResultOf(episodeId, s, { status: status!, redrives, error }, input.forkOf));
}
