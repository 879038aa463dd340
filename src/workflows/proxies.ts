/**
 * Activity proxies with timeouts and retry policies set once. Policy calls run on the shared queue;
 * env calls on the queue of the worker that owns the session (session pinning).
 */
import { ActivityCancellationType, proxyActivities } from '@temporalio/workflow';
import type { StepHrlActivities } from '../activities';
import { ENV_DIVERGENCE, livenessQueue, SESSION_LOST } from '../activities/types';

/** LLM calls: minutes, bounded attempts with backoff; bad configuration fails fast. */
export const policy = proxyActivities<StepHrlActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '15s',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 6,
    nonRetryableErrorTypes: ['LlmConfigError', 'CacheMissError', 'UnmatchedPromptError'],
  },
});

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
    startToCloseTimeout: '5 minutes',
    heartbeatTimeout: '5s',
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: {
      initialInterval: '1s',
      maximumAttempts: 5,
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
