/**
 * The STEP-HRL episode's state transitions: the state after reset, absorbing a subtask's outcome or
 * a high-level call, the budget checks before each subtask, what ends the episode after a subtask,
 * when to continue as new, and the episode's result. Pure, so they are unit-tested without a
 * Temporal server and the workflow only orchestrates.
 */
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { EnvResetOutput } from '../activities/types';
import type { EpisodeConfig } from '../agent/config';
import type { CallRecord, EpisodeStatus } from '../agent/records';
import { callTokens } from '../agent/record-tokens';
import type { Decision } from './call-record';
import type { LevelTokens } from './eval-types';
import { addCall, type LevelTokenTotals } from './level-tokens';
import { appendRedriveSteps } from './redrive-log';
import type {
  EpisodeInput,
  EpisodeProgress,
  EpisodeResult,
  EpisodeState,
  SubtaskOutcome,
  SubtaskPartResult,
} from './records';
import { episodeOutcomeUpdates } from './search-attributes';

/** The state of an episode right after its env reset (on `envQueue`, a worker of `host`): nothing done yet. */
export function initialState(reset: EnvResetOutput, envQueue: string, host?: string): EpisodeState {
  return {
    task: reset.taskDescription,
    envQueue,
    ...(host !== undefined && { envHosts: [host] }),
    subtasks: [],
    lastProgress: 'None',
    observation: reset.observation,
    stepIndex: 0,
    score: reset.score,
    won: false,
    tokens: 0,
    spentTokens: 0,
    log: [],
    resetObsHash: reset.obsHash,
    runs: 1,
    envVersions: reset.versions,
    levels: {},
  };
}

/** The budget that stops the episode before its next subtask, if one is spent. */
export function budgetStatus(
  s: Pick<EpisodeState, 'stepIndex' | 'subtasks' | 'tokens'>,
  config: Pick<EpisodeConfig, 'maxSteps' | 'maxSubtasks' | 'maxTokens'>,
): EpisodeStatus | undefined {
  if (s.stepIndex >= config.maxSteps) return 'step-budget';
  if (config.maxSubtasks > 0 && s.subtasks.length >= config.maxSubtasks) return 'subtask-budget';
  if (config.maxTokens > 0 && s.tokens >= config.maxTokens) return 'token-budget';
  return undefined;
}

/** Counts a high-level call (tokens recorded and spent, calls per level). */
export function absorbHighCall(s: EpisodeState, record: CallRecord, spentTokens: number): void {
  s.tokens += callTokens(record);
  s.spentTokens += spentTokens;
  s.levels = addCall(s.levels ?? {}, 'high', record);
}

/**
 * Appends a subtask part's steps and counts to the state (a result recorded before 0.2.0's slim
 * results counts its calls from its transitions).
 */
export function absorbSubtask(s: EpisodeState, outcome: SubtaskPartResult | SubtaskOutcome): void {
  s.log = appendRedriveSteps(s.log, outcome.steps);
  s.observation = outcome.observation;
  s.stepIndex = outcome.stepIndex;
  s.score = outcome.score;
  s.won = s.won || outcome.won;
  s.tokens += outcome.tokens;
  s.spentTokens += outcome.spentTokens ?? 0; // absent in outcomes recorded before this field existed
  if ('levels' in outcome) {
    s.levels = addLevels(s.levels ?? {}, outcome.levels);
    return;
  }
  for (const t of outcome.transitions) {
    s.levels = addCall(s.levels ?? {}, 'low', t.low);
    s.levels = addCall(s.levels, 'progress', t.progress);
  }
}

/** `a` plus `b`, level by level (a new object). */
function addLevels(a: LevelTokenTotals, b: LevelTokenTotals): LevelTokenTotals {
  const out: LevelTokenTotals = { ...a };
  for (const [level, t] of Object.entries(b) as [keyof LevelTokenTotals, LevelTokens][]) {
    const before = out[level] ?? { calls: 0, prompt: 0, completion: 0 };
    out[level] = {
      calls: before.calls + t.calls,
      prompt: before.prompt + t.prompt,
      completion: before.completion + t.completion,
    };
  }
  return out;
}

