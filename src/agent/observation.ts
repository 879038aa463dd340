/**
 * Observation and task text per environment, as the STEP-HRL reference feeds them to its policies
 * (`process_obs` in env/scienceworld/convert_data_memory.py; the ALFWorld regexes of
 * alg/eval_step.py `EvalAgent_alfworld.data_collect`), plus the `compact` format that leaves out
 * unchanged context. Pure: used by workflows to build prompts.
 */
import type { EnvKind, Observation } from './vocabulary';

/** How observations are rendered: `raw` = the reference's format; `compact` = unchanged context left out. */
export type ObservationFormat = 'raw' | 'compact';

/** The observation formats, for flags and config checks. */
export const OBSERVATION_FORMATS: readonly ObservationFormat[] = ['raw', 'compact'];

/** The room description and inventory of the observation before the current one (last values only). */
export interface ObservationContext {
  look?: string;
  inventory?: string;
}

/** Where an observation stands in the episode, which decides what a prompt shows of it. */
export interface ObservationView {
  /** @default 'raw' */
  format?: ObservationFormat;
  /**
   * The env's reset observation (no step taken yet). ALFWorld's is rendered as the reference's
   * `room_desc` alone (`obs = room_desc`), later ones as `<feedback> <room_desc>`.
   */
  initial?: boolean;
  /**
   * `compact` only: the look and inventory of the previous observation in the subtask. Each is
   * shown only when it differs from this; absent = a subtask starts, so both are shown.
   */
  previous?: ObservationContext;
}

// The reference's regexes on ALFWorld's welcome text (alg/eval_step.py, alg/step_bc.py):
// `re.search(r"Your task is to: (.*)", raw_welcome)` and
// `re.search(r"(Looking quickly around you,.*?)(?=\n\n)", raw_welcome, re.DOTALL)`, each `.strip()`ed.
const ALFWORLD_TASK = /Your task is to: (.*)/;
const ALFWORLD_ROOM = /(Looking quickly around you,[\s\S]*?)(?=\n\n|$)/;

/**
 * ALFWorld's room description as the reference keeps it (`room_desc`): the "Looking quickly around
 * you, ..." paragraph, without the "You are in the middle of a room. " before it. Text without that
 * paragraph is returned trimmed.
 */
export function alfworldRoomDescription(look: string): string {
  return (ALFWORLD_ROOM.exec(look)?.[1] ?? look).trim();
}

/**
 * The task line the reference's high-level prompt shows. ScienceWorld: `env.taskdescription()`
 * unchanged, i.e. with its `Task Description:` header line (our env client keeps only the text
 * after it, which chat prompts, ReAct and records use). ALFWorld: the text after "Your task is
 * to: " (the reference's regex). Other envs: the task as given.
 */
export function referenceTask(env: EnvKind, task: string): string {
  if (env === 'scienceworld') return `Task Description:\n${task}`;
  if (env === 'alfworld') return ALFWORLD_TASK.exec(task)?.[1]?.trim() ?? task;
  return task;
}

/**
 * Renders an observation for a prompt.
 *
 * `raw` (the reference's `process_obs`):
 * - ScienceWorld and the built-in env: `\nObs: <obs>\nLook: <look>\nInventory: <inventory>` (no
 *   trailing newline, which is why the low-level template has none before "Local Progress").
 * - ALFWorld: `<step feedback> <room_desc>\n`; the reset observation is `<room_desc>\n` alone.
 *
 * `compact`: the same, except that the room description (ScienceWorld's Look, ALFWorld's appended
 * room paragraph) and the inventory are shown only when a subtask starts (`previous` absent) or
 * when they differ from the previous observation's, and never when the step's own text already
 * is them (after `look around` Obs equals Look). The ScienceWorld form ends with a newline.
 */
export function formatObservation(env: EnvKind, observation: Observation, view: ObservationView = {}): string {
  const compact = view.format === 'compact';
  if (env === 'alfworld') {
    const room = observation.look === undefined ? undefined : alfworldRoomDescription(observation.look);
    if (view.initial && room !== undefined) return `${room}\n`; // the reference's first obs is room_desc
    const showRoom = room !== undefined && (!compact || changed(observation.look, view.previous?.look, view));
    return `${observation.text}${showRoom ? ` ${room}` : ''}\n`;
  }
  if (!compact) {
    return `\nObs: ${observation.text}\nLook: ${observation.look ?? ''}\nInventory: ${observation.inventory ?? ''}`;
  }
  const text = observation.text.trim();
  const lines = ['', `Obs: ${text}`];
  const { look, inventory } = observation;
  if (look !== undefined && look.trim() !== text && changed(look, view.previous?.look, view))
    lines.push(`Look: ${look.trim()}`);
  if (inventory !== undefined && inventory.trim() !== text && changed(inventory, view.previous?.inventory, view))
    lines.push(`Inventory: ${inventory.trim()}`);
  return `${lines.join('\n')}\n`;
}

/** Context of an observation, to pass as the next observation's `previous`. */
export function observationContext(observation: Observation): ObservationContext {
  return {
    ...(observation.look !== undefined && { look: observation.look }),
    ...(observation.inventory !== undefined && { inventory: observation.inventory }),
  };
}

/** True at a subtask start (no previous context) or when the value differs from the previous one. */
function changed(value: string | undefined, previous: string | undefined, view: ObservationView): boolean {
  return view.previous === undefined || (value ?? '').trim() !== (previous ?? '').trim();
}
