/** The eval progress figures: rates measured since this process attached, ETA, durations. */
import { formatDuration, progressFigures } from '../../../src/cli/eval-progress';
import type { EvalProgress } from '../../../src/workflows/eval';

const progress = (done: number, extra: Partial<EvalProgress> = {}): EvalProgress => ({
  status: 'running',
  total: 100,
  done,
  running: ['a', 'b'],
  won: Math.floor(done / 2),
  failed: 0,
  scoreSum: done * 40,
  tokens: done * 1000,
  spentTokens: done * 500,
  runs: 1,
  ...extra,
});

test('rates count only the episodes finished since this process attached', () => {
  // Attached when 40 were done (a resumed eval); 10 more in 2 minutes → 5/min, 50 left → 10 min.
  const f = progressFigures(progress(50), { atMs: 0, done: 40 }, 120_000);
  expect(f.episodesPerMinute).toBeCloseTo(5);
  expect(f.etaSeconds).toBeCloseTo(600);
  expect(f.successRate).toBeCloseTo(0.5);
  expect(f.meanScore).toBeCloseTo(40);
  expect(f.running).toBe(2);
});

test('no ETA before anything finished here; nothing divides by zero', () => {
  const f = progressFigures(progress(0), { atMs: 0, done: 0 }, 0);
  expect(f.etaSeconds).toBeUndefined();
  expect(f.episodesPerMinute).toBe(0);
  expect(f.successRate).toBe(0);
  expect(f.meanScore).toBe(0);
});

test('durations read as people write them', () => {
  expect(formatDuration(42.4)).toBe('42s');
  expect(formatDuration(185)).toBe('3m05s');
  expect(formatDuration(3720)).toBe('1h02m');
  expect(formatDuration(-5)).toBe('0s');
});
