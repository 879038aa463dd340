/**
 * Per-level call and token totals. Pure and zod-free (type imports only), so workflows use it.
 */
import type { CallRecord } from '../agent/records';
import type { LevelTokens, TokenLevel } from './eval-types';

/** Calls and tokens per level; a level that made no call is absent. */
export type LevelTokenTotals = Partial<Record<TokenLevel, LevelTokens>>;

/** `totals` with one recorded decision of `level` (its call and repairs) added; none: unchanged. Returns a new object. */
export function addCall(totals: LevelTokenTotals, level: TokenLevel, record: CallRecord | undefined): LevelTokenTotals {
  if (!record) return totals;
  const before = totals[level] ?? { calls: 0, prompt: 0, completion: 0 };
  return {
    ...totals,
    [level]: {
      calls: before.calls + 1 + record.repairs.length, // a repair is one more model call
      prompt: before.prompt + record.tokens.prompt,
      completion: before.completion + record.tokens.completion,
    },
  };
}

/** Prompt + completion tokens over every level. */
export function totalTokens(totals: LevelTokenTotals): number {
  return Object.values(totals).reduce((sum, t) => sum + (t ? t.prompt + t.completion : 0), 0);
}
