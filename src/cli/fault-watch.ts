/**
 * What a command following an episode prints while the episode rides out a fault that is not
 * Temporal's: a model endpoint that stopped answering (a policy call retried by Temporal), an env
 * server that does not answer (an env call retried), or a lost env session being re-driven on a
 * new one (after an env server restart). Read from Temporal's own view, `describe()` of the episode
 * and of its running children: a pending activity with attempt > 1 is being retried after the
 * failure it names, and a pending `envRedrive` is a re-drive in progress (one too fast to be seen
 * pending is told by the re-drive count of the episode's progress query). One line when a fault
 * begins, one when it ends.
 */
import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import { decodeOptionalFailureToOptionalError } from '@temporalio/common/lib/internal-non-workflow';
import { episodeProgressQuery } from '../episode/messages';

/** How often the episode is described. */
export const FAULT_POLL_MS = 1000;

/** Kinds of fault, each reported on its own. */
export type FaultKind = 'llm' | 'env' | 'redrive';

/** One pending activity as `describe()` shows it. */
export interface PendingCall {
  activity: string;
  attempt: number;
  /** First line of the last attempt's failure. */
  failure?: string;
}

const ENV_ACTIVITIES = new Set(['envReset', 'envStep', 'envClose']);

/** The fault a pending call shows, if any. */
export function faultOf(call: PendingCall): FaultKind | undefined {
  if (call.activity === 'envRedrive') return 'redrive';
  if (call.attempt < 2) return undefined;
  if (call.activity === 'callPolicy') return 'llm';
  if (ENV_ACTIVITIES.has(call.activity)) return 'env';
  return undefined;
}

function beginLine(kind: FaultKind, call: PendingCall): string {
  const why = call.failure ? `: ${call.failure}` : '';
  if (kind === 'llm') return `model endpoint not answering: retrying the call (attempt ${call.attempt}${why})...`;
  if (kind === 'env') return `env server not answering: retrying ${call.activity} (attempt ${call.attempt}${why})...`;
  return 'env session lost: re-driving a new session through the recorded steps...';
}

function endLine(kind: FaultKind, attempts: number): string {
  if (kind === 'llm') return `model endpoint answering again (the call took ${attempts} attempts)`;
  if (kind === 'env') return 'env server answering again';
  return 'env session re-driven; continuing';
}

/**
 * Turns successive snapshots of pending calls into begin/end lines: one line when a kind of fault
 * first shows, one when it is gone (unless the episode has ended: its summary says how).
 */
export class FaultReporter {
  private readonly active = new Map<FaultKind, number>();
  /** Re-drives the episode had counted at the last look (undefined before the first). */
  private redrivesSeen?: number;

  constructor(private readonly say: (line: string) => void) {}

  /**
   * `calls`: every pending activity of the episode now; `running`: the episode is still running;
   * `redrives`: the re-drives it has counted so far, when known. A re-drive that began and ended
   * between two looks (a fast one) still gets its two lines, from that count.
   */
  update(calls: readonly PendingCall[], running = true, redrives?: number): void {
    const wasRedriving = this.active.has('redrive');
    this.updateCalls(calls, running);
    if (redrives === undefined) return;
    const finished = redrives - (this.redrivesSeen ?? redrives);
    this.redrivesSeen = redrives;
    // One that was seen in progress and is gone now has had its lines; the others none.
    const unseen = finished - (wasRedriving && !this.active.has('redrive') ? 1 : 0);
    for (let i = 0; i < unseen && running; i++) {
      this.say(beginLine('redrive', { activity: 'envRedrive', attempt: 1 }));
      this.say(endLine('redrive', 1));
    }
  }

