/**
 * One built-in episode played by a looping scripted policy (a subtask every `perSubtask` steps, the
 * env never ending first) and the largest prompt it sent: what the bounded-high-level test and
 * `bench/bounded-high-level.ts` measure.
 */
import { countTokens } from '../../src/agent/tokens';
import type { EnvSpec } from '../../src/agent/vocabulary';
import { startEpisode } from '../../src/client';
import { requestText } from '../../src/llm/request-utils';
import { ScriptedLlmClient } from '../../src/llm/scripted-client';
import type { EpisodeResult } from '../../src/workflows/episode';
import { loopingPolicyRules } from './looping-policy';
import { queueFor, withWorker, type TestTemporal } from './temporal';

/** Steps per subtask: a 50-step episode issues 13 subtasks, more than the default window. */
export const PER_SUBTASK = 4;

const spec: EnvSpec = { env: 'builtin', task: 'deliver-apple', variation: 1, options: { maxSteps: 2000 } };

/** What one episode sent at most. */
export interface LargestPrompt {
  result: EpisodeResult;
  chars: number;
  tokens: number;
  /** Every prompt (or chat messages joined) in call order. */
  texts: string[];
}

/** Plays `maxSteps` steps (chat profile; `highLevelWindow` as given, else the profile's default). */
export async function largestPrompt(
  t: TestTemporal,
  maxSteps: number,
  highLevelWindow?: number,
): Promise<LargestPrompt> {
  const taskQueue = queueFor(`bounded-high-${maxSteps}-${highLevelWindow ?? 'default'}`);
  const llm = new ScriptedLlmClient(loopingPolicyRules(PER_SUBTASK));
  const config = { spec, maxSteps, ...(highLevelWindow !== undefined && { highLevelWindow }) };
  const result = await withWorker(t, { taskQueue, llm }, async () =>
    (await startEpisode(t.client, { episodeId: `ep-${taskQueue}`, taskQueue, config })).result(),
  );
  const texts = llm.requests.map(requestText);
  return { result, chars: Math.max(...texts.map((p) => p.length)), tokens: Math.max(...texts.map(countTokens)), texts };
}
