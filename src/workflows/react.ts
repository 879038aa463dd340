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
import type { EpisodeProgress, ReactInput, ReactResult, ReactState, ReactStep } from '../episode/records';
import {
  absorbReactCall,
  absorbReactStep,
  initialReactState,
  reactBudgetStatus,
  reactResultOf,
  reactShouldContinueAsNew,
  reactStepBytes,
} from '../episode/react-state';
import { episodeOutcomeUpdates } from '../episode/search-attributes';
import { decideOrStop, isLlmStop } from './llm-failure';
import { recordEndAttributes, refuseInvalidConfig } from './outcome-attributes';
import { onPinnedWorker, type PinnedEnv } from './pinned-env';
import { closeSession, isSessionLoss, openSessionUnlessCancelled, redriveSession } from './session';
import { reportedToEval } from './report-outcome';

export type { ReactResult, ReactStep } from '../episode/records';
export { reactStepsQuery } from '../episode/messages';

/** Runs the ReAct baseline for one episode (or, after continue-as-new, its next run). */
export async function reactWorkflow(input: ReactInput): Promise<ReactResult> {
  const config = withDefaults(input.config);
  refuseInvalidConfig(config);
  const episodeId = workflowInfo().workflowId;
  let state: ReactState | undefined = input.state;
  const previousRunSteps = input.previousRunSteps ?? [];
  const runSteps: ReactStep[] = []; // this run's step records: its result, or the next run's input
  let runStepBytes = 0;
  let status: EpisodeStatus | undefined;
  let error: string | undefined;
  let cancelReason: string | undefined;
  const cancelRequested = (): boolean => cancelReason !== undefined || CancellationScope.current().consideredCancelled;

  // Handlers before the first await, so no early message is lost.
  setHandler(cancelSignal, (reason?: string) => void (cancelReason = reason ?? 'cancelled'));
  setHandler(reactStepsQuery, () => [...previousRunSteps, ...runSteps]);
  setHandler(episodeProgressQuery, (): EpisodeProgress => ({
    status: status ?? 'running',
    subtaskIndex: -1,
    stepIndex: state?.stepIndex ?? 0,
    score: state?.score ?? 0,
    tokens: state?.tokens ?? 0,
  }));

  if (!state) {
    const opened = await openSessionUnlessCancelled(episodeId, config);
    if (!opened) {
      recordEndAttributes(episodeOutcomeUpdates({ status: 'cancelled', won: false, score: 0, steps: 0, tokens: 0 }));
      return reportedToEval(reactResultOf(episodeId, undefined, [], { status: 'cancelled' }));
    }
    state = initialReactState(opened.reset, opened.envQueue);
  }
  const s = state;
  const onEnv = <T>(call: (env: PinnedEnv) => Promise<T>): Promise<T> => onPinnedWorker(s.envQueue, config, call);
  const ended = (end: Parameters<typeof episodeOutcomeUpdates>[0]['status']) =>
    episodeOutcomeUpdates({ status: end, won: s.won, score: s.score, steps: s.stepIndex, tokens: s.tokens });

  /** A fresh session on a newly acquired worker, driven through `log`; sets `status` when it gives up. */
  const redrive = async (): Promise<void> => {
    const outcome = await redriveSession(episodeId, config, s, { redrives: s.redrives });
    s.redrives = outcome.redrives;
    if (outcome.envQueue) s.envQueue = outcome.envQueue;
    else [status, error] = ['env-error', outcome.error];
  };

  try {
    for (;;) {
      status = cancelRequested() ? 'cancelled' : reactBudgetStatus(s, config);
      if (status) break;
      if (runSteps.length > 0 && reactShouldContinueAsNew(workflowInfo(), runStepBytes, config)) {
        // Nothing after continueAsNew runs: the next run starts from `state`, its session still open.
        await continueAsNew<typeof reactWorkflow>({
          config,
          state: { ...s, runs: s.runs + 1 },
          previousRunSteps: runSteps,
        });
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
      const output = decision.output?.role === 'react' ? decision.output : undefined;
      const action = output?.action ?? 'None';
      const stepIndex = s.stepIndex;

      let result;
      while (!result && !status) {
        try {
          result = await onEnv((env) => env.envStep({ episodeId, stepIndex, action }));
        } catch (err) {
          if (!isSessionLoss(err)) throw err;
          await redrive();
        }
      }
      if (!result) break;
      const step: ReactStep = {
        stepIndex,
        action,
        ...(output?.thought ? { thought: output.thought } : {}),
        invalid: output === undefined,
        observation: result.observation.text,
        reward: result.reward,
        score: result.score,
        done: result.done,
        promptChars: decision.record.promptChars,
        promptTokens: decision.record.tokens.prompt,
        completionTokens: decision.record.tokens.completion,
      };
      absorbReactStep(s, step, result.obsHash, config);
      s.won = result.won;
      runSteps.push(step);
      runStepBytes += reactStepBytes(step);
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
        recordEndAttributes(ended('failed'));
      }
      throw err;
    }
  }

  await closeSession(episodeId, s.envQueue, config);
  recordEndAttributes(ended(status!));
  return reportedToEval(reactResultOf(episodeId, s, runSteps, { status: status!, error }));
}
