/**
 * One live process per stable env queue. A worker with a stable id (`eval`, `resume`, `worker
 * --worker-id`) polls `<taskQueue>.env.<id>`; if a second live process polled the same queue, each
 * episode's env calls would be split between two env servers, and every call landing on the other
 * one would find no session (the episode re-drives until it gives up). So before polling, a worker
 * asks Temporal who polls that queue and refuses while another live process does.
 *
 * "Live": a poller on this machine whose process exists (a kill -9 frees the queue at once), or a
 * poller elsewhere seen within {@link REMOTE_POLLER_WINDOW_MS} (an idle worker re-polls at least
 * every ~70 s: Temporal's long poll).
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { temporal } from '@temporalio/proto';

const GRPC_PERMISSION_DENIED = 7;
const GRPC_UNIMPLEMENTED = 12;

/** How recently a poller on another machine must have polled to count as live. */
export const REMOTE_POLLER_WINDOW_MS = 120_000;

/** A poller as DescribeTaskQueue reports it. */
export interface QueuePoller {
  identity: string;
  /** When it last polled (ms since epoch); undefined when the server did not say. */
  lastAccessMs?: number;
}

/** A live poller of another process, with where and when it was seen. */
export interface LivePoller extends QueuePoller {
  pid?: number;
  host?: string;
  sameHost: boolean;
}

/** Raised when another live process already polls the env queue this worker would poll. */
export class EnvQueueInUseError extends Error {
  /** Who holds the queue, e.g. `pid 123 on this machine, last polled 2 s ago`. */
  readonly holderDescription: string;

  constructor(
    readonly envQueue: string,
    readonly holder: LivePoller,
    now = Date.now(),
  ) {
    const where = holder.sameHost ? `pid ${holder.pid} on this machine` : holder.identity;
    const seen =
      holder.lastAccessMs === undefined ? '' : `, last polled ${Math.round((now - holder.lastAccessMs) / 1000)} s ago`;
    const holderDescription = where + seen;
    super(
      `env queue ${envQueue} is already served by another live process (${holderDescription}). Two processes on ` +
        'one queue split each episode between two env servers and the episodes lose their sessions. Let that ' +
        'process finish or stop it, then run this again' +
        (holder.sameHost
          ? ''
          : ` (a stopped process on another machine frees it within ${REMOTE_POLLER_WINDOW_MS / 1000} s)`),
    );
    this.name = 'EnvQueueInUseError';
    this.holderDescription = holderDescription;
  }
}

/** Whether process `pid` exists and is not a zombie (Linux: /proc; elsewhere: signal 0). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by another user
  }
  try {
    // "pid (comm) S ..." — the state follows the last ')' (comm may hold spaces or parentheses).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc: signal 0 said it exists
  }
}

/** What {@link livePollersOf} needs to know about this process and the clock. */
export interface PollerContext {
  /** This process's worker identity (its own pollers are not "another process"). */
  selfIdentity: string;
  host: string;
  now: number;
  isAlive: (pid: number) => boolean;
}

/** The SDK's default worker identity for this process. */
export function defaultWorkerIdentity(): string {
  return `${process.pid}@${hostname()}`;
}

/** The pollers that belong to another live process (see the module comment). Pure. */
export function livePollersOf(pollers: readonly QueuePoller[], ctx: PollerContext): LivePoller[] {
  const live: LivePoller[] = [];
  for (const poller of pollers) {
    if (poller.identity === ctx.selfIdentity) continue;
    const match = /^(\d+)@(.+)$/.exec(poller.identity);
    const pid = match ? Number(match[1]) : undefined;
    const host = match?.[2];
    const sameHost = host === ctx.host && pid !== undefined;
    // Same host: while its process lives (bounded against pid reuse); elsewhere: while it polls.
    const isLive = sameHost
      ? polledWithin(poller, ctx.now, SAME_HOST_PID_REUSE_BOUND_MS) && ctx.isAlive(pid!)
      : polledWithin(poller, ctx.now, REMOTE_POLLER_WINDOW_MS);
    if (isLive) live.push({ ...poller, pid, host, sameHost });
  }
  return live;
}

/** How long a same-host poller's pid is trusted after its last poll (a pid may be reused later). */
const SAME_HOST_PID_REUSE_BOUND_MS = 10 * 60_000;

/** Whether `poller` polled within `windowMs` of `now` (a server that does not say counts as recent). */
function polledWithin(poller: QueuePoller, now: number, windowMs: number): boolean {
  return poller.lastAccessMs === undefined || now - poller.lastAccessMs <= windowMs;
}

/** The slice of a gRPC WorkflowService this guard calls (a NativeConnection's or a Client's). */
export interface DescribeTaskQueueService {
  describeTaskQueue(
    request: temporal.api.workflowservice.v1.IDescribeTaskQueueRequest,
  ): Promise<temporal.api.workflowservice.v1.IDescribeTaskQueueResponse>;
}

/** Activity pollers of `taskQueue`, as Temporal reports them. */
export async function activityPollers(
  service: DescribeTaskQueueService,
  namespace: string,
  taskQueue: string,
): Promise<QueuePoller[]> {
  const response = await service.describeTaskQueue({
    namespace,
    taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
  });
  return (response.pollers ?? []).map((p) => ({
    identity: p.identity ?? '',
    ...(p.lastAccessTime?.seconds != null && {
      lastAccessMs: Number(p.lastAccessTime.seconds) * 1000 + Math.floor((p.lastAccessTime.nanos ?? 0) / 1e6),
    }),
  }));
}

/** @throws {@link EnvQueueInUseError} when another live process polls `envQueue`. */
export async function assertEnvQueueFree(
  service: DescribeTaskQueueService,
  namespace: string,
  envQueue: string,
  selfIdentity = defaultWorkerIdentity(),
): Promise<void> {
  const now = Date.now();
  let pollers: QueuePoller[];
  try {
    pollers = await activityPollers(service, namespace, envQueue);
  } catch (err) {
    // A cluster that does not let this identity describe task queues: run unguarded, and say so.
    const code = (err as { code?: number }).code;
    if (code !== GRPC_PERMISSION_DENIED && code !== GRPC_UNIMPLEMENTED) throw err;
    console.warn(`warning: cannot check who polls ${envQueue} (${(err as Error).message}); not guarding it`);
    return;
  }
  const [holder] = livePollersOf(pollers, { selfIdentity, host: hostname(), now, isAlive: isProcessAlive });
  if (holder) throw new EnvQueueInUseError(envQueue, holder, now);
}
