/**
 * The bounded state an evaluation carries over continue-as-new: running totals and compact sets of
 * finished and failed episode indexes, never the per-episode outcomes (those stay in the histories
 * of the runs that recorded them and are read back when results are rendered). Also the compact
 * plan: consecutive episodes that differ only in their variation are stored once with a count.
 * Pure and type-only in its imports, so the EvalWorkflow uses it.
 */
import type { EnvSpec } from '../agent/vocabulary';
import { totalTokens } from './level-tokens';
import type { EvalPlanEpisode, SlimOutcome } from './eval-types';

/** Sorted, disjoint, non-adjacent half-open ranges `[start, end)` of episode indexes. */
export type IndexRanges = Array<[number, number]>;

/** Whether `index` is in `ranges`. */
export function hasIndex(ranges: IndexRanges, index: number): boolean {
  return ranges.some(([start, end]) => index >= start && index < end);
}

/** `ranges` with `index` added (merged with its neighbours). */
export function addIndex(ranges: IndexRanges, index: number): IndexRanges {
  if (hasIndex(ranges, index)) return ranges;
  return normalise([...ranges, [index, index + 1]]);
}

/** `ranges` without any index of `remove`. */
export function removeIndexes(ranges: IndexRanges, remove: IndexRanges): IndexRanges {
  const kept = indexesOf(ranges).filter((i) => !hasIndex(remove, i));
  return rangesOf(kept);
}

/** The number of indexes in `ranges`. */
export function countIndexes(ranges: IndexRanges): number {
  return ranges.reduce((sum, [start, end]) => sum + (end - start), 0);
}

/** Every index in `ranges`, ascending. */
export function indexesOf(ranges: IndexRanges): number[] {
  return ranges.flatMap(([start, end]) => Array.from({ length: end - start }, (_, k) => start + k));
}

/** The ranges holding exactly `indexes`. */
export function rangesOf(indexes: readonly number[]): IndexRanges {
  return normalise(indexes.map((i) => [i, i + 1] as [number, number]));
}

function normalise(ranges: IndexRanges): IndexRanges {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const merged: IndexRanges = [];
  for (const [start, end] of sorted) {
    const last = merged.at(-1);
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged;
}

/** Running totals of an eval's finished episodes (what its progress and summary need). */
export interface EvalTotals {
  done: number;
  won: number;
  /** Episodes whose workflow failed. */
  failed: number;
  /** Episodes that ended `cancelled`. */
  cancelled: number;
  /** Sum of max(0, score) (the paper's ScienceWorld metric's numerator). */
  scoreSum: number;
  steps: number;
  /** Recorded tokens (cache hits included). */
  tokens: number;
  /** Tokens actually spent (0 for cache hits). */
  spentTokens: number;
  redrives: number;
}

/** Totals of no episode. */
export const NO_TOTALS: EvalTotals = {
  done: 0,
  won: 0,
  failed: 0,
  cancelled: 0,
  scoreSum: 0,
  steps: 0,
  tokens: 0,
  spentTokens: 0,
  redrives: 0,
};

/** `totals` with one more finished episode. */
export function addOutcome(totals: EvalTotals, outcome: SlimOutcome): EvalTotals {
  return {
    done: totals.done + 1,
    won: totals.won + (outcome.won ? 1 : 0),
    failed: totals.failed + (outcome.status === 'failed' ? 1 : 0),
    cancelled: totals.cancelled + (outcome.status === 'cancelled' ? 1 : 0),
    scoreSum: totals.scoreSum + Math.max(0, outcome.score),
    steps: totals.steps + outcome.steps,
    tokens: totals.tokens + totalTokens(outcome.tokens),
    spentTokens: totals.spentTokens + outcome.spentTokens,
    redrives: totals.redrives + (outcome.redrives ?? 0),
  };
}

/** What an eval carries over continue-as-new (and what `resume` of a dead run starts from). */
export interface EvalState {
  /** Workflow runs so far. */
  runs: number;
  /** Indexes of the episodes that have an outcome. */
  finished?: IndexRanges;
  /** Of those, the episodes whose workflow failed (what `retry-failed` plays again). */
  failed?: IndexRanges;
  /**
   * Episodes still running when the run continued as new (abandoned children of an earlier run):
   * the next run awaits their outcomes (signal or poll) and never starts them again.
   */
  running?: IndexRanges;
  totals?: EvalTotals;
  /** Operator settings that outlive a run. */
  paused?: boolean;
  concurrency?: number;
  /** Set when a client continued a closed (failed, terminated) run: that run's id, whose history holds outcomes. */
  previousRunId?: string;
  /** Every outcome so far: how evals recorded before 0.2.0 carried their state. */
  outcomes?: SlimOutcome[];
}

/** The bounded state of `state`, converting the outcome list an older eval carried. */
export function boundedState(
  state: EvalState | undefined,
): Required<Omit<EvalState, 'outcomes' | 'concurrency' | 'previousRunId'>> & Pick<EvalState, 'concurrency'> {
  const base = {
    runs: state?.runs ?? 0,
    paused: state?.paused ?? false,
    ...(state?.concurrency !== undefined && { concurrency: state.concurrency }),
  };
  if (state?.finished || !state?.outcomes) {
    return {
      ...base,
      finished: state?.finished ?? [],
      failed: state?.failed ?? [],
      running: state?.running ?? [],
      totals: state?.totals ?? NO_TOTALS,
    };
  }
  const outcomes = state.outcomes;
  return {
    ...base,
    finished: rangesOf(outcomes.map((o) => o.index)),
    failed: rangesOf(outcomes.filter((o) => o.status === 'failed').map((o) => o.index)),
    running: [],
    totals: outcomes.reduce(addOutcome, NO_TOTALS),
  };
}

/** Consecutive plan episodes that differ only by variation `+1` each: one entry with a count. */
export interface PlanRun {
  spec: EnvSpec;
  group: string;
  /** Episodes in the run (variations `spec.variation`, +1, ...). @default 1 */
  count?: number;
}

/** The plan as runs (see {@link PlanRun}): a 5,000-seed built-in plan is a few entries. */
export function compactPlan(episodes: readonly EvalPlanEpisode[]): PlanRun[] {
  const runs: PlanRun[] = [];
  for (const episode of episodes) {
    const last = runs.at(-1);
    if (last && continues(last, episode)) last.count = (last.count ?? 1) + 1;
    else runs.push({ spec: episode.spec, group: episode.group });
  }
  return runs;
}

function continues(run: PlanRun, next: EvalPlanEpisode): boolean {
  const count = run.count ?? 1;
  const { variation, ...rest } = next.spec;
  const { variation: first, ...runRest } = run.spec;
  return (
    next.group === run.group &&
    typeof variation === 'number' &&
    typeof first === 'number' &&
    variation === first + count &&
    JSON.stringify(rest) === JSON.stringify(runRest)
  );
}

/** The episode list of a compact plan. */
export function expandPlan(runs: readonly PlanRun[]): EvalPlanEpisode[] {
  return runs.flatMap((run) =>
    Array.from({ length: run.count ?? 1 }, (_, k) => ({
      spec: k === 0 ? run.spec : { ...run.spec, variation: run.spec.variation! + k },
      group: run.group,
    })),
  );
}
