/**
 * The teacher path: prompts for a teacher model (any OpenAI-compatible endpoint) that segments an
 * expert trajectory and writes local-progress labels in the STEP-HRL reference's style, and the
 * parsers and validity rules for its replies. The prompts are versioned files under
 * `src/datasets/prompts/`; each one's sha256 goes into every row's provenance.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../project';
import type { LlmRequest } from '../llm/types';
import { stripProgressSuffix } from './segment-rules';
import type { ProgressLabel, Segment } from '../episode/dataset-records';

/** The teacher prompt files, by purpose (bump the file name's version when the text changes). */
export const TEACHER_PROMPT_FILES = { segment: 'segment-v1.txt', progress: 'progress-v1.txt' } as const;

/** A loaded teacher prompt template. */
export interface TeacherPrompt {
  name: string;
  text: string;
  sha256: string;
}

const loaded = new Map<string, TeacherPrompt>();

/** Loads a teacher prompt file (cached per process). */
export function loadTeacherPrompt(purpose: keyof typeof TEACHER_PROMPT_FILES): TeacherPrompt {
  const name = TEACHER_PROMPT_FILES[purpose];
  let prompt = loaded.get(name);
  if (!prompt) {
    const text = readFileSync(path.join(projectRoot(), 'src', 'datasets', 'prompts', name), 'utf8');
    prompt = { name, text, sha256: createHash('sha256').update(text).digest('hex') };
    loaded.set(name, prompt);
  }
  return prompt;
}

/** The sha256 of every teacher prompt file, by file name. */
export function teacherPromptHashes(): Record<string, string> {
  return Object.fromEntries(
    (Object.keys(TEACHER_PROMPT_FILES) as (keyof typeof TEACHER_PROMPT_FILES)[]).map((p) => {
      const t = loadTeacherPrompt(p);
      return [t.name, t.sha256];
    }),
  );
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_m, key: string) => values[key] ?? '');
}

/** Teacher sampling: the reference's segmentation call runs at temperature 0. */
const SEGMENT_MAX_TOKENS = 2048;
/** The reference's progress labeller runs DeepSeek-chat at temperature 0.15. */
const PROGRESS_TEMPERATURE = 0.15;
const PROGRESS_MAX_TOKENS = 150;

/** The segmentation request for a trajectory (one user message, as a chat model is asked). */
export function segmentRequest(
  task: string,
  actions: readonly string[],
  template = loadTeacherPrompt('segment'),
): LlmRequest {
  const content = fill(template.text, { task, actions: actions.map((a, i) => `${i + 1}. ${a}`).join('\n') });
  return { role: 'high', messages: [{ role: 'user', content }], maxTokens: SEGMENT_MAX_TOKENS, temperature: 0 };
}

/** The progress-label request after one step. */
export function progressRequest(
  input: { subtask: string; previous: string; action: string; observation: string },
  template = loadTeacherPrompt('progress'),
): LlmRequest {
  const content = fill(template.text, input);
  return {
    role: 'progress',
    messages: [{ role: 'user', content }],
    maxTokens: PROGRESS_MAX_TOKENS,
    temperature: PROGRESS_TEMPERATURE,
  };
}

/** A parsed teacher reply, or why it was rejected. */
export type TeacherParse<T> = { ok: true; value: T } | { ok: false; reason: string; detail: string };

const LINE = /^\s*(\d+)\s*[-.)]\s*(.+?)\s*:\s*\{(.*)\}\s*$/;
const QUOTED = /'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"/g;

/**
 * Parses a numbered segmentation (`1- <subtask> : {'a', 'b'}` per line, as the reference's
 * segmenter answers; `_` in a subtask becomes a space as its parser does) and applies the
 * reference's validity rule: the segmented actions equal the gold sequence in order and count.
 */
export function parseSegmentation(reply: string, gold: readonly string[]): TeacherParse<Segment[]> {
  const segments: Segment[] = [];
  for (const line of reply.split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    const actions = [...m[3].matchAll(QUOTED)].map((q) => (q[1] ?? q[2]).replace(/\\(.)/g, '$1'));
    segments.push({ subtask: m[2].replace(/_/g, ' ').trim(), actions });
  }
  if (segments.length === 0)
    return { ok: false, reason: 'invalid-structure', detail: "no line of the form `1- <subtask> : {'action', ...}`" };
  if (segments.some((s) => s.actions.length === 0 || s.subtask === ''))
    return { ok: false, reason: 'invalid-structure', detail: 'a subtask has no text or no actions' };
  const flat = segments.flatMap((s) => s.actions);
  if (flat.length !== gold.length)
    return {
      ok: false,
      reason: 'segment-mismatch',
      detail: `segmented ${flat.length} actions, the gold sequence has ${gold.length}`,
    };
  const at = flat.findIndex((a, i) => a.trim() !== gold[i]);
  if (at >= 0)
    return {
      ok: false,
      reason: 'segment-mismatch',
      detail: `action ${at + 1} is ${JSON.stringify(flat[at])}, the gold action is ${JSON.stringify(gold[at])}`,
    };
  return { ok: true, value: segments.map((s) => ({ subtask: s.subtask, actions: s.actions.map((a) => a.trim()) })) };
}

/** Parses a progress reply: its first non-empty line (a leading "Updated local progress:" dropped). */
export function parseProgressLabel(reply: string): TeacherParse<ProgressLabel> {
  const line = reply
    .split('\n')
    .map((l) => l.replace(/^\s*Updated local progress:\s*/i, '').trim())
    .find((l) => l.length > 0);
  if (!line) return { ok: false, reason: 'empty-label', detail: 'the teacher answered no progress text' };
  const label = stripProgressSuffix(line);
  if (!label)
    return { ok: false, reason: 'empty-label', detail: `the label ${JSON.stringify(line)} is only bookkeeping` };
  return { ok: true, value: { raw: line, label } };
}
