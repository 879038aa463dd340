/**
 * The LLM outage budget is a time budget checked by the policy activity (issue 17 item 7): a
 * retryable failure once `outageBudgetSeconds` have passed since the call's first attempt was
 * scheduled ends the call with a non-retryable `LlmOutageBudgetExceeded`, which the workflow
 * records as `llm-error` with a clear message. Within the budget the failure stays retryable, and a
 * call that succeeds late is never failed. The activity options bound one attempt by about twice
 * the client's timeout and keep schedule-to-close only as a backstop just above the budget.
 */
import { ActivityFailure, ApplicationFailure, RetryState } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createPolicyActivities } from '../../../src/activities';
import { LLM_OUTAGE_BUDGET_EXCEEDED, type PolicyActivityInput } from '../../../src/activities/types';
import { DEFAULT_LLM_TIMEOUT_MS } from '../../../src/llm/config';
import { LlmError, type LlmClient } from '../../../src/llm/types';
import { llmFailureMessage } from '../../../src/episode/llm-failure-message';
import { POLICY_ATTEMPT_TIMEOUT_SECONDS, policyOptions } from '../../../src/episode/activity-options';

const CALL: PolicyActivityInput = {
  role: 'low',
  profile: 'chat',
  messages: [{ role: 'user', content: 'next action?' }],
  maxTokens: 32,
  temperature: 0,
  outageBudgetSeconds: 60,
};

const failingWith = (err: Error): LlmClient => ({
  modelId: 'test',
  complete: () => Promise.reject(err),
});

/** Runs `callPolicy` as attempt `attempt` of a call first scheduled `sinceFirstScheduledS` ago. */
function attempt(llm: LlmClient, sinceFirstScheduledS: number, attempt = 7, input = CALL) {
  const now = Date.now();
  const env = new MockActivityEnvironment(
    {
      attempt,
      scheduledTimestampMs: now - sinceFirstScheduledS * 1000,
      currentAttemptScheduledTimestampMs: now - 1000,
    },
    { logger: new DefaultLogger('ERROR') }, // the failures are the point, not worth a warning each
  );
  return env.run(createPolicyActivities(llm).callPolicy, input);
}

const down = new LlmError('could not reach http://x/v1 (connection error); is the server running?', true);

test('a retryable failure past the budget ends the call: non-retryable, typed, naming budget and cause', async () => {
  const err = await attempt(failingWith(down), 61).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ApplicationFailure);
  expect(err).toMatchObject({ type: LLM_OUTAGE_BUDGET_EXCEEDED, nonRetryable: true });
  expect((err as Error).message).toBe(
    'model endpoint still failing after the 60 s outage budget (llmOutageBudgetSeconds); last error: ' + down.message,
  );
});

test('the same failure within the budget stays retryable', async () => {
  await expect(attempt(failingWith(down), 59)).rejects.toMatchObject({
    type: 'LlmTransientError',
    nonRetryable: false,
  });
});

test('the budget counts from the first attempt, not the current one', async () => {
  // Attempt 1 was scheduled 61 s ago; this attempt only 1 s ago: out of budget all the same.
  await expect(attempt(failingWith(down), 61, 12)).rejects.toMatchObject({ type: LLM_OUTAGE_BUDGET_EXCEEDED });
});

test('a non-retryable failure keeps its own type past the budget', async () => {
  const badKey = new LlmError('rejected the API key (401)', false);
  await expect(attempt(failingWith(badKey), 600)).rejects.toMatchObject({ type: 'LlmConfigError', nonRetryable: true });
});

test('a call that succeeds after the budget is not failed', async () => {
  const llm: LlmClient = {
    modelId: 'test',
    complete: () =>
      Promise.resolve({
        text: '{"action":"look"}',
        usage: { promptTokens: 3, completionTokens: 2, source: 'api' },
        model: 'm',
        latencyMs: 1,
      }),
  };
  await expect(attempt(llm, 3600)).resolves.toMatchObject({ text: '{"action":"look"}' });
});

test('a call recorded without a budget is left to its retry policy', async () => {
  const { outageBudgetSeconds: _, ...withoutBudget } = CALL;
  await expect(attempt(failingWith(down), 3600, 7, withoutBudget)).rejects.toMatchObject({
    type: 'LlmTransientError',
    nonRetryable: false,
  });
});

test('the workflow records the budget failure as its message, as llm-error', async () => {
  const cause = ApplicationFailure.create({
    type: LLM_OUTAGE_BUDGET_EXCEEDED,
    nonRetryable: true,
    message: 'model endpoint still failing after the 60 s outage budget (llmOutageBudgetSeconds); last error: 503',
  });
  const failure = new ActivityFailure(
    'Activity task failed',
    'callPolicy',
    '12',
    RetryState.NON_RETRYABLE_FAILURE,
    'worker',
    cause,
  );
  expect(llmFailureMessage(failure, 60)).toBe(cause.message);
});

describe('policy activity options', () => {
  const options = policyOptions(1800);

  test('one attempt is bounded by about twice the client timeout, not by the whole budget', () => {
    expect(POLICY_ATTEMPT_TIMEOUT_SECONDS * 1000).toBe(2 * DEFAULT_LLM_TIMEOUT_MS);
    expect(msToNumber(options.startToCloseTimeout!)).toBe(POLICY_ATTEMPT_TIMEOUT_SECONDS * 1000);
  });

  test('schedule-to-close is a backstop a little above the budget; the attempt count is not a budget', () => {
    const backstop = msToNumber(options.scheduleToCloseTimeout!);
    expect(backstop).toBeGreaterThan(1800_000);
    expect(backstop).toBeLessThanOrEqual(1800_000 + 5 * 60_000);
    expect(options.retry?.maximumAttempts ?? 0).toBe(0);
  });
});
