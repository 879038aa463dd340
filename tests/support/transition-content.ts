/** Comparing records of two runs of the same episode. */
import type { RecordedTransition } from '../../src/agent/records';

/**
 * A transition without what names the run (episode id), measures wall time (latencies) or says
 * where a reply came from (the response cache or the model).
 */
export function transitionContent(tr: RecordedTransition): string {
  const untimed = <T extends { latencyMs: number } | undefined>(call: T) =>
    call && { ...call, latencyMs: 0, ...('cached' in call && { cached: undefined }) };
  return JSON.stringify({
    ...tr,
    episodeId: '',
    envLatencyMs: 0,
    low: untimed(tr.low),
    progress: untimed(tr.progress),
  });
}
