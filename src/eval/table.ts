/**
 * The results table of an evaluation in the STEP-HRL paper's layout: one row per group
 * (ScienceWorld task, ALFWorld task type, built-in task), then the split mean. Pure (no I/O), so
 * the CLI, the writers and, if needed, workflows can call it; works on partial results (an eval in
 * progress, or with failed episodes).
 */
import type { AgentKind, EpisodeOutcome, EvalResults, TokenLevel } from '../episode/eval-types';

/** The levels in the order tables list them. */
export const TOKEN_LEVEL_ORDER: readonly TokenLevel[] = ['high', 'low', 'progress', 'react'];

/**
 * Statuses of episodes that ended on an error rather than on the env, a budget or a step limit:
 * `failed` (the workflow failed), `env-error`, `llm-error` and `cancelled`.
 */
export const ERROR_STATUSES: readonly string[] = ['failed', 'env-error', 'llm-error', 'cancelled'];

/**
 * How the paper scores a split: ScienceWorld (and the built-in env, also 0..100) by the mean of
 * max(0, final score); ALFWorld by 100 × success rate.
 */
export type PaperMetric = 'mean-clamped-score' | 'success-rate';

/** Mean calls and tokens one level spent per episode. */
export interface LevelMeans {
  calls: number;
  prompt: number;
  completion: number;
}

/** Aggregates of a set of episodes: one group's row, or the split mean. */
export interface ResultsRow {
  /** Group name, or {@link MEAN_ROW_LABEL} for the split mean. */
  group: string;
  /** Episodes with an outcome (failed ones included). */
  episodes: number;
  /** Episodes won. */
  won: number;
  /** won / episodes, 0..1. */
  successRate: number;
  /** The paper's metric on 0..100 (see {@link PaperMetric}). */
  score: number;
  /** Mean env steps per episode. */
  meanSteps: number;
  /** Mean calls, prompt and completion tokens per episode, per level. */
  tokens: Partial<Record<TokenLevel, LevelMeans>>;
  /** Mean prompt + completion tokens per episode, all levels. */
  meanTokens: number;
  /** Tokens (prompt + completion) per env step: all levels (`total`) and per level; 0 with no steps. */
  tokensPerStep: { total: number } & Partial<Record<TokenLevel, number>>;
  /** Tokens this execution actually spent (not from the response cache), summed. */
  spentTokens: number;
  /** Episodes whose workflow failed (status `failed`). */
  failed: number;
  /** Episodes that ended on another error (`env-error`, `llm-error`, `cancelled`). */
  errored: number;
}

/** Label of the split-mean row. */
export const MEAN_ROW_LABEL = 'mean (all episodes)';

/** The per-task (macro) mean: each group counts once, whatever its number of episodes. */
export interface MacroMean {
  /** Label for tables: {@link MACRO_MEAN_LABEL}. */
  group: string;
  groups: number;
  successRate: number;
  score: number;
  meanSteps: number;
  tokensPerStep: number;
}

/** Label of the macro-mean row. */
export const MACRO_MEAN_LABEL = 'mean of tasks (macro)';

/** An evaluation's results table. */
export interface ResultsTable {
  agent: AgentKind;
  env: EvalResults['env'];
  metric: PaperMetric;
  /** Levels with columns, in {@link TOKEN_LEVEL_ORDER}. */
  levels: TokenLevel[];
  /** Episodes with an outcome. */
  done: number;
  /** Episodes in the plan. */
  total: number;
  /** True when every planned episode has an outcome. */
  complete: boolean;
  /** One row per group, in the order the plan first reaches each group. */
  rows: ResultsRow[];
  /** The split mean over ALL episodes (micro mean), as the paper reports it. */
  mean: ResultsRow;
  /** The mean over groups (each group once). */
  macroMean: MacroMean;
}

/** The paper's metric for an env. */
export function paperMetric(env: EvalResults['env']): PaperMetric {
  return env === 'alfworld' ? 'success-rate' : 'mean-clamped-score';
}

