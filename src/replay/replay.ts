/**
 * Replays recorded histories against a workflow bundle (no LLM, env or server: the SDK's replay
 * worker runs the workflow code on the recorded events) and, for the first history that does not
 * replay, finds the event it diverged at.
 */
import { temporal } from '@temporalio/proto';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import type { History } from '../history-source';
import type { MissingHistory, RecordedHistory } from './collect';

/** The outcome of replaying one history. */
export interface HistoryReplay {
  workflowId: string;
  runId: string;
  workflowType: string;
  ok: boolean;
  /** The replay error's message (nondeterminism or another failure). */
  error?: string;
  /** True when the error is a determinism violation (the code no longer matches the history). */
  nondeterminism?: boolean;
}

/** Where the first nondeterministic history diverged. */
export interface Divergence {
  workflowId: string;
  runId: string;
  workflowType: string;
  /** The first recorded event of the workflow task whose commands the current code no longer produces. */
  eventId: number;
  /** Its type, e.g. `EVENT_TYPE_ACTIVITY_TASK_SCHEDULED`. */
  eventType: string;
  /** The SDK core's own description of the mismatch (e.g. which activity or patch differs). */
  detail: string;
}

/** The result of {@link replayRecorded}. */
export interface ReplayReport {
  results: HistoryReplay[];
  missing: MissingHistory[];
  divergence?: Divergence;
  /** True when every history replayed and none was missing. */
  ok: boolean;
}

/** Replays `histories` on `workflowBundle`, in order; `missing` ones count as failures. */
export async function replayRecorded(
  histories: readonly RecordedHistory[],
  workflowBundle: WorkflowBundle,
  missing: readonly MissingHistory[] = [],
): Promise<ReplayReport> {
  const results: HistoryReplay[] = [];
  let divergence: Divergence | undefined;
  const byKey = new Map(histories.map((h) => [`${h.workflowId}\n${h.runId}`, h]));
  const replayed = Worker.runReplayHistories(
    { workflowBundle },
    histories.map((h) => ({ workflowId: h.workflowId, history: h.history })),
  );
  let index = 0;
  for await (const result of replayed) {
    const recorded = byKey.get(`${result.workflowId}\n${result.runId}`) ?? histories[index]!;
    index += 1;
    const nondeterminism = result.error?.name === 'DeterminismViolationError';
    results.push({
      workflowId: recorded.workflowId,
      runId: recorded.runId,
      workflowType: recorded.workflowType,
      ok: !result.error,
      ...(result.error && { error: coreMessage(result.error.message), nondeterminism }),
    });
    if (nondeterminism && !divergence)
      divergence = await locateDivergence(recorded, workflowBundle, result.error!.message);
  }
  return { results, missing: [...missing], divergence, ok: missing.length === 0 && results.every((r) => r.ok) };
}

/** The core's own sentence out of the SDK's long wrapper ("... message: \"[TMPRL1100] ...\" ..."). */
export function coreMessage(message: string): string {
  const inner = /message: "((?:[^"\\]|\\.)*)"/.exec(message);
  return inner ? inner[1]!.replace(/\\"/g, '"') : message;
}

/** Index of every WorkflowTaskStarted event: a history cut there replays like a workflow task in progress. */
function workflowTaskStarts(events: temporal.api.history.v1.IHistoryEvent[]): number[] {
  return events.flatMap((e, i) => (e.workflowTaskStartedEventAttributes ? [i] : []));
}

/** Whether the first `length` events of `history` replay without a determinism violation. */
async function prefixReplays(workflowId: string, history: History, length: number, bundle: WorkflowBundle) {
  const prefix = { events: (history.events ?? []).slice(0, length) };
  for await (const result of Worker.runReplayHistories({ workflowBundle: bundle }, [{ workflowId, history: prefix }]))
    return result.error?.name !== 'DeterminismViolationError';
  return true;
}

/**
 * The core's messages name the mismatch (an activity type, a patch id) but not always the event. A
 * history cut at a workflow task start replays that task's earlier tasks only, so the shortest
 * failing cut (found by bisection) pins the workflow task whose commands differ: its first recorded
 * command event is where the history diverged.
 */
async function locateDivergence(
  recorded: RecordedHistory,
  bundle: WorkflowBundle,
  message: string,
): Promise<Divergence> {
  const events = recorded.history.events ?? [];
  const cuts = [...workflowTaskStarts(events), events.length - 1];
  let [low, high] = [-1, cuts.length - 1]; // cuts[low] replays (or none), cuts[high] fails
  while (high - low > 1) {
    const mid = (low + high) >> 1;
    if (await prefixReplays(recorded.workflowId, recorded.history, cuts[mid]! + 1, bundle)) low = mid;
    else high = mid;
  }
  // The commands of the task before the failing cut follow its WorkflowTaskCompleted event.
  const from = low >= 0 ? cuts[low]! : 0;
  const completed = events.findIndex((e, i) => i > from && e.workflowTaskCompletedEventAttributes);
  const start = completed >= 0 ? completed + 1 : from;
  const end = cuts[high]!;
  const named = events.slice(start, end + 1).find((e) => namedByMessage(e, coreMessage(message)));
  const event = named ?? events[start] ?? events.at(-1);
  return {
    workflowId: recorded.workflowId,
    runId: recorded.runId,
    workflowType: recorded.workflowType,
    eventId: Number(String(event?.eventId ?? 0)),
    eventType: temporal.api.enums.v1.EventType[event?.eventType ?? 0] ?? String(event?.eventType),
    detail: coreMessage(message),
  };
}

/**
 * Whether the core's message names `event`: by event id, by the activity type it scheduled, or by
 * the patch id its marker records (the mismatches the core describes without an event id).
 */
function namedByMessage(event: temporal.api.history.v1.IHistoryEvent, message: string): boolean {
  const id = /HistoryEvent\(id: (\d+)/.exec(message)?.[1];
  if (id) return String(event.eventId) === id;
  const activity = /scheduled event '([^']+)'/.exec(message)?.[1];
  if (activity) return event.activityTaskScheduledEventAttributes?.activityType?.name === activity;
  const patch = /marker encountered for change ([^\s,]+)/.exec(message)?.[1];
  if (patch) {
    const details = event.markerRecordedEventAttributes?.details ?? {};
    return Object.values(details).some((p) =>
      (p.payloads ?? []).some((x) => x.data && Buffer.from(x.data).toString('utf8').includes(patch)),
    );
  }
  return false;
}
