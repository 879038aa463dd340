/**
 * Expert solutions computed by running each stage's plan against the real engine, so the
 * actions follow the variation's layout and are verified to reach every stage.
 */
import type { EnvSpec } from '../text-env';
import { initialState, stepState, taskOf } from './engine';
import type { Actor } from './planner';

/** One scripted subtask: its natural-language goal and the gold actions that achieve it. */
export interface GoldSubtask {
  subtask: string;
  actions: string[];
}

/**
 * The gold actions of `spec`, grouped by task stage (the stage boundaries give scripted
 * subtasks). Throws the same spec errors as `reset`, and an `Error` if a plan fails to reach
 * its stage, which would be a bug in the task definition.
 */
export function goldSubtasks(spec: EnvSpec): GoldSubtask[] {
  const s = initialState(spec);
  const initial = JSON.parse(JSON.stringify(s)) as typeof s;
  const task = taskOf(s);
  let current: string[] = [];
  const actor: Actor = {
    state: () => s,
    run: (action) => {
      const r = stepState(s, action);
      if (!r.valid) throw new Error(`builtin gold plan for ${task.id}: '${action}' was rejected: ${r.feedback}`);
      current.push(action);
    },
  };
  return task.stages.map((stage, i) => {
    current = [];
    stage.plan(actor);
    if (!s.stagesDone[i]) throw new Error(`builtin gold plan for ${task.id}: stage ${i} not reached`);
    return { subtask: stage.subtask(initial), actions: current };
  });
}

/** The gold action sequence of `spec`: all of {@link goldSubtasks}' actions in order. */
export function goldActions(spec: EnvSpec): string[] {
  return goldSubtasks(spec).flatMap((g) => g.actions);
}
