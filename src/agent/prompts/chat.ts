/**
 * The `chat` prompt profile: the same bounded inputs as the paper profile, as chat messages asking
 * for JSON output (validated by the zod schemas in `../schemas`), for instruct and API models.
 * Pure and zod-free so workflows can build prompts; parsing happens in activities.
 */
import type { ChatMessage } from '../vocabulary';
import { historicalSubtasksText } from './history';
import type { HighInput, LowInput, ProgressInput } from './types';

const HIGH_SYSTEM =
  'You are the high-level planner of a text-game agent. Given the task, the subtasks issued so far, ' +
  'the progress of the last subtask and the current observation, give the next clear and simple subtask ' +
  '(a short natural-language goal). Reply with JSON only: {"subtask": "<next subtask>"}.';
const LOW_SYSTEM =
  'You are the low-level action executor of a text-game agent. Given the current subtask, the current ' +
  'observation and the local progress, give ONE executable game command and whether the subtask is ' +
  'completed once this command is done. Reply with JSON only: {"action": "<command>", "subtask_done": true|false}.';
const PROGRESS_SYSTEM =
  'You update the local progress of a subtask for a text-game agent. Given the subtask, the previous ' +
  'local progress, the action just taken and the resulting observation, write the updated progress in ' +
  'one or two short sentences (what is done, what is known, what is left). Reply with JSON only: {"progress": "<text>"}.';

/** High-level chat messages. */
export function chatHighMessages(input: HighInput): ChatMessage[] {
  return [
    { role: 'system', content: HIGH_SYSTEM },
    {
      role: 'user',
      content:
        `Task: ${input.task}\nHistorical subtasks: ${historicalSubtasksText(input.subtasks, input.earlierSubtasks)}\n` +
        `Last subtask progress: ${input.lastProgress || 'None'}\nCurrent observation: ${input.observation.trim()}`,
    },
  ];
}

/** At most this many admissible actions are listed (ALFWorld rooms have a few dozen). */
export const MAX_LISTED_ACTIONS = 80;

/** Low-level chat messages. */
export function chatLowMessages(input: LowInput): ChatMessage[] {
  const listed = input.validActions?.slice(0, MAX_LISTED_ACTIONS) ?? [];
  const valid = listed.length > 0 ? `\nValid actions: ${listed.join(', ')}` : '';
  return [
    { role: 'system', content: LOW_SYSTEM },
    {
      role: 'user',
      content:
        `Subtask: ${input.subtask}\nCurrent observation: ${input.observation.trim()}\n` +
        `Local progress: ${input.progress || 'None'}${valid}`,
    },
  ];
}

/** Local-progress chat messages. */
export function chatProgressMessages(input: ProgressInput): ChatMessage[] {
  return [
    { role: 'system', content: PROGRESS_SYSTEM },
    {
      role: 'user',
      content:
        `Subtask: ${input.subtask}\nPrevious local progress: ${input.previousProgress}\n` +
        `Current action: ${input.action}\nResulting observation: ${input.observation.trim()}`,
    },
  ];
}

/** Follow-up asking the model to fix a reply that failed validation (one bounded repair attempt). */
export function repairMessages(original: ChatMessage[], badReply: string, error: string): ChatMessage[] {
  return [
    ...original,
    { role: 'assistant', content: badReply },
    {
      role: 'user',
      content: `Your reply was rejected: ${error}. Reply again with the JSON object only, nothing else.`,
    },
  ];
}