/** Levels an agent's table shows: STEP-HRL's three or ReAct's one, plus any other level that made calls. */
export function tableLevels(agent: AgentKind, outcomes: readonly EpisodeOutcome[]): TokenLevel[] {
  const shown = new Set<TokenLevel>(agent === 'react' ? ['react'] : ['high', 'low', 'progress']);
  for (const o of outcomes) for (const level of Object.keys(o.tokens) as TokenLevel[]) shown.add(level);
  return TOKEN_LEVEL_ORDER.filter((l) => shown.has(l));
}

/**
 * Aggregates episodes into one row. Every outcome counts, failed ones included: an episode that
 * errored is a lost episode of the split (score max(0, recorded score), not won), as the paper
 * counts every episode.
 */
export function aggregateRow(
  group: string,
  outcomes: readonly EpisodeOutcome[],
  metric: PaperMetric,
  levels: readonly TokenLevel[],
): ResultsRow {
  const n = outcomes.length;
  const mean = (x: number) => (n === 0 ? 0 : x / n);
  const won = outcomes.filter((o) => o.won).length;
  const steps = sum(outcomes.map((o) => o.steps));
  const clamped = mean(sum(outcomes.map((o) => Math.max(0, o.score))));
  const successRate = mean(won);
  const tokens: Partial<Record<TokenLevel, LevelMeans>> = {};
  const tokensPerStep: ResultsRow['tokensPerStep'] = { total: 0 };
  let allTokens = 0;
  for (const level of levels) {
    const used = outcomes.map((o) => o.tokens[level] ?? { calls: 0, prompt: 0, completion: 0 });
    const prompt = sum(used.map((t) => t.prompt));
    const completion = sum(used.map((t) => t.completion));
    tokens[level] = { calls: mean(sum(used.map((t) => t.calls))), prompt: mean(prompt), completion: mean(completion) };
    tokensPerStep[level] = steps === 0 ? 0 : (prompt + completion) / steps;
    allTokens += prompt + completion;
  }
  tokensPerStep.total = steps === 0 ? 0 : allTokens / steps;
  return {
    group,
    episodes: n,
    won,
    successRate,
    score: metric === 'success-rate' ? 100 * successRate : clamped,
    meanSteps: mean(steps),
    tokens,
    meanTokens: mean(allTokens),
    tokensPerStep,
    spentTokens: sum(outcomes.map((o) => o.spentTokens)),
    failed: outcomes.filter((o) => o.status === 'failed').length,
    errored: outcomes.filter((o) => o.status !== 'failed' && ERROR_STATUSES.includes(o.status)).length,
  };
}

/** Builds the results table of an evaluation (finished or in progress). */
export function buildResultsTable(results: EvalResults): ResultsTable {
  const outcomes = [...results.outcomes].sort((a, b) => a.index - b.index);
  const metric = paperMetric(results.env);
  const levels = tableLevels(results.agent, outcomes);
  const byGroup = new Map<string, EpisodeOutcome[]>();
  for (const o of outcomes) {
    const list = byGroup.get(o.group);
    if (list) list.push(o);
    else byGroup.set(o.group, [o]);
  }
  const rows = [...byGroup].map(([group, list]) => aggregateRow(group, list, metric, levels));
  const macro = (pick: (r: ResultsRow) => number) => (rows.length === 0 ? 0 : sum(rows.map(pick)) / rows.length);
  return {
    agent: results.agent,
    env: results.env,
    metric,
    levels,
    done: outcomes.length,
    total: results.total,
    complete: outcomes.length >= results.total,
    rows,
    mean: aggregateRow(MEAN_ROW_LABEL, outcomes, metric, levels),
    macroMean: {
      group: MACRO_MEAN_LABEL,
      groups: rows.length,
      successRate: macro((r) => r.successRate),
      score: macro((r) => r.score),
      meanSteps: macro((r) => r.meanSteps),
      tokensPerStep: macro((r) => r.tokensPerStep.total),
    },
  };
}

function sum(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0);
}
