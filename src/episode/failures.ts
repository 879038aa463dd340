/**
 * How the workflows read an env activity's failure: a lost session (re-drive it), a divergence
 * from the record (give up), a task that waited out its queue (check the worker); and the failure
 * an episode with an invalid config ends with. Pure.
 */
import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/common';
import { ENV_DIVERGENCE, SESSION_LOST } from '../activities/types';
import { configProblems, type EpisodeConfig } from '../agent/config';

/** The non-retryable `InvalidEpisodeConfig` naming every problem of `config`, or `undefined` when it is valid. */
export function invalidConfigFailure(config: EpisodeConfig): ApplicationFailure | undefined {
  const problems = configProblems(config);
  if (problems.length === 0) return undefined;
  return ApplicationFailure.create({
    type: 'InvalidEpisodeConfig',
    nonRetryable: true,
    message: `invalid episode config: ${problems.join('; ')}`,
  });
}

/** The activity never started: its queue had no free worker for the whole schedule-to-start timeout. */
export function isScheduleToStartTimeout(err: unknown): boolean {
  return (
    err instanceof ActivityFailure &&
    err.cause instanceof TimeoutFailure &&
    err.cause.timeoutType === 'SCHEDULE_TO_START'
  );
}

/** Session lost: the worker answered it holds no session, or the pinned worker never picked the task up. */
export function isSessionLoss(err: unknown): boolean {
  if (!(err instanceof ActivityFailure)) return false;
  const cause = err.cause;
  if (cause instanceof ApplicationFailure) return cause.type === SESSION_LOST;
  return isScheduleToStartTimeout(err);
}

/** The message of a divergence ({@link isDivergence}): where the env answered differently. */
export function divergenceMessage(err: unknown): string {
  return (err as ActivityFailure).cause?.message ?? String(err);
}

/** The re-drive found the env answering differently from the record (the session cannot be rebuilt). */
export function isDivergence(err: unknown): boolean {
  return err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === ENV_DIVERGENCE;
}
