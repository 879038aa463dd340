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
import { EVAL_LOOK_OPTIONS } from '../episode/activity-options';
import { EvalBook } from '../episode/eval-book';
import { outcomeOfResult, type SlimOutcome } from '../episode/eval-outcome';
import type { EvalActivityTypes, EvalInput, EvalWorkflowResult } from '../episode/eval-records';
import { EVAL_LONG_POLL_WAIT, EvalRun } from '../episode/eval-run';
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
import type { EpisodeResult, ReactResult } from '../episode/records';
import { startedWithStepHrlAttributes, StepHrlStatus } from '../episode/search-attributes';
import { episodeWorkflow } from './episode';
import { recordEndAttributes } from './outcome-attributes';
import { EVAL_ABANDONED_STRAGGLERS, EVAL_SEARCH_ATTRIBUTES } from './patches';
import { reactWorkflow } from './react';

// Old import paths of tests and tools.
export { evalEpisodeId, type EvalInput, type EvalWorkflowResult } from '../episode/eval-records';
export type { EvalProgress } from '../episode/eval-types';
export { evalProgressQuery } from '../episode/messages';

/** The look at episodes that ended without reporting their outcome. */
const { endedEvalEpisodes } = proxyActivities<EvalActivityTypes>(EVAL_LOOK_OPTIONS);

/** Runs an evaluation (see the module comment). */
export async function evalWorkflow(input: EvalInput): Promise<EvalWorkflowResult> {
  const evalId = workflowInfo().workflowId;
  // Before any handler runs: a run recorded before the change keeps waiting for its running episodes.
  const handsOver = patched(EVAL_ABANDONED_STRAGGLERS);
  const run = new EvalRun(evalId, input, handsOver);
  const { book } = run;
  /** Children this run started (or is starting), each in its own cancellation scope. */
  const scopes = new Map<number, CancellationScope>();
  let fatal: unknown;

  const cancelStraggler = (index: number): void =>
    void CancellationScope.nonCancellable(() => getExternalWorkflowHandle(evalEpisodeId(evalId, index)).cancel()).catch(
      () => undefined, // it has closed already: its outcome comes by signal or the poll
    );
  const cancel = (): void => {
    const stragglers = run.cancel();
    // Each episode closes its env session and ends `cancelled`; a child not started yet is never started.
    for (const scope of scopes.values()) scope.cancel();
    stragglers.forEach(cancelStraggler);
  };
  const open = () => book.assertOpen(evalId);

  // Handlers are registered before the first await so no early message is lost.
  setHandler(evalProgressQuery, () => run.progress());
  setHandler(cancelSignal, cancel);
  setHandler(pauseEvalUpdate, () => run.setPaused(true), { validator: open });
  setHandler(resumeEvalUpdate, () => run.setPaused(false), { validator: open });
  setHandler(cancelEvalUpdate, (_reason: string) => (cancel(), run.progress()), { validator: (_: string) => open() });
  setHandler(setConcurrencyUpdate, (value: number) => run.setConcurrency(value), {
    validator: (value: number) => (open(), EvalBook.assertConcurrency(value)),
  });
  setHandler(retryFailedUpdate, () => run.retryFailed(), { validator: open });
  setHandler(evalEpisodeOutcomeSignal, (outcome: SlimOutcome) => run.settle(outcome.index, outcome));
  setHandler(waitForEvalChangeUpdate, async (since: string) => {
    const moved = () => run.movedSince(since);
    if (!moved()) await CancellationScope.nonCancellable(() => condition(moved, EVAL_LONG_POLL_WAIT));
    return run.progress();
  });
  // Temporal's cancellation reaches the children through their own scopes (below), never by the
  // root scope cancelling the scheduler mid-way.
  void CancellationScope.current().cancelRequested.catch(cancel);

  // Episodes of an eval started with step-hrl's search attributes carry theirs (see docs/search-attributes.md).
  const withAttributes = startedWithStepHrlAttributes(workflowInfo().typedSearchAttributes);
  if (withAttributes) deprecatePatch(EVAL_SEARCH_ATTRIBUTES); // its marker is in histories from before 0.2.0
  // Abandoned: a child outlives this run when the run continues as new, and reports to the eval id.
  const abandon = handsOver && { parentClosePolicy: ParentClosePolicy.ABANDON };

  const playOne = async (index: number): Promise<void> => {
    const options = { ...run.childStart(index, withAttributes), ...abandon };
    // Its own scope, under the scheduler's non-cancellable one: only `cancel` above cancels an episode.
    const scope = new CancellationScope({ cancellable: true });
    scopes.set(index, scope);
    try {
      const result = await scope.run(async (): Promise<EpisodeResult | ReactResult> => {
        const child =
          input.agent === 'react'
            ? await startChild(reactWorkflow, options)
            : await startChild(episodeWorkflow, options);
        run.startConfirmed(index);
        return child.result();
      });
      run.settle(index, outcomeOfResult(index, result));
    } catch (err) {
      const next = run.childError(index, err, isCancellation(err));
      if (next === 'cancel') cancelStraggler(index);
      else if (next === 'fatal') fatal ??= err;
    } finally {
      scopes.delete(index);
      run.closed(index);
    }
  };

  /** Looks every `stragglerPollSeconds` at the stragglers that have not reported, and counts the ended ones. */
  const pollStragglers = async (): Promise<void> => {
    for (;;) {
      await condition(() => run.waitingStragglers().length > 0);
      await sleep(run.pollSeconds * 1000);
      const indexes = run.waitingStragglers();
      if (indexes.length === 0) continue;
      for (const outcome of await endedEvalEpisodes({ evalId, indexes })) run.settle(outcome.index, outcome);
    }
  };

  const suggested = () => workflowInfo().continueAsNewSuggested;
  try {
    await CancellationScope.nonCancellable(async () => {
      if (handsOver) void pollStragglers().catch((err: unknown) => void (fatal ??= err));
      for (;;) {
        // Paused with episodes left, nothing running: waits for `resume` (or a cancel).
        await condition(() => fatal !== undefined || run.mayLaunch(suggested()) || run.done(suggested()));
        if (fatal !== undefined) throw fatal;
        if (!run.mayLaunch(suggested())) break;
        void playOne(run.launch());
      }
    });
  } catch (err) {
    recordEndAttributes([{ key: StepHrlStatus, value: 'failed' }]);
    throw err;
  }

  // Long-polls answer now, before the run closes under them.
  run.closing = true;
  if (!allHandlersFinished()) await condition(allHandlersFinished);
  if (book.needsNextRun()) await continueAsNew<typeof evalWorkflow>(run.nextRunInput());
  recordEndAttributes([{ key: StepHrlStatus, value: book.cancelled ? 'cancelled' : 'finished' }]);
  return run.result();
}
