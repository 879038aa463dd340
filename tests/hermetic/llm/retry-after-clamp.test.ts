/**
 * A server's Retry-After is honoured up to a cap (issue 17 item 7): a 429 asking for an hour, or
 * an HTTP date far ahead, waits at most a minute before the next attempt, so one header can
 * neither park a call for hours nor push its retry past the policy call's backstop.
 */
import { msToNumber } from '@temporalio/common/lib/time';
import { policyOptions } from '../../../src/episode/activity-options';
import { MAX_RETRY_AFTER_SECONDS, clampRetryAfterSeconds } from '../../../src/llm/request-utils';
import { llmErrorToApplicationFailure } from '../../../src/llm/to-application-failure';
import { retryAfterSeconds } from '../../../src/llm/openai-client';
import { LlmError } from '../../../src/llm/types';

test('the cap is a minute, and a capped wait near the end of the budget still fits in the backstop', () => {
  expect(MAX_RETRY_AFTER_SECONDS).toBe(60);
  const budgetS = 4;
  expect(msToNumber(policyOptions(budgetS).scheduleToCloseTimeout!)).toBeGreaterThan(
    (budgetS + MAX_RETRY_AFTER_SECONDS) * 1000,
  );
});

test.each([
  [7.5, 7.5],
  [42, 42],
  [0, 0],
  [MAX_RETRY_AFTER_SECONDS, MAX_RETRY_AFTER_SECONDS],
  [3600, MAX_RETRY_AFTER_SECONDS],
  [Infinity, MAX_RETRY_AFTER_SECONDS],
])('clampRetryAfterSeconds(%p) = %p', (asked, delay) => {
  expect(clampRetryAfterSeconds(asked)).toBe(delay);
});

test.each([-1, NaN, undefined])('no usable Retry-After (%p) leaves the delay to the backoff', (asked) => {
  expect(clampRetryAfterSeconds(asked)).toBeUndefined();
});

test('a 429 asking for an hour retries after the cap; the details keep what the server asked', () => {
  const f = llmErrorToApplicationFailure(
    new LlmError('rate limited by http://x/v1 (429): come back later', true, 3600),
  );
  expect(f.nextRetryDelay).toBe(MAX_RETRY_AFTER_SECONDS * 1000);
  expect(f.details).toEqual([{ retryAfterSeconds: 3600 }]);
});

test('a Retry-After date a day ahead is clamped the same way', () => {
  const tomorrow = new Date(Date.now() + 24 * 3600_000).toUTCString();
  const asked = retryAfterSeconds(new Headers({ 'retry-after': tomorrow }));
  expect(asked).toBeGreaterThan(3600);
  const f = llmErrorToApplicationFailure(new LlmError('rate limited (429)', true, asked));
  expect(f.nextRetryDelay).toBe(MAX_RETRY_AFTER_SECONDS * 1000);
});
