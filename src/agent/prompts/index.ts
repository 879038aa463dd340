/**
 * The prompt templates in one place: builds a policy call for a role under a profile.
 * Pure and zod-free, so workflows build the bounded prompts and the history records them.
 */
import type { PolicyCallInput, PromptProfile } from '../vocabulary';
import type { RoleDecoding } from '../config';
import { chatHighMessages, chatLowMessages, chatProgressMessages, repairMessages } from './chat';
import { paperHighPrompt, paperLowPrompt, paperProgressPrompt } from './paper';
import { reactRepairMessages } from './react';
import type { HighInput, LowInput, ProgressInput } from './types';

export * from './types';
export { formatObservation } from '../observation';

/** Role plus its bounded input. */
export type RoleInput =
  { role: 'high'; input: HighInput } | { role: 'low'; input: LowInput } | { role: 'progress'; input: ProgressInput };

/** Builds the call for a role; the paper profile stops at a newline like the reference's short generations. */
export function buildPolicyCall(which: RoleInput, profile: PromptProfile, decoding: RoleDecoding): PolicyCallInput {
  const base = { role: which.role, profile, maxTokens: decoding.maxTokens, temperature: decoding.temperature };
  if (profile === 'paper') {
    const prompt =
      which.role === 'high'
        ? paperHighPrompt(which.input)
        : which.role === 'low'
          ? paperLowPrompt(which.input)
          : paperProgressPrompt(which.input);
    return { ...base, prompt, stop: ['\n'] };
  }
  const messages =
    which.role === 'high'
      ? chatHighMessages(which.input)
      : which.role === 'low'
        ? chatLowMessages(which.input)
        : chatProgressMessages(which.input);
  return { ...base, messages };
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
