/**
 * Where a recovery's time went, read from the episode's histories: from `resume`'s start to the
 * re-drive being scheduled (start-up, releasing the dead worker's work, workflow tasks), the re-drive
 * itself (a new env session and the recorded steps replayed), and workflow tasks of the dead process
 * that had to time out (Temporal gives no way to fail one another worker had started).
 */
import { temporal } from '@temporalio/proto';
import { eventTimeMs } from '../../src/history-payloads';
import type { History } from '../../tests/support/episode-histories';

/** The phases of one recovery (see the module comment); undefined where it had no re-drive. */
export interface RecoveryPhases {
  /** `resume` start → its first new step. */
  totalMs: number;
  toRedriveMs?: number;
  redriveMs?: number;
  timedOutTasks: number;
  /** Of those, how many waited on a sticky queue (schedule-to-start) instead of inside the dead process. */
  timedOutOnStickyQueue: number;
  /**
   * For each task that timed out after it started: how long before `resume` was spawned (right after
   * the kill) it started; negative where it started after, on a poll the dead process had left open.
   */
  deadTaskStartedBeforeResumeMs: number[];
}

/** The phases of the recovery that ran from `fromMs` (resume spawned) to `toMs` (its first new step). */
export function recoveryPhases(histories: readonly History[], fromMs: number, toMs: number): RecoveryPhases {
  let redrive: { scheduledMs: number; completedMs?: number } | undefined;
  let timedOutTasks = 0;
  let timedOutOnStickyQueue = 0;
  const deadTaskStartedBeforeResumeMs: number[] = [];
  for (const history of histories) {
    const events = history.events ?? [];
    const scheduled = events.find(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'envRedrive' && eventTimeMs(e) >= fromMs,
    );
    if (scheduled && (!redrive || eventTimeMs(scheduled) < redrive.scheduledMs)) {
      const done = events.find(
        (e) => String(e.activityTaskCompletedEventAttributes?.scheduledEventId) === String(scheduled.eventId),
      );
      redrive = { scheduledMs: eventTimeMs(scheduled), completedMs: done && eventTimeMs(done) };
    }
    const timedOut = events.filter(
      (e) => e.workflowTaskTimedOutEventAttributes && eventTimeMs(e) >= fromMs && eventTimeMs(e) <= toMs,
    );
    timedOutTasks += timedOut.length;
    for (const e of timedOut) {
      const startedId = String(e.workflowTaskTimedOutEventAttributes?.startedEventId ?? '');
      const started = events.find((x) => String(x.eventId) === startedId);
      if (started) deadTaskStartedBeforeResumeMs.push(fromMs - eventTimeMs(started));
    }
    timedOutOnStickyQueue += timedOut.filter(
      (e) =>
        e.workflowTaskTimedOutEventAttributes?.timeoutType ===
        temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START,
    ).length;
  }
  if (!redrive || redrive.scheduledMs > toMs)
    return { totalMs: toMs - fromMs, timedOutTasks, timedOutOnStickyQueue, deadTaskStartedBeforeResumeMs };
  return {
    totalMs: toMs - fromMs,
    toRedriveMs: redrive.scheduledMs - fromMs,
    ...(redrive.completedMs !== undefined && { redriveMs: redrive.completedMs - redrive.scheduledMs }),
    timedOutTasks,
    timedOutOnStickyQueue,
    deadTaskStartedBeforeResumeMs,
  };
}
