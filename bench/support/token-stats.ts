/**
 * Per-step prompt-token statistics of teacher-forced rollouts: the per-step series, its linear
 * trend, and its total at a fixed horizon (the paper evaluates with 50 steps).
 */
import type { ForcedCall } from './teacher-forced';

/** Prompt tokens of every call deciding step t, summed, for t = 0 .. steps-1. */
export function perStepTokens(calls: readonly ForcedCall[], steps: number): number[] {
  const out = new Array<number>(steps).fill(0);
  for (const c of calls) if (c.step < steps) out[c.step]! += c.promptTokens;
  return out;
}

/** Least-squares line y = intercept + slope * index over the series (slope 0 for fewer than 2 points). */
export function linearFit(values: readonly number[]): { intercept: number; slope: number } {
  const n = values.length;
  if (n === 0) return { intercept: 0, slope: 0 };
  const meanX = (n - 1) / 2;
  const meanY = values.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  values.forEach((y, x) => {
    sxy += (x - meanX) * (y - meanY);
    sxx += (x - meanX) ** 2;
  });
  const slope = sxx > 0 ? sxy / sxx : 0;
  return { intercept: meanY - slope * meanX, slope };
}

/**
 * How an agent's per-step prompt grows, which decides how a short episode extrapolates:
 * `transcript` (ReAct: every step appends a turn, so the prompt grows linearly with the step index)
 * or `bounded` (STEP-HRL: each prompt holds the current state only, so a step costs the same on average).
 */
export type PromptGrowth = 'transcript' | 'bounded';

/**
 * Prompt tokens over the first `horizon` steps: the measured steps as they are, and for an episode
 * that ended earlier, each missing step t from the episode's own data: its least-squares line
 * (intercept + slope * t, at least 0) for a `transcript` agent, its mean per step for a `bounded` one.
 */
export function tokensAtHorizon(series: readonly number[], horizon: number, growth: PromptGrowth): number {
  const measured = series.slice(0, horizon).reduce((a, b) => a + b, 0);
  if (series.length >= horizon || series.length === 0) return measured;
  const { intercept, slope } = linearFit(series);
  const perStep = measured / series.length;
  let extrapolated = 0;
  for (let t = series.length; t < horizon; t++)
    extrapolated += growth === 'bounded' ? perStep : Math.max(0, intercept + slope * t);
  return measured + extrapolated;
}

/** Mean of each index over the series that reach it (NaN where none does). */
export function meanByIndex(series: readonly (readonly number[])[], length: number): number[] {
  return Array.from({ length }, (_, t) => {
    const at = series.filter((s) => s.length > t).map((s) => s[t]!);
    return at.length ? at.reduce((a, b) => a + b, 0) / at.length : NaN;
  });
}
