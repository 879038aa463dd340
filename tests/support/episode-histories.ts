/**
 * Reads what an episode's Temporal histories say about its activities: how many of each type
 * completed (recorded LLM calls, env steps, re-drives) and which attempts failed or timed out, and
 * why. Covers the episode workflow and every subtask child (their ids are deterministic); for each
 * it reads the latest run's history.
 */
import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { subtaskWorkflowId } from '../../src/episode/ids';

/** A workflow history as the client returns it. */
export type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;
type HistoryEvent = NonNullable<History['events']>[number];
type Failure = NonNullable<HistoryEvent['activityTaskFailedEventAttributes']>['failure'];

/** Activity counts of one episode. */
export interface ActivityTally {
  /** Scheduled activities by type (a re-drive that failed still counts here). */
  scheduled: Record<string, number>;
  /** Completed activities by type (e.g. `callPolicy`, `envStep`, `envRedrive`). */
  completed: Record<string, number>;
  /** Activities that ended failed or timed out (retries exhausted or non-retryable), keyed `<type>: <cause>`. */
  failures: Record<string, number>;
  /**
   * Retried attempts, keyed `<type>: <cause of the attempt before>`. Temporal records a retried
   * attempt's failure only on the started event of the attempt that finally ran.
   */
  retries: Record<string, number>;
  /** Workflows read (episode + children). */
  workflows: number;
}

/** The episode's history followed by each existing subtask child's. */
export async function episodeHistories(client: Client, episodeId: string): Promise<History[]> {
  const histories = [await client.workflow.getHandle(episodeId).fetchHistory()];
  for (let index = 0; ; index++) {
    let found = false;
    for (let part = 0; ; part++) {
      try {
        histories.push(await client.workflow.getHandle(subtaskWorkflowId(episodeId, index, part)).fetchHistory());
        found = true;
      } catch (err) {
        // fetchHistory surfaces a missing workflow as the raw gRPC NOT_FOUND (code 5)
        if (err instanceof WorkflowNotFoundError || (err as { code?: number }).code === 5) break;
        throw err;
      }
    }
    if (!found) return histories;
  }
}

/** Counts completed and failed activities over histories. */
export function tallyActivities(histories: readonly History[]): ActivityTally {
  const tally: ActivityTally = { scheduled: {}, completed: {}, failures: {}, retries: {}, workflows: histories.length };
  const bump = (map: Record<string, number>, key: string): void => {
    map[key] = (map[key] ?? 0) + 1;
  };
  for (const history of histories) {
    const typeOf = new Map<string, string>();
    for (const event of history.events ?? []) {
      const id = String(event.eventId ?? '');
      const scheduled = event.activityTaskScheduledEventAttributes;
      if (scheduled) {
        typeOf.set(id, scheduled.activityType?.name ?? '?');
        bump(tally.scheduled, scheduled.activityType?.name ?? '?');
      }
      const started = event.activityTaskStartedEventAttributes;
      if (started && (started.attempt ?? 1) > 1) {
        const type = typeOf.get(String(started.scheduledEventId)) ?? '?';
        bump(tally.retries, `${type}: ${failureCause(started.lastFailure)}`);
      }
      const completed = event.activityTaskCompletedEventAttributes;
      if (completed) bump(tally.completed, typeOf.get(String(completed.scheduledEventId)) ?? '?');
      const failed = event.activityTaskFailedEventAttributes;
      if (failed) {
        const type = typeOf.get(String(failed.scheduledEventId)) ?? '?';
        bump(tally.failures, `${type}: ${failureCause(failed.failure)}`);
      }
      const timedOut = event.activityTaskTimedOutEventAttributes;
      if (timedOut) {
        const type = typeOf.get(String(timedOut.scheduledEventId)) ?? '?';
        bump(tally.failures, `${type}: ${failureCause(timedOut.failure)}`);
      }
    }
  }
  return tally;
}

/** The activity tally of an episode. */
export async function episodeActivityTally(client: Client, episodeId: string): Promise<ActivityTally> {
  return tallyActivities(await episodeHistories(client, episodeId));
}

function failureCause(failure: Failure): string {
  if (!failure) return 'unknown';
  if (failure.timeoutFailureInfo) return `timed out (${timeoutName(failure.timeoutFailureInfo.timeoutType)})`;
  return failure.applicationFailureInfo?.type || failure.message || 'failure';
}

function timeoutName(kind: unknown): string {
  const names: Record<number, string> = {
    1: 'start-to-close',
    2: 'schedule-to-start',
    3: 'schedule-to-close',
    4: 'heartbeat',
  };
  return typeof kind === 'number' ? (names[kind] ?? String(kind)) : String(kind);
}
