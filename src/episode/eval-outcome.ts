/**
 * Turns a finished episode workflow's result (STEP-HRL or ReAct) into the evaluation's
 * {@link EpisodeOutcome}. Pure and type-only in its imports, so the EvalWorkflow uses it.
 */
import { DEFAULT_MAX_STEPS } from '../agent/config';
import type { EpisodeResult, ReactResult } from './records';
import type { EvalTotals } from './eval-state';
import type { LevelTokenTotals } from './level-tokens';
import { planEpisodes, type EvalInput } from './eval-records';
import type { EpisodeOutcome, EvalPlanEpisode, EvalProgress, EvalResults, SlimOutcome } from './eval-types';

export type { SlimOutcome } from './eval-types';

/** Outcome of a STEP-HRL or ReAct episode that completed. */
export function outcomeOfResult(index: number, result: EpisodeResult | ReactResult): SlimOutcome {
  const byLevel = (result as { tokensByLevel?: LevelTokenTotals }).tokensByLevel;
  const status = (result as { status?: string }).status;
  // A count (STEP-HRL), or the step records of the last run (ReAct: `stepCount` counts every run's).
  const steps: unknown = (result as ReactResult).stepCount ?? result.steps;
  return {
    index,
    episodeId: result.episodeId,
    status: status ?? 'env-done',
    score: result.score,
    won: result.won,
    steps: typeof steps === 'number' ? steps : Array.isArray(steps) ? steps.length : 0,
    tokens: byLevel ?? {},
    spentTokens: result.spentTokens,
    redrives: (result as { redrives?: number }).redrives ?? 0,
    ...(result.envHosts?.length && { hosts: result.envHosts }),
    ...((result as EpisodeResult).error !== undefined && { error: (result as EpisodeResult).error }),
  };
}

/** Outcome of an episode whose workflow failed (it counts as an episode with score 0). */
export function outcomeOfFailure(index: number, episodeId: string, error: string): SlimOutcome {
  return { index, episodeId, status: 'failed', score: 0, won: false, steps: 0, tokens: {}, spentTokens: 0, error };
}

/** Joins carried outcomes with their plan entries, in plan order. */
export function joinOutcomes(plan: readonly EvalPlanEpisode[], outcomes: readonly SlimOutcome[]): EpisodeOutcome[] {
  return [...outcomes]
    .sort((a, b) => a.index - b.index)
    .map((o) => ({ ...o, spec: plan[o.index]!.spec, group: plan[o.index]!.group }));
}

/** What names an eval in its results: id, agent, selection, env, split, model, step budget, size. */
export function evalHeaderOf(evalId: string, input: EvalInput, total: number): Omit<EvalResults, 'outcomes'> {
  return {
    evalId,
    agent: input.agent,
    selection: input.selection,
    env: input.env,
    ...(input.split !== undefined && { split: input.split }),
    ...(input.model !== undefined && { model: input.model }),
    maxSteps: input.config.maxSteps ?? DEFAULT_MAX_STEPS,
    total,
  };
}

/** The results of an eval from its input and the outcomes recorded so far. */
export function evalResultsOf(evalId: string, input: EvalInput, outcomes: readonly SlimOutcome[]): EvalResults {
  const episodes = planEpisodes(input);
  return { ...evalHeaderOf(evalId, input, episodes.length), outcomes: joinOutcomes(episodes, outcomes) };
}

/** An eval's progress from its running totals (the `evalProgress` query's answer). */
export function evalProgressOf(
  total: number,
  totals: EvalTotals,
  running: readonly string[],
  runs: number,
  cancelled: boolean,
  operator: Pick<EvalProgress, 'paused' | 'concurrency' | 'version'> = {},
): EvalProgress {
  return {
    status: cancelled ? 'cancelled' : totals.done === total ? 'completed' : 'running',
    total,
    done: totals.done,
    running: [...running],
    won: totals.won,
    failed: totals.failed,
    scoreSum: totals.scoreSum,
    tokens: totals.tokens,
    spentTokens: totals.spentTokens,
    runs,
    ...operator,
  };
}
