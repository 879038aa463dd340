/**
 * The prompt templates in one place: builds a policy call for a role under a profile.
 * Pure and zod-free, so workflows build the bounded prompts and the history records them.
 */
import type { ChatMessage, EnvKind, PolicyCallInput, PromptProfile } from '../vocabulary';
import type { RoleDecoding } from '../config';
import { referenceTask } from '../observation';
import { boundSubtasks } from './history';
import { chatHighMessages, chatLowMessages, chatProgressMessages, repairMessages } from './chat';
import { paperHighPrompt, paperLowPrompt, paperProgressPrompt } from './paper';
import { reactRepairMessages } from './react';
import type { HighInput, LowInput, ProgressInput } from './types';

export * from './types';
export {
  formatObservation,
  observationContext,
  type ObservationContext,
  type ObservationFormat,
  type ObservationView,
} from '../observation';
export { boundSubtasks, historicalSubtasksText, parseHistoricalSubtasks } from './history';

/** Role plus its bounded input. */
export type RoleInput =
  { role: 'high'; input: HighInput } | { role: 'low'; input: LowInput } | { role: 'progress'; input: ProgressInput };

/**
 * Prompt options besides the profile (an episode's come from its config, see `promptOptionsOf`).
 * Observations are rendered by the caller with `formatObservation(env, observation, view)`, which
 * takes the observation format (`raw`/`compact`) and what the prompt has already seen.
 */
export interface PromptOptions {
  /**
   * The env the episode plays. With it, the `paper` profile shows the task line exactly as the
   * reference does (see `referenceTask`); without it, the task as given.
   */
  env?: EnvKind;
  /**
   * Bounded high level: show only the last N "Historical subtasks" plus a count of the earlier
   * ones; 0 (the default, and the reference) shows them all.
   */
  highLevelWindow?: number;
}

/**
 * Builds the call for a role; the paper profile stops at a newline like the reference's short
 * generations.
 *
 * @example
 * const observation = formatObservation('scienceworld', obs, { format: 'compact', previous });
 * buildPolicyCall({ role: 'low', input: { subtask, observation, progress } }, 'paper', decoding, { env: 'scienceworld' });
 */
export function buildPolicyCall(
  which: RoleInput,
  profile: PromptProfile,
  decoding: RoleDecoding,
  options: PromptOptions = {},
): PolicyCallInput {
  const base = { role: which.role, profile, maxTokens: decoding.maxTokens, temperature: decoding.temperature };
  if (which.role === 'high') which = { role: 'high', input: highInputFor(which.input, profile, options) };
  if (profile === 'paper') return { ...base, prompt: byRole(which, PAPER_PROMPTS), stop: ['\n'] };
  return { ...base, messages: byRole(which, CHAT_MESSAGES) };
}

/** One builder per role, of a prompt text or of chat messages. */
interface RoleBuilders<T> {
  high: (input: HighInput) => T;
  low: (input: LowInput) => T;
  progress: (input: ProgressInput) => T;
}

const PAPER_PROMPTS: RoleBuilders<string> = {
  high: paperHighPrompt,
  low: paperLowPrompt,
  progress: paperProgressPrompt,
};
const CHAT_MESSAGES: RoleBuilders<ChatMessage[]> = {
  high: chatHighMessages,
  low: chatLowMessages,
  progress: chatProgressMessages,
};

/** Builds `which`'s role with its builder. */
function byRole<T>(which: RoleInput, builders: RoleBuilders<T>): T {
  if (which.role === 'high') return builders.high(which.input);
  return which.role === 'low' ? builders.low(which.input) : builders.progress(which.input);
}

/** The high-level input as the profile and options show it: the reference's task line, a bounded list. */
function highInputFor(input: HighInput, profile: PromptProfile, options: PromptOptions): HighInput {
  const bounded = boundSubtasks(input.subtasks, options.highLevelWindow ?? 0);
  return {
    ...input,
    ...(profile === 'paper' && options.env !== undefined && { task: referenceTask(options.env, input.task) }),
    subtasks: bounded.subtasks,
    earlierSubtasks: (input.earlierSubtasks ?? 0) + bounded.earlierSubtasks,
  };
}

/** The same call, extended with the rejected reply and the reason (chat profile) or re-sent (paper). */
export function buildRepairCall(call: PolicyCallInput, badReply: string, error: string): PolicyCallInput {
  if (!call.messages) return call;
  if (call.role === 'react') return { ...call, messages: reactRepairMessages(call.messages, badReply, error) };
  return { ...call, messages: repairMessages(call.messages, badReply, error) };
}

/** Characters sent to the model by a call (the bounded-input guarantee is measured on this). */
export function promptChars(call: PolicyCallInput): number {
  return call.prompt?.length ?? (call.messages ?? []).reduce((n, m) => n + m.content.length, 0);
}
