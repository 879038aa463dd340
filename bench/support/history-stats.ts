/**
 * What a workflow's recorded history costs: events, encoded bytes, payload bytes by where they sit
 * (activity inputs/results by activity type, child inputs/results, workflow input/result), and how
 * many times each env observation's text is stored. Reads histories through a `HistorySource`, so
 * it covers an episode and every child it started.
 */
import type { PayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { History, HistorySource } from '../../src/history-source';

type Payloads = temporal.api.common.v1.IPayloads | null | undefined;

/** The histories of a workflow and every child it started (recursively), in start order. */
export async function historyTree(source: HistorySource, workflowId: string): Promise<History[]> {
  const root = await source.fetch(workflowId);
  if (!root) throw new Error(`no history for workflow ${workflowId}`);
  const out = [root];
  for (const e of root.events ?? []) {
    const child = e.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
    if (child?.workflowId) out.push(...(await historyTree(source, child.workflowId)));
  }
  return out;
}

/** Cost of a set of histories. */
export interface HistoryCost {
  histories: number;
  events: number;
  /** Encoded size of the histories (protobuf), what the server stores and replays. */
  bytes: number;
  /** Payload bytes by place, e.g. `activity input: callPolicy`, `child result: subtaskWorkflow`. */
  payloadBytes: Record<string, number>;
  /** Every payload's data as text (JSON), to search for stored observation texts. */
  payloadText: string;
  /** The same text by place (see `payloadBytes`), to say where the copies sit. */
  payloadTextByPlace: Record<string, string>;
  /** Decoded results of the `envStep` activity, in order. */
  envSteps: { observation?: { text?: string; look?: string; inventory?: string } }[];
}

/** Measures `histories`, decoding payloads with `converter`. */
export function historyCost(histories: readonly History[], converter: PayloadConverter): HistoryCost {
  const cost: HistoryCost = {
    histories: histories.length,
    events: 0,
    bytes: 0,
    payloadBytes: {},
    payloadText: '',
    payloadTextByPlace: {},
    envSteps: [],
  };
  const texts: string[] = [];
  const byPlace: Record<string, string[]> = {};
  const add = (place: string, payloads: Payloads) => {
    for (const p of payloads?.payloads ?? []) {
      const n = p.data?.byteLength ?? 0;
      cost.payloadBytes[place] = (cost.payloadBytes[place] ?? 0) + n;
      if (!p.data) continue;
      const text = Buffer.from(p.data).toString('utf8');
      texts.push(text);
      (byPlace[place] ??= []).push(text);
    }
  };
  for (const h of histories) {
    const events = h.events ?? [];
    cost.events += events.length;
    cost.bytes += temporal.api.history.v1.History.encode(h).finish().byteLength;
    const activityType = new Map<string, string>();
    const childType = new Map<string, string>();
    for (const e of events) {
      const id = String(e.eventId);
      const started = e.workflowExecutionStartedEventAttributes;
      if (started) add('workflow input', started.input);
      const wfDone = e.workflowExecutionCompletedEventAttributes;
      if (wfDone) add('workflow result', wfDone.result);
      const can = e.workflowExecutionContinuedAsNewEventAttributes;
      if (can) add('continue-as-new input', can.input);
      const scheduled = e.activityTaskScheduledEventAttributes;
      if (scheduled) {
        const type = scheduled.activityType?.name ?? '?';
        activityType.set(id, type);
        add(`activity input: ${type}`, scheduled.input);
      }
      const completed = e.activityTaskCompletedEventAttributes;
      if (completed) {
        const type = activityType.get(String(completed.scheduledEventId)) ?? '?';
        add(`activity result: ${type}`, completed.result);
        const first = completed.result?.payloads?.[0];
        if (type === 'envStep' && first) cost.envSteps.push(converter.fromPayload(first));
      }
      const initiated = e.startChildWorkflowExecutionInitiatedEventAttributes;
      if (initiated) {
        const type = initiated.workflowType?.name ?? '?';
        childType.set(id, type);
        add(`child input: ${type}`, initiated.input);
      }
      const childDone = e.childWorkflowExecutionCompletedEventAttributes;
      if (childDone) add(`child result: ${childType.get(String(childDone.initiatedEventId)) ?? '?'}`, childDone.result);
      const marker = e.markerRecordedEventAttributes;
      if (marker) for (const [k, v] of Object.entries(marker.details ?? {})) add(`marker: ${k}`, v);
      const signaled = e.workflowExecutionSignaledEventAttributes;
      if (signaled) add('signal', signaled.input);
    }
  }
  cost.payloadText = texts.join('\n');
  cost.payloadTextByPlace = Object.fromEntries(Object.entries(byPlace).map(([k, v]) => [k, v.join('\n')]));
  return cost;
}

/** Occurrences of `needle` in `haystack` (non-overlapping). */
export function occurrences(haystack: string, needle: string): number {
  if (!needle) return 0;
  let n = 0;
  for (let i = haystack.indexOf(needle); i !== -1; i = haystack.indexOf(needle, i + needle.length)) n++;
  return n;
}

/**
 * How many times, on average, the history stores one observation: for each distinct text at least
 * `minLength` long that the env returned (a step's feedback, or its room description), the times it
 * occurs in the payloads (as JSON-escaped text) divided by the times the env returned it.
 */
export function copiesPerObservation(
  cost: HistoryCost,
  field: 'text' | 'look',
  minLength = 20,
  haystack = cost.payloadText,
): number {
  const returned = new Map<string, number>();
  for (const s of cost.envSteps) {
    const t = s.observation?.[field];
    if (t && t.length >= minLength) returned.set(t, (returned.get(t) ?? 0) + 1);
  }
  if (returned.size === 0) return NaN;
  let ratio = 0;
  for (const [t, n] of returned) ratio += occurrences(haystack, JSON.stringify(t).slice(1, -1)) / n;
  return ratio / returned.size;
}

/** {@link copiesPerObservation} of the step feedback split by place (places holding none left out); sums to the total. */
export function copiesByPlace(cost: HistoryCost, field: 'text' | 'look' = 'text'): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [place, text] of Object.entries(cost.payloadTextByPlace)) {
    const n = copiesPerObservation(cost, field, 20, text);
    if (n > 0) out[place] = n;
  }
  return Object.fromEntries(Object.entries(out).sort((a, b) => b[1] - a[1]));
}
