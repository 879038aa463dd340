/**
 * The full-history ReAct baseline's prompt, in the shape agents are usually compared against
 * (AgentGym's ReAct conversations): the task, then every past `Action:` / `Observation:` pair with
 * the env's raw observation text. It grows with each step by construction; it exists so the
 * difference with STEP-HRL's bounded prompts is measured, not claimed. Only a model's context
 * window bounds it: past `reactContextChars` the oldest pairs are dropped, the header stays.
 *
 * - `paper` profile (completions endpoint): one raw-text prompt ending in `Action:`, stop `\n`; the
 *   model's first line is the command.
 * - `chat` profile: a system turn (instruction and reply format), a user turn with the task and the
 *   first observation, then per step an assistant turn `Thought: ...\nAction: ...` and a user turn
 *   `Observation: ...`. The reply is read as text (`Action: <command>`, see
 *   {@link parseReactReply}), not as JSON, so the model answers in the format the transcript shows.
 */
import type { ChatMessage, PolicyCallInput, PromptProfile } from '../vocabulary';
import type { RoleDecoding } from '../config';
import type { Parsed } from './types';

/** One past step of the transcript. */
export interface ReactTurn {
  /** The model's reasoning before the action (chat profile; absent when it gave none). */
  thought?: string;
  action: string;
  /** The env's raw observation text after the action. */
  observation: string;
}

/** Instruction of both profiles. */
export const REACT_INSTRUCTION =
  'You are an agent in a text-based environment. Solve the task by giving one command at a time; after each command you see what it did.';

/** Reply format the chat profile asks for (AgentGym's). */
export const REACT_CHAT_FORMAT =
  'Reply in exactly this format:\nThought: <your reasoning about what to do next>\nAction: <one command>';

/** The chat profile's assistant turn for a past step. */
export function reactAssistantTurn(turn: Pick<ReactTurn, 'thought' | 'action'>): string {
  const thought = turn.thought?.trim();
  return thought ? `Thought: ${thought}\nAction: ${turn.action}` : `Action: ${turn.action}`;
}

/**
 * The env's first observation as the transcript shows it: the raw text without the task line when
 * the env repeats it there (ALFWorld's intro ends with "Your task is to: ..."), since the prompt
 * already starts with the task.
 */
export function reactInitialObservation(text: string, task: string): string {
  const t = task.trim();
  return (t && text.includes(t) ? text.replace(t, '') : text).trim();
}

/**
 * Characters the prompt's header takes (instruction, task, first observation, and the paper
 * profile's closing `Action:`): what every prompt holds besides its turns.
 */
export function reactHeaderChars(task: string, initialObservation: string, profile: PromptProfile): number {
  const start = `Task: ${task.trim()}\nObservation: ${initialObservation.trim()}`.length;
  return profile === 'paper'
    ? REACT_INSTRUCTION.length + 1 + start + '\nAction:'.length
    : REACT_INSTRUCTION.length + 1 + REACT_CHAT_FORMAT.length + start;
}

/** Characters one past step adds to the prompt (the text of its turns, as {@link buildReactCall} writes them). */
export function reactTurnChars(turn: ReactTurn, profile: PromptProfile): number {
  const observation = `Observation: ${turn.observation.trim()}`.length;
  return profile === 'paper'
    ? `\nAction: ${turn.action}\n`.length + observation
    : reactAssistantTurn(turn).length + observation;
}

/**
 * How many of the oldest turns a transcript drops so that its prompt holds at most `capChars`
 * characters, as a model's context window forces: the header always stays, and so does the newest
 * turn (what the last action did), even when it alone is over the cap.
 */
export function reactTurnsToDrop(
  headerChars: number,
  turns: readonly ReactTurn[],
  profile: PromptProfile,
  capChars: number,
): number {
  let total = headerChars;
  for (const turn of turns) total += reactTurnChars(turn, profile);
  let drop = 0;
  while (total > capChars && drop < turns.length - 1) total -= reactTurnChars(turns[drop++]!, profile);
  return drop;
}

/**
 * Builds the ReAct call from the task, the env's first observation and the transcript (every past
 * step, or the newest ones that fit the context budget: see {@link reactTurnsToDrop}).
 */
export function buildReactCall(
  task: string,
  initialObservation: string,
  turns: readonly ReactTurn[],
  profile: PromptProfile,
  decoding: RoleDecoding,
): PolicyCallInput {
  const base = { role: 'react' as const, profile, maxTokens: decoding.maxTokens, temperature: decoding.temperature };
  const start = `Task: ${task.trim()}\nObservation: ${initialObservation.trim()}`;
  if (profile === 'paper') {
    const transcript = turns.map((t) => `\nAction: ${t.action}\nObservation: ${t.observation.trim()}`).join('');
    return { ...base, prompt: `${REACT_INSTRUCTION}\n${start}${transcript}\nAction:`, stop: ['\n'] };
  }
  return {
    ...base,
    messages: [
      { role: 'system', content: `${REACT_INSTRUCTION}\n${REACT_CHAT_FORMAT}` },
      { role: 'user', content: start },
      ...turns.flatMap((t) => [
        { role: 'assistant' as const, content: reactAssistantTurn(t) },
        { role: 'user' as const, content: `Observation: ${t.observation.trim()}` },
      ]),
    ],
  };
}

/** A parsed ReAct reply. */
export interface ReactReply {
  thought?: string;
  action: string;
}

const ACTION_LINE = /^[ \t]*Action[ \t]*:[ \t]*(.*)$/im;
const THOUGHT = /^[ \t]*Thought[ \t]*:([\s\S]*?)^[ \t]*Action[ \t]*:/im;

/**
 * Reads a ReAct reply. Chat: the first `Action: <command>` line, with the `Thought:` text before it
 * (a JSON `{"thought", "action"}` reply is read too, for models that insist on JSON). Paper: the
 * completion's first non-empty line (the prompt already ends in `Action:`; a repeated `Action:` is
 * dropped).
 */
export function parseReactReply(
  profile: PromptProfile,
  text: string,
  json?: () => ReactReply | undefined,
): Parsed<ReactReply> {
  if (profile === 'paper') {
    const line = text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.length > 0);
    const action = line?.replace(/^Action[ \t]*:[ \t]*/i, '').trim();
    return action ? { ok: true, value: { action } } : { ok: false, error: 'empty action' };
  }
  const match = ACTION_LINE.exec(text);
  const action = match?.[1]?.trim();
  if (action) {
    const thought = THOUGHT.exec(text)?.[1]?.trim();
    return { ok: true, value: thought ? { thought, action } : { action } };
  }
  const fromJson = json?.();
  if (fromJson) return { ok: true, value: fromJson };
  return { ok: false, error: match ? 'empty command after "Action:"' : 'expected a line "Action: <command>"' };
}

/** The chat messages of a ReAct call repeated after an unreadable reply (asks for the text format, not JSON). */
export function reactRepairMessages(original: ChatMessage[], badReply: string, error: string): ChatMessage[] {
  return [
    ...original,
    { role: 'assistant', content: badReply },
    { role: 'user', content: `Your reply was rejected: ${error}. ${REACT_CHAT_FORMAT}` },
  ];
}
