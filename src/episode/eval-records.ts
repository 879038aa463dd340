/**
 * The persisted records of an evaluation workflow: its input (frozen episode config, compact plan,
 * carried state) and its result (totals, not per-episode outcomes). Type-only plus pure readers, so
 * the EvalWorkflow, the CLI and the record readers share them without importing a workflow file.
 */
import type { EpisodeConfig } from '../agent/config';
import type { EnvSpec } from '../agent/vocabulary';
import { expandPlan, type EvalState, type EvalTotals, type PlanRun } from './eval-state';
import type { AgentKind, EvalPlanEpisode, EvalResults, SlimOutcome } from './eval-types';

/** The episode config an eval shares with every episode (each gets its own spec). */
export type SharedEpisodeConfig = Omit<EpisodeConfig, 'spec'>;

/** Input of the EvalWorkflow: the plan, how to play it, and (after continue-as-new) the state so far. */
export interface EvalInput {
  agent: AgentKind;
  /** Preset name or a description of the selection. */
  selection: string;
  env: EnvSpec['env'];
  split?: string;
  /** Model id(s) of the policy, for the results' caption. */
  model?: string;
  /**
   * Episode configuration shared by every episode, complete (`resolveSharedConfig`) so a changed
   * default never reaches an eval in flight. Evals started before 0.2.0 recorded only the flags.
   */
  config: Partial<SharedEpisodeConfig>;
  /** The plan, compact (see {@link PlanRun}). */
  plan?: PlanRun[];
  /** The plan as a list: how evals started before 0.2.0 recorded it (and tests may pass it). */
  episodes?: EvalPlanEpisode[];
  /** Episodes running at once (the `setConcurrency` update overrides it). */
  concurrency: number;
  /** Episodes finished per run before continue-as-new. @default DEFAULT_EPISODES_PER_RUN */
  episodesPerRun?: number;
  /**
   * Seconds between looks at episodes an earlier run started that have not reported their outcome
   * (terminated, timed out, failed hard: they never signal it). @default STRAGGLER_POLL_SECONDS
   */
  stragglerPollSeconds?: number;
  /** Set only by continue-as-new and by a client continuing a closed run. */
  state?: EvalState;
}

/** Episodes finished per workflow run before the eval continues as new. */
export const DEFAULT_EPISODES_PER_RUN = 200;

/** The episode list of an eval's input, in plan order. */
export function planEpisodes(input: Pick<EvalInput, 'plan' | 'episodes'>): EvalPlanEpisode[] {
  return input.plan ? expandPlan(input.plan) : (input.episodes ?? []);
}

/**
 * What the EvalWorkflow returns. Since 0.2.0 it holds totals only (per-episode outcomes are read
 * from the runs' histories by `fetchEvalResults`); evals finished before hold `outcomes` too.
 */
export interface EvalWorkflowResult extends Omit<EvalResults, 'outcomes'> {
  cancelled: boolean;
  runs: number;
  totals?: EvalTotals;
  outcomes?: EvalResults['outcomes'];
}

/** How often a run looks at the episodes an earlier run started (see {@link EvalInput.stragglerPollSeconds}). */
export const STRAGGLER_POLL_SECONDS = 60;

/** Index of `episodeId` in eval `evalId` (the inverse of `evalEpisodeId`), or undefined when it is not one of its episodes. */
export function evalEpisodeIndex(evalId: string, episodeId: string): number | undefined {
  const prefix = `${evalId}/ep-`;
  if (!episodeId.startsWith(prefix)) return undefined;
  const digits = episodeId.slice(prefix.length);
  return /^\d+$/.test(digits) ? Number(digits) : undefined;
}

/** The activity an eval runs to read the outcome of episodes that ended without reporting it. */
export interface EvalActivityTypes {
  /** Outcomes of those of `indexes` whose workflow has closed (still running ones are left out). */
  endedEvalEpisodes(input: { evalId: string; indexes: number[] }): Promise<SlimOutcome[]>;
}

export { evalEpisodeId } from './ids';
