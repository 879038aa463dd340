/**
 * Serves scripted policy rules from the mock OpenAI server: the role is recognised from the
 * prompt's content (the server does not know it), then the role's rule answers.
 */
import type { ScriptRule } from '../../src/llm/scripted-client';
import type { PolicyRole } from '../../src/llm/types';
import type { MockResponder } from './mock-openai-server';

/** Which STEP-HRL role a prompt is for. */
export function roleOfPrompt(prompt: string): PolicyRole {
  if (prompt.includes('Historical subtasks:')) return 'high';
  if (prompt.includes('Previous local progress:')) return 'progress';
  return 'low';
}

/** A responder answering every request with the first matching rule of its role. */
export function scriptResponder(rules: readonly ScriptRule[]): MockResponder {
  return ({ prompt, body }) => {
    const role = roleOfPrompt(prompt);
    const rule = rules.find((r) => r.role === role);
    if (!rule) throw new Error(`no scripted rule for role ${role}`);
    return typeof rule.reply === 'string'
      ? rule.reply
      : rule.reply(prompt, { role, maxTokens: Number(body.max_tokens ?? 64) });
  };
}
