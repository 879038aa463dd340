/**
 * Issue 12 item 2: with the bounded high level (the `chat` profile's default: the last
 * `DEFAULT_HIGH_LEVEL_WINDOW` subtasks plus a count of earlier ones) a 1,000-step built-in episode's
 * largest prompt stays within 10% of a 50-step episode's, in characters and in tokens (the
 * project's tokenizer); without the bound the "Historical subtasks" list makes it grow.
 */
import { DEFAULT_HIGH_LEVEL_WINDOW } from '../../src/agent/config';
import { countTokens } from '../../src/agent/tokens';
import { startEpisode } from '../../src/client';
import type { EnvSpec } from '../../src/envs/text-env';
import { requestText } from '../../src/llm/request-utils';
import { ScriptedLlmClient } from '../../src/llm/scripted-client';
import { loopingPolicyRules } from '../support/looping-policy';
import { connectTestTemporal, queueFor, withWorker, type TestTemporal } from '../support/temporal';

let t: TestTemporal;
beforeAll(async () => (t = await connectTestTemporal()));
afterAll(async () => t?.close());

const spec: EnvSpec = { env: 'builtin', task: 'deliver-apple', variation: 1, options: { maxSteps: 2000 } }; // the env never ends first
/** Steps per subtask: a 50-step episode issues 13 subtasks, more than the window. */
const PER_SUBTASK = 4;

/** Largest prompt (chars and tokens) over every call of an episode of `maxSteps` steps. */
async function largestPrompt(maxSteps: number, highLevelWindow?: number) {
  const taskQueue = queueFor(`bounded-high-${maxSteps}-${highLevelWindow ?? 'default'}`);
  const llm = new ScriptedLlmClient(loopingPolicyRules(PER_SUBTASK));
  const config = { spec, maxSteps, ...(highLevelWindow !== undefined && { highLevelWindow }) };
  const result = await withWorker(t, { taskQueue, llm }, async () =>
    (await startEpisode(t.client, { episodeId: `ep-${taskQueue}`, taskQueue, config })).result(),
  );
  expect(result).toMatchObject({ status: 'step-budget', steps: maxSteps });
  expect(result.subtasks.length).toBe(Math.ceil(maxSteps / PER_SUBTASK));
  const texts = llm.requests.map(requestText);
  return { chars: Math.max(...texts.map((p) => p.length)), tokens: Math.max(...texts.map(countTokens)), texts };
}

test('chat profile (bounded by default): 1,000 steps, largest prompt within 10% of a 50-step episode', async () => {
  const short = await largestPrompt(50);
  const long = await largestPrompt(1000);
  expect(long.chars).toBeLessThanOrEqual(short.chars * 1.1);
  expect(long.tokens).toBeLessThanOrEqual(short.tokens * 1.1);
  // The last high-level prompt lists the window and counts the rest.
  const lastHigh = long.texts.filter((p) => p.includes('Historical subtasks:')).at(-1)!;
  expect(lastHigh).toContain(`(${250 - 1 - DEFAULT_HIGH_LEVEL_WINDOW} earlier subtasks omitted) ['Survey the room`);
}, 900_000);

test('without the bound the high-level prompt grows with the subtasks issued', async () => {
  const short = await largestPrompt(50, 0);
  const longer = await largestPrompt(200, 0);
  expect(longer.chars).toBeGreaterThan(short.chars * 1.3);
  expect(longer.tokens).toBeGreaterThan(short.tokens * 1.3);
}, 600_000);
