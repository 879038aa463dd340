/**
 * The one place the export reads record fields (`src/agent/records.ts`): which records an episode
 * exports, their version, and the step view the training rows are built from. The chain and the
 * verifier never look inside a record; when the record schema changes, only this file follows.
 */
import { AugmentedTransition } from '../agent/records';
import { fetchTransitions } from '../client';
import type { HistorySource } from '../history-source';

/** The records an episode exports, in step order, each validated against its versioned schema. */
export async function readEpisodeRecords(source: HistorySource, episodeId: string): Promise<unknown[]> {
  return (await fetchTransitions(source, episodeId)).map((tr) => AugmentedTransition.parse(tr));
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
  const parsed = AugmentedTransition.safeParse(record);
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
