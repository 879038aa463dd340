/**
 * Continues an episode whose last run FAILED, was TERMINATED, TIMED_OUT or CANCELED: the state is
 * rebuilt from that run's recorded prefix (its input state plus the subtask children it finished)
 * and a new run is started under the same episode id (`ALLOW_DUPLICATE_FAILED_ONLY`, so a
 * completed episode is never run again). The new run first re-drives a fresh env session through
 * the prefix (with the divergence check), then continues. Ids: the subtasks of the prefix keep
 * their children; the interrupted subtask and later ones are run again by the new run under the
 * canonical child ids (a closed child's id is reused, so `fetchTransitions` reads the new run's).
 * An episode another build started is refused ({@link BuildMismatchError}): its code may differ.
 * See `docs/versioning.md` ("Resuming a failed run").
 */
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { Client, WorkflowExecutionDescription, WorkflowHandle } from '@temporalio/client';
import { decode, num, type HistoryEvent } from './history-payloads';
import { fetchDecodedHistory } from './codec/history';
import { incarnationOfEnvQueue, type EnvLease, type EnvResetOutput } from './activities/types';
import { restartedAttributes, StepHrlBuildId } from './episode/search-attributes';
import { fetchTransitions } from './client';
import { currentBuildId } from './worker';
import { BuildMismatchError } from './versioning';
import { initialState } from './episode/episode-state';
import { appendRedriveSteps } from './episode/redrive-log';
import type { EpisodeWorkflow } from './episode/messages';
import { expandOutcome } from './episode/outcome-compaction';
import type { EpisodeInput, EpisodeState, SubtaskInput, SubtaskOutcome } from './episode/records';

/** Closed statuses a new run may continue from. */
const RESUMABLE = new Set(['FAILED', 'TERMINATED', 'TIMED_OUT', 'CANCELLED']);

/** What {@link resumeEpisode} did. */
export interface ResumedEpisode {
  handle: WorkflowHandle<EpisodeWorkflow>;
  /** True when a new run was started; false when the episode was still running (nothing to do). */
  started: boolean;
  /** The task queue the episode's workflows run on (a worker must poll it). */
  taskQueue: string;
  /** Subtasks kept from the recorded prefix (0 when the new run starts over). */
  prefixSubtasks: number;
}

/**
 * Resumes `episodeId`: a running episode is left as is (a worker on its queue finishes it); a
 * failed or terminated one gets a new run from its recorded prefix. A completed one is an error.
 * @param buildId build id of the resuming code; @default this process's ({@link currentBuildId})
 * @throws BuildMismatchError when another build started the episode
 */
export async function resumeEpisode(client: Client, episodeId: string, buildId?: string): Promise<ResumedEpisode> {
  const handle = client.workflow.getHandle<EpisodeWorkflow>(episodeId);
  const description = await handle.describe();
  const taskQueue = description.taskQueue;
  const status = description.status.name;
  const current = await assertSameBuild(client, description, buildId);
  if (status === 'RUNNING') return { handle, started: false, taskQueue, prefixSubtasks: 0 };
  if (description.type === 'reactWorkflow') {
    // Its record is one workflow result, not subtask children: there is no prefix to start a new run from.
    throw new Error(
      `episode ${JSON.stringify(episodeId)} is a ReAct baseline episode (${status.toLowerCase()}): only a running ` +
        `one can be resumed; run it again with \`step-hrl run --agent react --episode-id ${episodeId} --rerun\``,
    );
  }
  if (!RESUMABLE.has(status)) {
    throw new Error(
      `episode ${JSON.stringify(episodeId)} is ${status.toLowerCase()}: only a failed, terminated, timed-out or ` +
        `cancelled run can be resumed; see its record with \`step-hrl show ${episodeId}\``,
    );
  }
  const history = await fetchDecodedHistory(client, episodeId, description.runId);
  const events = history.events ?? [];
  const input = decode<EpisodeInput>(events[0]?.workflowExecutionStartedEventAttributes?.input);
  if (!input?.config) throw new Error(`episode ${JSON.stringify(episodeId)} has no recorded input`);
  await closeOpenChildren(client, events);
  const state = prefixState(events, input.state, description.runId);
  const started = await client.workflow.start<EpisodeWorkflow>('episodeWorkflow', {
    workflowId: episodeId,
    taskQueue,
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
    args: [{ config: input.config, ...(state && { state }) }],
    ...restartedAttributes(description.typedSearchAttributes, current), // still found by `list`, `running` again
  });
  return { handle: started, started: true, taskQueue, prefixSubtasks: state?.subtasks.length ?? 0 };
}

