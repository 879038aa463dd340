/**
 * The three STEP-HRL policy calls of an episode, built from its config and current state: the high
 * level at a subtask boundary, the low level before a step, the progress update after one. Pure.
 */
import type { PolicyCallInput } from '../activities/types';
import { promptOptionsOf, type EpisodeConfig } from '../agent/config';
import { buildPolicyCall, formatObservation } from '../agent/prompts';
import type { Observation } from '../agent/vocabulary';
import type { CallRecord } from '../agent/records';
import { promptByHash, promptFromHash, type StoredCallRecord } from './prompt-ref';
import type { EpisodeState, SubtaskInput } from './records';

/** What the high-level call is built from. */
type HighCallState = Pick<EpisodeState, 'task' | 'subtasks' | 'lastProgress' | 'observation' | 'stepIndex'>;

/** The high-level call at a subtask boundary: the whole observation (the reset one as the reference shows it). */
export function highLevelCall(s: HighCallState, config: EpisodeConfig): PolicyCallInput {
  const observation = formatObservation(config.spec.env, s.observation, {
    format: config.obs,
    initial: s.stepIndex === 0,
  });
  return buildPolicyCall(
    { role: 'high', input: { task: s.task, subtasks: s.subtasks, lastProgress: s.lastProgress, observation } },
    config.profile,
    config.decoding.high,
    promptOptionsOf(config),
  );
}

/** The low-level call before a step: subtask, current observation (formatted), local progress. */
export function lowLevelCall(
  config: EpisodeConfig,
  subtask: string,
  observationText: string,
  observation: Observation,
  progress: string,
): PolicyCallInput {
  return buildPolicyCall(
    { role: 'low', input: { subtask, observation: observationText, progress, validActions: observation.validActions } },
    config.profile,
    config.decoding.low,
    promptOptionsOf(config),
  );
}

/** The progress call after a step: the previous progress, the action and what it led to. */
export function progressCall(
  config: EpisodeConfig,
  subtask: string,
  previousProgress: string,
  action: string,
  nextObservationText: string,
): PolicyCallInput {
  return buildPolicyCall(
    { role: 'progress', input: { subtask, previousProgress, action, observation: nextObservationText } },
    config.profile,
    config.decoding.progress,
    promptOptionsOf(config),
  );
}

/**
 * The high-level call record as a subtask's first part records it: the prompt by hash (with the
 * last progress it showed, so a reader renders it again from the child's input), or whole when the
 * input could not render it. `s` is the state the call was built from.
 */
export function recordedHighCall(
  record: CallRecord,
  s: HighCallState,
  config: EpisodeConfig,
): Pick<SubtaskInput, 'highCall' | 'lastProgress'> {
  const stored = promptByHash(record, highLevelCall(s, config));
  return stored === record ? { highCall: record } : { highCall: stored as CallRecord, lastProgress: s.lastProgress };
}

/** The high-level call record of a subtask's input with its prompt back (see {@link recordedHighCall}). */
export function highCallOf(input: SubtaskInput): CallRecord | undefined {
  const stored = input.highCall as StoredCallRecord | undefined;
  if (!stored || input.lastProgress === undefined) return stored as CallRecord | undefined;
  const lastProgress = input.lastProgress;
  return promptFromHash(stored, () =>
    highLevelCall(
      {
        task: input.task,
        subtasks: input.completedSubtasks,
        lastProgress,
        observation: input.observation,
        stepIndex: input.stepIndex,
      },
      input.config,
    ),
  );
}
