/**
 * The env session of an episode, for every agent kind: open it (acquire a worker's env queue and
 * reset there), close it on every way out, and open it so that a cancellation during the reset
 * still closes whatever the reset opened.
 */
import { CancellationScope, isCancellation, patched } from '@temporalio/workflow';
import type { EnvResetOutput } from '../activities/types';
import type { EpisodeConfig } from '../agent/config';
import { onPinnedWorker } from './pinned-env';
import { CANCEL_DURING_RESET, REACQUIRE_LOST_SESSION } from './patches';
import { acquireEnvQueue } from './proxies';
import { isSessionLoss } from './subtask';

/** An open env session: the queue of the worker that holds it and what the reset answered. */
export interface OpenedSession {
  envQueue: string;
  reset: EnvResetOutput;
}

/**
 * Acquires an env queue and resets there; a worker that died before the reset gives way to another.
 * `onQueue` hears of every queue a reset was sent to (so a caller can close it).
 */
export async function openSession(
  episodeId: string,
  config: EpisodeConfig,
  onQueue: (envQueue: string) => void = () => undefined,
): Promise<OpenedSession> {
  for (let attempt = 0; ; attempt++) {
    const envQueue = await acquireEnvQueue();
    onQueue(envQueue);
    try {
      const reset = await onPinnedWorker(envQueue, config, (env) => env.envReset({ episodeId, spec: config.spec }));
      return { envQueue, reset };
    } catch (err) {
      if (!isSessionLoss(err) || attempt >= config.maxRedrives || !patched(REACQUIRE_LOST_SESSION)) throw err;
    }
  }
}

/**
 * {@link openSession}, or `undefined` when the episode was cancelled before the session was open:
 * the reset may still have run on the worker, so that session is closed first.
 */
export async function openSessionUnlessCancelled(
  episodeId: string,
  config: EpisodeConfig,
): Promise<OpenedSession | undefined> {
  let lastQueue: string | undefined;
  try {
    return await openSession(episodeId, config, (envQueue) => (lastQueue = envQueue));
  } catch (err) {
    if (!isCancellation(err) || !patched(CANCEL_DURING_RESET)) throw err;
    if (lastQueue) await closeSession(episodeId, lastQueue, config);
    return undefined;
  }
}

/** Closes the env session even when the episode is being cancelled; a dead env worker is skipped. */
export async function closeSession(episodeId: string, envQueue: string, config: EpisodeConfig): Promise<void> {
  await CancellationScope.nonCancellable(() =>
    onPinnedWorker(envQueue, config, (env) => env.envClose({ episodeId })).catch(() => undefined),
  );
}
