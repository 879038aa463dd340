/**
 * Full-history ReAct baseline on the same activities and envs: each call sees the whole transcript,
 * so its prompt grows with every step. Used to measure what STEP-HRL's bounded prompts save.
 */
import { workflowInfo } from '@temporalio/workflow';
import { withDefaults, type EpisodeConfig } from '../agent/config';
import { formatObservation } from '../agent/prompts';
import { buildReactCall, type ReactTurn } from '../agent/prompts/react';
import type { EnvSpec } from '../envs/text-env';
import { callTokens } from '../agent/record-tokens';
import { decide } from './policy-call';
import { onPinnedWorker, type PinnedEnv } from './pinned-env';
import { acquireEnvQueue } from './proxies';

/** One ReAct step's record. */
export interface ReactStep {
  stepIndex: number;
  action: string;
  invalid: boolean;
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
  score: number;
  won: boolean;
  steps: ReactStep[];
  tokens: number;
  /** Tokens actually spent (response-cache hits cost none). */
  spentTokens: number;
}

/** Runs the ReAct baseline for one episode (no continue-as-new: its history is the point). */
export async function reactWorkflow(input: {
  config: Partial<EpisodeConfig> & { spec: EnvSpec };
}): Promise<ReactResult> {
  const config = withDefaults(input.config);
  const episodeId = workflowInfo().workflowId;
  const envQueue = await acquireEnvQueue();
  // A busy env worker is waited for (liveness ping); the baseline has no re-drive, so a dead one fails it.
  const onEnv = <T>(call: (env: PinnedEnv) => Promise<T>): Promise<T> => onPinnedWorker(envQueue, config, call);
  const reset = await onEnv((env) => env.envReset({ episodeId, spec: config.spec }));
  const initial = formatObservation(config.spec.env, reset.observation);
  const turns: ReactTurn[] = [];
  const steps: ReactStep[] = [];
  let score = reset.score;
  let won = false;
  let tokens = 0;
  let spentTokens = 0;
  for (let stepIndex = 0; stepIndex < config.maxSteps; stepIndex++) {
    const call = buildReactCall(reset.taskDescription, initial, turns, config.profile, config.decoding.react);
    const decision = await decide(call, config.repairAttempts, config.llmOutageBudgetSeconds);
    tokens += callTokens(decision.record);
    spentTokens += decision.spentTokens;
    const action = decision.output?.role === 'react' ? decision.output.action : 'None';
    const result = await onEnv((env) => env.envStep({ episodeId, stepIndex, action }));
    const observation = formatObservation(config.spec.env, result.observation);
    turns.push({ action, observation });
    steps.push({
      stepIndex,
      action,
      invalid: decision.output === undefined,
      observation,
      reward: result.reward,
      score: result.score,
      done: result.done,
      promptChars: decision.record.promptChars,
      promptTokens: decision.record.tokens.prompt,
      completionTokens: decision.record.tokens.completion,
    });
    score = result.score;
    won = result.won;
    if (result.done) break;
  }
  await onEnv((env) => env.envClose({ episodeId })).catch(() => undefined);
  return { episodeId, score, won, steps, tokens, spentTokens };
}
