/**
 * A recorded call's prompt stored by reference: its SHA-256 and the prompt builder version in place
 * of the text, when the reader can render the same text again from the record's other fields (the
 * writer checks that before leaving the text out). Readers put the text back and check the hash;
 * a record whose text cannot be rebuilt keeps the hash, which still proves what was sent. Pure,
 * workflow-safe.
 */
import type { PolicyCallInput } from '../activities/types';
import type { CallRecord } from '../agent/records';
import { sha256Hex } from './sha256';

/**
 * Version of the prompt templates (`src/agent/prompts`) a hashed prompt is re-rendered with. A
 * template change that alters any rendered prompt bumps it and keeps the old builder readable, or
 * records made before it keep only their hash.
 */
export const PROMPT_BUILDER_VERSION = 1;

/** A call record as stored: the prompt (or messages) may be replaced by its hash. */
export type StoredCallRecord = Omit<CallRecord, 'prompt' | 'messages'> &
  Partial<Pick<CallRecord, 'prompt' | 'messages'>> & {
    /** SHA-256 of the prompt (or of the messages as JSON) the model received. */
    promptHash?: string;
    /** The {@link PROMPT_BUILDER_VERSION} that re-renders it. */
    promptBuilder?: number;
  };

/** What the model was sent, as one string (the prompt, or the messages as JSON). */
function sentText(x: Pick<PolicyCallInput, 'prompt' | 'messages'>): string | undefined {
  return x.prompt ?? (x.messages === undefined ? undefined : JSON.stringify(x.messages));
}

/**
 * `record` with its prompt replaced by the hash when `rendered` (the call a reader will rebuild from
 * the record's fields) sends exactly the same text; otherwise `record` unchanged. Key order is kept.
 */
export function promptByHash(record: StoredCallRecord, rendered: PolicyCallInput): StoredCallRecord {
  const sent = sentText(record);
  if (sent === undefined || sent !== sentText(rendered)) return record;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) {
    if (k === 'prompt' || k === 'messages')
      Object.assign(out, { promptHash: sha256Hex(sent), promptBuilder: PROMPT_BUILDER_VERSION });
    else out[k] = v;
  }
  return out as StoredCallRecord;
}

/**
 * The record with its prompt text back, rendered by `render` and checked against the stored hash
 * (a record stored whole is returned as is). On a mismatch, or a builder version this code does
 * not have, the record keeps its hash and no text: nothing is invented.
 */
export function promptFromHash(record: StoredCallRecord, render: () => PolicyCallInput): CallRecord {
  if (record.promptHash === undefined || record.promptBuilder !== PROMPT_BUILDER_VERSION) return record as CallRecord;
  const rendered = render();
  const text = sentText(rendered);
  if (text === undefined || sha256Hex(text) !== record.promptHash) return record as CallRecord;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) {
    if (k === 'promptHash')
      Object.assign(out, rendered.prompt !== undefined ? { prompt: rendered.prompt } : { messages: rendered.messages });
    else if (k !== 'promptBuilder') out[k] = v;
  }
  return out as CallRecord;
}
