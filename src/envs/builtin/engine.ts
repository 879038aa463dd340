/**
 * The episode engine: spec → initial state, (state, action) → step outcome. Pure and synchronous
 * (mutates only the state passed in), shared by the async env class and by the gold-plan
 * generator, so expert plans are checked by exactly the rules the agent plays under.
 */
import type { EnvSpec } from '../text-env';
import { describeInventory, describeRoom } from './describe';
import { BadBuiltinVariationError, BuiltinEnvUsageError, UnknownBuiltinTaskError } from './errors';
import { buildHouse } from './house';
import { parseCommand } from './parser';
import { tick } from './physics';
import { execute, UNKNOWN_ACTION } from './rules';
import { findTask, TASKS, type TaskDef } from './tasks';
import { validActions } from './valid-actions';
import type { WorldState } from './world';

/** Env step limit when `spec.options.maxSteps` is not given. */
export const DEFAULT_MAX_STEPS = 100;

/** What one step produced, before it is shaped into the `TextEnv` result. */
export interface EngineStep {
  feedback: string;
  reward: number;
  /** False when the action was unknown or inadmissible (it still cost a step). */
  valid: boolean;
}

/** Validates a spec and returns its task definition, variation and step limit. */
export function checkSpec(spec: EnvSpec): { task: TaskDef; variation: number; maxSteps: number } {
  if (spec.env !== 'builtin') throw new BuiltinEnvUsageError(`spec.env must be 'builtin', got '${String(spec.env)}'`);
  const task = findTask(spec.task);
  if (!task)
    throw new UnknownBuiltinTaskError(
      spec.task,
      TASKS.map((t) => t.id),
    );
  const variation = spec.variation ?? 0;
  if (typeof variation !== 'number' || !Number.isSafeInteger(variation) || variation < 0) {
    throw new BadBuiltinVariationError(variation);
  }
  const raw = spec.options?.maxSteps ?? DEFAULT_MAX_STEPS;
  if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw < 1) {
    throw new BuiltinEnvUsageError(
      `spec.options.maxSteps must be a positive integer, got ${JSON.stringify(raw) ?? String(raw)}`,
    );
  }
  return { task, variation, maxSteps: raw };
}

/** The initial state of the episode `spec` describes. */
export function initialState(spec: EnvSpec): WorldState {
  const { task, variation, maxSteps } = checkSpec(spec);
  return buildHouse(task.id, variation, maxSteps, task.stages.length);
}

/** The task definition of a state (always known: states are only built from checked specs). */
export function taskOf(s: WorldState): TaskDef {
  const t = findTask(s.task);
  if (!t) throw new Error(`builtin engine: state has unknown task '${s.task}'`);
  return t;
}

/** Latches newly reached stages and recomputes score / won. */
function score(s: WorldState): void {
  const stages = taskOf(s).stages;
  stages.forEach((st, i) => {
    if (!s.stagesDone[i] && st.reached(s)) s.stagesDone[i] = true;
  });
  // The goal is the last stage; reaching it is a win with full score whatever the path was.
  if (s.stagesDone[stages.length - 1]) {
    s.won = true;
    s.stagesDone.fill(true);
  }
  s.score = stages.reduce((sum, st, i) => sum + (s.stagesDone[i] ? st.points : 0), 0);
}

/** Applies one action to a live episode: command, one tick of time, scoring, step limit. */
export function stepState(s: WorldState, action: string): EngineStep {
  const before = s.score;
  s.steps += 1;
  let feedback: string;
  let valid: boolean;
  if (action.trim() === '') {
    feedback = `${UNKNOWN_ACTION} (The action was empty; try 'look' or 'inventory'.)`;
    valid = false;
  } else {
    const cmd = parseCommand(action);
    const out = cmd ? execute(s, cmd, taskOf(s).describe(s)) : { ok: false, feedback: UNKNOWN_ACTION };
    feedback = out.feedback;
    valid = out.ok;
  }
  const events = tick(s);
  if (events.length > 0) feedback = `${feedback}\n${events.join('\n')}`;
  score(s);
  s.done = s.won || s.steps >= s.maxSteps;
  return { feedback, reward: s.score - before, valid };
}

/** The parts of an observation derived from the state alone. */
export function observe(s: WorldState): {
  look: string;
  inventory: string;
  validActions: string[];
} {
  return { look: describeRoom(s), inventory: describeInventory(s), validActions: validActions(s) };
}
