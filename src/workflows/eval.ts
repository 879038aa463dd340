/**
 * An evaluation as one durable workflow: starts one episode workflow (STEP-HRL or ReAct) per
 * planned episode as a child, at most `concurrency` at a time, and records each outcome. It
 * continues as new after `episodesPerRun` episodes (draining the running ones first, so no child
 * outlives the run that started it), carrying only the outcomes: evals of thousands of episodes
 * stay far under Temporal's history limits. A finished episode is never started again.
 */
import {
  ChildWorkflowFailure,
  continueAsNew,
  executeChild,
  getExternalWorkflowHandle,
  setHandler,
  workflowInfo,
  defineQuery,
} from '@temporalio/workflow';
import type { EpisodeConfig } from '../agent/config';
import { evalProgressOf, evalResultsOf, outcomeOfFailure, outcomeOfResult, type SlimOutcome } from '../eval/outcome';
import type { AgentKind, EvalPlanEpisode, EvalResults } from '../eval/types';
import type { EnvSpec } from '../envs/text-env';
import { episodeWorkflow, type EpisodeInput } from './episode';
import { cancelSignal } from './messages';
import { reactWorkflow } from './react';
import { childAttributesEnabled, recordEndAttributes } from './outcome-attributes';
import { EVAL_SEARCH_ATTRIBUTES } from './patches';
import { episodeStartAttributes, episodeStartFacts, StepHrlStatus, SUMMARY_MEMO } from '../search-attributes';

/** Episodes finished per workflow run before the eval continues as new. */
export const DEFAULT_EPISODES_PER_RUN = 200;

/** Input of {@link evalWorkflow}: the plan, how to play it, and (after continue-as-new) the outcomes so far. */
export interface EvalInput {
  agent: AgentKind;
  /** Preset name or a description of the selection. */
  selection: string;
  env: EnvSpec['env'];
  split?: string;
  /** Model id(s) of the policy, for the results' caption. */
  model?: string;
  /** Episode configuration shared by every episode (each gets its own spec). */
  config: Partial<Omit<EpisodeConfig, 'spec'>>;
  episodes: EvalPlanEpisode[];
  /** Episodes running at once. */
  concurrency: number;
  /** Episodes finished per run before continue-as-new. @default DEFAULT_EPISODES_PER_RUN */
  episodesPerRun?: number;
  /** Set only by continue-as-new. */
  state?: EvalState;
}

/** What an eval carries over continue-as-new. */
export interface EvalState {
  outcomes: SlimOutcome[];
  /** Workflow runs so far. */
  runs: number;
}

/** Live view of an evaluation. */
export interface EvalProgress {
  status: 'running' | 'completed' | 'cancelled';
  total: number;
  done: number;
  /** Ids of the episodes running now. */
  running: string[];
  won: number;
  /** Episodes whose workflow failed (their error is in the outcome). */
  failed: number;
  /** Sum of max(0, score) over finished episodes (the paper's ScienceWorld metric's numerator). */
  scoreSum: number;
  /** Recorded tokens of finished episodes. */
  tokens: number;
  /** Tokens actually spent by finished episodes (0 for cache hits). */
  spentTokens: number;
  runs: number;
}

/** Result of {@link evalWorkflow}. */
export interface EvalWorkflowResult extends EvalResults {
  cancelled: boolean;
  runs: number;
}

/** Eval live progress. */
export const evalProgressQuery = defineQuery<EvalProgress>('evalProgress');
/** Outcomes recorded so far (this run's and the carried ones). */
export const evalOutcomesQuery = defineQuery<SlimOutcome[]>('evalOutcomes');

/** Workflow id of episode `index` of eval `evalId`: deterministic, so a resumed eval finds its episodes. */
export function evalEpisodeId(evalId: string, index: number): string {
  return `${evalId}/ep-${String(index).padStart(4, '0')}`;
}

/** Runs an evaluation (see the module comment). */
export async function evalWorkflow(input: EvalInput): Promise<EvalWorkflowResult> {
  const evalId = workflowInfo().workflowId;
  const outcomes: SlimOutcome[] = [...(input.state?.outcomes ?? [])];
  const runs = (input.state?.runs ?? 0) + 1;
  const finished = new Set(outcomes.map((o) => o.index));
  const queue = input.episodes.map((_, index) => index).filter((index) => !finished.has(index));
  const running = new Set<string>();
  const perRun = Math.max(1, input.episodesPerRun ?? DEFAULT_EPISODES_PER_RUN);
  let finishedThisRun = 0;
  let cancelled = false;

  setHandler(evalProgressQuery, () => evalProgressOf(input.episodes.length, outcomes, [...running], runs, cancelled));
  setHandler(evalOutcomesQuery, () => outcomes);
  setHandler(cancelSignal, (reason?: string) => {
    cancelled = true;
    for (const id of running)
      void getExternalWorkflowHandle(id)
        .signal(cancelSignal, reason)
        .catch(() => undefined);
  });

  // Episodes of an eval started with step-hrl's search attributes carry theirs (see docs/search-attributes.md).
  const withAttributes = childAttributesEnabled(EVAL_SEARCH_ATTRIBUTES);
  const childOptions = (config: EpisodeInput['config']) => {
    if (!withAttributes) return {};
    const context = { agent: input.agent, model: input.model, evalId };
    return {
      typedSearchAttributes: episodeStartAttributes(config, context),
      memo: { [SUMMARY_MEMO]: episodeStartFacts(config, context) },
    };
  };

  const stopLaunching = (): boolean => cancelled || finishedThisRun >= perRun || workflowInfo().continueAsNewSuggested;

  const playOne = async (index: number): Promise<void> => {
    const workflowId = evalEpisodeId(evalId, index);
    const config = { ...input.config, spec: input.episodes[index]!.spec };
    running.add(workflowId);
    try {
      const result =
        input.agent === 'react'
          ? await executeChild(reactWorkflow, { workflowId, args: [{ config }], ...childOptions(config) })
          : await executeChild(episodeWorkflow, { workflowId, args: [{ config }], ...childOptions(config) });
      outcomes.push(outcomeOfResult(index, result));
    } catch (err) {
      if (!(err instanceof ChildWorkflowFailure)) throw err;
      outcomes.push(outcomeOfFailure(index, workflowId, err.cause?.message ?? err.message));
    } finally {
      running.delete(workflowId);
      finishedThisRun += 1;
    }
  };

  // `concurrency` lanes take the next planned episode until the queue is empty or the run is full.
  const lane = async (): Promise<void> => {
    while (queue.length > 0 && !stopLaunching()) await playOne(queue.shift()!);
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, input.concurrency) }, lane));
  } catch (err) {
    recordEndAttributes(EVAL_SEARCH_ATTRIBUTES, [{ key: StepHrlStatus, value: 'failed' }]);
    throw err;
  }

  if (queue.length > 0 && !cancelled) {
    await continueAsNew<typeof evalWorkflow>({ ...input, state: { outcomes, runs } });
  }
  recordEndAttributes(EVAL_SEARCH_ATTRIBUTES, [{ key: StepHrlStatus, value: cancelled ? 'cancelled' : 'finished' }]);
  return {
    ...evalResultsOf(evalId, input, outcomes),
    cancelled,
    runs,
  };
}
