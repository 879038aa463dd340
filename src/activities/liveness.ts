/**
 * The liveness probe of a pinned env worker. It runs on `<envQueue>.alive`, a queue polled by a
 * Worker of its own (own slots), so a busy env worker still answers at once: a workflow whose env
 * activity waited too long on the env queue asks here whether the worker is alive (just busy) or
 * gone (its session is lost).
 */
export { livenessQueue } from './types';

/** Builds the liveness activity of the worker that owns `envQueue`. */
export function createLivenessActivities(envQueue: string) {
  return {
    /** Answers with the env queue this worker serves; reaching it at all is the answer. */
    async pingEnvWorker(): Promise<string> {
      return envQueue;
    },
  };
}
