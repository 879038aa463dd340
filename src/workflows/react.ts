/**
 * Full-history ReAct baseline on the same activities and envs: each call sees the whole transcript,
 * so its prompt grows with every step. Used to measure what STEP-HRL's bounded prompts save.
 * Durable like the STEP-HRL episode: cancel (signal or Temporal) ends it `cancelled` with its
 * record, a lost env session is re-driven through the recorded steps on a fresh one, a model that
 * cannot answer ends it `llm-error`, and the env session is closed on every way out.
 */
import {
  CancellationScope,
  defineQuery,
  isCancellation,
  patched,
  setHandler,
  workflowInfo,
  type ActivityFailure,
} from '@temporalio/workflow';
import type { RecordedStep } from '../activities/types';
import { withDefaults, type EpisodeConfig } from '../agent/config';
import { buildReactCall, reactInitialObservation, type ReactTurn } from '../agent/prompts/react';
import type { EpisodeStatus } from '../agent/records';
import type { EnvSpec } from '../envs/text-env';
import type { LevelTokens } from '../eval/types';
import { callTokens } from '../agent/record-tokens';
import { isDivergence } from './episode';
import { closeSession, openSession } from './session';
import { decideOrStop, isLlmStop } from './llm-failure';
import { cancelSignal, episodeProgressQuery, type EpisodeProgress } from './messages';
import {
  EPISODE_OUTCOME_ATTRIBUTES,
  REACT_CANCEL,
  REACT_CLOSE_ENV,
  REACT_REDRIVE,
  REACT_TOKEN_BUDGET,
} from './patches';
import { recordEndAttributes } from './outcome-attributes';
import { episodeOutcomeUpdates } from '../search-attributes';
import { onPinnedWorker, type PinnedEnv } from './pinned-env';
import { acquireEnvQueue } from './proxies';
import { isSessionLoss } from './subtask';

/** One ReAct step's record. */
export interface ReactStep {
  stepIndex: number;
  action: string;
  /** The model's reasoning before the action (chat profile), when it gave one. */
  thought?: string;
  invalid: boolean;
  /** The env's raw observation text after the action (what the next prompt shows). */
  observation: string;
  reward: number;
  score: number;
  done: boolean;
  promptChars: number;
  promptTokens: number;
  completionTokens: number;
}

/** Result of {@link reactWorkflow}. */
export interface ReactResult {
  episodeId: string;
  /** Why it ended (absent in results recorded before the workflow was made durable). */
  status: EpisodeStatus;
  task: string;
  score: number;
  won: boolean;
  steps: ReactStep[];
  /** Env steps taken (`steps.length`). */
  stepCount: number;
  tokens: number;
  /** Tokens actually spent (response-cache hits cost none). */
  spentTokens: number;
  /** Calls and tokens of the single ReAct level, as recorded (repairs included). */
  tokensByLevel: { react: LevelTokens };
  redrives: number;
  /** Versions of the env packages the episode ran on. */
  envVersions: Record<string, string>;
  error?: string;
}

/** Steps recorded so far by a running ReAct episode (for live views). */
export const reactStepsQuery = defineQuery<ReactStep[]>('reactSteps');

