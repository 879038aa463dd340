/**
 * An evaluation as one durable workflow: starts one episode workflow (STEP-HRL or ReAct) per
 * planned episode as a child, at most `concurrency` at a time, and counts each outcome in an
 * {@link EvalBook} (the episode core). It continues as new after `episodesPerRun` episodes at once,
 * never waiting for a slow episode: children are abandoned by the run that started them
 * (`ParentClosePolicy.ABANDON`), the running ones are carried as indexes, and each reports its
 * outcome to the eval id at its end (a signal to whichever run is current); one that ends without
 * reporting (terminated, timed out, failed hard) is found by a periodic look at its execution (an
 * activity). It carries only totals and compact index sets: its input stays a few KB however many
 * episodes it plays. Per-episode outcomes stay in the runs' histories. An outcome counts once (by
 * index) and a finished or running episode is never started again.
 *
 * Cancellation, by Temporal (UI, `temporal workflow cancel`, `step-hrl cancel`) or by our `cancel`
 * signal or update, stops launching, cancels the running episodes, earlier runs' ones included
 * (each closes its env session and ends `cancelled` with its record), and waits for their outcomes
 * before the eval returns. Long-lived, so it upgrades to new builds (AUTO_UPGRADE) and guards
 * changes to its commands with `patched()` (./patches.ts): runs recorded before
 * {@link EVAL_ABANDONED_STRAGGLERS} wait for their running episodes before continuing as new.
 */
import {
  allHandlersFinished,
  CancellationScope,
  CancelledFailure,
  ChildWorkflowFailure,
  condition,
  continueAsNew,
  deprecatePatch,
  getExternalWorkflowHandle,
  isCancellation,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { resolveSharedConfig } from '../agent/config';
import { EvalBook } from '../episode/eval-book';
import {
  evalHeaderOf,
  evalProgressOf,
  outcomeOfFailure,
  outcomeOfResult,
  type SlimOutcome,
} from '../episode/eval-outcome';
import {
  DEFAULT_EPISODES_PER_RUN,
  planEpisodes,
  STRAGGLER_POLL_SECONDS,
  type EvalActivityTypes,
  type EvalInput,
  type EvalWorkflowResult,
} from '../episode/eval-records';
import { compactPlan } from '../episode/eval-state';
import { evalEpisodeId } from '../episode/ids';
import {
  cancelEvalUpdate,
  cancelSignal,
  evalEpisodeOutcomeSignal,
  evalProgressQuery,
  pauseEvalUpdate,
  resumeEvalUpdate,
  retryFailedUpdate,
  setConcurrencyUpdate,
  waitForEvalChangeUpdate,
} from '../episode/messages';
import type { EpisodeInput, EpisodeResult, ReactInput, ReactResult } from '../episode/records';
import {
  episodeStartAttributes,
  episodeStartFacts,
  startedWithStepHrlAttributes,
  StepHrlStatus,
  SUMMARY_MEMO,
} from '../episode/search-attributes';
import { episodeWorkflow } from './episode';
import { recordEndAttributes } from './outcome-attributes';
import { EVAL_ABANDONED_STRAGGLERS, EVAL_SEARCH_ATTRIBUTES } from './patches';
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
  waitForEvalChangeUpdate,
} from '../episode/messages';

/** The longest a `waitForEvalChange` long-poll waits before answering unchanged progress. */
const LONG_POLL_WAIT = '30 seconds';

/** The look at episodes that ended without reporting their outcome: quick, retried until it answers. */
const { endedEvalEpisodes } = proxyActivities<EvalActivityTypes>({
  startToCloseTimeout: '1 minute',
  retry: { maximumInterval: '1 minute' },
});

