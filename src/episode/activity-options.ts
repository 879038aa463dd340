/**
 * Timeouts and retry policies of step-hrl's activities, set once: policy calls wait out an outage
 * of a configured length, env calls are pinned to the worker that owns the session. Plain data
 * (workflows pass it to `proxyActivities`), so tests check it without a workflow.
 */
import { ActivityCancellationType, type ActivityOptions } from '@temporalio/common';
import { ENV_DIVERGENCE, HEARTBEAT_TIMEOUT_MS, livenessQueue, SESSION_LOST } from '../activities/types';

/** Policy activities whose types fail a call at once: a retry cannot fix them. */
export const NON_RETRYABLE_POLICY_ERRORS = ['LlmConfigError', 'CacheMissError', 'UnmatchedPromptError'];

/** Backoff cap between two attempts of one policy call while the endpoint is down. */
export const POLICY_MAX_RETRY_INTERVAL = '30s';

/** Longest backoff between two attempts of one policy call, in seconds. */
const POLICY_MAX_RETRY_SECONDS = 30;

/**
 * Start-to-close of one policy call attempt: twice the OpenAI client's default request timeout
 * (`DEFAULT_LLM_TIMEOUT_MS`, 120 s), so a hung server ends an attempt by the client's timeout,
 * whose retryable error the activity checks against the outage budget; this only catches an
 * attempt that hangs past it (an embedded model that stopped answering).
 */
export const POLICY_ATTEMPT_TIMEOUT_SECONDS = 240;

/**
 * Schedule-to-close beyond the outage budget: room for one more backoff and one whole attempt, so
 * the activity itself ends a call out of budget with its last error; the timeout is a backstop for
 * attempts that cannot report (a worker dying over and over, an attempt hung past start-to-close).
 */
const POLICY_BACKSTOP_SECONDS = POLICY_MAX_RETRY_SECONDS + POLICY_ATTEMPT_TIMEOUT_SECONDS;

/**
 * Options of the LLM calls that wait out an outage of up to `outageBudgetSeconds`: capped
 * exponential backoff with no attempt limit; the budget is time since the first attempt was
 * scheduled, checked by the activity (`callPolicy` input `outageBudgetSeconds`), with
 * schedule-to-close as a backstop a little above it. A Retry-After (429) overrides the backoff for
 * that attempt (clamped to a minute, `MAX_RETRY_AFTER_SECONDS`); bad configuration (401/403/404/400/422, cache miss in
 * read-only mode) fails fast. Liveness comes from heartbeats (worker interceptor).
 */
export function policyOptions(outageBudgetSeconds: number): ActivityOptions {
  return {
    startToCloseTimeout: `${POLICY_ATTEMPT_TIMEOUT_SECONDS}s`,
    scheduleToCloseTimeout: `${outageBudgetSeconds + POLICY_BACKSTOP_SECONDS}s`,
    heartbeatTimeout: HEARTBEAT_TIMEOUT_MS,
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: POLICY_MAX_RETRY_INTERVAL,
      nonRetryableErrorTypes: NON_RETRYABLE_POLICY_ERRORS,
    },
  };
}

/**
 * Options of env activities pinned to `queue`. A long wait on the queue surfaces as a
 * schedule-to-start timeout, which is not yet a lost session: `onPinnedWorker` then checks the
 * worker's liveness. Every activity heartbeats each second from its start (worker interceptor), so
 * a heartbeat timeout means the worker died mid-call; cancellation waits for the activity to
 * acknowledge it.
 */
export function envOptions(queue: string, queueTimeoutSeconds: number): ActivityOptions {
  return {
    taskQueue: queue,
    scheduleToStartTimeout: `${queueTimeoutSeconds}s`,
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: HEARTBEAT_TIMEOUT_MS,
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
  };
}

/**
 * Longest wait on a live worker's queue before it is pinged again (ALFWorld resets are serialized:
 * a hundred of them queue for minutes). A worker that dies while tasks wait this long is noticed
 * at the next ping.
 */
export const MAX_PINNED_QUEUE_WAIT_SECONDS = 300;

/**
 * The queue wait of the next try on a live pinned worker: twice the last (a rescheduled task joins
 * the back of the queue, so a fixed wait would never drain a deeper backlog), at most
 * {@link MAX_PINNED_QUEUE_WAIT_SECONDS}.
 */
export function nextPinnedQueueWait(waitSeconds: number): number {
  return Math.min(waitSeconds * 2, MAX_PINNED_QUEUE_WAIT_SECONDS);
}

/**
 * Options of `acquireEnvQueue`: answered by any worker polling the shared queue whose env server is
 * healthy. A worker with a broken server refuses (retryable), and the retry, a few seconds later at
 * most, goes to whichever worker polls first; with no healthy worker at all the acquire gives up
 * after 30 minutes, as an env call waiting out a down server does.
 */
export const ACQUIRE_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '30 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s' },
};

/** Options of the liveness ping of the worker pinned to `queue`: one attempt, answered within `timeoutSeconds` or dead. */
export function livenessOptions(queue: string, timeoutSeconds: number): ActivityOptions {
  return {
    taskQueue: livenessQueue(queue),
    scheduleToStartTimeout: `${timeoutSeconds}s`,
    startToCloseTimeout: `${timeoutSeconds}s`,
    retry: { maximumAttempts: 1 },
  };
}

/** Options of the eval's look at episodes that ended without reporting their outcome: quick, retried until it answers. */
export const EVAL_LOOK_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: { maximumInterval: '1 minute' },
};
