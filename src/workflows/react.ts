/**
 * Full-history ReAct baseline on the same activities and envs: each call sees the transcript (every
 * past step, or the newest ones within the context budget `reactContextChars`), so its prompt grows
 * with every step. Used to measure what STEP-HRL's bounded prompts save. Durable like the STEP-HRL
 * episode: cancel (signal or Temporal) ends it `cancelled` with its record, a lost env session is
 * re-driven through the recorded steps on a fresh one, a model that cannot answer ends it
 * `llm-error`, the env session is closed on every way out, and a long episode continues as new
 * (bounded histories and payloads) with its session open. The state transitions live in the
 * episode core (`src/episode/react-state.ts`).
 */
import {
  CancellationScope,
  ContinueAsNew,
  continueAsNew,
  isCancellation,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { withDefaults } from '../agent/config';
import { buildReactCall } from '../agent/prompts/react';
import type { EpisodeStatus } from '../agent/records';
import { cancelSignal, episodeProgressQuery, reactStepsQuery } from '../episode/messages';
import type { ReactInput, ReactResult, ReactState } from '../episode/records';
import {
  absorbReactCall,
  absorbReactStep,
  initialReactState,
  newReactRun,
  reactActionOf,
  reactBudgetStatus,
  reactContinueInput,
  reactEndUpdates,
  reactProgressOf,
  reactResultOf,
  reactShouldContinueAsNew,
  reactStepOf,
  recordRunStep,
} from '../episode/react-state';
import { isLlmStop } from '../episode/call-record';
import { decideOrStop } from './policy-call';
import { recordEndAttributes, refuseInvalidConfig } from './outcome-attributes';
import { onPinnedWorker, type PinnedEnv } from './pinned-env';
import { isSessionLoss } from '../episode/failures';
import { adoptRedrive } from '../episode/redrive';
import { closeSession, openSessionUnlessCancelled, redriveSession } from './session';
import { reportedToEval } from './report-outcome';

export type { ReactResult, ReactStep } from '../episode/records';
export { reactStepsQuery } from '../episode/messages';

/** Runs the ReAct baseline for one episode (or, after continue-as-new, its next run). */
export async function reactWorkflow(input: ReactInput): Promise<ReactResult> {
  // Every start path records the complete config; filling defaults here only completes a config
  // recorded partial by an older client, as it was filled when that episode ran.
  const config = withDefaults(input.config);
  refuseInvalidConfig(config);
  const episodeId = workflowInfo().workflowId;
  let state: ReactState | undefined = input.state;
  const previousRunSteps = input.previousRunSteps ?? [];
  const run = newReactRun(); // this run's step records: its result, or the next run's input
  let status: EpisodeStatus | undefined;
  let error: string | undefined;
  let cancelReason: string | undefined;
  const cancelRequested = (): boolean => cancelReason !== undefined || CancellationScope.current().consideredCancelled;

  // Handlers before the first await, so no early message is lost.
  setHandler(cancelSignal, (reason?: string) => void (cancelReason = reason ?? 'cancelled'));
  setHandler(reactStepsQuery, () => [...previousRunSteps, ...run.steps]);
  setHandler(episodeProgressQuery, () => reactProgressOf(state, status));

  if (!state) {
    const opened = await openSessionUnlessCancelled(episodeId, config);
    if (!opened) {
      recordEndAttributes(reactEndUpdates(undefined, 'cancelled'));
      return reportedToEval(reactResultOf(episodeId, undefined, [], { status: 'cancelled' }));
    }
    state = initialReactState(opened.reset, opened.envQueue, opened.host);
  }
  const s = state;
  const onEnv = <T>(call: (env: PinnedEnv) => Promise<T>): Promise<T> => onPinnedWorker(s.envQueue, config, call);

  /** A fresh session on a newly acquired worker, driven through `log`; sets `status` when it gives up. */
  const redrive = async (): Promise<void> => {
    const outcome = await redriveSession(episodeId, config, s, { redrives: s.redrives });
    s.redrives = outcome.redrives;
    const gaveUp = adoptRedrive(s, outcome);
    if (gaveUp !== undefined) [status, error] = ['env-error', gaveUp];
  };

  try {
    for (;;) {
      status = cancelRequested() ? 'cancelled' : reactBudgetStatus(s, config);
      if (status) break;
      if (run.steps.length > 0 && reactShouldContinueAsNew(workflowInfo(), run.bytes, config)) {
        // Nothing after continueAsNew runs: the next run starts from `state`, its session still open.
        await continueAsNew<typeof reactWorkflow>(reactContinueInput(config, s, run));
      }

      const call = buildReactCall(s.task, s.initialObservation, s.turns, config.profile, config.decoding.react);
      const decision = await decideOrStop(call, config);
      if (isLlmStop(decision)) {
        [status, error] = ['llm-error', decision.llmError];
        break;
      }
      absorbReactCall(s, decision.record, decision.spentTokens, decision.output !== undefined);
      if (cancelRequested()) {
        status = 'cancelled'; // asked to stop while the model decided: take no further step
        break;
      }
      const decided = reactActionOf(decision.output);
      const stepIndex = s.stepIndex;

      let result;
      while (!result && !status) {
        try {
          result = await onEnv((env) => env.envStep({ episodeId, stepIndex, action: decided.action }));
        } catch (err) {
          if (!isSessionLoss(err)) throw err;
          await redrive();
        }
      }
      if (!result) break;
      const step = reactStepOf(stepIndex, decided, decision.record, result);
      absorbReactStep(s, step, result, config);
      recordRunStep(run, step);
      if (result.done) {
        status = 'env-done';
        break;
      }
    }
  } catch (err) {
    if (isCancellation(err)) {
      status = 'cancelled'; // Temporal's cancellation: the record so far is the episode's record
    } else {
      if (!(err instanceof ContinueAsNew)) {
        await closeSession(episodeId, s.envQueue, config);
        recordEndAttributes(reactEndUpdates(s, 'failed'));
      }
      throw err;
    }
  }

  await closeSession(episodeId, s.envQueue, config);
  recordEndAttributes(reactEndUpdates(s, status!));
  return reportedToEval(reactResultOf(episodeId, s, run.steps, { status: status!, error }));
}
