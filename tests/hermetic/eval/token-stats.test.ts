/** The bench's per-step token statistics: series, linear trend, and the 50-step extrapolation. */
import { linearFit, meanByIndex, perStepTokens, tokensAtHorizon } from '../../../bench/support/token-stats';

test('per-step tokens sum every call that decides a step', () => {
  const calls = [
    { step: 0, role: 'high' as const, promptTokens: 100, sent: '', reply: '' },
    { step: 0, role: 'low' as const, promptTokens: 50, sent: '', reply: '' },
    { step: 1, role: 'low' as const, promptTokens: 60, sent: '', reply: '' },
  ];
  expect(perStepTokens(calls, 3)).toEqual([150, 60, 0]);
});

test('a flat series has slope 0 and extrapolates flat; a growing one keeps growing', () => {
  expect(linearFit([5, 5, 5])).toEqual({ intercept: 5, slope: 0 });
  expect(tokensAtHorizon([5, 5, 5], 10, 'transcript')).toBe(50);
  const growing = [10, 20, 30]; // 10 + 10 t
  expect(linearFit(growing).slope).toBeCloseTo(10);
  expect(tokensAtHorizon(growing, 5, 'transcript')).toBeCloseTo(10 + 20 + 30 + 40 + 50);
  // A bounded agent's short episode goes on at its mean per step (a high-level call at step 0 is
  // not a downward trend).
  expect(tokensAtHorizon([30, 10, 10, 10], 8, 'bounded')).toBe(60 + 4 * 15);
  // Longer episodes are cut at the horizon, not extrapolated.
  expect(tokensAtHorizon([1, 2, 3, 4], 2, 'transcript')).toBe(3);
});

test('the mean curve averages the episodes that reach each step', () => {
  expect(meanByIndex([[2, 4], [4]], 3)).toEqual([3, 4, NaN]);
});
