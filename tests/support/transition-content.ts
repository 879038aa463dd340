/** Comparing records of two runs of the same episode. */
import type { AugmentedTransition } from '../../src/agent/records';

/** A transition without what names the run (episode id) or measures wall time (latencies). */
export function transitionContent(tr: AugmentedTransition): string {
  const untimed = <T extends { latencyMs: number } | undefined>(call: T) => call && { ...call, latencyMs: 0 };
  return JSON.stringify({
    ...tr,
    episodeId: '',
    envLatencyMs: 0,
    low: untimed(tr.low),
    progress: untimed(tr.progress),
  });
}