/**
 * The build id the episode was started by: its `StepHrlBuildId`, else the deployment version its
 * run is pinned to; undefined for an episode recorded before build ids (any build may resume it).
 */
export function startedByBuild(description: WorkflowExecutionDescription): string | undefined {
  return (
    description.typedSearchAttributes.get(StepHrlBuildId)?.[0] ??
    (description.raw.workflowExecutionInfo?.versioningInfo?.deploymentVersion?.buildId || undefined)
  );
}

/**
 * Returns the resuming build's id (`buildId`, else this process's) once it is the one that started
 * the episode. @throws BuildMismatchError naming both builds and the fork that goes on from the
 * episode's recorded steps on this build
 */
export async function assertSameBuild(
  client: Client,
  description: WorkflowExecutionDescription,
  buildId?: string,
): Promise<string> {
  const current = buildId ?? (await currentBuildId(client.options.dataConverter ?? {}));
  const startedBy = startedByBuild(description);
  if (startedBy === undefined || startedBy === current) return current;
  const episodeId = description.workflowId;
  const steps = description.type === 'episodeWorkflow' ? (await fetchTransitions(client, episodeId)).length : undefined;
  throw new BuildMismatchError(episodeId, startedBy, current, steps);
}

/**
 * The env lease a running episode holds now: the last `acquireEnvQueue` answer of its current run
 * (an {@link EnvLease}, or a plain queue name in histories recorded before leases), else the queue
 * its state carried over continue-as-new. `resume` hands its worker identity to `releaseLostWork`
 * (src/lost-worker.ts), which declares that worker's work lost at once when its process is gone.
 */
export async function currentEnvLease(client: Client, episodeId: string): Promise<EnvLease | undefined> {
  const events = (await fetchDecodedHistory(client, episodeId)).events ?? [];
  return leaseOfHistory(events);
}

/** {@link currentEnvLease} from the events of one run (pure; exported for tests). */
export function leaseOfHistory(events: HistoryEvent[]): EnvLease | undefined {
  const carried = decode<EpisodeInput>(events[0]?.workflowExecutionStartedEventAttributes?.input)?.state?.envQueue;
  let lease: EnvLease | undefined = carried ? leaseOf(carried) : undefined;
  const acquires = new Set<number>();
  for (const e of events) {
    if (e.activityTaskScheduledEventAttributes?.activityType?.name === 'acquireEnvQueue') acquires.add(num(e.eventId));
    const completed = e.activityTaskCompletedEventAttributes;
    if (completed && acquires.has(num(completed.scheduledEventId))) {
      lease = leaseOf(decode<EnvLease | string>(completed.result)) ?? lease;
    }
  }
  return lease;
}

/** A lease from an `acquireEnvQueue` answer of either shape. */
function leaseOf(answer: EnvLease | string | undefined): EnvLease | undefined {
  if (typeof answer === 'string')
    return answer ? { envQueue: answer, incarnation: incarnationOfEnvQueue(answer) } : undefined;
  return answer?.envQueue ? answer : undefined;
}

/**
 * The state after the last subtask the run finished for good (at most `maxSubtasks` subtasks in
 * all: `fork` keeps a shorter prefix), or undefined when nothing was recorded past the input (the
 * new run then starts over). Exported for tests.
 */
