/**
 * Low level of STEP-HRL: one child workflow per subtask. Loop: chooseAction → envStep →
 * updateProgress, until the low level flags the subtask done, the env ends, or a budget is hit.
 * Every prompt holds only (subtask, current observation, local progress): no history.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  patched,
  setHandler,
  TimeoutFailure,
} from '@temporalio/workflow';
import type { EnvStepOutput, RecordedStep } from '../activities/types';
import { SESSION_LOST } from '../activities/types';
import { promptOptionsOf, type EpisodeConfig } from '../agent/config';
import { buildPolicyCall, formatObservation, observationContext, type ObservationContext } from '../agent/prompts';
import type { AugmentedTransition, CallRecord, SubtaskStatus } from '../agent/records';
import type { LowDecision } from '../agent/prompts';
import type { Observation } from '../envs/text-env';
import { cancelSignal, transitionsQuery } from './messages';
import { callTokens } from '../agent/record-tokens';
import { decideOrStop, isLlmStop } from './llm-failure';
import { COMPACT_SUBTASK_OUTCOME, HONOUR_TEMPORAL_CANCEL, SUBTASK_PARTS } from './patches';
import { compactOutcome } from './outcome-compaction';
import { onPinnedWorker } from './pinned-env';

/** Input of {@link subtaskWorkflow}: bounded episode context plus where to resume. */
export interface SubtaskInput {
  episodeId: string;
  config: EpisodeConfig;
  envQueue: string;
  task: string;
  subtaskIndex: number;
  subtask: string;
  /** Subtasks issued before this one. */
  completedSubtasks: string[];
  /** Local progress to start from ("None" for a fresh subtask). */
  progress: string;
  observation: Observation;
  /** Episode step index of the next env step. */
  stepIndex: number;
  /** Steps already taken inside this subtask (a continuation after a re-drive). */
  stepsInSubtask: number;
  /** Tokens spent by the episode before this child. */
  tokensBefore: number;
  score: number;
  /** A low-level decision made before the session was lost; used instead of asking the model again. */
  pending?: PendingDecision;
  /**
   * The high-level call that issued this subtask, recorded here (first part only) so the record
   * reader can rebuild the high-level transition; the child itself does not use it.
   */
  highCall?: CallRecord;
  /**
   * Look and inventory of the observation before `observation` in this subtask (a later part of a
   * long subtask); absent when the subtask starts. The `compact` format shows what changed.
   */
  previous?: ObservationContext;
}

/** A decided but not yet applied low-level step. */
export interface PendingDecision {
  decision?: LowDecision;
  record: CallRecord;
}

/**
 * Why a subtask child run returned: a {@link SubtaskStatus}, or `part-limit` when it took
 * `maxStepsPerChildRun` steps and the episode must start the next part of the same subtask.
 */
export type SubtaskRunStatus = SubtaskStatus | 'part-limit';

/** What a subtask returns to the high level. */
export interface SubtaskOutcome {
  status: SubtaskRunStatus;
  transitions: AugmentedTransition[];
  /** Actions and observation hashes, appended to the episode's re-drive log. */
  steps: RecordedStep[];
  finalProgress: string;
  observation: Observation;
  stepIndex: number;
  stepsInSubtask: number;
  score: number;
  won: boolean;
  envDone: boolean;
  tokens: number;
  /** Tokens actually spent (response-cache hits cost none). */
  spentTokens: number;
  /** Set with status `session-lost` when the lost step's decision was already made. */
  pending?: PendingDecision;
  /** Set with status `llm-error`: why the model could not be called. */
  error?: string;
  /** Look and inventory of the observation before `observation` (passed to the next part). */
  previous?: ObservationContext;
  /**
   * True when the transitions leave out what the child's input and the previous transition hold
   * (see `outcome-compaction.ts`); readers expand them with `expandOutcome`.
   */
  compacted?: boolean;
}

/**
 * Runs one subtask (or one part of a long one). Session loss returns early (status `session-lost`)
 * so the episode can re-drive; Temporal's cancellation returns `cancelled` with every step so far.
 */
