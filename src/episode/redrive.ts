/**
 * The re-drive rules: when a lost env session is rebuilt on a fresh worker (the recorded steps
 * replayed, no decision repeated) and when the episode gives up instead. Pure, workflow-safe.
 */
import type { EpisodeConfig } from '../agent/config';

/** Re-drives so far, and whether the next one is the free one a resumed run starts with. */
export interface RedriveCount {
  redrives: number;
  /** The first re-drive of a resumed run is not held against `maxRedrives`: the user asked for it. */
  firstIsFree?: boolean;
}

/** Why the episode stops re-driving, or `undefined` while another re-drive is allowed. */
export function redriveRefusal(
  count: RedriveCount,
  attempt: number,
  config: Pick<EpisodeConfig, 'maxRedrives'>,
): string | undefined {
  if (count.redrives < config.maxRedrives || (count.firstIsFree && attempt === 0)) return undefined;
  // A session lost again and again (a flapping env server) must not loop forever.
  return `env session lost ${count.redrives + 1} times; gave up after ${config.maxRedrives} re-drives (maxRedrives)`;
}
