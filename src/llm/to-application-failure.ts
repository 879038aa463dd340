/**
 * Turns backend {@link LlmError}s into Temporal `ApplicationFailure`s at the activity boundary,
 * so the activity retry policy (the only retry layer) sees the backend's decision: transient
 * failures retry with backoff, or after the server's Retry-After; configuration failures fail
 * the activity at once. Activity-side only (imports `@temporalio/common`, never workflow code).
 */
import { ApplicationFailure } from '@temporalio/common';
import { clampRetryAfterSeconds } from './request-utils';
import { LlmError } from './types';

/**
 * The `ApplicationFailure` for `err`: `type` is the error's name (e.g. `LlmTransientError`,
 * `LlmConfigError`, `CacheMissError`) for `nonRetryableErrorTypes` to match, `nonRetryable` is
 * `!err.retryable`, and a Retry-After becomes `nextRetryDelay`, clamped to
 * `MAX_RETRY_AFTER_SECONDS` and rounded up to whole ms (the outage budget, `llmOutageBudgetSeconds`,
 * still ends the call). Details carry the server's `{ retryAfterSeconds }` when known.
 */
export function llmErrorToApplicationFailure(err: LlmError): ApplicationFailure {
  const retryAfter = err.retryAfterSeconds;
  const delay = err.retryable ? clampRetryAfterSeconds(retryAfter) : undefined;
  return ApplicationFailure.create({
    message: err.message,
    type: err.name,
    nonRetryable: !err.retryable,
    ...(delay !== undefined && {
      nextRetryDelay: Math.ceil(delay * 1000),
      details: [{ retryAfterSeconds: retryAfter }],
    }),
  });
}

/**
 * `err` converted when it is an {@link LlmError}, otherwise unchanged; for a `catch` in an activity.
 *
 * @example
 * try {
 *   return await llm.complete(request);
 * } catch (err) {
 *   throw asApplicationFailure(err);
 * }
 */
export function asApplicationFailure(err: unknown): unknown {
  return err instanceof LlmError ? llmErrorToApplicationFailure(err) : err;
}
