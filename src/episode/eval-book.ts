/**
 * The bookkeeping of one eval run: which planned episodes are left, finished or failed, the running
 * totals, and the operator's settings (pause, concurrency, cancel), with the rules for when the run
 * may start another episode and when it is done. Pure: the EvalWorkflow only starts children and
 * answers messages with it, and the rules are unit-tested without a Temporal server.
 */
import { MAX_EVAL_CONCURRENCY } from './limits';
import {
  addIndex,
  addOutcome,
  boundedState,
  hasIndex,
  indexesOf,
  rangesOf,
  removeIndexes,
  type EvalState,
  type EvalTotals,
  type IndexRanges,
} from './eval-state';
import type { SlimOutcome } from './eval-types';

/** One eval run's book (see the module comment). */
export class EvalBook {
  finished: IndexRanges;
  failed: IndexRanges;
  totals: EvalTotals;
  paused: boolean;
  concurrency: number;
  cancelled = false;
  /** Planned episodes not started in this run, in plan order (retried ones at the end). */
  readonly queue: number[];
  /** Episodes in flight: started by this run, or carried from an earlier one (their outcome is awaited). */
  readonly running = new Set<number>();
  /** Of {@link running}, those an earlier run started (carried over continue-as-new). */
  readonly carriedRunning: readonly number[];
  private finishedThisRun = 0;
  readonly runs: number;

  constructor(
    readonly total: number,
    state: EvalState | undefined,
    concurrency: number,
    /** Episodes finished per run before continue-as-new. */
    private readonly perRun: number,
  ) {
    const carried = boundedState(state);
    this.runs = carried.runs + 1;
    this.finished = carried.finished;
    this.failed = carried.failed;
    this.totals = carried.totals;
    this.paused = carried.paused;
    this.concurrency = carried.concurrency ?? concurrency;
    this.carriedRunning = indexesOf(carried.running).filter((i) => !hasIndex(this.finished, i));
    for (const i of this.carriedRunning) this.running.add(i);
    this.queue = Array.from({ length: total }, (_, i) => i).filter(
      (i) => !hasIndex(this.finished, i) && !this.running.has(i),
    );
  }

  /** Takes the next queued episode and counts it running. */
  start(): number {
    const index = this.queue.shift()!;
    this.running.add(index);
    return index;
  }

  /**
   * Counts the outcome of a running episode once: an outcome for an episode not running (already
   * counted, from the child's completion, its signal or the poll) is ignored. Answers whether it counted.
   */
  settle(index: number, outcome: SlimOutcome): boolean {
    if (!this.running.delete(index)) return false;
    this.record(index, outcome);
    return true;
  }

  /** Forgets a running episode that never started (cancelled before its start): it stays unplayed. */
  unstarted(index: number): void {
    this.running.delete(index);
  }

  /** @throws when the eval no longer takes operator changes (it was cancelled). */
  assertOpen(evalId: string): void {
    if (this.cancelled) throw new Error(`eval ${evalId} is cancelled`);
  }

  /** @throws naming the bounds when `value` is not a concurrency the eval accepts. */
  static assertConcurrency(value: number): void {
    if (!Number.isInteger(value) || value < 1 || value > MAX_EVAL_CONCURRENCY)
      throw new Error(`concurrency must be an integer from 1 to ${MAX_EVAL_CONCURRENCY}, got ${value}`);
  }

  /** Counts a finished episode. */
  record(index: number, outcome: SlimOutcome): void {
    this.finished = addIndex(this.finished, index);
    if (outcome.status === 'failed') this.failed = addIndex(this.failed, index);
    this.totals = addOutcome(this.totals, outcome);
    this.finishedThisRun += 1;
  }

  /** Queues the failed episodes again (their failures stop counting); answers how many. */
  retryFailed(): number {
    const retried = indexesOf(this.failed);
    this.finished = removeIndexes(this.finished, this.failed);
    this.totals = {
      ...this.totals,
      done: this.totals.done - retried.length,
      failed: this.totals.failed - retried.length,
    };
    this.failed = [];
    this.queue.push(...retried);
    return retried.length;
  }

  /** This run has played its share (or Temporal suggests a new run): start no more. */
  runFull(continueAsNewSuggested: boolean): boolean {
    return this.finishedThisRun >= this.perRun || continueAsNewSuggested;
  }

  /** Whether another episode may start now, with `running` in flight. */
  mayLaunch(running: number, continueAsNewSuggested: boolean): boolean {
    return (
      !this.cancelled &&
      !this.paused &&
      !this.runFull(continueAsNewSuggested) &&
      this.queue.length > 0 &&
      running < Math.max(1, this.concurrency)
    );
  }

  /** Whether the run is over: nothing running and nothing more to start (paused with work left waits). */
  settled(running: number, continueAsNewSuggested: boolean): boolean {
    return running === 0 && (this.cancelled || this.runFull(continueAsNewSuggested) || this.queue.length === 0);
  }

  /**
   * Whether this run hands over to a new one now, running episodes and all (they outlive it): it
   * has played its share with episodes left to start, or Temporal suggests it with some running.
   */
  handsOver(continueAsNewSuggested: boolean): boolean {
    return (
      !this.cancelled &&
      this.runFull(continueAsNewSuggested) &&
      (this.queue.length > 0 || (continueAsNewSuggested && this.running.size > 0))
    );
  }

  /** Whether the eval is over: nothing running, and cancelled or nothing left to start. */
  over(): boolean {
    return this.running.size === 0 && (this.cancelled || this.queue.length === 0);
  }

  /** Whether a new run must take over (episodes left or still running, not cancelled). */
  needsNextRun(): boolean {
    return (this.queue.length > 0 || this.running.size > 0) && !this.cancelled;
  }

  /** What the next run carries. */
  carried(): EvalState {
    const { runs, finished, failed, totals, paused, concurrency } = this;
    const running = rangesOf([...this.running]);
    return { runs, finished, failed, ...(running.length > 0 && { running }), totals, paused, concurrency };
  }
}
