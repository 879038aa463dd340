/**
 * The ReAct episode's state transitions: the state after reset, absorbing a step (its transcript
 * turn kept within the context budget), the budget checks before each step, and when a run hands
 * over to a new one (continue-as-new, by history events or by the bytes of the steps it records).
 * Pure, so they are unit-tested without a Temporal server and the workflow only orchestrates.
 */
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { EnvResetOutput, EnvStepOutput } from '../activities/types';
import type { EpisodeConfig } from '../agent/config';
import { reactHeaderChars, reactInitialObservation, reactTurnsToDrop } from '../agent/prompts/react';
import type { CallRecord, EpisodeStatus } from '../agent/records';
import { callTokens } from '../agent/record-tokens';
import type { PolicyOutput } from '../agent/schemas';
import type { PromptProfile } from '../agent/vocabulary';
import { episodeEndUpdates } from './episode-state';
import type { EpisodeProgress, ReactInput, ReactResult, ReactState, ReactStep } from './records';
import { appendRedriveSteps, emptyRedriveLog } from './redrive-log';

/**
 * JSON bytes of step records one run may hold before it continues as new: they close the run (in
 * its continue-as-new input or its result), next to the carried state (transcript window and
 * re-drive log), so that input stays under the SDK's 512 KB payload warning at 10,000 steps.
 */
export const REACT_RUN_STEPS_BYTE_BUDGET = 64 * 1024;

/**
 * History events one step may add (policy call with repairs, env step, a liveness ping, workflow
 * tasks): a run continues as new while this many still fit under `historyEventLimit`.
 */
export const REACT_STEP_EVENT_MARGIN = 64;

/** The state of a ReAct episode right after its env reset (on `envQueue`, a worker of `host`): nothing done yet. */
export function initialReactState(reset: EnvResetOutput, envQueue: string, host?: string): ReactState {
  return {
    task: reset.taskDescription,
    initialObservation: reactInitialObservation(reset.observation.text, reset.taskDescription),
    envQueue,
    ...(host !== undefined && { envHosts: [host] }),
    resetObsHash: reset.obsHash,
    envVersions: reset.versions ?? {},
    turns: [],
    droppedTurns: 0,
    stepIndex: 0,
    score: reset.score,
    won: false,
    tokens: 0,
    spentTokens: 0,
    level: { calls: 0, prompt: 0, completion: 0 },
    redrives: 0,
    runs: 1,
    log: emptyRedriveLog(),
  };
}

/** The budget that stops the episode before its next step, if one is spent. */
export function reactBudgetStatus(
  s: Pick<ReactState, 'stepIndex' | 'tokens'>,
  config: Pick<EpisodeConfig, 'maxSteps' | 'maxTokens'>,
): EpisodeStatus | undefined {
  if (s.stepIndex >= config.maxSteps) return 'step-budget';
  if (config.maxTokens > 0 && s.tokens >= config.maxTokens) return 'token-budget';
  return undefined;
}

/** Counts a policy decision (tokens recorded and spent, calls of the ReAct level, repairs included). */
export function absorbReactCall(s: ReactState, record: CallRecord, spentTokens: number, answered: boolean): void {
  s.tokens += callTokens(record);
  s.spentTokens += spentTokens;
  s.level.calls += record.repairs.length + (answered ? 1 : 0);
  s.level.prompt += record.tokens.prompt;
  s.level.completion += record.tokens.completion;
}

/** What the env answered to a step, as the state keeps it. */
export interface ReactEnvAnswer {
  obsHash: string;
  won: boolean;
}

/**
 * Appends a taken step: its re-drive entry, its transcript turn (dropping the oldest turns past the
 * context budget), score, win and step count.
 */
export function absorbReactStep(
  s: ReactState,
  step: ReactStep,
  env: ReactEnvAnswer,
  config: Pick<EpisodeConfig, 'profile' | 'reactContextChars'>,
): void {
  s.log = appendRedriveSteps(s.log, [{ action: step.action, obsHash: env.obsHash }]);
  s.turns.push({
    ...(step.thought ? { thought: step.thought } : {}),
    action: step.action,
    observation: step.observation,
  });
  const drop = reactTurnsToDrop(
    reactPromptHeaderChars(s, config.profile),
    s.turns,
    config.profile,
    config.reactContextChars,
  );
  if (drop > 0) {
    s.turns.splice(0, drop);
    s.droppedTurns += drop;
  }
  s.stepIndex = step.stepIndex + 1;
  s.score = step.score;
  s.won = env.won;
}

/** Characters of the prompt's header for this episode. */
function reactPromptHeaderChars(s: Pick<ReactState, 'task' | 'initialObservation'>, profile: PromptProfile): number {
  return reactHeaderChars(s.task, s.initialObservation, profile);
}

