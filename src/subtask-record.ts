/**
 * Reads one subtask child run's transitions back. A result recorded from 0.2.0 on is slim
 * (`SubtaskPartResult`): its steps are rebuilt from the child's own history, where each policy
 * call and env step is recorded once as an activity. Older results hold their transitions (whole
 * or compacted) and are expanded from the child's input. Either way the reader gets a whole
 * {@link SubtaskOutcome}.
 */
import type { PayloadConverter } from '@temporalio/common';
import type { EnvStepOutput, PolicyActivityInput, PolicyCallResult } from './activities/types';
import { decode, num, type HistoryEvent } from './history-payloads';
import type { HistorySource } from './history-source';
import { expandOutcome } from './episode/outcome-compaction';
import type { SubtaskInput, SubtaskOutcome, SubtaskPartResult } from './episode/records';
import { rebuildTransitions, type RecordedActivity } from './episode/subtask-replay';

/** The activities a rebuild reads (the others, e.g. liveness pings, are left out). */
const RECORDED_TYPES = new Set(['callPolicy', 'envStep']);

/**
 * The completed policy calls and env steps of a child's history, in completion order. An activity
 * the workflow asked to cancel is left out: the workflow no longer waited for its answer.
 */
export function recordedActivities(events: readonly HistoryEvent[], converter: PayloadConverter): RecordedActivity[] {
  const scheduled = new Map<number, { type: string; input: unknown }>();
  const cancelRequested = new Set<number>();
  const out: RecordedActivity[] = [];
  for (const e of events) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s && RECORDED_TYPES.has(s.activityType?.name ?? ''))
      scheduled.set(num(e.eventId), { type: s.activityType!.name!, input: decode(s.input, converter) });
    const cancel = e.activityTaskCancelRequestedEventAttributes;
    if (cancel) cancelRequested.add(num(cancel.scheduledEventId));
    const done = e.activityTaskCompletedEventAttributes;
    const id = num(done?.scheduledEventId);
    const call = done && scheduled.get(id);
    if (!call || cancelRequested.has(id)) continue;
    const result = decode(done.result, converter);
    out.push(
      call.type === 'envStep'
        ? {
            type: 'envStep',
            input: call.input as { stepIndex: number; action: string },
            result: result as EnvStepOutput,
          }
        : { type: 'callPolicy', input: call.input as PolicyActivityInput, result: result as PolicyCallResult },
    );
  }
  return out;
}

/** True for a result whose transitions live in the child's history (see {@link SubtaskPartResult}). */
export function isPartResult(result: SubtaskOutcome | SubtaskPartResult): result is SubtaskPartResult {
  return (result as SubtaskPartResult).record === 'events';
}

/**
 * The whole outcome of the child run `child` (its workflow and run id) that took `input` and
 * returned `result`. @throws Error naming the child when its history is gone (past retention, or
 * missing from an archive) though its result says its steps are there
 */
export async function readSubtaskOutcome(
  source: HistorySource,
  child: { workflowId: string; runId?: string },
  input: SubtaskInput,
  result: SubtaskOutcome | SubtaskPartResult,
): Promise<SubtaskOutcome> {
  if (!isPartResult(result)) return expandOutcome(input, result);
  if (result.steps.length === 0) return whole(input, result, [], source.payloadConverter);
  const history = await source.fetch(child.workflowId, child.runId);
  if (!history)
    throw new Error(
      `the history of subtask run ${child.workflowId} (run ${child.runId ?? 'latest'}) is not available: its steps are ` +
        'recorded there (past the namespace retention, or an archive made without it)',
    );
  return whole(input, result, history.events ?? [], source.payloadConverter);
}

/** A slim result with its transitions rebuilt from the child's history `events`. */
function whole(
  input: SubtaskInput,
  result: SubtaskPartResult,
  events: readonly HistoryEvent[],
  converter: PayloadConverter,
): SubtaskOutcome {
  const { record: _record, levels: _levels, lastProgressDropped: _dropped, ...rest } = result;
  return { ...rest, transitions: rebuildTransitions(input, result, recordedActivities(events, converter)) };
}

/**
 * The whole outcome of subtask run `workflowId` (its latest run) from its own history alone, or
 * undefined while it has not completed (or is gone): what a live view prints when a child ends.
 */
export async function readFinishedSubtask(
  source: HistorySource,
  workflowId: string,
): Promise<SubtaskOutcome | undefined> {
  const events = (await source.fetch(workflowId))?.events ?? [];
  const input = decode<SubtaskInput>(
    events[0]?.workflowExecutionStartedEventAttributes?.input,
    source.payloadConverter,
  );
  const result = decode<SubtaskOutcome | SubtaskPartResult>(
    events.at(-1)?.workflowExecutionCompletedEventAttributes?.result,
    source.payloadConverter,
  );
  if (!input || !result) return undefined;
  return isPartResult(result) ? whole(input, result, events, source.payloadConverter) : expandOutcome(input, result);
}
