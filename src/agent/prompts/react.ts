/**
 * The full-history ReAct baseline's prompt: task plus EVERY past observation and action. It grows
 * with each step by construction; it exists so the difference with STEP-HRL is measured, not claimed.
 */
import type { PolicyCallInput, PromptProfile } from '../../activities/types';
import type { RoleDecoding } from '../config';

/** One past step of the transcript. */
export interface ReactTurn {
  action: string;
  observation: string;
}

const REACT_INSTRUCTION =
  'You are an agent in a text game. Read the task and the whole interaction so far, then give the next command.';

/** Builds the ReAct call from the task, the full transcript and the initial observation. */
export function buildReactCall(
  task: string,
  initialObservation: string,
  turns: readonly ReactTurn[],
  profile: PromptProfile,
  decoding: RoleDecoding,
): PolicyCallInput {
  const transcript = turns.map((t) => `> ${t.action}\n${t.observation.trim()}`).join('\n');
  const body = `${task}\n${initialObservation.trim()}\n${transcript}`;
  const base = { role: 'react' as const, profile, maxTokens: decoding.maxTokens, temperature: decoding.temperature };
  if (profile === 'paper') return { ...base, prompt: `${REACT_INSTRUCTION}\n${body}\n> `, stop: ['\n'] };
  return {
    ...base,
    messages: [
      {
        role: 'system',
        content: `${REACT_INSTRUCTION} Reply with JSON only: {"thought": "...", "action": "<command>"}.`,
      },
      { role: 'user', content: body },
    ],
  };
}
