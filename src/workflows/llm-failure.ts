/**
 * What an episode does when a model call cannot be made: a non-retryable error (bad key, unknown
 * model, bad request, read-only cache miss) or an outage longer than `llmOutageBudgetSeconds`
 * ends the episode with status `llm-error` and a message, keeping what was recorded, instead of
 * failing the workflow. Workflow code.
 */
import type { PolicyCallInput } from '../activities/types';
import type { EpisodeConfig } from '../agent/config';
import { llmFailureMessage } from '../episode/llm-failure-message';
import { decide, type Decision } from './policy-call';

export { llmFailureMessage } from '../episode/llm-failure-message';

/** Why no decision could be obtained. */
export interface LlmStop {
  llmError: string;
}

/**
 * {@link decide} with the config's repair attempts and outage budget; a policy call that failed
 * for good becomes `{ llmError }`. Anything else (cancellation, a bug) is rethrown.
 */
export async function decideOrStop(
  call: PolicyCallInput,
  config: Pick<EpisodeConfig, 'repairAttempts' | 'llmOutageBudgetSeconds'>,
): Promise<Decision | LlmStop> {
  try {
    return await decide(call, config.repairAttempts, config.llmOutageBudgetSeconds);
  } catch (err) {
    const message = llmFailureMessage(err, config.llmOutageBudgetSeconds);
    if (message !== undefined) return { llmError: message };
    throw err;
  }
}

/** True when `answer` is a stop rather than a decision. */
export function isLlmStop(answer: Decision | LlmStop): answer is LlmStop {
  return 'llmError' in answer;
}
