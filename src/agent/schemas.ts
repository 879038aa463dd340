/**
 * zod schemas for model outputs (chat profile) and the parsers both profiles share.
 * Used in activities (zod stays out of the workflow bundle); the results are recorded in history.
 */
import { z } from 'zod';
import { extractFirstJsonObject } from './json';
import type { PolicyRole } from './vocabulary';
import { parsePaperLow, parsePaperText } from './prompts/paper';
import { parseReactReply } from './prompts/react';
import type { LowDecision, Parsed } from './prompts/types';

/** High-level output. */
export const HighOutput = z.object({ subtask: z.string().trim().min(1, 'subtask must not be empty') }).strict();
/** Low-level output. */
export const LowOutput = z
  .object({ action: z.string().trim().min(1, 'action must not be empty'), subtask_done: z.boolean() })
  .strict();
/** Local progress output. */
export const ProgressOutput = z.object({ progress: z.string().trim().min(1, 'progress must not be empty') }).strict();
/** ReAct baseline output. */
export const ReactOutput = z.object({ thought: z.string().optional(), action: z.string().trim().min(1) }).strict();

const SCHEMAS = { high: HighOutput, low: LowOutput, progress: ProgressOutput, react: ReactOutput } as const;

/** JSON schema sent to the model for a role (chat profile). */
export function jsonSchemaFor(role: PolicyRole): Record<string, unknown> {
  return z.toJSONSchema(SCHEMAS[role]) as Record<string, unknown>;
}

/** What a parsed policy output means, per role. */
export type PolicyOutput =
  | { role: 'high'; subtask: string }
  | { role: 'low'; decision: LowDecision }
  | { role: 'progress'; progress: string }
  | { role: 'react'; action: string; thought?: string };

/** Parses a model's text for a role and profile; never throws. */
export function parsePolicyOutput(role: PolicyRole, profile: 'paper' | 'chat', text: string): Parsed<PolicyOutput> {
  if (role === 'react') {
    // ReAct replies are text in both profiles (`Action: <command>`); JSON is accepted as a fallback.
    const reply = parseReactReply(profile, text, () => {
      const parsed = parseJsonOutput('react', text);
      return parsed.ok && parsed.value.role === 'react' ? parsed.value : undefined;
    });
    return reply.ok ? { ok: true, value: { role, ...reply.value } } : reply;
  }
  if (profile === 'paper') {
    if (role === 'low') {
      const low = parsePaperLow(text);
      return low.ok ? { ok: true, value: { role, decision: low.value } } : low;
    }
    const line = parsePaperText(text, role === 'high' ? 'subtask' : 'progress');
    if (!line.ok) return line;
    if (role === 'high') return { ok: true, value: { role, subtask: line.value } };
    // The reference strips trailing "||" bookkeeping markers only when empty.
    return { ok: true, value: { role, progress: text.trim().replace(/\s*\|\|\s*(\[Checked:\s*\])?$/, '') } };
  }
  return parseJsonOutput(role, text);
}

/** Parses a chat-profile JSON reply against the role's schema. */
function parseJsonOutput(role: PolicyRole, text: string): Parsed<PolicyOutput> {
  let json: unknown;
  try {
    json = JSON.parse(extractFirstJsonObject(text) ?? text);
  } catch {
    return { ok: false, error: 'reply is not valid JSON' };
  }
  const result = SCHEMAS[role].safeParse(json);
  if (!result.success) {
    return {
      ok: false,
      error: result.error.issues.map((i) => `${i.path.join('.') || 'reply'}: ${i.message}`).join('; '),
    };
  }
  const data = result.data as Record<string, unknown>;
  switch (role) {
    case 'high':
      return { ok: true, value: { role, subtask: String(data.subtask) } };
    case 'low':
      return {
        ok: true,
        value: { role, decision: { action: String(data.action), subtaskDone: data.subtask_done === true } },
      };
    case 'progress':
      return { ok: true, value: { role, progress: String(data.progress) } };
    case 'react':
      return {
        ok: true,
        value: { role, action: String(data.action), ...(data.thought ? { thought: String(data.thought) } : {}) },
      };
  }
}