/** Runs the ReAct baseline for one episode (no continue-as-new: its history is the point). */
export async function reactWorkflow(input: {
  config: Partial<EpisodeConfig> & { spec: EnvSpec };
}): Promise<ReactResult> {
  const config = withDefaults(input.config);
  const episodeId = workflowInfo().workflowId;
  const steps: ReactStep[] = [];
  const log: RecordedStep[] = [];
  const level: LevelTokens = { calls: 0, prompt: 0, completion: 0 };
  let status: EpisodeStatus | undefined;
  let error: string | undefined;
  let cancelReason: string | undefined;
  let score = 0;
  let won = false;
  let tokens = 0;
  let spentTokens = 0;
  let redrives = 0;

  // Handlers before the first await, so no early message is lost.
  setHandler(cancelSignal, (reason?: string) => void (cancelReason = reason ?? 'cancelled'));
  setHandler(reactStepsQuery, () => steps);
  setHandler(episodeProgressQuery, (): EpisodeProgress => ({
    status: status ?? 'running',
    subtaskIndex: -1,
    stepIndex: steps.length,
    score,
    tokens,
  }));

  const { envQueue: firstQueue, reset } = await openSession(episodeId, config);
  let envQueue = firstQueue;
  const onEnv = <T>(call: (env: PinnedEnv) => Promise<T>): Promise<T> => onPinnedWorker(envQueue, config, call);
  score = reset.score;
  const initial = reactInitialObservation(reset.observation.text, reset.taskDescription);
  const turns: ReactTurn[] = [];

  /** A fresh session on a newly acquired worker, driven through `log`; sets `status` when it gives up. */
  const redrive = async (): Promise<void> => {
    for (;;) {
      if (redrives >= config.maxRedrives) {
        status = 'env-error';
        error = `env session lost ${redrives + 1} times; gave up after ${config.maxRedrives} re-drives (maxRedrives)`;
        return;
      }
      redrives += 1;
      try {
        envQueue = await acquireEnvQueue();
        await onEnv((env) => env.envRedrive({ episodeId, spec: config.spec, steps: log, resetObsHash: reset.obsHash }));
        return;
      } catch (err) {
        if (isDivergence(err)) {
          status = 'env-error';
          error = (err as ActivityFailure).cause?.message ?? String(err);
          return;
        }
        if (!isSessionLoss(err)) throw err; // lost again during the re-drive: one more try
      }
    }
  };

  try {
    for (let stepIndex = 0; ; stepIndex++) {
      if (cancelReason && patched(REACT_CANCEL)) status = 'cancelled';
      else if (stepIndex >= config.maxSteps) status = 'step-budget';
      else if (config.maxTokens > 0 && tokens >= config.maxTokens && patched(REACT_TOKEN_BUDGET))
        status = 'token-budget';
      if (status) break;

      const call = buildReactCall(reset.taskDescription, initial, turns, config.profile, config.decoding.react);
      const decision = await decideOrStop(call, config);
      if (isLlmStop(decision)) {
        [status, error] = ['llm-error', decision.llmError];
        break;
      }
      tokens += callTokens(decision.record);
      spentTokens += decision.spentTokens;
      level.calls += decision.record.repairs.length + (decision.output ? 1 : 0);
      level.prompt += decision.record.tokens.prompt;
      level.completion += decision.record.tokens.completion;
      if ((cancelReason || CancellationScope.current().consideredCancelled) && patched(REACT_CANCEL)) {
        status = 'cancelled'; // asked to stop while the model decided: take no further step
        break;
      }
      const output = decision.output?.role === 'react' ? decision.output : undefined;
      const action = output?.action ?? 'None';

      let result;
      while (!result && !status) {
        try {
          result = await onEnv((env) => env.envStep({ episodeId, stepIndex, action }));
        } catch (err) {
          // Histories before REACT_REDRIVE failed here.
          if (!isSessionLoss(err) || !patched(REACT_REDRIVE)) throw err;
          await redrive();
        }
      }
      if (!result) break;
      log.push({ action, obsHash: result.obsHash });
      turns.push({ thought: output?.thought, action, observation: result.observation.text });
      steps.push({
        stepIndex,
        action,
        ...(output?.thought ? { thought: output.thought } : {}),
        invalid: output === undefined,
        observation: result.observation.text,
        reward: result.reward,
        score: result.score,
        done: result.done,
        promptChars: decision.record.promptChars,
        promptTokens: decision.record.tokens.prompt,
        completionTokens: decision.record.tokens.completion,
      });
      score = result.score;
      won = result.won;
      if (result.done) {
        status = 'env-done';
        break;
      }
    }
  } catch (err) {
    if (isCancellation(err) && patched(REACT_CANCEL)) {
      status = 'cancelled'; // Temporal's cancellation: the record so far is the episode's record
    } else {
      if (patched(REACT_CLOSE_ENV)) await closeSession(episodeId, envQueue, config);
      recordEndAttributes(
        EPISODE_OUTCOME_ATTRIBUTES,
        episodeOutcomeUpdates({ status: 'failed', won, score, steps: steps.length, tokens }),
      );
      throw err;
    }
  }

  await closeSession(episodeId, envQueue, config);
  recordEndAttributes(
    EPISODE_OUTCOME_ATTRIBUTES,
    episodeOutcomeUpdates({ status: status!, won, score, steps: steps.length, tokens }),
  );
  return {
    episodeId,
    status: status!,
    task: reset.taskDescription,
    score,
    won,
    steps,
    stepCount: steps.length,
    tokens,
    spentTokens,
    tokensByLevel: { react: level },
    redrives,
    envVersions: reset.versions ?? {},
    error,
  };
}