/** What a finished subtask means for the episode: the status it ends with, if any. */
export function statusAfterSubtask(outcome: Pick<SubtaskPartResult, 'envDone' | 'status'> & { error?: string }): {
  status?: EpisodeStatus;
  error?: string;
} {
  if (outcome.envDone) return { status: 'env-done' };
  if (outcome.status === 'cancelled') return { status: 'cancelled' };
  if (outcome.status === 'token-budget') return { status: 'token-budget' };
  if (outcome.status === 'llm-error') return { status: 'llm-error', error: outcome.error };
  return {};
}

/** The subtask a high-level decision issues: the reference uses whatever the high level wrote; an empty reply is "None". */
export function subtaskTextOf(high: Pick<Decision, 'output' | 'lastReply'>): string {
  return high.output?.role === 'high' ? high.output.subtask : high.lastReply.trim() || 'None';
}

/** What the progress query answers: the state so far (none before the reset) and the running subtask's child. */
export function episodeProgressOf(
  s: EpisodeState | undefined,
  status: EpisodeStatus | undefined,
  subtaskWorkflowId: string | undefined,
  redrives = 0,
): EpisodeProgress {
  return {
    status: status ?? 'running',
    subtaskIndex: s ? s.subtasks.length - 1 : -1,
    subtask: s?.subtasks.at(-1),
    subtaskWorkflowId,
    stepIndex: s?.stepIndex ?? 0,
    score: s?.score ?? 0,
    tokens: s?.tokens ?? 0,
    redrives,
  };
}

/**
 * The search attribute updates of an episode that ended with `status` (`failed`: the workflow
 * failed), from its state (either agent kind's: the fields read are the same).
 */
export function episodeEndUpdates(
  s: Pick<EpisodeState, 'won' | 'score' | 'stepIndex' | 'tokens'> | undefined,
  status: EpisodeStatus | 'failed',
): SearchAttributeUpdatePair[] {
  return episodeOutcomeUpdates({
    status,
    won: s?.won ?? false,
    score: s?.score ?? 0,
    steps: s?.stepIndex ?? 0,
    tokens: s?.tokens ?? 0,
  });
}

/** The next run's input: the config as recorded, the state (one more run, the re-drives so far), the fork link. */
export function episodeContinueInput(
  config: EpisodeInput['config'],
  s: EpisodeState,
  redrives: number,
  forkOf?: EpisodeInput['forkOf'],
): EpisodeInput {
  return { config, state: { ...s, runs: s.runs + 1, redrives }, ...(forkOf && { forkOf }) };
}

/** Whether the run should hand over to a new one (Temporal's suggestion or the config's event limit). */
export function shouldContinueAsNew(
  history: { continueAsNewSuggested: boolean; historyLength: number },
  config: Pick<EpisodeConfig, 'historyEventLimit'>,
): boolean {
  return history.continueAsNewSuggested || history.historyLength >= config.historyEventLimit;
}

/** The episode's result from its final state. */
export function episodeResultOf(
  episodeId: string,
  s: EpisodeState,
  end: { status: EpisodeStatus; redrives: number; error?: string },
  forkOf?: EpisodeInput['forkOf'],
): EpisodeResult {
  return {
    episodeId,
    status: end.status,
    task: s.task,
    subtasks: s.subtasks,
    steps: s.stepIndex,
    score: s.score,
    won: s.won,
    tokens: s.tokens,
    spentTokens: s.spentTokens,
    tokensByLevel: s.levels ?? {},
    runs: s.runs,
    redrives: end.redrives,
    ...(s.envHosts?.length && { envHosts: s.envHosts }),
    envVersions: s.envVersions ?? {},
    error: end.error,
    ...(forkOf && { forkOf }),
  };
}

/** The result of an episode cancelled before its env session was open: no step, no call. */
export function cancelledBeforeReset(episodeId: string, forkOf?: EpisodeInput['forkOf']): EpisodeResult {
  const empty: EpisodeState = {
    task: '',
    envQueue: '',
    subtasks: [],
    lastProgress: 'None',
    observation: { text: '' },
    stepIndex: 0,
    score: 0,
    won: false,
    tokens: 0,
    spentTokens: 0,
    log: [],
    resetObsHash: '',
    runs: 1,
  };
  return episodeResultOf(episodeId, empty, { status: 'cancelled', redrives: 0 }, forkOf);
}
