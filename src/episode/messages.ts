/**
 * The messages of step-hrl's workflows (signals, queries, updates) and their function types, so
 * clients type their handles without importing a workflow file. Definitions only: no workflow code.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AugmentedTransition } from '../agent/records';
import type { EvalInput, EvalWorkflowResult } from './eval-records';
import type { EvalProgress, SlimOutcome } from './eval-types';
import type {
  EpisodeInput,
  EpisodeProgress,
  EpisodeResult,
  ReactInput,
  ReactResult,
  ReactStep,
  SubtaskInput,
  SubtaskPartResult,
} from './records';

/** The STEP-HRL episode workflow's signature (`episodeWorkflow`). */
export type EpisodeWorkflow = (input: EpisodeInput) => Promise<EpisodeResult>;
/** A subtask child's signature (`subtaskWorkflow`). */
export type SubtaskWorkflow = (input: SubtaskInput) => Promise<SubtaskPartResult>;
/** The ReAct episode workflow's signature (`reactWorkflow`). */
export type ReactWorkflow = (input: ReactInput) => Promise<ReactResult>;
/** The eval workflow's signature (`evalWorkflow`). */
export type EvalWorkflow = (input: EvalInput) => Promise<EvalWorkflowResult>;

/** Episode live progress. */
export const episodeProgressQuery = defineQuery<EpisodeProgress>('progress');
/** Transitions recorded so far by a subtask (or ReAct) workflow. */
export const transitionsQuery = defineQuery<AugmentedTransition[]>('transitions');
/** Steps recorded so far by a running ReAct episode (for live views). */
export const reactStepsQuery = defineQuery<ReactStep[]>('reactSteps');
/** Ends an episode (or eval) cleanly after the current step; everything recorded stays. */
export const cancelSignal = defineSignal<[reason?: string]>('cancel');

/** Eval live progress. */
export const evalProgressQuery = defineQuery<EvalProgress>('evalProgress');
/** Stops starting new episodes (running ones go on) until {@link resumeEvalUpdate}. */
export const pauseEvalUpdate = defineUpdate<EvalProgress>('pause');
/** Starts new episodes again after {@link pauseEvalUpdate}. */
export const resumeEvalUpdate = defineUpdate<EvalProgress>('resume');
/** Ends the eval, keeping every outcome so far (the running episodes end `cancelled`). */
export const cancelEvalUpdate = defineUpdate<EvalProgress, [reason: string]>('cancel');
/** Changes how many episodes run at once (from the next start on). */
export const setConcurrencyUpdate = defineUpdate<EvalProgress, [concurrency: number]>('setConcurrency');
/** Plays the episodes whose workflow failed again; answers how many were queued. */
export const retryFailedUpdate = defineUpdate<number>('retryFailed');
/**
 * Answers the eval's progress once its `version` differs from `sinceVersion` (at once when it
 * already does), or after a bounded wait: the long-poll `eval show --follow` and `eval` follow with.
 */
export const waitForEvalChangeUpdate = defineUpdate<EvalProgress, [sinceVersion: string]>('waitForEvalChange');
/** An eval episode's outcome, sent by the episode to its eval at its end (whichever eval run is current). */
export const evalEpisodeOutcomeSignal = defineSignal<[outcome: SlimOutcome]>('evalEpisodeOutcome');
export { MAX_EVAL_CONCURRENCY } from './limits';
