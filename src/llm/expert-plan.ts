/**
 * Expert plans (subtasks + actions) for the scripted expert policy: the built-in env's gold
 * subtasks, or an env server's expert actions (ScienceWorld gold path, ALFWorld walkthrough)
 * segmented into subtasks at each move to a new place.
 */
import { goldSubtasks } from '../envs/builtin';
import { getExpertActions } from '../envs/expert';
import type { EnvSpec } from '../envs/text-env';
import type { ExpertSubtask } from './expert-policy';

const MOVE = /^(go to|teleport to|open door to) /;

/** Splits an action sequence into subtasks, one per "go to ..." leg. */
export function segmentByMoves(actions: readonly string[]): ExpertSubtask[] {
  const plan: ExpertSubtask[] = [];
  for (const action of actions) {
    if (plan.length === 0 || MOVE.test(action)) plan.push({ subtask: '', actions: [] });
    plan.at(-1)!.actions.push(action);
  }
  return plan.map((p) => ({ actions: p.actions, subtask: p.actions.join(', then ') }));
}

/** The expert plan for a spec (`envServerUrl` resolves the env server for real envs). */
export async function expertPlan(spec: EnvSpec, envServerUrl: () => Promise<string>): Promise<ExpertSubtask[]> {
  if (spec.env === 'builtin') return goldSubtasks(spec);
  return segmentByMoves(await getExpertActions(await envServerUrl(), spec));
}