/** Runs an evaluation (see the module comment). */
export async function evalWorkflow(input: EvalInput): Promise<EvalWorkflowResult> {
  const evalId = workflowInfo().workflowId;
  const episodes = planEpisodes(input);
  const config = resolveSharedConfig(input.config); // a no-op on configs recorded complete
  const perRun = Math.max(1, input.episodesPerRun ?? DEFAULT_EPISODES_PER_RUN);
  // Before any handler runs: a run recorded before the change keeps waiting for its running episodes.
  const handsOver = patched(EVAL_ABANDONED_STRAGGLERS);
  const book = new EvalBook(episodes.length, input.state, input.concurrency, perRun);
  /** Children this run started (or is starting), each in its own cancellation scope. */
  const scopes = new Map<number, CancellationScope>();
  /** Of those, the ones whose start is not confirmed yet (a run hands over only once they are). */
  const starting = new Set<number>();
  /** Running episodes whose outcome comes by their signal or the poll only (an earlier run started them). */
  const stragglers = new Set<number>(book.carriedRunning);
  let fatal: unknown;
  let changes = 0;
  let closing = false;

  const version = () => `${book.runs}.${changes}`;
  const changed = (): void => void (changes += 1);
  const progress = () =>
    evalProgressOf(
      episodes.length,
      book.totals,
      [...book.running].map((i) => evalEpisodeId(evalId, i)),
      book.runs,
      book.cancelled,
      { paused: book.paused, concurrency: book.concurrency, version: version() },
    );
  const settle = (index: number, outcome: SlimOutcome): void => void (book.settle(index, outcome) && changed());
  const cancelStraggler = (index: number): void =>
    void CancellationScope.nonCancellable(() => getExternalWorkflowHandle(evalEpisodeId(evalId, index)).cancel()).catch(
      () => undefined, // it has closed already: its outcome comes by signal or the poll
    );
  const cancel = (): void => {
    if (!book.cancelled) changed();
    book.cancelled = true;
    // Each episode closes its env session and ends `cancelled`; a child not started yet is never started.
    for (const scope of scopes.values()) scope.cancel();
    for (const index of stragglers) if (book.running.has(index)) cancelStraggler(index);
  };
  const open = () => book.assertOpen(evalId);
  const answer = (change: () => void) => () => (change(), changed(), progress());

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
  setHandler(setConcurrencyUpdate, (value: number) => ((book.concurrency = value), changed(), progress()), {
    validator: (value: number) => (open(), EvalBook.assertConcurrency(value)),
  });
  setHandler(retryFailedUpdate, () => (changed(), book.retryFailed()), { validator: open });
  // Counted once: an outcome for an episode not running (counted already) is ignored.
  setHandler(evalEpisodeOutcomeSignal, (outcome: SlimOutcome) => settle(outcome.index, outcome));
  setHandler(waitForEvalChangeUpdate, async (since: string) => {
    if (version() === since && !closing)
      await CancellationScope.nonCancellable(() => condition(() => version() !== since || closing, LONG_POLL_WAIT));
    return progress();
  });
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
    // Abandoned: it outlives this run when the run continues as new, and reports to the eval id.
    const abandon = handsOver && { parentClosePolicy: ParentClosePolicy.ABANDON };
    return { workflowId, args: [{ config: childConfig }] as [EpisodeInput & ReactInput], ...metadata, ...abandon };
  };

  const playOne = async (index: number): Promise<void> => {
    const workflowId = evalEpisodeId(evalId, index);
    const options = childOptions(workflowId, { ...config, spec: episodes[index]!.spec });
    // Its own scope, under the scheduler's non-cancellable one: only `cancel` above cancels an episode.
    const scope = new CancellationScope({ cancellable: true });
    scopes.set(index, scope);
    starting.add(index);
    try {
      const result = await scope.run(async (): Promise<EpisodeResult | ReactResult> => {
        const child =
          input.agent === 'react'
            ? await startChild(reactWorkflow, options)
            : await startChild(episodeWorkflow, options);
        starting.delete(index);
        return child.result();
      });
      settle(index, outcomeOfResult(index, result));
    } catch (err) {
      if (err instanceof ChildWorkflowFailure) {
        const outcome = outcomeOfFailure(index, workflowId, err.cause?.message ?? err.message);
        settle(index, err.cause instanceof CancelledFailure ? { ...outcome, status: 'cancelled' } : outcome);
      } else if (handsOver && err instanceof WorkflowExecutionAlreadyStartedError) {
        // Still running from a run that closed (failed, terminated): awaited like a carried one.
        stragglers.add(index);
        if (book.cancelled) cancelStraggler(index);
      } else if (!isCancellation(err)) {
        fatal ??= err;
      } else {
        book.unstarted(index); // cancelled before it started: it stays unplayed
        changed();
      }
    } finally {
      scopes.delete(index);
      starting.delete(index);
    }
  };

  /** Looks every `stragglerPollSeconds` at the stragglers that have not reported, and counts the ended ones. */
  const pollStragglers = async (): Promise<void> => {
    const waiting = () => [...stragglers].filter((i) => book.running.has(i));
    for (;;) {
      await condition(() => waiting().length > 0);
      await sleep((input.stragglerPollSeconds ?? STRAGGLER_POLL_SECONDS) * 1000);
      const indexes = waiting();
      if (indexes.length === 0) continue;
      for (const outcome of await endedEvalEpisodes({ evalId, indexes })) settle(outcome.index, outcome);
    }
  };

  const suggested = () => workflowInfo().continueAsNewSuggested;
  // Runs recorded before the change count only the children they started, and wait for them.
  const inFlight = () => (handsOver ? book.running.size : scopes.size);
  const done = () =>
    handsOver
      ? (starting.size === 0 && book.handsOver(suggested())) ||
        // At the end, this run's own children have also closed: an episode reports its outcome just
        // before it completes, and a worker that stops with the eval would leave it open.
        (book.over() && scopes.size === 0)
      : book.settled(inFlight(), suggested());
  try {
    await CancellationScope.nonCancellable(async () => {
      if (handsOver) void pollStragglers().catch((err: unknown) => void (fatal ??= err));
      for (;;) {
        // Paused with episodes left, nothing running: waits for `resume` (or a cancel).
        await condition(() => fatal !== undefined || book.mayLaunch(inFlight(), suggested()) || done());
        if (fatal !== undefined) throw fatal;
        if (!book.mayLaunch(inFlight(), suggested())) break;
        changed();
        void playOne(book.start());
      }
    });
  } catch (err) {
    recordEndAttributes([{ key: StepHrlStatus, value: 'failed' }]);
    throw err;
  }

  // Long-polls answer now, before the run closes under them.
  closing = true;
  if (!allHandlersFinished()) await condition(allHandlersFinished);
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
