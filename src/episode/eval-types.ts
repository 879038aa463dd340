/**
 * The records of an evaluation run: one {@link EpisodeOutcome} per episode, and the
 * {@link EvalResults} an `EvalWorkflow` returns. Type-only (no zod, no I/O), so workflows use it too.
 */
import type { EnvSpec } from '../agent/vocabulary';

/** Which agent played the episodes. */
export type AgentKind = 'step-hrl' | 'react';

/** Every agent, in the order the CLI lists them. */
export const AGENT_KINDS: readonly AgentKind[] = ['step-hrl', 'react'];

/** The levels that make model calls: STEP-HRL's three, or ReAct's single one. */
export type TokenLevel = 'high' | 'low' | 'progress' | 'react';

/** Calls and tokens one level spent in an episode (as recorded; cache hits included). */
export interface LevelTokens {
  calls: number;
  prompt: number;
  completion: number;
}

/** One finished (or failed) episode of an evaluation. */
export interface EpisodeOutcome {
  /** Position in the evaluation's episode list. */
  index: number;
  /** Workflow id of the episode. */
  episodeId: string;
  spec: EnvSpec;
  /** Row of the results table: the ScienceWorld task name, the ALFWorld task type, or the built-in task. */
  group: string;
  /**
   * The episode's status (`env-done`, `step-budget`, `llm-error`, ...), or `failed` when its
   * workflow failed (then `error` says why).
   */
  status: string;
  /** Final score as the env reports it (ScienceWorld 0..100, negative on failure; ALFWorld 0 or 1). */
  score: number;
  won: boolean;
  /** Env steps taken. */
  steps: number;
  /** Recorded calls and tokens per level (absent levels made no calls). */
  tokens: Partial<Record<TokenLevel, LevelTokens>>;
  /** Tokens this execution actually spent (0 when every call came from the response cache). */
  spentTokens: number;
  /** Times the env session was lost and re-driven through the recorded steps (no decision repeated). */
  redrives?: number;
  /** Hosts of the env workers that held the session: the reset's, then each re-drive's (absent when unknown). */
  hosts?: string[];
  error?: string;
}

/** An outcome without the plan fields (spec, group), as the EvalWorkflow's history records it. */
export type SlimOutcome = Omit<EpisodeOutcome, 'spec' | 'group'>;

/** What an evaluation runs: the episode list and how. */
export interface EvalPlanEpisode {
  spec: EnvSpec;
  group: string;
}

/** The finished evaluation, as `EvalWorkflow` returns it and `eval show` prints it. */
export interface EvalResults {
  evalId: string;
  agent: AgentKind;
  /** Preset name, or a description of the selection (`--env/--tasks/--split/--limit`). */
  selection: string;
  env: EnvSpec['env'];
  /** Evaluation split name (e.g. `seen`, `valid_unseen`), when there is one. */
  split?: string;
  /** Model id(s) of the policy, for the table's caption. */
  model?: string;
  maxSteps: number;
  /** Episodes in the plan. */
  total: number;
  /** One per episode, in plan order. */
  outcomes: EpisodeOutcome[];
}

/** How a running evaluation reports itself (the `evalProgress` query's answer). */
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
  /** Set by the `pause` update: no new episode starts until `resume`. */
  paused?: boolean;
  /** Episodes allowed at once now (the `setConcurrency` update changes it). */
  concurrency?: number;
  /** Changes whenever the progress does (`waitForEvalChange` waits for a different one). */
  version?: string;
}
