/**
 * Reads an episode's whole decision record back from its workflow histories: every subtask part
 * (from the ChildWorkflowExecutionCompleted events of the episode's run chain; its steps from the
 * child's own history, see `subtask-record.ts`), where a run
 * continued as new, was resumed or re-drove its env session, and the high-level transitions
 * assembled from the subtasks' inputs and transitions. Works on any {@link HistorySource}.
 */
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { formatObservation } from './agent/observation';
import { HIGH_LEVEL_VERSION, type HighLevelTransition, type RecordedTransition } from './agent/records';
import { decode as decodeFirst } from './history-payloads';
import { fetchRunChain, historySourceOf, type HistorySource } from './history-source';
import { highCallOf } from './episode/policy-calls';
import type { EpisodeInput, SubtaskInput, SubtaskOutcome, SubtaskPartResult } from './episode/records';
import { readSubtaskOutcome } from './subtask-record';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Workflow type and activity name the reader looks for (the names the worker registers). */
const SUBTASK_WORKFLOW_TYPE = 'subtaskWorkflow';
const REDRIVE_ACTIVITY = 'envRedrive';

/** Something that happened between two recorded parts of an episode. */
export type RecordMarker =
  /** The episode continued in a new workflow run (`run` counts from 1). */
  | { kind: 'continued-as-new'; run: number }
  /** The run was started by `step-hrl resume` from the recorded prefix of a failed one. */
  | { kind: 'resumed'; fromRunId: string }
  /** A lost env session was rebuilt on a fresh one by replaying the recorded actions. */
  | { kind: 'redrive' };

/** One finished subtask child run (a whole subtask, or one part of a long or re-driven one). */
export interface RecordedPart {
  subtaskIndex: number;
  /** 0 for the subtask's first child run, +1 per further part. */
  part: number;
  /** Index of the workflow run (1-based, continue-as-new and resume included) that started it. */
  run: number;
  input: SubtaskInput;
  outcome: SubtaskOutcome;
  /** What happened since the previous part (in order); empty when nothing did. */
  markersBefore: RecordMarker[];
}

/**
 * An episode's record. `transitions` are in step order and may mix versions when an episode ran
 * across an upgrade (`version` tells them apart; v1 has no prompts or replies). `highLevel` has one
 * entry per subtask that ran; `parts` keeps the shape of the execution for views like `show`.
 */
export interface EpisodeRecord {
  episodeId: string;
  highLevel: HighLevelTransition[];
  transitions: RecordedTransition[];
  parts: RecordedPart[];
  /** Workflow runs the record spans (continue-as-new and resumed runs included). */
  runs: number;
  /** Env re-drives recorded across those runs. */
  redrives: number;
}

/**
 * The record of episode `episodeId` (its latest run chain). Empty (no parts) when the episode
 * does not exist, has no finished subtask yet, or its histories are past retention.
 */
export async function fetchEpisodeRecord(from: Client | HistorySource, episodeId: string): Promise<EpisodeRecord> {
  const chain = await readRunChain(historySourceOf(from), episodeId);
  const parts = chain.parts;
  return {
    episodeId,
    highLevel: highLevelTransitions(episodeId, parts),
    transitions: parts.flatMap((p) => p.outcome.transitions as RecordedTransition[]),
    parts,
    runs: chain.runs,
    redrives: chain.redrives,
  };
}

