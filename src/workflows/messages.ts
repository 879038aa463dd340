/** Typed signals and queries shared by workflows and clients. */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { AugmentedTransition, EpisodeStatus } from '../agent/records';

/** Live view of an episode. */
export interface EpisodeProgress {
  status: 'running' | EpisodeStatus;
  subtaskIndex: number;
  subtask?: string;
  /** Child workflow running the current subtask, for a finer-grained query. */
  subtaskWorkflowId?: string;
  stepIndex: number;
  score: number;
  tokens: number;
}

/** Episode live progress. */
export const episodeProgressQuery = defineQuery<EpisodeProgress>('progress');
/** Transitions recorded so far by a subtask (or ReAct) workflow. */
export const transitionsQuery = defineQuery<AugmentedTransition[]>('transitions');
/** Ends an episode cleanly after the current step; everything recorded stays. */
export const cancelSignal = defineSignal<[reason?: string]>('cancel');
