/**
 * Recovery in seconds after a worker process died (kill -9, a crash): instead of waiting for the
 * dead process's heartbeat timeouts (10 s) and its queue's schedule-to-start timeout plus a liveness
 * ping, the process that takes over (`resume`, a re-run of an eval) tells Temporal at once that the
 * dead incarnation's work is lost, with Temporal's own APIs: every activity attempt a gone
 * incarnation had started is failed by id (an env call with `SessionLost`, so the episode re-drives
 * on a live worker at once; any other call retryably, so it runs again at once), and the workflows'
 * sticky queues are reset, so their next workflow task goes to the shared queue instead of waiting
 * on the dead worker's sticky queue; a workflow task already waiting on a dead worker's sticky
 * queue is taken from it and failed as a cache miss (what a worker that does not hold the workflow
 * answers), so Temporal moves it to the shared queue at once instead of after the sticky
 * schedule-to-start timeout (10 s); with `releaseSessions`, the env sessions they left on a shared
 * env server are closed first. Only incarnations surely gone are declared lost
 * ({@link isIncarnationGone}: same machine, pid ended or reused); anything else is left to the
 * timeouts. A workflow task the dead process had started still waits out its own timeout (10 s):
 * Temporal has no call to fail it without its token.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { SESSION_LOST, type EnvLease } from './activities/types';
import { isIncarnationGone, parseIncarnationIdentity, type LocalFacts } from './worker-incarnation';

/** Activities that run on a worker's own env queue: their session died with the worker. */
const ENV_ACTIVITIES = new Set(['envReset', 'envStep', 'envRedrive', 'envClose']);

/** Failure type of a non-env attempt failed because its worker is gone (retried at once). */
export const WORKER_LOST = 'WorkerLost';

/** What {@link releaseLostWork} did. */
export interface ReleasedWork {
  /** Activity attempts failed, as `<workflow id>/<activity type>`. */
  failed: string[];
  /** Workflows whose sticky queue was reset. */
  unstuck: string[];
  /** Workflows whose workflow task was taken off a gone worker's sticky queue. */
  unqueued: string[];
  /** Incarnation ids found gone. */
  gone: string[];
  /** Env sessions of the gone incarnations closed by {@link ReleaseOptions.releaseSessions}. */
  sessions: number;
}

/** Options of {@link releaseLostWork}. */
export interface ReleaseOptions {
  /**
   * Identities of incarnations known to have held these workflows (e.g. the episode's current env
   * lease); when one is gone the sticky queues are reset even if no activity of it is pending.
   */
  knownIdentities?: string[];
  /** This machine's facts (tests). */
  facts?: LocalFacts;
  /**
   * Closes the env sessions the gone incarnations left on a shared env server (e.g.
   * `releaseGoneSessions`); called once, with their ids, before any sticky queue is reset or attempt
   * failed, so a re-drive that follows never finds them.
   */
  releaseSessions?: (incarnations: string[]) => Promise<number>;
}

/**
 * Releases the work that gone incarnations left in `workflowIds` and their running children, at any
 * depth (an eval, its episodes, their subtasks). Workflows that are not running are skipped.
 */
export async function releaseLostWork(
  client: Client,
  workflowIds: string[],
  options: ReleaseOptions = {},
): Promise<ReleasedWork> {
  const released: ReleasedWork = { failed: [], unstuck: [], unqueued: [], gone: [], sessions: 0 };
  const goneIds = new Set<string>();
  const isGone = (identity: string | null | undefined): boolean => {
    const inc = identity ? parseIncarnationIdentity(identity) : undefined;
    if (!inc || !isIncarnationGone(inc, options.facts)) return false;
    goneIds.add(inc.id);
    return true;
  };
  const knownGone = (options.knownIdentities ?? []).some((identity) => isGone(identity));
  const running: { workflowId: string; runId: string; taskWaiting: boolean }[] = [];
  const lost: { workflowId: string; runId: string; activityId: string; type: string }[] = [];
  const seen = new Set<string>();
  let queue = [...workflowIds];
  while (queue.length > 0) {
    const described = await Promise.all(queue.map((id) => describeRunning(client, id)));
    queue = [];
    for (const d of described) {
      if (!d || seen.has(d.workflowId)) continue;
      seen.add(d.workflowId);
      const waiting = temporal.api.enums.v1.PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_SCHEDULED;
      running.push({
        workflowId: d.workflowId,
        runId: d.runId,
        taskWaiting: d.raw.pendingWorkflowTask?.state === waiting,
      });
      for (const child of d.raw.pendingChildren ?? []) if (child.workflowId) queue.push(child.workflowId);
      for (const a of d.raw.pendingActivities ?? []) {
        const started = a.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;
        if (!started || !a.activityId || !isGone(a.lastWorkerIdentity)) continue;
        lost.push({
          workflowId: d.workflowId,
          runId: d.runId,
          activityId: a.activityId,
          type: a.activityType?.name ?? '',
        });
      }
    }
  }
  if (goneIds.size > 0 && options.releaseSessions) released.sessions = await options.releaseSessions([...goneIds]);
  // A workflow task already waiting on a gone worker's sticky queue is moved to the shared queue (a
  // reset leaves it there until its timeout). Each poll takes one task of that worker, whichever.
  await Promise.all(
    running
      .filter((r) => r.taskWaiting)
      .map(async (execution) => {
        if (await releaseStickyTask(client, execution, isGone)) released.unqueued.push(execution.workflowId);
      }),
  );
  // Then the sticky queues: a workflow task scheduled before the reset would stay on the dead worker's
  // sticky queue until its 10 s timeout, so the failures below must find them reset already.
  if (knownGone || goneIds.size > 0) {
    await Promise.all(
      running.map(async ({ workflowId, runId }) => {
        const ok = await client.workflowService
          .resetStickyTaskQueue({ namespace: client.options.namespace, execution: { workflowId, runId } })
          .then(() => true)
          .catch(() => false);
        if (ok) released.unstuck.push(workflowId);
      }),
    );
  }
  await Promise.all(
    lost.map(async ({ workflowId, runId, activityId, type }) => {
      const failed = await client.activity
        .fail({ workflowId, runId, activityId }, lostFailure(type))
        .then(() => true)
        .catch(() => false); // it ended meanwhile (timed out, completed): nothing left to release
      if (failed) released.failed.push(`${workflowId}/${type}`);
    }),
  );
  released.gone = [...goneIds];
  return released;
}

