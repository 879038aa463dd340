/**
 * The env session of an episode, for every agent kind: open it (acquire a worker's env queue and
 * reset there), re-drive a lost one through the recorded steps on a fresh worker, and close it on
 * every way out, a cancellation during the reset included.
 */
import { CancellationScope, isCancellation } from '@temporalio/workflow';
import { divergenceMessage, isDivergence, isSessionLoss } from '../episode/failures';
import type { EpisodeConfig } from '../agent/config';
import {
  envQueueOf,
  hostOfLease,
  redriveRefusal,
  type OpenedSession,
  type RecordedPrefix,
  type RedriveCount,
  type RedriveOutcome,
} from '../episode/redrive';
import { onPinnedWorker } from './pinned-env';
import { acquireEnvQueue } from './proxies';

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
    const { envQueue, host } = await acquireSessionQueue(config);
    onQueue(envQueue);
    try {
      const reset = await onPinnedWorker(envQueue, config, (env) => env.envReset({ episodeId, spec: config.spec }));
      return { envQueue, reset, host };
    } catch (err) {
      if (!isSessionLoss(err) || attempt >= config.maxRedrives) throw err;
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
    if (!isCancellation(err)) throw err;
    if (lastQueue) await closeSession(episodeId, lastQueue, config);
    return undefined;
  }
}

/**
 * Re-drives a fresh session on a newly acquired worker through the recorded prefix; a worker that
 * dies during the re-drive costs one more (see `redriveRefusal` for when it stops).
 */
export async function redriveSession(
  episodeId: string,
  config: EpisodeConfig,
  prefix: RecordedPrefix,
  count: RedriveCount,
): Promise<RedriveOutcome> {
  let redrives = count.redrives;
  for (let attempt = 0; ; attempt++) {
    const refusal = redriveRefusal({ redrives, firstIsFree: count.firstIsFree }, attempt, config);
    if (refusal) return { redrives, error: refusal };
    try {
      const { envQueue, host } = await acquireSessionQueue(config);
      await onPinnedWorker(envQueue, config, (env) =>
        env.envRedrive({ episodeId, spec: config.spec, steps: prefix.log, resetObsHash: prefix.resetObsHash }),
      );
      return { redrives: redrives + 1, envQueue, host };
    } catch (err) {
      if (isDivergence(err)) return { redrives, error: divergenceMessage(err) };
      if (!isSessionLoss(err)) throw err;
      redrives += 1;
    }
  }
}

/** The env queue of a worker that takes a new session, and that worker's host (from its lease). */
async function acquireSessionQueue(config: EpisodeConfig): Promise<{ envQueue: string; host?: string }> {
  const lease = await acquireEnvQueue({ env: config.spec.env });
  return { envQueue: envQueueOf(lease), host: hostOfLease(lease) };
}

/** Closes the env session even when the episode is being cancelled; a dead env worker is skipped. */
export async function closeSession(episodeId: string, envQueue: string, config: EpisodeConfig): Promise<void> {
  await CancellationScope.nonCancellable(() =>
    onPinnedWorker(envQueue, config, (env) => env.envClose({ episodeId })).catch(() => undefined),
  );
}
