/**
 * The re-drive rules: when a lost env session is rebuilt on a fresh worker (the recorded steps
 * replayed, no decision repeated) and when the episode gives up instead. Pure, workflow-safe.
 */
import type { EnvLease, EnvResetOutput, RedriveLog } from '../activities/types';
import type { EpisodeConfig } from '../agent/config';
import { parseIncarnationIdentity } from './worker-identity';

/** An open env session: the queue of the worker that holds it and what the reset answered. */
export interface OpenedSession {
  envQueue: string;
  reset: EnvResetOutput;
  /** The host of the worker that holds it (undefined for answers recorded without one). */
  host?: string;
}

/** The recorded prefix a re-drive replays. */
export interface RecordedPrefix {
  log: RedriveLog;
  resetObsHash: string;
}

/** A re-drive's outcome: the new session's queue (and its worker's host), or why the episode gives up (then `env-error`). */
export type RedriveOutcome = { redrives: number } & (
  { envQueue: string; host?: string; error?: never } | { envQueue?: never; host?: never; error: string }
);

/**
 * The env queue of the worker that took the session (its name ends with the worker's incarnation)
 * from `acquireEnvQueue`'s answer. Histories recorded before leases hold a plain queue name: read either.
 */
export function envQueueOf(answer: EnvLease | string): string {
  return typeof answer === 'string' ? answer : answer.envQueue;
}

/**
 * The host of the worker that took the session, from its identity (`pid@host ...`); undefined for
 * answers recorded before leases carried one. Shown per episode in eval results (several hosts).
 */
export function hostOfLease(answer: EnvLease | string): string | undefined {
  if (typeof answer === 'string' || !answer.identity) return undefined;
  return parseIncarnationIdentity(answer.identity)?.host;
}

/**
 * Moves an episode's state to the session a re-drive opened (its queue, its worker's host); returns
 * why the episode gives up when the re-drive opened none.
 */
export function adoptRedrive(
  s: { envQueue: string; envHosts?: string[] },
  outcome: RedriveOutcome,
): string | undefined {
  if (outcome.envQueue === undefined) return outcome.error;
  s.envQueue = outcome.envQueue;
  if (outcome.host !== undefined) s.envHosts = [...(s.envHosts ?? []), outcome.host];
  return undefined;
}

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
