/**
 * Activity proxies with timeouts and retry policies set once. Policy calls run on the shared queue;
 * env calls on the queue of the worker that owns the session (session pinning).
 */
import { ActivityCancellationType, proxyActivities } from '@temporalio/workflow';
import type { StepHrlActivities } from '../activities';
import { ENV_DIVERGENCE, livenessQueue, SESSION_LOST } from '../activities/types';
import { DEFAULT_EPISODE_CONFIG } from '../agent/config';

/** Policy activities whose types fail a call at once: a retry cannot fix them. */
export const NON_RETRYABLE_POLICY_ERRORS = ['LlmConfigError', 'CacheMissError', 'UnmatchedPromptError'];

/** Backoff cap between two attempts of one policy call while the endpoint is down. */
export const POLICY_MAX_RETRY_INTERVAL = '30s';

/** Longest backoff between two attempts of one policy call, in seconds. */
const POLICY_MAX_RETRY_SECONDS = 30;

/**
 * Attempts whose backoff (1 s, doubling, capped at {@link POLICY_MAX_RETRY_SECONDS}) fits in
 * `budgetSeconds`: the outage budget as an attempt count, so time a call spends queued (behind a
 * serial model, or in Temporal's queue under load) never counts against it.
 */
export function attemptsWithin(budgetSeconds: number): number {
  let waited = 0;
  let interval = 1;
  let attempts = 1;
  while (waited + interval <= budgetSeconds) {
    waited += interval;
    interval = Math.min(interval * 2, POLICY_MAX_RETRY_SECONDS);
    attempts += 1;
  }
  return attempts;
}

/**
 * LLM calls that wait out an outage: capped exponential backoff, as many attempts as fit in
 * `outageBudgetSeconds` of backoff. A Retry-After (429) overrides the backoff for that attempt;
 * bad configuration (401/403/404/400/422, cache miss in read-only mode) fails fast. No
 * schedule-to-close: a call waiting for a slot is not failing. Liveness comes from heartbeats
 * (every second, worker interceptor), so one attempt may run as long as the budget.
 */
export function policyFor(outageBudgetSeconds: number) {
  return proxyActivities<StepHrlActivities>({
    startToCloseTimeout: `${outageBudgetSeconds}s`,
    heartbeatTimeout: '5s',
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: POLICY_MAX_RETRY_INTERVAL,
      maximumAttempts: attemptsWithin(outageBudgetSeconds),
      nonRetryableErrorTypes: NON_RETRYABLE_POLICY_ERRORS,
    },
  });
}

/** Policy activities with the default outage budget (for callers without a config). */
export const policy = policyFor(DEFAULT_EPISODE_CONFIG.llmOutageBudgetSeconds);

/**
 * Env activities pinned to `queue`. A long wait on the queue surfaces as a schedule-to-start
 * timeout, which is not yet a lost session: `onPinnedWorker` then checks the worker's liveness.
 * Every activity heartbeats each second from its start (worker interceptor), so 5 s without one
 * means the worker died mid-call; cancellation waits for the activity to acknowledge it.
 */
export function envOn(queue: string, queueTimeoutSeconds: number) {
  return proxyActivities<StepHrlActivities>({
    taskQueue: queue,
    scheduleToStartTimeout: `${queueTimeoutSeconds}s`,
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: '5s',
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: {
      // An env server that is down is waited out (capped backoff); a server this worker started is
      // restarted by it and its sessions report SessionLost (re-drive), so only an external server
      // keeps an activity retrying, until the start-to-close bound of its attempt chain.
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '30s',
      maximumAttempts: 60,
      nonRetryableErrorTypes: [
        SESSION_LOST,
        ENV_DIVERGENCE,
        'UnknownTaskError',
        'BadVariationError',
        'BadGameFileError',
      ],
    },
  });
}

/** Finds the env queue of a live worker (any worker polling the shared queue). */
export const { acquireEnvQueue } = proxyActivities<StepHrlActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 10 },
});

/** The liveness ping of the worker pinned to `queue`: one attempt, answered within `timeoutSeconds` or dead. */
export function livenessOn(queue: string, timeoutSeconds: number) {
  return proxyActivities<StepHrlActivities>({
    taskQueue: livenessQueue(queue),
    scheduleToStartTimeout: `${timeoutSeconds}s`,
    startToCloseTimeout: `${timeoutSeconds}s`,
    retry: { maximumAttempts: 1 },
  });
}
