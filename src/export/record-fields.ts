/**
 * The one place the export reads record fields (`src/agent/records.ts`): which records an episode
 * exports, their version, and the step view the training rows are built from. The chain and the
 * verifier never look inside a record; when the record schema changes, only this file follows.
 */
import { HighLevelTransition, RecordedTransition } from '../agent/records';
import { fetchEpisodeRecord } from '../client';
import type { HistorySource } from '../history-source';

/** `record` field of an exported high-level transition (step records are the transitions as recorded). */
export const HIGH_LEVEL_RECORD = 'high-level-transition';

/**
 * The records an episode exports, each validated against its versioned schema: per subtask, its
 * high-level transition (tagged `record: "high-level-transition"`) and then its steps, in order.
 */
export async function readEpisodeRecords(source: HistorySource, episodeId: string): Promise<unknown[]> {
  const record = await fetchEpisodeRecord(source, episodeId);
  const highBySubtask = new Map(record.highLevel.map((h) => [h.subtaskIndex, h]));
  const records: unknown[] = [];
  let lastSubtask = -1;
  for (const tr of record.transitions) {
    if (tr.subtaskIndex !== lastSubtask) {
      const high = highBySubtask.get(tr.subtaskIndex);
      if (high) records.push({ record: HIGH_LEVEL_RECORD, ...HighLevelTransition.parse(high) });
      lastSubtask = tr.subtaskIndex;
    }
    records.push(RecordedTransition.parse(tr));
  }
  return records;
}

/** The `version` of a record, when it has one. */
export function recordVersionOf(record: unknown): number | undefined {
  const version = (record as { version?: unknown } | null)?.version;
  return typeof version === 'number' ? version : undefined;
}

/** What a training row needs of one environment step. */
export interface StepView {
  episodeId: string;
  subtaskIndex: number;
  stepIndex: number;
  task: string;
  subtask: string;
  completedSubtasks: readonly string[];
  progressBefore: string;
  progressAfter: string;
  /** Observations as the prompts showed them (already formatted for the env). */
  observation: string;
  action: string;
  nextObservation: string;
  reward: number;
  done: boolean;
  won: boolean;
  subtaskDone: boolean;
  /** The low-level reply could not be parsed ("None" was sent). */
  invalid: boolean;
  /** False on the terminal step, where no progress update was made. */
  progressUpdated: boolean;
}

/** The step view of a record; undefined for records that are not environment steps. */
export function stepOf(record: unknown): StepView | undefined {
  const parsed = RecordedTransition.safeParse(record);
  if (!parsed.success) return undefined;
  const tr = parsed.data;
  return {
    episodeId: tr.episodeId,
    subtaskIndex: tr.subtaskIndex,
    stepIndex: tr.stepIndex,
    task: tr.task,
    subtask: tr.subtask,
    completedSubtasks: tr.completedSubtasks,
    progressBefore: tr.progressBefore,
    progressAfter: tr.progressAfter,
    observation: tr.observation,
    action: tr.action,
    nextObservation: tr.nextObservation,
    reward: tr.reward,
    done: tr.done,
    won: tr.won,
    subtaskDone: tr.subtaskDone,
    invalid: tr.invalid,
    progressUpdated: tr.progress !== undefined,
  };
}
