/**
 * An evaluation as one durable workflow: starts one episode workflow (STEP-HRL or ReAct) per
 * planned episode as a child, at most `concurrency` at a time, and counts each outcome. It
 * continues as new after `episodesPerRun` episodes (letting the running ones finish first, so no
 * child outlives the run that started it), carrying only totals and compact index sets: its input
 * stays a few KB however many episodes it plays. Per-episode outcomes stay in the runs' histories.
 * A finished episode is never started again.
 *
 * Cancellation, by Temporal (UI, `temporal workflow cancel`, `step-hrl cancel`) or by our `cancel`
 * signal or update, stops launching, cancels the running episodes (each closes its env session and
 * ends `cancelled` with its record) and waits for them before the eval returns, so the parent-close
 * policy never terminates a child mid-close.
 */
import {
  CancellationScope,
  CancelledFailure,
  ChildWorkflowFailure,
  condition,
  continueAsNew,
  defineQuery,
  defineUpdate,
  executeChild,
  getExternalWorkflowHandle,
  isCancellation,
  patched,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { resolveSharedConfig } from '../agent/config';
import {
  addIndex,
  addOutcome,
  boundedState,
  compactPlan,
  hasIndex,
  indexesOf,
  removeIndexes,
  type EvalState,
} from '../eval/eval-state';
import { evalProgressOf, outcomeOfFailure, outcomeOfResult, type SlimOutcome } from '../eval/outcome';
import {
  DEFAULT_EPISODES_PER_RUN,
  evalEpisodeId,
  planEpisodes,
  type EvalInput,
  type EvalWorkflowResult,
} from '../eval/records';
import type { EvalProgress } from '../eval/types';
import { episodeStartAttributes, episodeStartFacts, StepHrlStatus, SUMMARY_MEMO } from '../search-attributes';
import { episodeWorkflow, type EpisodeInput, type EpisodeResult } from './episode';
import { cancelSignal } from './messages';
import { childAttributesEnabled, recordEndAttributes } from './outcome-attributes';
import { EVAL_NATIVE_CANCEL, EVAL_SEARCH_ATTRIBUTES } from './patches';
import { reactWorkflow, type ReactResult } from './react';

export { DEFAULT_EPISODES_PER_RUN, evalEpisodeId, type EvalInput, type EvalWorkflowResult } from '../eval/records';
export type { EvalState } from '../eval/eval-state';
export type { EvalProgress } from '../eval/types';

/** Largest concurrency the `setConcurrency` update accepts. */
export const MAX_EVAL_CONCURRENCY = 1024;

/** Eval live progress. */
export const evalProgressQuery = defineQuery<EvalProgress>('evalProgress');
/** Stops starting new episodes (running ones go on) until {@link resumeEvalUpdate}. */
export const pauseEvalUpdate = defineUpdate<EvalProgress>('pause');
/** Starts new episodes again after {@link pauseEvalUpdate}. */
export const resumeEvalUpdate = defineUpdate<EvalProgress>('resume');
/** Ends the eval, keeping every outcome so far (the running episodes end `cancelled`). */
export const cancelEvalUpdate = defineUpdate<EvalProgress, [reason: string]>('cancel');
/** Changes how many episodes run at once (from the next start on). */
export const setConcurrencyUpdate = defineUpdate<EvalProgress, [concurrency: number]>('setConcurrency');
/** Plays the episodes whose workflow failed again; answers how many were queued. */
export const retryFailedUpdate = defineUpdate<number>('retryFailed');

/** Runs an evaluation (see the module comment). */
export async function evalWorkflow(input: EvalInput): Promise<EvalWorkflowResult> {
  const evalId = workflowInfo().workflowId;
  const episodes = planEpisodes(input);
  const config = resolveSharedConfig(input.config); // a no-op on configs recorded complete
  const carried = boundedState(input.state);
  const runs = carried.runs + 1;
  let { finished, failed, totals, paused } = carried;
  let concurrency = carried.concurrency ?? input.concurrency;
  const queue = episodes.map((_, index) => index).filter((index) => !hasIndex(finished, index));
  const running = new Map<string, CancellationScope>();
  const perRun = Math.max(1, input.episodesPerRun ?? DEFAULT_EPISODES_PER_RUN);
  let finishedThisRun = 0;
  let cancelled = false;
  let fatal: unknown;

  const progress = (): EvalProgress =>
    evalProgressOf(episodes.length, totals, [...running.keys()], runs, cancelled, { paused, concurrency });
  const cancel = (reason?: string): void => {
    cancelled = true;
    const native = patched(EVAL_NATIVE_CANCEL);
    for (const [workflowId, scope] of running) {
      // Each episode closes its env session and ends `cancelled`; a child not started yet is never started.
      if (native) scope.cancel();
      else
        void getExternalWorkflowHandle(workflowId) // how evals recorded before 0.2.0 cancelled
          .signal(cancelSignal, reason)
          .catch(() => undefined);
    }
  };
  const open = (): void => {
    if (cancelled) throw new Error(`eval ${evalId} is cancelled`);
  };

  // Handlers are registered before the first await so no early message is lost.
  setHandler(evalProgressQuery, progress);
  setHandler(cancelSignal, cancel);
  setHandler(
    pauseEvalUpdate,
    () => {
      paused = true;
      return progress();
    },
    { validator: open },
  );
  setHandler(
    resumeEvalUpdate,
    () => {
      paused = false;
      return progress();
    },
    { validator: open },
  );
  setHandler(
    cancelEvalUpdate,
    (reason: string) => {
      cancel(reason);
      return progress();
    },
    { validator: (_reason: string) => open() },
  );
  setHandler(
    setConcurrencyUpdate,
    (value: number) => {
      concurrency = value;
      return progress();
    },
    {
      validator: (value: number) => {
        open();
        if (!Number.isInteger(value) || value < 1 || value > MAX_EVAL_CONCURRENCY)
          throw new Error(`concurrency must be an integer from 1 to ${MAX_EVAL_CONCURRENCY}, got ${value}`);
      },
    },
  );
  setHandler(
    retryFailedUpdate,
    () => {
      const retried = indexesOf(failed);
      finished = removeIndexes(finished, failed);
      totals = { ...totals, done: totals.done - retried.length, failed: totals.failed - retried.length };
      failed = [];
      queue.push(...retried);
      return retried.length;
    },
    { validator: open },
  );

  // Temporal's cancellation reaches the children through their own scopes (below), never by the
  // root scope cancelling the scheduler mid-way.
  const root = CancellationScope.current();
  void root.cancelRequested.catch(() => cancel('cancelled through Temporal'));

  // Episodes of an eval started with step-hrl's search attributes carry theirs (see docs/search-attributes.md).
  const withAttributes = childAttributesEnabled(EVAL_SEARCH_ATTRIBUTES);
  const childOptions = (childConfig: EpisodeInput['config']) => {
    if (!withAttributes) return {};
    const context = { agent: input.agent, model: input.model, evalId };
    return {
      typedSearchAttributes: episodeStartAttributes(childConfig, context),
      memo: { [SUMMARY_MEMO]: episodeStartFacts(childConfig, context) },
    };
  };

  const record = (index: number, outcome: SlimOutcome): void => {
    finished = addIndex(finished, index);
    if (outcome.status === 'failed') failed = addIndex(failed, index);
    totals = addOutcome(totals, outcome);
    finishedThisRun += 1;
  };

  const playOne = async (index: number): Promise<void> => {
    const workflowId = evalEpisodeId(evalId, index);
    const childConfig = { ...config, spec: episodes[index]!.spec };
    // Its own scope, under a non-cancellable parent: only `cancel` above cancels an episode.
    const scope = new CancellationScope({ cancellable: true });
    running.set(workflowId, scope);
    try {
      const result = await scope.run<EpisodeResult | ReactResult>(() =>
        input.agent === 'react'
          ? executeChild(reactWorkflow, { workflowId, args: [{ config: childConfig }], ...childOptions(childConfig) })
          : executeChild(episodeWorkflow, {
              workflowId,
              args: [{ config: childConfig }],
              ...childOptions(childConfig),
            }),
      );
      record(index, outcomeOfResult(index, result));
    } catch (err) {
      if (err instanceof ChildWorkflowFailure) {
        const ended = err.cause instanceof CancelledFailure ? 'cancelled' : undefined;
        const outcome = outcomeOfFailure(index, workflowId, err.cause?.message ?? err.message);
        record(index, ended ? { ...outcome, status: ended } : outcome);
      } else if (!isCancellation(err)) {
        fatal ??= err;
      } // else: cancelled before it started; it stays unplayed
    } finally {
      running.delete(workflowId);
    }
  };

  const runFull = (): boolean => finishedThisRun >= perRun || workflowInfo().continueAsNewSuggested;
  const mayLaunch = (): boolean =>
    !cancelled && !paused && !runFull() && queue.length > 0 && running.size < Math.max(1, concurrency);
  // Paused with episodes left: wait for `resume` (or a cancel).
  const allSettled = (): boolean => running.size === 0 && (cancelled || runFull() || queue.length === 0);

  try {
    await CancellationScope.nonCancellable(async () => {
      for (;;) {
        await condition(() => fatal !== undefined || mayLaunch() || allSettled());
        if (fatal !== undefined) throw fatal;
        if (!mayLaunch()) break;
        void playOne(queue.shift()!);
      }
    });
  } catch (err) {
    recordEndAttributes(EVAL_SEARCH_ATTRIBUTES, [{ key: StepHrlStatus, value: 'failed' }]);
    throw err;
  }

  if (queue.length > 0 && !cancelled) {
    const state: EvalState = { runs, finished, failed, totals, paused, concurrency };
    const { episodes: _list, ...rest } = input;
    await continueAsNew<typeof evalWorkflow>({ ...rest, config, plan: input.plan ?? compactPlan(episodes), state });
  }
  recordEndAttributes(EVAL_SEARCH_ATTRIBUTES, [{ key: StepHrlStatus, value: cancelled ? 'cancelled' : 'finished' }]);
  return {
    evalId,
    agent: input.agent,
    selection: input.selection,
    env: input.env,
    ...(input.split !== undefined && { split: input.split }),
    ...(input.model !== undefined && { model: input.model }),
    maxSteps: config.maxSteps,
    total: episodes.length,
    totals,
    cancelled,
    runs,
  };
}
