/**
 * The message an episode records when a model call failed for good (status `llm-error`): out of
 * its outage budget, or not retryable. Pure (failure classes only), so tests check it directly.
 */
import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/common';
import { LLM_OUTAGE_BUDGET_EXCEEDED } from '../activities/types';

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
