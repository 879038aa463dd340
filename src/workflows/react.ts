/**
 * Full-history ReAct baseline on the same activities and envs: each call sees the whole transcript,
 * so its prompt grows with every step. Used to measure what STEP-HRL's bounded prompts save.
 * Durable like the STEP-HRL episode: cancel (signal or Temporal) ends it `cancelled` with its
 * record, a lost env session is re-driven through the recorded steps on a fresh one, a model that
 * cannot answer ends it `llm-error`, and the env session is closed on every way out.
 */
import { CancellationScope, isCancellation, setHandler, workflowInfo } from '@temporalio/workflow';
import type { RecordedStep } from '../activities/types';
import { withDefaults } from '../agent/config';
import { buildReactCall, reactInitialObservation, type ReactTurn } from '../agent/prompts/react';
import type { EpisodeStatus } from '../agent/records';
import { callTokens } from '../agent/record-tokens';
import type { LevelTokens } from '../episode/eval-types';
import { cancelSignal, episodeProgressQuery, reactStepsQuery } from '../episode/messages';
import type { EpisodeProgress, ReactInput, ReactResult, ReactStep } from '../episode/records';
import { episodeOutcomeUpdates } from '../episode/search-attributes';
import { decideOrStop, isLlmStop } from './llm-failure';
import { recordEndAttributes } from './outcome-attributes';
import { onPinnedWorker, type PinnedEnv } from './pinned-env';
import { closeSession, isSessionLoss, openSessionUnlessCancelled, redriveSession } from './session';

export type { ReactResult, ReactStep } from '../episode/records';
export { reactStepsQuery } from '../episode/messages';

/** Runs the ReAct baseline for one episode (no continue-as-new: its history is the point). */
export async function reactWorkflow(input: ReactInput): Promise<ReactResult> {
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

  const opened = await openSessionUnlessCancelled(episodeId, config);
  if (!opened) {
    recordEndAttributes(episodeOutcomeUpdates({ status: 'cancelled', won, score, steps: 0, tokens }));
    return reactResultOf('cancelled', '', {});
  }
  const { reset } = opened;
  let envQueue = opened.envQueue;
  const onEnv = <T>(call: (env: PinnedEnv) => Promise<T>): Promise<T> => onPinnedWorker(envQueue, config, call);
  score = reset.score;
  const initial = reactInitialObservation(reset.observation.text, reset.taskDescription);
  const turns: ReactTurn[] = [];

  /** A fresh session on a newly acquired worker, driven through `log`; sets `status` when it gives up. */
  const redrive = async (): Promise<void> => {
    const outcome = await redriveSession(episodeId, config, { log, resetObsHash: reset.obsHash }, { redrives });
    redrives = outcome.redrives;
    if (outcome.envQueue) envQueue = outcome.envQueue;
    else [status, error] = ['env-error', outcome.error];
  };

  try {
    for (let stepIndex = 0; ; stepIndex++) {
      if (cancelReason || CancellationScope.current().consideredCancelled) status = 'cancelled';
      else if (stepIndex >= config.maxSteps) status = 'step-budget';
      else if (config.maxTokens > 0 && tokens >= config.maxTokens) status = 'token-budget';
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
      if (cancelReason || CancellationScope.current().consideredCancelled) {
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
          if (!isSessionLoss(err)) throw err;
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
    if (isCancellation(err)) {
      status = 'cancelled'; // Temporal's cancellation: the record so far is the episode's record
    } else {
      await closeSession(episodeId, envQueue, config);
      recordEndAttributes(episodeOutcomeUpdates({ status: 'failed', won, score, steps: steps.length, tokens }));
      throw err;
    }
  }

  await closeSession(episodeId, envQueue, config);
  recordEndAttributes(episodeOutcomeUpdates({ status: status!, won, score, steps: steps.length, tokens }));
  return reactResultOf(status!, reset.taskDescription, reset.versions ?? {});

  function reactResultOf(end: EpisodeStatus, task: string, envVersions: Record<string, string>): ReactResult {
    return {
      episodeId,
      status: end,
      task,
      score,
      won,
      steps,
      stepCount: steps.length,
      tokens,
      spentTokens,
      tokensByLevel: { react: level },
      redrives,
      envVersions,
      error,
    };
  }
}
