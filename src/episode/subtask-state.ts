/**
 * A subtask run's pure rules: the budget or cap that stops it before its next decision, and its
 * outcome from what it did. Pure, so they are unit-tested without a Temporal server.
 */
import type { EpisodeConfig } from '../agent/config';
import { formatObservation, observationContext, type ObservationContext } from '../agent/prompts';
import type { AugmentedTransition, CallRecord } from '../agent/records';
import type { Observation } from '../agent/vocabulary';
import type { EnvStepOutput, RecordedStep } from '../activities/types';
import { callTokens } from '../agent/record-tokens';
import type { Decision } from './call-record';
import { addCall, type LevelTokenTotals } from './level-tokens';
import type { PendingDecision, SubtaskInput, SubtaskOutcome, SubtaskPartResult, SubtaskRunStatus } from './records';

/**
 * Bytes of transitions (as JSON) one subtask part may build: its live `transitions` query answers
 * them and its history records about as much, so both stay well under Temporal's 2 MB payload limit
 * (and the 1 MB a payload should stay below), whatever `maxStepsPerChildRun` allows.
 */
export const PART_RESULT_BYTE_BUDGET = 512 * 1024;

/** The JSON size of one transition, as the part's result will hold it. */
export function transitionBytes(transition: AugmentedTransition): number {
  return JSON.stringify(transition).length;
}

/** Where a subtask run stands before its next decision. */
export interface SubtaskCounters {
  stepIndex: number;
  stepsInSubtask: number;
  /** Tokens of the episode so far, this run's included. */
  episodeTokens: number;
  /** Steps taken by this child run (parts bound a child's history). */
  stepsThisRun: number;
  /** JSON bytes of the transitions this run holds so far. @default 0 */
  bytesThisRun?: number;
}

/** The status that stops the run before its next decision, if any (cancellation is checked by the caller). */
export function subtaskStopStatus(
  counters: SubtaskCounters,
  config: Pick<EpisodeConfig, 'maxSteps' | 'maxStepsPerSubtask' | 'maxTokens' | 'maxStepsPerChildRun'>,
): SubtaskRunStatus | undefined {
  if (counters.stepIndex >= config.maxSteps) return 'step-budget';
  if (config.maxStepsPerSubtask > 0 && counters.stepsInSubtask >= config.maxStepsPerSubtask) return 'subtask-step-cap';
  if (config.maxTokens > 0 && counters.episodeTokens >= config.maxTokens) return 'token-budget';
  // Bounded child histories and results: a long subtask continues in a new part, by steps or by
  // bytes (a step's record is larger with long observations and prompts).
  if (counters.stepsThisRun >= config.maxStepsPerChildRun) return 'part-limit';
  if ((counters.bytesThisRun ?? 0) >= PART_RESULT_BYTE_BUDGET) return 'part-limit';
  return undefined;
}

/** What a subtask run did, as the outcome it returns (before compaction). */
export interface SubtaskRunRecord {
  transitions: AugmentedTransition[];
  steps: RecordedStep[];
  progress: string;
  observation: Observation;
  stepIndex: number;
  stepsInSubtask: number;
  score: number;
  tokens: number;
  spentTokens: number;
  previous?: ObservationContext;
}

/** The record a subtask run (or its reader) starts from: where `input` left the episode. */
export function newSubtaskRun(input: SubtaskInput): SubtaskRunRecord {
  return {
    transitions: [],
    steps: [],
    progress: input.progress,
    observation: input.observation,
    stepIndex: input.stepIndex,
    stepsInSubtask: input.stepsInSubtask,
    score: input.score,
    tokens: 0,
    spentTokens: 0,
    previous: input.previous,
  };
}

