/**
 * The `paper` prompt profile: the STEP-HRL reference's raw-text prompts (util/inst.py,
 * util/concat_input.py) and its `"<action>; True|False"` parsing, so models fine-tuned with the
 * reference recipe can be served unchanged (completions endpoint, no chat template).
 */
import { historicalSubtasksText } from './history';
import type { HighInput, LowDecision, LowInput, Parsed, ProgressInput } from './types';

/** Instruction line of the high-level policy. */
export const PAPER_HIGH_INSTRUCTION =
  'You are a high-level planner. Based on the state (task description, historical subtasks, last subtask progress and current observation), please generate a clear and simple subtask.';
/** Instruction line of the low-level policy (its typo "a executable" is the reference's). */
export const PAPER_LOW_INSTRUCTION =
  'You are a low-level action executor. Based on the current subtask, observation and local progress, please generate a executable action and determine if the subtask is completed (True/False).';
/** Instruction line of the local progress module. */
export const PAPER_PROGRESS_INSTRUCTION =
  'You are an AI agent responsible for updating local progress within a subtask. Based on the current subtask, the previous local progress, the current action, and the resulting observation, update the local progress.';

/**
 * High-level prompt, byte-for-byte the reference's `get_high_input` (give it the reference's task
 * line, see `referenceTask`; a bounded list shows a count of earlier subtasks before it).
 */
export function paperHighPrompt(input: HighInput): string {
  return (
    `${PAPER_HIGH_INSTRUCTION}\n` +
    `${input.task}\n` +
    `Historical subtasks: ${historicalSubtasksText(input.subtasks, input.earlierSubtasks)}\n` +
    `Last subtask progress: ${input.lastProgress || 'None'}\n` +
    `Current observation: ${input.observation}`
  );
}

/** Low-level prompt, the reference's `get_low_input` (no newline before "Local Progress"). */
export function paperLowPrompt(input: LowInput): string {
  return (
    `${PAPER_LOW_INSTRUCTION}\n` +
    `Subtask: ${input.subtask}\n` +
    `Current Observation: ${input.observation}Local Progress: ${input.progress || 'None'}\n`
  );
}

/** Local-progress prompt, the reference's `get_progress_input`. */
export function paperProgressPrompt(input: ProgressInput): string {
  return (
    `${PAPER_PROGRESS_INSTRUCTION}\n` +
    `Subtask: ${input.subtask}\n` +
    `Previous local progress: ${input.previousProgress}\n` +
    `Current action: ${input.action}\n` +
    `Resulting observation: ${input.observation}`
  );
}

const LOW_PATTERN = /^(.*?)\s*;\s*(true|false)/is;

/** Parses `"<action>; True|False"` as the reference does (`re.match`, case-insensitive). */
export function parsePaperLow(text: string): Parsed<LowDecision> {
  const match = LOW_PATTERN.exec(text.trim());
  if (!match) return { ok: false, error: 'expected "<action>; True|False"' };
  const action = match[1].trim();
  if (!action) return { ok: false, error: 'empty action before ";"' };
  return { ok: true, value: { action, subtaskDone: match[2].toLowerCase() === 'true' } };
}

/** A subtask is the first non-empty line of the output. */
export function parsePaperText(text: string, what: string): Parsed<string> {
  const line = text
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l.length > 0);
  return line ? { ok: true, value: line } : { ok: false, error: `empty ${what}` };
}
