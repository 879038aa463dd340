/**
 * One run of the EvalWorkflow, apart from its Temporal calls: the plan and the episode config frozen
 * at start, the {@link EvalBook}, the children this run started, the carried stragglers, the change
 * counter behind the `waitForEvalChange` long-poll, and the records the run builds (a child's start
 * options, progress, the next run's input, the result). Pure: the workflow (src/workflows/eval.ts)
 * only starts children, sleeps and answers messages with it, and it is unit-tested without a server.
 */
import { CancelledFailure, ChildWorkflowFailure, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { resolveSharedConfig } from '../agent/config';
import { EvalBook } from './eval-book';
import { evalHeaderOf, evalProgressOf, outcomeOfFailure } from './eval-outcome';
import {
  DEFAULT_EPISODES_PER_RUN,
  planEpisodes,
  STRAGGLER_POLL_SECONDS,
  type EvalInput,
  type EvalWorkflowResult,
  type SharedEpisodeConfig,
} from './eval-records';
import { compactPlan } from './eval-state';
import type { EvalPlanEpisode, EvalProgress, SlimOutcome } from './eval-types';
import { evalEpisodeId } from './ids';
import type { EpisodeInput, ReactInput } from './records';
import { episodeStartAttributes, episodeStartFacts, SUMMARY_MEMO } from './search-attributes';

/** The longest a `waitForEvalChange` long-poll waits before answering unchanged progress. */
export const EVAL_LONG_POLL_WAIT = '30 seconds';

/** One eval run's state and rules (see the module comment). */
export class EvalRun {
  /** The planned episodes, in plan order. */
  readonly episodes: EvalPlanEpisode[];
  /** The episode config every child gets (a no-op resolve on configs recorded complete). */
  readonly config: SharedEpisodeConfig;
  readonly book: EvalBook;
  /** Children this run started (or is starting). */
  private readonly own = new Set<number>();
  /** Of those, the ones whose start is not confirmed yet (a run hands over only once they are). */
  private readonly starting = new Set<number>();
  /** Running episodes whose outcome comes by their signal or the poll only (an earlier run started them). */
  private readonly stragglers: Set<number>;
  /** Set when the run stops launching: pending long-polls answer at once. */
  closing = false;
  private changes = 0;

  /**
   * @param handsOver whether this run continues as new at once, abandoning its running episodes to
   *   the next run (`patched(EVAL_ABANDONED_STRAGGLERS)`); runs recorded before wait for their own.
   */
  constructor(
    readonly evalId: string,
    readonly input: EvalInput,
    readonly handsOver: boolean,
  ) {
    this.episodes = planEpisodes(input);
    this.config = resolveSharedConfig(input.config);
    const perRun = Math.max(1, input.episodesPerRun ?? DEFAULT_EPISODES_PER_RUN);
    this.book = new EvalBook(this.episodes.length, input.state, input.concurrency, perRun);
    this.stragglers = new Set(this.book.carriedRunning);
  }

  /** Changes with every change a client can see: the `waitForEvalChange` long-poll's token. */
  version(): string {
    return `${this.book.runs}.${this.changes}`;
  }

  /** Whether a long-poll holding token `since` answers now: something changed, or the run is closing. */
  movedSince(since: string): boolean {
    return this.version() !== since || this.closing;
  }

  /** Counts a change (see {@link version}). */
  changed(): void {
    this.changes += 1;
  }

  /** The `evalProgress` query's answer. */
  progress(): EvalProgress {
    const { book } = this;
    const running = [...book.running].map((i) => evalEpisodeId(this.evalId, i));
    const operator = { paused: book.paused, concurrency: book.concurrency, version: this.version() };
    return evalProgressOf(this.episodes.length, book.totals, running, book.runs, book.cancelled, operator);
  }

  /** Counts an outcome once: one for an episode not running (counted already) is ignored. */
  settle(index: number, outcome: SlimOutcome): void {
    if (this.book.settle(index, outcome)) this.changed();
  }

  /** Marks the eval cancelled; answers the carried episodes still running, which the workflow cancels by id. */
  cancel(): number[] {
    if (!this.book.cancelled) this.changed();
    this.book.cancelled = true;
    return [...this.stragglers].filter((i) => this.book.running.has(i));
  }

  /** The `pause` and `resume` updates. */
  setPaused(paused: boolean): EvalProgress {
    this.book.paused = paused;
    this.changed();
    return this.progress();
  }

  /** The `setConcurrency` update (its validator checks the value). */
  setConcurrency(value: number): EvalProgress {
    this.book.concurrency = value;
    this.changed();
    return this.progress();
  }

  /** The `retryFailed` update: how many failed episodes go back to the queue. */
  retryFailed(): number {
    this.changed();
    return this.book.retryFailed();
  }

  /** Takes the next episode to start and counts it as this run's child, not confirmed started yet. */
  launch(): number {
    this.changed();
    const index = this.book.start();
    this.own.add(index);
    this.starting.add(index);
    return index;
  }

  /** The child of `index` has started. */
  startConfirmed(index: number): void {
    this.starting.delete(index);
  }

  /** The child of `index` has ended, or never started (counted by one of the calls below). */
  closed(index: number): void {
    this.own.delete(index);
    this.starting.delete(index);
  }

  /** A child's failure as its outcome: `cancelled` when Temporal cancelled it. */
  childFailed(index: number, message: string, cancelled: boolean): void {
    const outcome = outcomeOfFailure(index, evalEpisodeId(this.evalId, index), message);
    this.settle(index, cancelled ? { ...outcome, status: 'cancelled' } : outcome);
  }

  /**
   * The child of `index` is still running from a run that closed (failed, terminated): awaited like a
   * carried one. Answers whether to cancel it (the eval is cancelled).
   */
  alreadyRunning(index: number): boolean {
    this.stragglers.add(index);
    return this.book.cancelled;
  }

  /**
   * Counts the child of `index` that ended by `err` instead of a result (`cancellation`: `err` is
   * Temporal's cancellation): a failed child by its failure, one already running from a closed run
   * as a straggler (`cancel` when the eval is cancelled), one cancelled before it started as
   * unplayed. Anything else is `fatal` (the run fails with it).
   */
  childError(index: number, err: unknown, cancellation: boolean): 'cancel' | 'fatal' | undefined {
    if (err instanceof ChildWorkflowFailure)
      this.childFailed(index, err.cause?.message ?? err.message, err.cause instanceof CancelledFailure);
    else if (this.handsOver && err instanceof WorkflowExecutionAlreadyStartedError) {
      if (this.alreadyRunning(index)) return 'cancel';
    } else if (!cancellation) return 'fatal';
    else this.notStarted(index);
    return undefined;
  }

  /** Cancelled before it started: it stays unplayed. */
  notStarted(index: number): void {
    this.book.unstarted(index);
    this.changed();
  }

  /** Carried episodes still running: the ones the straggler poll looks at. */
  waitingStragglers(): number[] {
    return [...this.stragglers].filter((i) => this.book.running.has(i));
  }

  /** Seconds between straggler polls. */
  get pollSeconds(): number {
    return this.input.stragglerPollSeconds ?? STRAGGLER_POLL_SECONDS;
  }

  /** Episodes in flight that count against the concurrency (runs recorded before the change count their own only). */
  private inFlight(): number {
    return this.handsOver ? this.book.running.size : this.own.size;
  }

  /** Whether another episode may start now. */
  mayLaunch(continueAsNewSuggested: boolean): boolean {
    return this.book.mayLaunch(this.inFlight(), continueAsNewSuggested);
  }

  /** Whether this run has nothing more to do: it ends or continues as new. */
  done(continueAsNewSuggested: boolean): boolean {
    if (!this.handsOver) return this.book.settled(this.inFlight(), continueAsNewSuggested);
    return (
      (this.starting.size === 0 && this.book.handsOver(continueAsNewSuggested)) ||
      // At the end, this run's own children have also closed: an episode reports its outcome just
      // before it completes, and a worker that stops with the eval would leave it open.
      (this.book.over() && this.own.size === 0)
    );
  }

  /**
   * A child's start options: its id and input, and (for an eval started with step-hrl's search
   * attributes) its own attributes and summary memo.
   */
  childStart(index: number, withAttributes: boolean) {
    const childConfig: EpisodeInput['config'] = { ...this.config, spec: this.episodes[index]!.spec };
    const context = { agent: this.input.agent, model: this.input.model, evalId: this.evalId };
    const metadata = withAttributes && {
      typedSearchAttributes: episodeStartAttributes(childConfig, context),
      memo: { [SUMMARY_MEMO]: episodeStartFacts(childConfig, context) },
    };
    const workflowId = evalEpisodeId(this.evalId, index);
    return { workflowId, args: [{ config: childConfig }] as [EpisodeInput & ReactInput], ...metadata };
  }

  /** The next run's input: the frozen config, the plan compacted, the book's carried state. */
  nextRunInput(): EvalInput {
    const { episodes: _list, ...rest } = this.input;
    const plan = this.input.plan ?? compactPlan(this.episodes);
    return { ...rest, config: this.config, plan, state: this.book.carried() };
  }

  /** The eval's result: totals only (per-episode outcomes stay in the runs' histories). */
  result(): EvalWorkflowResult {
    return {
      ...evalHeaderOf(this.evalId, { ...this.input, config: this.config }, this.episodes.length),
      totals: this.book.totals,
      cancelled: this.book.cancelled,
      runs: this.book.runs,
    };
  }
}
