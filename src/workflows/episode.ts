/**
 * High level of STEP-HRL: one workflow per episode. Loop: proposeSubtask (high-level policy) →
 * executeChild(subtaskWorkflow) → append → repeat, until the env ends or a budget is spent.
 * State carried across continue-as-new is bounded by the subtasks issued and the re-drive log.
 */
import {
  ApplicationFailure,
  ActivityFailure,
  CancellationScope,
  ContinueAsNew,
  continueAsNew,
  executeChild,
  getExternalWorkflowHandle,
  isCancellation,
  patched,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { EnvResetOutput, RecordedStep } from '../activities/types';
import { ENV_DIVERGENCE } from '../activities/types';
import { configProblems, promptOptionsOf, recordedConfig, type EpisodeConfig } from '../agent/config';
import { buildPolicyCall, formatObservation, type ObservationContext } from '../agent/prompts';
import type { EpisodeStatus } from '../agent/records';
import type { EnvSpec, Observation } from '../envs/text-env';
import { cancelSignal, episodeProgressQuery, type EpisodeProgress } from './messages';
import { callTokens } from '../agent/record-tokens';
import { addCall, type LevelTokenTotals } from '../eval/level-tokens';
import { decideOrStop, isLlmStop } from './llm-failure';
import {
  CANCEL_BEFORE_SUBTASK,
  CLOSE_ENV_ON_FAILURE,
  EPISODE_OUTCOME_ATTRIBUTES,
  HONOUR_TEMPORAL_CANCEL,
  REACQUIRE_LOST_SESSION,
} from './patches';
import { recordEndAttributes } from './outcome-attributes';
import { episodeOutcomeUpdates, StepHrlStatus } from '../search-attributes';
import { onPinnedWorker } from './pinned-env';
import { acquireEnvQueue } from './proxies';
import { closeSession, openSessionUnlessCancelled } from './session';
import { isSessionLoss, subtaskWorkflow, type PendingDecision, type SubtaskOutcome } from './subtask';

/** Bounded state that survives continue-as-new. */
export interface EpisodeState {
  task: string;
  envQueue: string;
  subtasks: string[];
  lastProgress: string;
  observation: Observation;
  stepIndex: number;
  score: number;
  won: boolean;
  tokens: number;
  /** Tokens actually spent (response-cache hits cost none). */
  spentTokens: number;
  /** Actions + observation hashes of every step so far: what a re-drive replays. */
  log: RecordedStep[];
  resetObsHash: string;
  /** Number of workflow runs so far (continue-as-new count + 1). */
  runs: number;
  /** Re-drives so far (absent in states saved before this field existed). */
  redrives?: number;
  /** Env package versions reported at reset. */
  envVersions?: Record<string, string>;
  /** Recorded calls and tokens per level (absent in states saved before this field existed). */
  levels?: LevelTokenTotals;
  /**
   * Set by `resume` (see `src/resume.ts`): this run continues a failed or terminated one from its
   * recorded prefix, so it first re-drives a fresh env session through `log`.
   */
  needsRedrive?: boolean;
  /** The prefix ended with the env done (the old run stopped before closing). */
  envDone?: boolean;
  /** 0 for the episode's first run chain, +1 per resume. */
  generation?: number;
  /**
   * The run this one was resumed from and how many subtasks of it form the prefix of the record;
   * `episodeId` is set when that run belongs to another episode (a fork's parent).
   */
  resumedFrom?: { runId: string; subtasks: number; episodeId?: string };
}

/** The episode run a fork continues from (`step-hrl fork`): its state before subtask `fromSubtask`. */
export interface ForkOf {
  episodeId: string;
  /** The parent's latest run when the fork was made (its record is read from there). */
  runId: string;
  /** 1-based, as `show` numbers subtasks: the fork re-decides this subtask and keeps the ones before. */
  fromSubtask: number;
}

/** Input of {@link episodeWorkflow}. */
export interface EpisodeInput {
  config: Partial<EpisodeConfig> & { spec: EnvSpec };
  /** Set only by continue-as-new, `resume` and `fork`. */
  state?: EpisodeState;
  /** Set by `fork`: the episode this one branched from (read by the record, not by the workflow). */
  forkOf?: ForkOf;
}

/** Final record of an episode (transitions live in the subtask workflows' results). */
export interface EpisodeResult {
  episodeId: string;
  status: EpisodeStatus;
  task: string;
  subtasks: string[];
  steps: number;
  score: number;
  won: boolean;
  /** Tokens of every recorded call (what the decisions cost when they were made). */
  tokens: number;
  /** Tokens this execution actually spent: 0 for a re-run served from the response cache. */
  spentTokens: number;
  /**
   * Recorded calls and tokens per level (high, low, progress). Counted from this episode's runs;
   * a run resumed from a prefix counts only from the prefix on.
   */
  tokensByLevel: LevelTokenTotals;
  runs: number;
  redrives: number;
  /** Versions of the env packages the episode ran on (e.g. scienceworld, alfworld, textworld). */
  envVersions: Record<string, string>;
  error?: string;
  /** Set on a fork: its first subtasks are the parent's recorded prefix. */
  forkOf?: ForkOf;
}

/** The state of an episode right after its env reset (on `envQueue`): nothing done yet. */
export function initialState(reset: EnvResetOutput, envQueue: string): EpisodeState {
  return {
    task: reset.taskDescription,
    envQueue,
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

/** Patch id of the re-drive that starts a run resumed from a recorded prefix. */
export const RESUME_PATCH = 'resume-from-prefix';

/** Deterministic id of the child running part `part` of subtask `index`. */
export function subtaskWorkflowId(episodeId: string, index: number, part: number): string {
  return `${episodeId}/subtask-${index}.${part}`;
}

/**
 * Runs one STEP-HRL episode. Cancellation, by our `cancel` signal or by Temporal (UI, CLI,
 * `handle.cancel()`), ends it as `cancelled` at the next decision point with its record kept; the
 * env session is closed on every way out, failure included.
 */
export async function episodeWorkflow(input: EpisodeInput): Promise<EpisodeResult> {
  const config = recordedConfig(input.config);
  const problems = configProblems(config);
  if (problems.length > 0) {
    recordEndAttributes(EPISODE_OUTCOME_ATTRIBUTES, [{ key: StepHrlStatus, value: 'failed' }]);
    throw ApplicationFailure.create({
      type: 'InvalidEpisodeConfig',
      nonRetryable: true,
      message: `invalid episode config: ${problems.join('; ')}`,
    });
  }
  const episodeId = workflowInfo().workflowId;
  let status: EpisodeStatus | undefined;
  let cancelReason: string | undefined;
  let currentChild: string | undefined;
  let redrives = input.state?.redrives ?? 0;
  let error: string | undefined;

  // Handlers are registered before the first await so no early message is lost.
  const progress = (): EpisodeProgress => ({
    status: status ?? 'running',
    subtaskIndex: state ? state.subtasks.length - 1 : -1,
    subtask: state?.subtasks.at(-1),
    subtaskWorkflowId: currentChild,
    stepIndex: state?.stepIndex ?? 0,
    score: state?.score ?? 0,
    tokens: state?.tokens ?? 0,
  });
  let state: EpisodeState | undefined = input.state;
  setHandler(episodeProgressQuery, progress);
  setHandler(cancelSignal, (reason?: string) => {
    cancelReason = reason ?? 'cancelled';
    if (currentChild)
      void getExternalWorkflowHandle(currentChild)
        .signal(cancelSignal, reason)
        .catch(() => undefined);
  });

  if (!state) {
    const opened = await openSessionUnlessCancelled(episodeId, config);
    if (!opened) {
      recordEndAttributes(
        EPISODE_OUTCOME_ATTRIBUTES,
        episodeOutcomeUpdates({ status: 'cancelled', won: false, score: 0, steps: 0, tokens: 0 }),
      );
      return cancelledBeforeReset(episodeId, input);
    }
    state = initialState(opened.reset, opened.envQueue);
  }
  const s = state;

  /**
   * Re-drives a fresh session on a newly acquired worker through the recorded prefix; a worker that
   * dies during the re-drive costs one more. Sets `status`/`error` when it gives up. The first
   * re-drive of a resumed run is not held against `maxRedrives`: the user asked for it.
   */
  const redriveSession = async (firstIsFree = false): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      if (redrives >= config.maxRedrives && !(firstIsFree && attempt === 0)) {
        // A session lost again and again (flapping env server) must not loop forever.
        status = 'env-error';
        error = `env session lost ${redrives + 1} times; gave up after ${config.maxRedrives} re-drives (maxRedrives)`;
        break;
      }
      try {
        s.envQueue = await acquireEnvQueue();
        await onPinnedWorker(s.envQueue, config, (env) =>
          env.envRedrive({
            episodeId,
            spec: config.spec,
            steps: s.log,
            resetObsHash: s.resetObsHash,
          }),
        );
        redrives += 1;
        break;
      } catch (err) {
        if (isDivergence(err)) {
          status = 'env-error';
          error = (err as ActivityFailure).cause?.message ?? String(err);
          break;
        }
        if (isSessionLoss(err) && patched(REACQUIRE_LOST_SESSION)) {
          redrives += 1;
          continue;
        }
        throw err;
      }
    }
  };

  try {
    if (s.needsRedrive && patched(RESUME_PATCH)) {
      // Resumed from a failed or terminated run: a fresh session must reach the recorded prefix first.
      await redriveSession(true);
      s.needsRedrive = false;
      if (!status && s.envDone) status = 'env-done';
    }
    while (!status) {
      if (cancelReason) status = 'cancelled';
      else if (s.stepIndex >= config.maxSteps) status = 'step-budget';
      else if (config.maxSubtasks > 0 && s.subtasks.length >= config.maxSubtasks) status = 'subtask-budget';
      else if (config.maxTokens > 0 && s.tokens >= config.maxTokens) status = 'token-budget';
      if (status) break;

      const high = await decideOrStop(
        buildPolicyCall(
          {
            role: 'high',
            input: {
              task: s.task,
              subtasks: s.subtasks,
              lastProgress: s.lastProgress,
              // A subtask starts here: the whole observation (the reset one as the reference shows it).
              observation: formatObservation(config.spec.env, s.observation, {
                format: config.obs,
                initial: s.stepIndex === 0,
              }),
            },
          },
          config.profile,
          config.decoding.high,
          promptOptionsOf(config),
        ),
        config,
      );
      if (isLlmStop(high)) {
        [status, error] = ['llm-error', high.llmError];
        break;
      }
      s.tokens += callTokens(high.record);
      s.spentTokens += high.spentTokens;
      s.levels = addCall(s.levels ?? {}, 'high', high.record);
      if ((cancelReason || CancellationScope.current().consideredCancelled) && patched(CANCEL_BEFORE_SUBTASK)) {
        status = 'cancelled'; // asked to stop (signal or Temporal) while the high level decided: start no new subtask
        break;
      }
      // The reference uses whatever the high level wrote; an empty reply becomes "None".
      const subtask = high.output?.role === 'high' ? high.output.subtask : high.lastReply.trim() || 'None';
      const index = s.subtasks.length;
      const completedSubtasks = [...s.subtasks];
      s.subtasks.push(subtask); // appended before execution, as in the reference

      let outcome: SubtaskOutcome | undefined;
      let progressNow = 'None';
      let stepsInSubtask = 0;
      let pending: PendingDecision | undefined;
      let previous: ObservationContext | undefined;
      for (let part = 0; ; part++) {
        currentChild = subtaskWorkflowId(episodeId, index, part);
        outcome = await executeChild(subtaskWorkflow, {
          workflowId: currentChild,
          args: [
            {
              episodeId,
              config,
              envQueue: s.envQueue,
              task: s.task,
              subtaskIndex: index,
              subtask,
              completedSubtasks,
              progress: progressNow,
              observation: s.observation,
              stepIndex: s.stepIndex,
              stepsInSubtask,
              tokensBefore: s.tokens,
              score: s.score,
              pending,
              // The record of the decision that issued the subtask (read back as its high-level transition).
              ...(part === 0 && { highCall: high.record }),
              ...(previous !== undefined && { previous }),
            },
          ],
        });
        absorb(s, outcome);
        progressNow = outcome.finalProgress;
        stepsInSubtask = outcome.stepsInSubtask;
        pending = outcome.pending;
        previous = outcome.previous;
        if (outcome.status === 'part-limit') continue; // a long subtask goes on in its next part
        if (outcome.status !== 'session-lost') break;
        await redriveSession();
        if (status) break;
      }
      currentChild = undefined;
      s.lastProgress = outcome.finalProgress;
      if (status) break;
      if (outcome.envDone) status = 'env-done';
      else if (outcome.status === 'cancelled') status = 'cancelled';
      else if (outcome.status === 'token-budget') status = 'token-budget';
      else if (outcome.status === 'llm-error') [status, error] = ['llm-error', outcome.error];

      const info = workflowInfo();
      if (!status && !cancelReason && (info.continueAsNewSuggested || info.historyLength >= config.historyEventLimit)) {
        // Nothing after continueAsNew runs: the next run starts from `state` alone.
        await continueAsNew<typeof episodeWorkflow>({
          config,
          state: { ...s, runs: s.runs + 1, redrives },
          ...(input.forkOf && { forkOf: input.forkOf }),
        });
      }
    }
  } catch (err) {
    if (isCancellation(err) && patched(HONOUR_TEMPORAL_CANCEL)) {
      status = 'cancelled'; // Temporal's cancellation: the record so far is the episode's record
    } else {
      if (!(err instanceof ContinueAsNew)) {
        if (patched(CLOSE_ENV_ON_FAILURE)) await closeSession(episodeId, s.envQueue, config);
        recordEndAttributes(
          EPISODE_OUTCOME_ATTRIBUTES,
          episodeOutcomeUpdates({ status: 'failed', won: s.won, score: s.score, steps: s.stepIndex, tokens: s.tokens }),
        );
      }
      throw err;
    }
  }

  await closeSession(episodeId, s.envQueue, config);
  recordEndAttributes(
    EPISODE_OUTCOME_ATTRIBUTES,
    episodeOutcomeUpdates({ status: status!, won: s.won, score: s.score, steps: s.stepIndex, tokens: s.tokens }),
  );
  return {
    episodeId,
    status: status!,
    task: s.task,
    subtasks: s.subtasks,
    steps: s.stepIndex,
    score: s.score,
    won: s.won,
    tokens: s.tokens,
    spentTokens: s.spentTokens,
    tokensByLevel: s.levels ?? {},
    runs: s.runs,
    redrives,
    envVersions: s.envVersions ?? {},
    error,
    ...(input.forkOf && { forkOf: input.forkOf }),
  };
}

function absorb(s: EpisodeState, outcome: SubtaskOutcome): void {
  s.log.push(...outcome.steps);
  s.observation = outcome.observation;
  s.stepIndex = outcome.stepIndex;
  s.score = outcome.score;
  s.won = s.won || outcome.won;
  s.tokens += outcome.tokens;
  s.spentTokens += outcome.spentTokens ?? 0; // absent in outcomes recorded before this field existed
  for (const t of outcome.transitions) {
    s.levels = addCall(s.levels ?? {}, 'low', t.low);
    s.levels = addCall(s.levels, 'progress', t.progress);
  }
}

/** The result of an episode cancelled before its env session was open: no step, no call. */
function cancelledBeforeReset(episodeId: string, input: EpisodeInput): EpisodeResult {
  return {
    episodeId,
    status: 'cancelled',
    task: '',
    subtasks: [],
    steps: 0,
    score: 0,
    won: false,
    tokens: 0,
    spentTokens: 0,
    tokensByLevel: {},
    runs: 1,
    redrives: 0,
    envVersions: {},
    ...(input.forkOf && { forkOf: input.forkOf }),
  };
}

/** The re-drive found the env answering differently from the record (the session cannot be rebuilt). */
export function isDivergence(err: unknown): boolean {
  return err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === ENV_DIVERGENCE;
}
