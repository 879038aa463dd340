/**
 * An evaluation as one durable workflow: starts one episode workflow (STEP-HRL or ReAct) per
 * planned episode as a child, at most `concurrency` at a time, and counts each outcome in an
 * {@link EvalBook} (the episode core). It continues as new after `episodesPerRun` episodes (letting
 * the running ones finish first, so no child outlives the run that started it), carrying only
 * totals and compact index sets: its input stays a few KB however many episodes it plays.
 * Per-episode outcomes stay in the runs' histories. A finished episode is never started again.
 *
 * Cancellation, by Temporal (UI, `temporal workflow cancel`, `step-hrl cancel`) or by our `cancel`
 * signal or update, stops launching, cancels the running episodes (each closes its env session and
 * ends `cancelled` with its record) and waits for them before the eval returns, so the parent-close
 * policy never terminates a child mid-close. Long-lived, so it upgrades to new builds
 * (AUTO_UPGRADE) and guards later changes to its commands with `patched()` (./patches.ts).
 */
import {
  CancellationScope,
  CancelledFailure,
  ChildWorkflowFailure,
  condition,
  continueAsNew,
  executeChild,
  isCancellation,
  deprecatePatch,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { resolveSharedConfig } from '../agent/config';
import { EvalBook } from '../episode/eval-book';
import { evalHeaderOf, evalProgressOf, outcomeOfFailure, outcomeOfResult } from '../episode/eval-outcome';
import {
  DEFAULT_EPISODES_PER_RUN,
  planEpisodes,
  type EvalInput,
  type EvalWorkflowResult,
} from '../episode/eval-records';
import { compactPlan } from '../episode/eval-state';
import { evalEpisodeId } from '../episode/ids';
import {
  cancelEvalUpdate,
  cancelSignal,
  evalProgressQuery,
  pauseEvalUpdate,
  resumeEvalUpdate,
  retryFailedUpdate,
  setConcurrencyUpdate,
} from '../episode/messages';
import type { EpisodeInput, EpisodeResult, ReactResult } from '../episode/records';
import {
  episodeStartAttributes,
  episodeStartFacts,
  startedWithStepHrlAttributes,
  StepHrlStatus,
  SUMMARY_MEMO,
} from '../episode/search-attributes';
import { episodeWorkflow } from './episode';
import { recordEndAttributes } from './outcome-attributes';
import { EVAL_SEARCH_ATTRIBUTES } from './patches';
import { reactWorkflow } from './react';

export {
  DEFAULT_EPISODES_PER_RUN,
  evalEpisodeId,
  type EvalInput,
  type EvalWorkflowResult,
} from '../episode/eval-records';
export type { EvalState } from '../episode/eval-state';
export type { EvalProgress } from '../episode/eval-types';
export {
  cancelEvalUpdate,
  evalProgressQuery,
  MAX_EVAL_CONCURRENCY,
  pauseEvalUpdate,
  resumeEvalUpdate,
  retryFailedUpdate,
  setConcurrencyUpdate,
} from '../episode/messages';

/** Runs an evaluation (see the module comment). */
export async function evalWorkflow(input: EvalInput): Promise<EvalWorkflowResult> {
  const evalId = workflowInfo().workflowId;
  const episodes = planEpisodes(input);
  const config = resolveSharedConfig(input.config); // a no-op on configs recorded complete
  const perRun = Math.max(1, input.episodesPerRun ?? DEFAULT_EPISODES_PER_RUN);
  const book = new EvalBook(episodes.length, input.state, input.concurrency, perRun);
  const running = new Map<string, CancellationScope>();
  let fatal: unknown;

  const progress = () =>
    evalProgressOf(episodes.length, book.totals, [...running.keys()], book.runs, book.cancelled, {
      paused: book.paused,
      concurrency: book.concurrency,
    });
  const cancel = (): void => {
    book.cancelled = true;
    // Each episode closes its env session and ends `cancelled`; a child not started yet is never started.
    for (const scope of running.values()) scope.cancel();
  };
  const open = () => book.assertOpen(evalId);
  const answer = (change: () => void) => () => (change(), progress());

  // Handlers are registered before the first await so no early message is lost.
  setHandler(evalProgressQuery, progress);
  setHandler(cancelSignal, cancel);
  setHandler(
    pauseEvalUpdate,
    answer(() => (book.paused = true)),
    { validator: open },
  );
  setHandler(
    resumeEvalUpdate,
    answer(() => (book.paused = false)),
    { validator: open },
  );
  setHandler(cancelEvalUpdate, (_reason: string) => (cancel(), progress()), { validator: (_: string) => open() });
  setHandler(setConcurrencyUpdate, (value: number) => ((book.concurrency = value), progress()), {
    validator: (value: number) => (open(), EvalBook.assertConcurrency(value)),
  });
  setHandler(retryFailedUpdate, () => book.retryFailed(), { validator: open });
  // Temporal's cancellation reaches the children through their own scopes (below), never by the
  // root scope cancelling the scheduler mid-way.
  void CancellationScope.current().cancelRequested.catch(cancel);

  // Episodes of an eval started with step-hrl's search attributes carry theirs (see docs/search-attributes.md).
  const withAttributes = startedWithStepHrlAttributes(workflowInfo().typedSearchAttributes);
  if (withAttributes) deprecatePatch(EVAL_SEARCH_ATTRIBUTES); // its marker is in histories from before 0.2.0
  const childOptions = (workflowId: string, childConfig: EpisodeInput['config']) => {
    const context = { agent: input.agent, model: input.model, evalId };
    const metadata = withAttributes && {
      typedSearchAttributes: episodeStartAttributes(childConfig, context),
      memo: { [SUMMARY_MEMO]: episodeStartFacts(childConfig, context) },
    };
    return { workflowId, args: [{ config: childConfig }] as [EpisodeInput], ...metadata };
  };

  const playOne = async (index: number): Promise<void> => {
    const workflowId = evalEpisodeId(evalId, index);
    const options = childOptions(workflowId, { ...config, spec: episodes[index]!.spec });
    // Its own scope, under the scheduler's non-cancellable one: only `cancel` above cancels an episode.
    const scope = new CancellationScope({ cancellable: true });
    running.set(workflowId, scope);
    try {
      const result = await scope.run<EpisodeResult | ReactResult>(() =>
        input.agent === 'react' ? executeChild(reactWorkflow, options) : executeChild(episodeWorkflow, options),
      );
      book.record(index, outcomeOfResult(index, result));
    } catch (err) {
      if (err instanceof ChildWorkflowFailure) {
        const outcome = outcomeOfFailure(index, workflowId, err.cause?.message ?? err.message);
        book.record(index, err.cause instanceof CancelledFailure ? { ...outcome, status: 'cancelled' } : outcome);
      } else if (!isCancellation(err)) {
        fatal ??= err;
      } // else: cancelled before it started; it stays unplayed
    } finally {
      running.delete(workflowId);
    }
  };

  const suggested = () => workflowInfo().continueAsNewSuggested;
  try {
    await CancellationScope.nonCancellable(async () => {
      for (;;) {
        // Paused with episodes left, nothing running: waits for `resume` (or a cancel).
        await condition(
          () =>
            fatal !== undefined || book.mayLaunch(running.size, suggested()) || book.settled(running.size, suggested()),
        );
        if (fatal !== undefined) throw fatal;
        if (!book.mayLaunch(running.size, suggested())) break;
        void playOne(book.queue.shift()!);
      }
    });
  } catch (err) {
    recordEndAttributes([{ key: StepHrlStatus, value: 'failed' }]);
    throw err;
  }

  if (book.needsNextRun()) {
    const { episodes: _list, ...rest } = input;
    const plan = input.plan ?? compactPlan(episodes);
    await continueAsNew<typeof evalWorkflow>({ ...rest, config, plan, state: book.carried() });
  }
  const cancelled = book.cancelled;
  recordEndAttributes([{ key: StepHrlStatus, value: cancelled ? 'cancelled' : 'finished' }]);
  return {
    ...evalHeaderOf(evalId, { ...input, config }, episodes.length),
    totals: book.totals,
    cancelled,
    runs: book.runs,
  };
}