  private updateCalls(calls: readonly PendingCall[], running: boolean): void {
    const now = new Map<FaultKind, PendingCall>();
    for (const call of calls) {
      const kind = faultOf(call);
      if (kind && (now.get(kind)?.attempt ?? 0) < call.attempt) now.set(kind, call);
    }
    for (const [kind, attempts] of this.active) {
      if (now.has(kind)) continue;
      this.active.delete(kind);
      if (running) this.say(endLine(kind, attempts));
    }
    for (const [kind, call] of now) {
      if (!this.active.has(kind)) this.say(beginLine(kind, call));
      this.active.set(kind, Math.max(this.active.get(kind) ?? 0, call.attempt));
    }
  }

  /**
   * The episode ended: a re-drive still shown as in progress did finish (the episode went on to
   * its end, faster than the next look), so its end line is said; other faults are left to the
   * summary.
   */
  ended(): void {
    for (const [kind, attempts] of this.active) if (kind === 'redrive') this.say(endLine(kind, attempts));
    this.active.clear();
  }

  /** Kinds of fault in progress. */
  activeKinds(): FaultKind[] {
    return [...this.active.keys()];
  }
}

/** The pending calls of one described workflow (failures decoded with the client's codec). */
async function pendingCalls(client: Client, description: WorkflowExecutionDescription): Promise<PendingCall[]> {
  const calls: PendingCall[] = [];
  for (const info of description.raw.pendingActivities ?? []) {
    const activity = info.activityType?.name ?? '';
    const attempt = info.attempt ?? 1;
    let failure: string | undefined;
    if (info.lastFailure && faultOf({ activity, attempt })) {
      const err = await decodeOptionalFailureToOptionalError(
        client.options.loadedDataConverter,
        info.lastFailure as Parameters<typeof decodeOptionalFailureToOptionalError>[1],
      ).catch(() => undefined);
      failure = (err?.message ?? info.lastFailure.message ?? '').split('\n')[0]?.slice(0, 160) || undefined;
    }
    calls.push({ activity, attempt, ...(failure && { failure }) });
  }
  return calls;
}

/** The re-drives a running episode has counted (its progress query), or undefined where it does not say. */
async function redrivesSoFar(client: Client, episodeId: string): Promise<number | undefined> {
  const progress = await client.workflow
    .getHandle(episodeId)
    .query(episodeProgressQuery)
    .catch(() => undefined);
  return progress?.redrives;
}

/** A running {@link watchFaults}. */
export interface FaultWatch {
  stop(): void;
  /** Stops after the episode ended normally (closes a re-drive line the last look left open). */
  ended(): void;
}

/**
 * Describes `episodeId` and its running children every {@link FAULT_POLL_MS} and reports faults
 * through `say`. Quiet while `paused()` (Temporal itself is away: its own line says so).
 */
export function watchFaults(
  client: Client,
  episodeId: string,
  say: (line: string) => void,
  paused: () => boolean = () => false,
): FaultWatch {
  const reporter = new FaultReporter(say);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async (): Promise<void> => {
    if (paused()) return;
    const description = await client.workflow.getHandle(episodeId).describe();
    const calls = await pendingCalls(client, description);
    for (const child of description.raw.pendingChildren ?? []) {
      if (!child.workflowId) continue;
      const childDescription = await client.workflow
        .getHandle(child.workflowId)
        .describe()
        .catch(() => undefined);
      if (childDescription) calls.push(...(await pendingCalls(client, childDescription)));
    }
    const running = description.status.name === 'RUNNING';
    const redrives = running ? await redrivesSoFar(client, episodeId) : undefined;
    if (!stopped) reporter.update(calls, running, redrives);
  };
  const loop = (): void => {
    if (stopped) return;
    tick()
      .catch(() => undefined) // between runs, or Temporal away: the next look tells
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, FAULT_POLL_MS);
      });
  };
  timer = setTimeout(loop, FAULT_POLL_MS);
  const stop = (): void => {
    stopped = true;
    clearTimeout(timer);
  };
  return {
    stop,
    ended() {
      stop();
      reporter.ended();
    },
  };
}