export async function subtaskWorkflow(input: SubtaskInput): Promise<SubtaskOutcome> {
  const { config } = input;
  // Once decided, an action's env step and progress update finish even if cancellation arrives,
  // so every applied step is recorded whole; cancellation then takes effect before the next decision.
  const honourCancel = patched(HONOUR_TEMPORAL_CANCEL);
  const untilRecorded = <T>(work: () => Promise<T>): Promise<T> =>
    honourCancel ? CancellationScope.nonCancellable(work) : work();
  const transitions: AugmentedTransition[] = [];
  const steps: RecordedStep[] = [];
  let cancelled = false;
  setHandler(transitionsQuery, () => transitions);
  setHandler(cancelSignal, () => void (cancelled = true));

  let progress = input.progress;
  let observation = input.observation;
  let stepIndex = input.stepIndex;
  let stepsInSubtask = input.stepsInSubtask;
  let score = input.score;
  let tokens = 0;
  let spentTokens = 0;
  let pending = input.pending;
  let previous = input.previous;
  let stepsThisRun = 0;
  const prompts = promptOptionsOf(config);
  const finish = (
    status: SubtaskRunStatus,
    extra: { won?: boolean; envDone?: boolean; pending?: PendingDecision; error?: string } = {},
  ): SubtaskOutcome => {
    const outcome = whole(status, extra);
    // The result is stored in the child's history and again in the episode's: it leaves out what
    // the input and the previous transition already hold (readers expand it).
    return patched(COMPACT_SUBTASK_OUTCOME) ? compactOutcome(input, outcome) : outcome;
  };
  const whole = (
    status: SubtaskRunStatus,
    extra: { won?: boolean; envDone?: boolean; pending?: PendingDecision; error?: string },
  ): SubtaskOutcome => ({
    status,
    transitions,
    steps,
    finalProgress: progress,
    observation,
    stepIndex,
    stepsInSubtask,
    score,
    won: extra.won ?? false,
    envDone: extra.envDone ?? false,
    tokens,
    spentTokens,
    pending: extra.pending,
    ...(extra.error !== undefined && { error: extra.error }),
    // Only a continuation (next part, or after a re-drive) needs it: kept out of other results.
    ...(previous !== undefined && (status === 'part-limit' || status === 'session-lost') && { previous }),
  });

  try {
    for (;;) {
      if (cancelled) return finish('cancelled');
      if (stepIndex >= config.maxSteps) return finish('step-budget');
      if (config.maxStepsPerSubtask > 0 && stepsInSubtask >= config.maxStepsPerSubtask)
        return finish('subtask-step-cap');
      if (config.maxTokens > 0 && input.tokensBefore + tokens >= config.maxTokens) return finish('token-budget');
      if (honourCancel && CancellationScope.current().consideredCancelled) return finish('cancelled');
      // Bounded child histories and results: a long subtask continues in a new part (`maxStepsPerChildRun`
      // is absent in configs recorded before parts existed, which never stop here).
      if (stepsThisRun >= config.maxStepsPerChildRun && patched(SUBTASK_PARTS)) return finish('part-limit');

      const obsText = formatObservation(config.spec.env, observation, {
        format: config.obs,
        initial: stepIndex === 0,
        previous,
      });
      let low: PendingDecision;
      if (pending) {
        low = pending; // decided (and its tokens counted) before the session was lost: never asked twice
        pending = undefined;
      } else {
        const answer = await decideOrStop(
          buildPolicyCall(
            {
              role: 'low',
              input: { subtask: input.subtask, observation: obsText, progress, validActions: observation.validActions },
            },
            config.profile,
            config.decoding.low,
            prompts,
          ),
          config,
        );
        if (isLlmStop(answer)) return finish('llm-error', { error: answer.llmError });
        tokens += callTokens(answer.record);
        spentTokens += answer.spentTokens;
        low = {
          decision: answer.output?.role === 'low' ? answer.output.decision : undefined,
          record: answer.record,
        };
      }
      const decision = low.decision;
      // Like the reference, an unparseable reply still costs a step: "None" is sent as the action.
      const action = decision?.action ?? 'None';

      let result: EnvStepOutput;
      try {
        result = await untilRecorded(() =>
          onPinnedWorker(input.envQueue, config, (env) =>
            env.envStep({
              episodeId: input.episodeId,
              stepIndex,
              action,
            }),
          ),
        );
      } catch (err) {
        if (isSessionLoss(err)) return finish('session-lost', { pending: low });
        throw err;
      }
      steps.push({ action, obsHash: result.obsHash });
      const nextObsText = formatObservation(config.spec.env, result.observation, {
        format: config.obs,
        previous: observationContext(observation),
      });

      let progressAfter = progress;
      let progressRecord;
      let llmError: string | undefined;
      if (!result.done) {
        const update = await untilRecorded(() =>
          decideOrStop(
            buildPolicyCall(
              {
                role: 'progress',
                input: {
                  subtask: input.subtask,
                  previousProgress: progress,
                  action,
                  observation: nextObsText,
                },
              },
              config.profile,
              config.decoding.progress,
              prompts,
            ),
            config,
          ),
        );
        if (isLlmStop(update)) {
          // The step was applied: record it with the progress left unchanged, then stop.
          llmError = update.llmError;
        } else {
          tokens += callTokens(update.record);
          spentTokens += update.spentTokens;
          progressRecord = update.record;
          progressAfter = update.output?.role === 'progress' ? update.output.progress : progress;
        }
      }

      transitions.push({
        version: 2,
        episodeId: input.episodeId,
        subtaskIndex: input.subtaskIndex,
        stepIndex,
        task: input.task,
        subtask: input.subtask,
        completedSubtasks: input.completedSubtasks,
        progressBefore: progress,
        progressAfter,
        observation: obsText,
        action,
        nextObservation: nextObsText,
        reward: result.reward,
        score: result.score,
        done: result.done,
        won: result.won,
        subtaskDone: decision?.subtaskDone ?? false,
        invalid: decision === undefined,
        low: low.record,
        progress: progressRecord,
        envLatencyMs: result.latencyMs,
      });
      progress = progressAfter;
      previous = observationContext(observation);
      observation = result.observation;
      score = result.score;
      stepIndex += 1;
      stepsInSubtask += 1;
      stepsThisRun += 1;
      if (result.done) return finish('env-done', { won: result.won, envDone: true });
      if (llmError !== undefined) return finish('llm-error', { error: llmError });
      if (decision?.subtaskDone) return finish('subtask-done');
    }
  } catch (err) {
    // Temporal's cancellation (UI, CLI, handle.cancel()) ends the subtask with its record kept.
    if (honourCancel && isCancellation(err)) return finish('cancelled');
    throw err;
  }
}

/** Session lost: the worker answered it holds no session, or the pinned worker never picked the task up. */
export function isSessionLoss(err: unknown): boolean {
  if (!(err instanceof ActivityFailure)) return false;
  const cause = err.cause;
  if (cause instanceof ApplicationFailure) return cause.type === SESSION_LOST;
  return cause instanceof TimeoutFailure && cause.timeoutType === 'SCHEDULE_TO_START';
}