/** The result a run that ended with `status` returns to the episode: no transitions (see {@link SubtaskPartResult}). */
export function subtaskPartResultOf(
  run: SubtaskRunRecord,
  status: SubtaskRunStatus,
  extra: {
    won?: boolean;
    envDone?: boolean;
    pending?: PendingDecision;
    error?: string;
    progressDropped?: boolean;
  } = {},
): SubtaskPartResult {
  const { transitions, ...outcome } = subtaskOutcomeOf(run, status, extra);
  let levels: LevelTokenTotals = {};
  for (const t of transitions) levels = addCall(addCall(levels, 'low', t.low), 'progress', t.progress);
  return { ...outcome, levels, record: 'events', ...(extra.progressDropped && { lastProgressDropped: true }) };
}

/** The observation the low-level call shows before the run's next step. */
export function observationText(
  config: Pick<EpisodeConfig, 'spec' | 'obs'>,
  run: Pick<SubtaskRunRecord, 'observation' | 'stepIndex' | 'previous'>,
): string {
  return formatObservation(config.spec.env, run.observation, {
    format: config.obs,
    initial: run.stepIndex === 0,
    previous: run.previous,
  });
}

/** The observation the progress call (and the transition) shows after a step from `before` to `after`. */
export function nextObservationText(
  config: Pick<EpisodeConfig, 'spec' | 'obs'>,
  before: Observation,
  after: Observation,
): string {
  return formatObservation(config.spec.env, after, { format: config.obs, previous: observationContext(before) });
}

/** Counts a low-level call's tokens into the run; answers it as the step's decision (none when unparseable). */
export function absorbLowCall(run: SubtaskRunRecord, answer: Decision): PendingDecision {
  run.tokens += callTokens(answer.record);
  run.spentTokens += answer.spentTokens;
  return { decision: answer.output?.role === 'low' ? answer.output.decision : undefined, record: answer.record };
}

/** Counts a progress call's tokens into the run; answers the progress after the step (unchanged when unparseable). */
export function absorbProgressCall(run: SubtaskRunRecord, update: Decision): string {
  run.tokens += callTokens(update.record);
  run.spentTokens += update.spentTokens;
  return update.output?.role === 'progress' ? update.output.progress : run.progress;
}

/** Moves the run past an applied step (its transition already recorded). */
export function advanceRun(
  run: SubtaskRunRecord,
  step: { action: string; progressAfter: string; result: EnvStepOutput },
): void {
  const { action, progressAfter, result } = step;
  run.steps.push({ action, obsHash: result.obsHash });
  run.progress = progressAfter;
  run.previous = observationContext(run.observation);
  run.observation = result.observation;
  run.score = result.score;
  run.stepIndex += 1;
  run.stepsInSubtask += 1;
}

/** The outcome of a run that ended with `status`. */
export function subtaskOutcomeOf(
  run: SubtaskRunRecord,
  status: SubtaskRunStatus,
  extra: { won?: boolean; envDone?: boolean; pending?: PendingDecision; error?: string } = {},
): SubtaskOutcome {
  return {
    status,
    transitions: run.transitions,
    steps: run.steps,
    finalProgress: run.progress,
    observation: run.observation,
    stepIndex: run.stepIndex,
    stepsInSubtask: run.stepsInSubtask,
    score: run.score,
    won: extra.won ?? false,
    envDone: extra.envDone ?? false,
    tokens: run.tokens,
    spentTokens: run.spentTokens,
    pending: extra.pending,
    ...(extra.error !== undefined && { error: extra.error }),
    // Only a continuation (next part, or after a re-drive) needs it: kept out of other results.
    ...(run.previous !== undefined &&
      (status === 'part-limit' || status === 'session-lost') && { previous: run.previous }),
  };
}

/** The augmented step-level transition of one applied step. */
export function transitionOf(
  input: SubtaskInput,
  run: SubtaskRunRecord,
  step: {
    obsText: string;
    nextObsText: string;
    action: string;
    progressAfter: string;
    result: EnvStepOutput;
    low: PendingDecision;
    progressRecord?: CallRecord;
  },
): AugmentedTransition {
  const decision = step.low.decision;
  return {
    version: 2,
    episodeId: input.episodeId,
    subtaskIndex: input.subtaskIndex,
    stepIndex: run.stepIndex,
    task: input.task,
    subtask: input.subtask,
    completedSubtasks: input.completedSubtasks,
    progressBefore: run.progress,
    progressAfter: step.progressAfter,
    observation: step.obsText,
    action: step.action,
    nextObservation: step.nextObsText,
    reward: step.result.reward,
    score: step.result.score,
    done: step.result.done,
    won: step.result.won,
    subtaskDone: decision?.subtaskDone ?? false,
    invalid: decision === undefined,
    low: step.low.record,
    progress: step.progressRecord,
    envLatencyMs: step.result.latencyMs,
  };
}