export function prefixState(
  events: HistoryEvent[],
  base: EpisodeState | undefined,
  runId: string,
  maxSubtasks = Infinity,
): EpisodeState | undefined {
  const activityTypes = new Map<number, string>();
  const childInputs = new Map<number, SubtaskInput>();
  const parts: { input: SubtaskInput; outcome: SubtaskOutcome; eventId: number }[] = [];
  const spentByEvent: { eventId: number; spent: number }[] = [];
  const redriveEvents: number[] = [];
  let reset: EnvResetOutput | undefined;
  for (const e of events) {
    const id = num(e.eventId);
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) activityTypes.set(id, scheduled.activityType?.name ?? '');
    const completed = e.activityTaskCompletedEventAttributes;
    if (completed) {
      const type = activityTypes.get(num(completed.scheduledEventId));
      if (type === 'envReset') reset = decode<EnvResetOutput>(completed.result);
      if (type === 'envRedrive') redriveEvents.push(id);
      if (type === 'callPolicy')
        spentByEvent.push({ eventId: id, spent: decode<{ spentTokens: number }>(completed.result)?.spentTokens ?? 0 });
    }
    const initiated = e.startChildWorkflowExecutionInitiatedEventAttributes;
    if (initiated) childInputs.set(id, decode<SubtaskInput>(initiated.input)!);
    const done = e.childWorkflowExecutionCompletedEventAttributes;
    if (done) {
      const childInput = childInputs.get(num(done.initiatedEventId));
      const outcome = decode<SubtaskOutcome>(done.result);
      if (childInput && outcome)
        parts.push({ input: childInput, outcome: expandOutcome(childInput, outcome), eventId: id });
    }
  }

  let s: EpisodeState | undefined = base && structuredClone(base);
  if (!s) {
    if (!reset) return undefined;
    s = initialState(reset, '');
  }
  // Keep whole subtasks only: every part finished, the last one not waiting for a re-drive.
  let cutoff = 0;
  for (let index = s.subtasks.length; index < maxSubtasks; index++) {
    const mine = parts.filter((p) => p.input.subtaskIndex === index);
    const last = mine.at(-1);
    if (!last || last.outcome.status === 'session-lost') break;
    s.subtasks.push(mine[0]!.input.subtask);
    for (const { outcome } of mine) {
      s.log = appendRedriveSteps(s.log, outcome.steps);
      s.won = s.won || outcome.won;
      s.spentTokens += outcome.spentTokens ?? 0;
    }
    s.lastProgress = last.outcome.finalProgress;
    s.observation = last.outcome.observation;
    s.stepIndex = last.outcome.stepIndex;
    s.score = last.outcome.score;
    s.tokens = last.input.tokensBefore + last.outcome.tokens;
    s.envDone = last.outcome.envDone;
    cutoff = last.eventId;
  }
  // High-level calls and re-drives that belong to the kept subtasks happened before the cutoff.
  s.spentTokens += spentByEvent.filter((c) => c.eventId < cutoff).reduce((n, c) => n + c.spent, 0);
  s.redrives = (s.redrives ?? 0) + redriveEvents.filter((id) => id < cutoff).length;
  return {
    ...s,
    envQueue: '',
    runs: s.runs + 1,
    needsRedrive: true,
    generation: (s.generation ?? 0) + 1,
    resumedFrom: { runId, subtasks: s.subtasks.length },
  };
}

/** Terminates children the old run left open (its close policy normally did), so their ids are free. */
async function closeOpenChildren(client: Client, events: HistoryEvent[]): Promise<void> {
  const closed = new Set<number>();
  for (const e of events) {
    for (const attrs of [
      e.childWorkflowExecutionCompletedEventAttributes,
      e.childWorkflowExecutionFailedEventAttributes,
      e.childWorkflowExecutionTerminatedEventAttributes,
      e.childWorkflowExecutionCanceledEventAttributes,
      e.childWorkflowExecutionTimedOutEventAttributes,
      e.startChildWorkflowExecutionFailedEventAttributes,
    ]) {
      if (attrs) closed.add(num(attrs.initiatedEventId));
    }
  }
  for (const e of events) {
    const initiated = e.startChildWorkflowExecutionInitiatedEventAttributes;
    if (!initiated?.workflowId || closed.has(num(e.eventId))) continue;
    const child = client.workflow.getHandle(initiated.workflowId);
    const info = await child.describe().catch(() => undefined);
    if (info?.status.name === 'RUNNING') await child.terminate('superseded by a resumed run of its episode');
  }
}
