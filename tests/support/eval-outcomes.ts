/** Hand-made evaluation outcomes with known aggregates, for the results-table tests. */
import type { EpisodeOutcome, EvalResults, LevelTokens, TokenLevel } from '../../src/episode/eval-types';

/** One outcome; tokens given per level as [calls, prompt, completion]. */
export function outcome(
  index: number,
  group: string,
  fields: Partial<Omit<EpisodeOutcome, 'tokens'>> & { tokens?: Partial<Record<TokenLevel, [number, number, number]>> },
): EpisodeOutcome {
  const tokens: Partial<Record<TokenLevel, LevelTokens>> = {};
  for (const [level, [calls, prompt, completion]] of Object.entries(fields.tokens ?? {})) {
    tokens[level as TokenLevel] = { calls, prompt, completion };
  }
  return {
    index,
    episodeId: `eval-1-${index}`,
    spec: { env: 'scienceworld', task: group, variation: index, split: 'dev' },
    group,
    status: 'env-done',
    score: 0,
    won: false,
    steps: 0,
    spentTokens: 0,
    ...fields,
    tokens,
  };
}

/** Results of an evaluation around the given outcomes. */
export function results(outcomes: EpisodeOutcome[], fields: Partial<EvalResults> = {}): EvalResults {
  return {
    evalId: 'eval-1',
    agent: 'step-hrl',
    selection: 'scienceworld-seen',
    env: 'scienceworld',
    split: 'seen',
    model: 'Qwen2.5-7B-Instruct',
    maxSteps: 50,
    total: outcomes.length,
    outcomes,
    ...fields,
  };
}

/**
 * A ScienceWorld step-hrl eval over two tasks:
 * - boil: scores 100 (won, 10 steps), -100 (lost, 20 steps) → clamped mean 50, success 0.5
 * - melt: scores 40 (10 steps), 60 (30 steps), 80 (won, 20 steps) → mean 60
 * Micro mean score (all 5 episodes) = (100 + 0 + 40 + 60 + 80) / 5 = 56; macro = (50 + 60) / 2 = 55.
 */
export function scienceWorldSample(): EvalResults {
  return results([
    outcome(0, 'boil', { score: 100, won: true, steps: 10, tokens: { high: [2, 1000, 100], low: [10, 5000, 200], progress: [1, 300, 20] }, spentTokens: 6620 }),
    outcome(1, 'boil', { score: -100, won: false, steps: 20, tokens: { high: [3, 1500, 150], low: [20, 9000, 400], progress: [2, 600, 40] }, spentTokens: 0 }),
    outcome(2, 'melt', { score: 40, steps: 10, tokens: { high: [1, 500, 50], low: [10, 4000, 100] } }),
    outcome(3, 'melt', { score: 60, steps: 30, tokens: { high: [1, 500, 50], low: [30, 12000, 300] } }),
    outcome(4, 'melt', { score: 80, won: true, steps: 20, status: 'step-budget', tokens: { high: [1, 500, 50], low: [20, 8000, 200] } }),
  ]); // prettier-ignore
}