/**
 * Records an applied step: its transition (kept for the live query; the run's result leaves it
 * out) and the run moved past it. Answers the transition.
 */
export function recordStep(
  input: SubtaskInput,
  run: SubtaskRunRecord,
  step: Parameters<typeof transitionOf>[2],
): AugmentedTransition {
  const transition = transitionOf(input, run, step);
  run.transitions.push(transition);
  advanceRun(run, step);
  return transition;
}

/**
 * How a run ends after an applied step, if it does: the env ended; the progress call after it
 * could not finish (`cut`: the step stays, its progress unchanged); the low level flagged the
 * subtask done.
 */
export function endAfterStep(
  step: { result: EnvStepOutput; low: PendingDecision },
  cut?: { status: SubtaskRunStatus; error?: string },
): { status: SubtaskRunStatus; extra?: Parameters<typeof subtaskPartResultOf>[2] } | undefined {
  if (step.result.done) return { status: 'env-done', extra: { won: step.result.won, envDone: true } };
  if (cut) return { status: cut.status, extra: { error: cut.error, progressDropped: true } };
  if (step.low.decision?.subtaskDone) return { status: 'subtask-done' };
  return undefined;
}

/** What the episode carries from one part of a subtask to the next (a fresh subtask: {@link FRESH_SUBTASK}). */
export interface PartCarry {
  progress: string;
  stepsInSubtask: number;
  pending?: PendingDecision;
  previous?: ObservationContext;
}

/** The carry of a subtask's first part: no progress, no step taken. */
export const FRESH_SUBTASK: PartCarry = { progress: 'None', stepsInSubtask: 0 };

/** What the next part of the subtask starts from after `result`. */
export function carryOf(
  result: Pick<SubtaskPartResult, 'finalProgress' | 'stepsInSubtask' | 'pending' | 'previous'>,
): PartCarry {
  return {
    progress: result.finalProgress,
    stepsInSubtask: result.stepsInSubtask,
    pending: result.pending,
    previous: result.previous,
  };
}

/** True when the subtask goes on in another part (its part cap was reached, or its session was lost). */
export function continuesInNextPart(result: Pick<SubtaskPartResult, 'status'>): boolean {
  return result.status === 'part-limit' || result.status === 'session-lost';
}

/** The input of one part of subtask `subtask.index`, from the episode's state and the part's carry. */
export function subtaskInputOf(
  episode: { episodeId: string; config: EpisodeConfig },
  s: Pick<SubtaskInput, 'envQueue' | 'task' | 'observation' | 'stepIndex' | 'score'> & { tokens: number },
  subtask: { index: number; text: string; completedSubtasks: string[] },
  carry: PartCarry,
  highCall: Partial<Pick<SubtaskInput, 'highCall' | 'lastProgress'>> = {},
): SubtaskInput {
  return {
    episodeId: episode.episodeId,
    config: episode.config,
    envQueue: s.envQueue,
    task: s.task,
    subtaskIndex: subtask.index,
    subtask: subtask.text,
    completedSubtasks: subtask.completedSubtasks,
    progress: carry.progress,
    observation: s.observation,
    stepIndex: s.stepIndex,
    stepsInSubtask: carry.stepsInSubtask,
    tokensBefore: s.tokens,
    score: s.score,
    pending: carry.pending,
    // The record of the decision that issued the subtask (first part only; read back as its high-level transition).
    ...highCall,
    ...(carry.previous !== undefined && { previous: carry.previous }),
  };
}
