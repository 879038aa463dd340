/**
 * What an episode does when a model call cannot be made: a non-retryable error (bad key, unknown
 * model, bad request, read-only cache miss) or an outage longer than `llmOutageBudgetSeconds`
 * ends the episode with status `llm-error` and a message, keeping what was recorded, instead of
 * failing the workflow. Workflow code.
 */
import { ActivityFailure, ApplicationFailure, patched, TimeoutFailure } from '@temporalio/workflow';
import { LLM_OUTAGE_BUDGET_EXCEEDED, type PolicyCallInput } from '../activities/types';
import type { EpisodeConfig } from '../agent/config';
import { decide, type Decision } from './policy-call';

/** Patch id of the `llm-error` outcome (histories before it failed the workflow instead). */
export const LLM_ERROR_PATCH = 'llm-error-outcome';

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
    // Histories recorded before this change failed here; they must replay the same way.
    if (message !== undefined && patched(LLM_ERROR_PATCH)) return { llmError: message };
    throw err;
  }
}

/** True when `answer` is a stop rather than a decision. */
export function isLlmStop(answer: Decision | LlmStop): answer is LlmStop {
  return 'llmError' in answer;
}

/** The recorded message of a policy call's final failure, or undefined when `err` is not one. */
export function llmFailureMessage(err: unknown, budgetSeconds: number): string | undefined {
  if (!(err instanceof ActivityFailure) || err.activityType !== 'callPolicy') return undefined;
  const cause = err.cause;
  // Out of budget, as the activity found it: its message names the budget and the last error.
  if (cause instanceof ApplicationFailure && cause.type === LLM_OUTAGE_BUDGET_EXCEEDED) return cause.message;
  // Out of budget by the backstop: the next attempt would pass schedule-to-close or an attempt ran
  // past it; or, in histories from when the budget was an attempt count, the attempts are spent.
  const outOfBudget =
    err.retryState === 'MAXIMUM_ATTEMPTS_REACHED' ||
    err.retryState === 'TIMEOUT' ||
    (cause instanceof TimeoutFailure && cause.timeoutType === 'SCHEDULE_TO_CLOSE');
  if (outOfBudget) {
    const last = cause instanceof TimeoutFailure ? cause.cause?.message : cause?.message;
    return (
      `model endpoint still failing after the ${budgetSeconds} s outage budget (llmOutageBudgetSeconds)` +
      (last ? `; last error: ${last}` : '')
    );
  }
  if (cause instanceof ApplicationFailure && err.retryState === 'NON_RETRYABLE_FAILURE') {
    return `model call failed (not retryable): ${cause.message}`;
  }
  return undefined;
}