/** Parts of the run chain that ends at `lastRunId` (default: the latest run), with run and re-drive counts. */
export async function readRunChain(
  source: HistorySource,
  episodeId: string,
  lastRunId?: string,
): Promise<{ parts: RecordedPart[]; runs: number; redrives: number }> {
  const decode = <T>(payloads: temporal.api.common.v1.IPayloads | null | undefined): T | undefined =>
    decodeFirst<T>(payloads, source.payloadConverter);
  const runs: HistoryEvent[][] = await fetchRunChain(source, episodeId, lastRunId);

  const first = decode<EpisodeInput>(runs[0]?.[0]?.workflowExecutionStartedEventAttributes?.input);
  const resumedFrom = first?.state?.resumedFrom;
  const prefix = resumedFrom
    ? await readRunChain(source, resumedFrom.episodeId ?? episodeId, resumedFrom.runId)
    : { parts: [], runs: 0, redrives: 0 };
  const parts = prefix.parts.filter((p) => p.subtaskIndex < (resumedFrom?.subtasks ?? 0));
  let redrives = prefix.redrives;
  let markers: RecordMarker[] = resumedFrom ? [{ kind: 'resumed', fromRunId: resumedFrom.runId }] : [];
  for (const [i, events] of runs.entries()) {
    const run = prefix.runs + i + 1;
    if (i > 0) markers.push({ kind: 'continued-as-new', run });
    const initiations = new Map<string, SubtaskInput>();
    for (const event of events) {
      if (event.activityTaskScheduledEventAttributes?.activityType?.name === REDRIVE_ACTIVITY) {
        redrives += 1;
        markers.push({ kind: 'redrive' });
      }
      const initiated = event.startChildWorkflowExecutionInitiatedEventAttributes;
      if (initiated?.workflowType?.name === SUBTASK_WORKFLOW_TYPE) {
        const input = decode<SubtaskInput>(initiated.input);
        if (input) initiations.set(String(event.eventId), input);
      }
      const completed = event.childWorkflowExecutionCompletedEventAttributes;
      if (!completed) continue;
      const input = initiations.get(String(completed.initiatedEventId));
      const outcome = decode<SubtaskOutcome | SubtaskPartResult>(completed.result);
      if (!input || !outcome) continue;
      const previous = parts.at(-1);
      const part = previous?.subtaskIndex === input.subtaskIndex ? previous.part + 1 : 0;
      // Whole transitions, once: rebuilt from the child's history (a slim result), or expanded from
      // the child's input (a compacted one, see outcome-compaction.ts).
      const child = completed.workflowExecution;
      const whole = await readSubtaskOutcome(
        source,
        { workflowId: child?.workflowId ?? '', runId: child?.runId ?? undefined },
        input,
        outcome,
      );
      parts.push({ subtaskIndex: input.subtaskIndex, part, run, input, outcome: whole, markersBefore: markers });
      markers = [];
    }
  }
  return { parts, runs: prefix.runs + runs.length, redrives };
}

/** One high-level transition per subtask, from its parts (the first part's input holds the call). */
export function highLevelTransitions(episodeId: string, parts: readonly RecordedPart[]): HighLevelTransition[] {
  const bySubtask: RecordedPart[][] = [];
  for (const part of parts) {
    if (part.part === 0 || bySubtask.length === 0) bySubtask.push([part]);
    else bySubtask.at(-1)!.push(part);
  }
  let lastProgress = 'None';
  return bySubtask.map((group) => {
    const { input } = group[0]!;
    const last = group.at(-1)!.outcome;
    const transitions = group.flatMap((p) => p.outcome.transitions);
    const env = input.config.spec.env;
    const high: HighLevelTransition = {
      version: HIGH_LEVEL_VERSION,
      episodeId,
      subtaskIndex: input.subtaskIndex,
      task: input.task,
      completedSubtasks: input.completedSubtasks,
      lastProgress,
      observation: formatObservation(env, input.observation),
      subtask: input.subtask,
      return: {
        reward: transitions.reduce((sum, tr) => sum + tr.reward, 0),
        scoreDelta: last.score - input.score,
      },
      finalProgress: last.finalProgress,
      nextObservation: formatObservation(env, last.observation),
      firstStep: input.stepIndex,
      steps: transitions.length,
      status: last.status,
      done: last.envDone,
      won: last.won,
      ...(input.highCall && { call: highCallOf(input)! }),
    };
    lastProgress = last.finalProgress;
    return high;
  });
}
