/**
 * Issue 12 item 2: with the bounded high level (the `chat` profile's default: the last
 * `DEFAULT_HIGH_LEVEL_WINDOW` subtasks plus a count of earlier ones) a long built-in episode's
 * largest prompt stays within 10% of a 50-step episode's, in characters and in tokens (the
 * project's tokenizer); without the bound the "Historical subtasks" list makes it grow.
 */
import { DEFAULT_HIGH_LEVEL_WINDOW } from '../../../src/agent/config';
import { largestPrompt as measure, PER_SUBTASK } from '../../support/bounded-episode';
import { connectTestTemporal, type TestTemporal } from '../../support/temporal';

let t: TestTemporal;
beforeAll(async () => (t = await connectTestTemporal()));
afterAll(async () => t?.close());

/** Largest prompt of an episode of `maxSteps` steps, which must run to its step budget. */
async function largestPrompt(maxSteps: number, highLevelWindow?: number) {
  const measured = await measure(t, maxSteps, highLevelWindow);
  expect(measured.result).toMatchObject({ status: 'step-budget', steps: maxSteps });
  expect(measured.result.subtasks.length).toBe(Math.ceil(maxSteps / PER_SUBTASK));
  return measured;
}

// 120 steps (30 subtasks, 3x the window) in CI; the 1,000-step run is `bench/bounded-high-level.ts`
// (bench/results/bounded-high-level.md), the same code at full size.
const LONG_STEPS = 120;

test("chat profile (bounded by default): a long episode's largest prompt within 10% of a 50-step episode's", async () => {
  const short = await largestPrompt(50);
  const long = await largestPrompt(LONG_STEPS);
  expect(long.chars).toBeLessThanOrEqual(short.chars * 1.1);
  expect(long.tokens).toBeLessThanOrEqual(short.tokens * 1.1);
  // The last high-level prompt lists the window and counts the rest.
  const lastHigh = long.texts.filter((p) => p.includes('Historical subtasks:')).at(-1)!;
  expect(lastHigh).toContain(
    `(${LONG_STEPS / PER_SUBTASK - 1 - DEFAULT_HIGH_LEVEL_WINDOW} earlier subtasks omitted) ['Survey the room`,
  );
}, 900_000);

test('without the bound the high-level prompt grows with the subtasks issued', async () => {
  const short = await largestPrompt(50, 0);
  const longer = await largestPrompt(150, 0);
  expect(longer.chars).toBeGreaterThan(short.chars * 1.3);
  expect(longer.tokens).toBeGreaterThan(short.tokens * 1.3);
}, 600_000);