/** The step records of the current run and their JSON bytes: what closes the run. */
export interface ReactRun {
  steps: ReactStep[];
  bytes: number;
}

/** A run with no step yet. */
export function newReactRun(): ReactRun {
  return { steps: [], bytes: 0 };
}

/** Adds a step record to the run, counting the bytes its closing payload will hold. */
export function recordRunStep(run: ReactRun, step: ReactStep): void {
  run.steps.push(step);
  run.bytes += reactStepBytes(step);
}

/** JSON bytes of one step record, as a run's closing payload will hold it. */
export function reactStepBytes(step: ReactStep): number {
  return JSON.stringify(step).length;
}

/**
 * The step a decision takes: the model's action and thought, or (no valid reply after the repairs)
 * an invalid step with action `None`, as the reference does.
 */
export function reactActionOf(output: PolicyOutput | undefined): Pick<ReactStep, 'action' | 'thought' | 'invalid'> {
  if (output?.role !== 'react') return { action: 'None', invalid: true };
  return { action: output.action, ...(output.thought ? { thought: output.thought } : {}), invalid: false };
}

/** The record of step `stepIndex`: what was decided, what the env answered, what the call cost. */
export function reactStepOf(
  stepIndex: number,
  decided: Pick<ReactStep, 'action' | 'thought' | 'invalid'>,
  record: CallRecord,
  result: Pick<EnvStepOutput, 'observation' | 'reward' | 'score' | 'done'>,
): ReactStep {
  return {
    stepIndex,
    ...decided,
    observation: result.observation.text,
    reward: result.reward,
    score: result.score,
    done: result.done,
    promptChars: record.promptChars,
    promptTokens: record.tokens.prompt,
    completionTokens: record.tokens.completion,
  };
}

/** What the live progress query answers while the episode runs or after it ended. */
export function reactProgressOf(s: ReactState | undefined, status: EpisodeStatus | undefined): EpisodeProgress {
  return {
    status: status ?? 'running',
    subtaskIndex: -1,
    stepIndex: s?.stepIndex ?? 0,
    score: s?.score ?? 0,
    tokens: s?.tokens ?? 0,
    redrives: s?.redrives ?? 0,
  };
}

/** The next run's input: the config as recorded, the state (one more run), this run's step records. */
export function reactContinueInput(config: EpisodeConfig, s: ReactState, run: ReactRun): ReactInput {
  return { config, state: { ...s, runs: s.runs + 1 }, previousRunSteps: run.steps };
}

/** The search attribute updates of a ReAct episode that ended with `status`: as a STEP-HRL episode's. */
export const reactEndUpdates: (
  s: ReactState | undefined,
  status: EpisodeStatus | 'failed',
) => SearchAttributeUpdatePair[] = episodeEndUpdates;

/**
 * Whether the run should hand over to a new one before its next step: Temporal's suggestion, the
 * config's event limit (less a step's worth of events), or the bytes of the steps it holds.
 */
export function reactShouldContinueAsNew(
  history: { continueAsNewSuggested: boolean; historyLength: number },
  runStepBytes: number,
  config: Pick<EpisodeConfig, 'historyEventLimit'>,
): boolean {
  return (
    history.continueAsNewSuggested ||
    history.historyLength + REACT_STEP_EVENT_MARGIN >= config.historyEventLimit ||
    runStepBytes >= REACT_RUN_STEPS_BYTE_BUDGET
  );
}

/**
 * The episode's result: `steps` holds this run's steps only (the earlier runs' close their runs;
 * see `readReactRecord`), `stepCount` every step of the episode.
 */
export function reactResultOf(
  episodeId: string,
  s: ReactState | undefined,
  runSteps: ReactStep[],
  end: { status: EpisodeStatus; error?: string },
): ReactResult {
  return {
    episodeId,
    status: end.status,
    task: s?.task ?? '',
    score: s?.score ?? 0,
    won: s?.won ?? false,
    steps: runSteps,
    stepCount: s?.stepIndex ?? 0,
    tokens: s?.tokens ?? 0,
    spentTokens: s?.spentTokens ?? 0,
    tokensByLevel: { react: s?.level ?? { calls: 0, prompt: 0, completion: 0 } },
    redrives: s?.redrives ?? 0,
    ...(s?.envHosts?.length && { envHosts: s.envHosts }),
    envVersions: s?.envVersions ?? {},
    runs: s?.runs ?? 1,
    ...(s && s.droppedTurns > 0 && { droppedTurns: s.droppedTurns }),
    error: end.error,
  };
}
