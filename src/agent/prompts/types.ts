/** Inputs of the three STEP-HRL prompt builders; every field is bounded (no episode history). */

/** High-level policy input: task, subtasks issued so far, final progress of the last subtask, current obs. */
export interface HighInput {
  task: string;
  /** Subtasks issued so far (with {@link HighInput.earlierSubtasks}: the most recent ones). */
  subtasks: readonly string[];
  /**
   * Subtasks issued before `subtasks` and left out of the prompt (a bounded high level shows a
   * count of them instead). @default 0
   */
  earlierSubtasks?: number;
  lastProgress: string;
  observation: string;
}

/** Low-level policy input: subtask, current obs, local progress. */
export interface LowInput {
  subtask: string;
  observation: string;
  progress: string;
  /**
   * Admissible actions when the env lists them. Only the `chat` profile shows them (the `paper`
   * profile stays byte-for-byte the reference's input); capped, so the prompt stays bounded.
   */
  validActions?: readonly string[];
}

/** Local progress module input: subtask, previous progress, action, resulting obs. */
export interface ProgressInput {
  subtask: string;
  previousProgress: string;
  action: string;
  observation: string;
}

/** A parsed low-level decision. */
export interface LowDecision {
  action: string;
  subtaskDone: boolean;
}

/** Result of parsing a model's output: a value or a reason the output was rejected. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };
