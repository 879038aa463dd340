/**
 * Calls on the worker that holds an episode's env session. Waiting on that worker's queue is not a
 * failure: when an activity's schedule-to-start timeout fires, the worker is pinged on its liveness
 * queue (own slots, so a busy worker still answers). Alive: the same activity is scheduled again,
 * allowed twice the wait each time (up to `MAX_PINNED_QUEUE_WAIT_SECONDS`): a rescheduled task
 * joins the back of the queue, so with a fixed wait a backlog deeper than that wait would never
 * drain. Dead: the timeout is rethrown, which the callers treat as a lost session. Every call carries
 * the incarnation of the worker the queue belongs to (the last part of its name), so only that
 * process ever serves it: any other answers `SessionLost`.
 */
import { isCancellation } from '@temporalio/workflow';
import { incarnationOfEnvQueue, type StepHrlActivityTypes } from '../activities/types';
import { nextPinnedQueueWait } from '../episode/activity-options';
import { isScheduleToStartTimeout } from '../episode/failures';
import type { EpisodeConfig } from '../agent/config';
import { envOn, livenessOn } from './proxies';

/** The env activities of one pinned queue; each call is sent with the queue's incarnation. */
export type PinnedEnv = Pick<StepHrlActivityTypes, 'envReset' | 'envStep' | 'envRedrive' | 'envClose'>;

/** `env`'s env activities, each called with `incarnation` added to its input. */
function withIncarnation(env: ReturnType<typeof envOn>, incarnation: string): PinnedEnv {
  return {
    envReset: (input) => env.envReset({ ...input, incarnation }),
    envStep: (input) => env.envStep({ ...input, incarnation }),
    envRedrive: (input) => env.envRedrive({ ...input, incarnation }),
    envClose: (input) => env.envClose({ ...input, incarnation }),
  };
}

/** Runs `call` on the worker pinned to `queue`, waiting as long as that worker is alive. */
export async function onPinnedWorker<T>(
  queue: string,
  config: Pick<EpisodeConfig, 'envQueueTimeoutSeconds' | 'envPingTimeoutSeconds'>,
  call: (env: PinnedEnv) => Promise<T>,
): Promise<T> {
  let waitSeconds = config.envQueueTimeoutSeconds;
  const incarnation = incarnationOfEnvQueue(queue);
  for (;;) {
    try {
      return await call(withIncarnation(envOn(queue, waitSeconds), incarnation));
    } catch (err) {
      if (!isScheduleToStartTimeout(err)) throw err;
      if (!(await isWorkerAlive(queue, config.envPingTimeoutSeconds))) throw err;
      waitSeconds = nextPinnedQueueWait(waitSeconds);
    }
  }
}

/** Whether the worker pinned to `queue` answers a ping in time. */
export async function isWorkerAlive(queue: string, timeoutSeconds: number): Promise<boolean> {
  try {
    await livenessOn(queue, timeoutSeconds).pingEnvWorker();
    return true;
  } catch (err) {
    if (isCancellation(err)) throw err;
    return false; // no answer (or a worker too old to answer): nobody holds the session there
  }
}