/** Whether the worker holding `lease` is surely gone (its identity says so; an old lease has none). */
export function isLeaseGone(lease: EnvLease, facts?: LocalFacts): boolean {
  const inc = lease.identity ? parseIncarnationIdentity(lease.identity) : undefined;
  return inc !== undefined && inc.id === lease.incarnation && isIncarnationGone(inc, facts);
}

/** How long to poll a gone worker's sticky queue for the task its history says waits there. */
const STICKY_POLL_MS = 3_000;

/**
 * Takes the workflow task waiting on a gone worker's sticky queue (the last event of the history is
 * its scheduling, on a sticky queue named after that worker's identity) and fails it with the cause
 * a worker gives on a cache miss, which makes Temporal schedule it again on the shared queue at once.
 */
async function releaseStickyTask(
  client: Client,
  execution: { workflowId: string; runId: string },
  isGone: (identity: string) => boolean,
): Promise<boolean> {
  const { namespace } = client.options;
  const { history } = await client.workflowService
    .getWorkflowExecutionHistoryReverse({ namespace, execution, maximumPageSize: 1 })
    .catch(() => ({ history: undefined }));
  const queue = history?.events?.[0]?.workflowTaskScheduledEventAttributes?.taskQueue;
  const sticky = temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_STICKY;
  if (queue?.kind !== sticky || !queue.name || !isGone(stickyQueueOwner(queue.name))) return false;
  const identity = client.options.identity;
  const deadline = Date.now() + STICKY_POLL_MS;
  try {
    for (;;) {
      const task = await client.connection.withDeadline(deadline, () =>
        client.workflowService.pollWorkflowTaskQueue({
          namespace,
          taskQueue: { name: queue.name, kind: sticky, normalName: queue.normalName },
          identity,
        }),
      );
      if (!task.taskToken?.length) return false;
      if (task.query) {
        // A query sent to the dead worker: answered as failed (its caller may ask again), then poll on.
        await client.workflowService.respondQueryTaskCompleted({
          namespace,
          taskToken: task.taskToken,
          completedType: temporal.api.enums.v1.QueryResultType.QUERY_RESULT_TYPE_FAILED,
          errorMessage: 'the worker that held this workflow is gone; ask again',
        });
        continue;
      }
      await client.workflowService.respondWorkflowTaskFailed({
        namespace,
        taskToken: task.taskToken,
        cause: temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_STICKY_TASK_QUEUE,
        identity,
      });
      return true;
    }
  } catch {
    return false; // taken meanwhile, or the poll found nothing in time: its timeout still moves it
  }
}

/** The worker identity a sticky queue belongs to: the SDK names it `<identity>-<32 hex digits>`. */
export function stickyQueueOwner(stickyQueue: string): string {
  return stickyQueue.replace(/-[0-9a-f]{32}$/, '');
}

/** The failure an attempt of a gone worker ends with. */
function lostFailure(activityType: string): ApplicationFailure {
  if (ENV_ACTIVITIES.has(activityType)) {
    return ApplicationFailure.create({
      type: SESSION_LOST,
      nonRetryable: true,
      message: `${activityType}: the worker process holding the env session is gone; re-drive needed`,
    });
  }
  return ApplicationFailure.create({
    type: WORKER_LOST,
    message: `${activityType}: the worker process running this attempt is gone; retried at once`,
    nextRetryDelay: '10ms',
  });
}

async function describeRunning(client: Client, workflowId: string) {
  const d = await client.workflow
    .getHandle(workflowId)
    .describe()
    .catch(() => undefined);
  return d?.status.name === 'RUNNING' ? d : undefined;
}
