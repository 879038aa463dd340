/**
 * The one interface STEP-HRL and the ReAct baseline both implement in the episode core: what the
 * runtime needs to know of an agent kind without running it (its workflow type, how many steps a
 * result holds, how the result reads as an evaluation outcome). Pure and type-only in its imports,
 * so workflows, the eval, record readers and the CLI all dispatch on it instead of comparing
 * workflow type strings of their own. The CLI extends it with what it prints (`src/cli/agents.ts`).
 */
import type { AgentKind } from './eval-types';
import type { EpisodeResult, ReactResult } from './records';

/** Workflow type of the STEP-HRL episode. */
export const EPISODE_WORKFLOW_TYPE = 'episodeWorkflow';
/** Workflow type of the full-history ReAct baseline. */
export const REACT_WORKFLOW_TYPE = 'reactWorkflow';

/** An agent kind as the runtime sees it; `R` is its workflow's result. */
export interface EpisodeAgent<R = EpisodeResult | ReactResult> {
  kind: AgentKind;
  /** Its workflow's type name, as started and as `describe().type` reports it. */
  workflowType: string;
  /** Whether an episode of this kind can be forked or resumed from recorded subtasks. */
  resumable: boolean;
  /** Env steps the result records. */
  stepCount(result: R): number;
  /** Tokens per policy level the result reports (empty where the kind has no levels). */
  levelTokens(result: R): NonNullable<EpisodeResult['tokensByLevel']>;
  /** Re-drives of a lost env session the result reports. */
  redrives(result: R): number;
}

/** STEP-HRL: a high-level, low-level and progress policy per step, subtasks as child workflows. */
export const STEP_HRL_AGENT: EpisodeAgent<EpisodeResult> = {
  kind: 'step-hrl',
  workflowType: EPISODE_WORKFLOW_TYPE,
  resumable: true,
  stepCount: (result) => result.steps,
  levelTokens: (result) => result.tokensByLevel ?? {},
  redrives: (result) => result.redrives ?? 0,
};

/** ReAct: one policy that sees the whole transcript; the result holds its step records. */
export const REACT_AGENT: EpisodeAgent<ReactResult> = {
  kind: 'react',
  workflowType: REACT_WORKFLOW_TYPE,
  resumable: false,
  // `stepCount` counts every step even where `steps` holds only the last run's (continue-as-new).
  stepCount: (result) => result.stepCount ?? (Array.isArray(result.steps) ? result.steps.length : 0),
  levelTokens: (result) => result.tokensByLevel ?? {},
  redrives: (result) => result.redrives ?? 0,
};

/** Every agent kind, in the order `--agent` lists them. */
export const EPISODE_AGENTS: readonly EpisodeAgent[] = [STEP_HRL_AGENT as EpisodeAgent, REACT_AGENT as EpisodeAgent];

/** The agent of a kind. @throws naming the kind and the choices */
export function episodeAgentOfKind(kind: AgentKind): EpisodeAgent {
  const found = EPISODE_AGENTS.find((agent) => agent.kind === kind);
  if (!found) throw new Error(`unknown agent kind ${JSON.stringify(kind)}; choose one of: step-hrl, react`);
  return found;
}

/** The agent whose workflow type is `type`, or undefined for another workflow (an eval, a labelling job). */
export function episodeAgentOfWorkflowType(type: string | undefined): EpisodeAgent | undefined {
  return EPISODE_AGENTS.find((agent) => agent.workflowType === type);
}

/** The agent whose result this is: a ReAct result reports `react` tokens, a STEP-HRL one counts steps. */
export function episodeAgentOfResult(result: EpisodeResult | ReactResult): EpisodeAgent {
  const react = typeof result.steps !== 'number' || 'react' in (result.tokensByLevel ?? {});
  return (react ? REACT_AGENT : STEP_HRL_AGENT) as EpisodeAgent;
}
