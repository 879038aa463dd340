/**
 * The record of one policy decision, built as its attempts come back: what the model received
 * (once), the decoding, tokens and latency summed over attempts, the last reply. Pure.
 */
import type { PolicyCallInput, PolicyCallResult } from '../activities/types';
import { promptChars } from '../agent/prompts';
import type { CallRecord } from '../agent/records';
import type { PolicyOutput } from '../agent/schemas';

/** A decision and the record of how it was obtained. */
export interface Decision {
  /** Undefined when every attempt was unparseable. */
  output?: PolicyOutput;
  /** The last raw reply (used as-is where the reference would). */
  lastReply: string;
  record: CallRecord;
  /** Tokens actually spent (0 for response-cache hits). */
  spentTokens: number;
}

/** Why no decision could be obtained (a policy call that failed for good, see `llmFailureMessage`). */
export interface LlmStop {
  llmError: string;
}

/** True when `answer` is a stop rather than a decision. */
export function isLlmStop(answer: Decision | LlmStop): answer is LlmStop {
  return 'llmError' in answer;
}

/** The record of `call` before any attempt. */
export function emptyCallRecord(call: PolicyCallInput): CallRecord {
  return {
    role: call.role,
    model: '',
    tokens: { prompt: 0, completion: 0 },
    latencyMs: 0,
    promptChars: promptChars(call),
    // What the model received, once: repair attempts re-send this call (extended in chat).
    ...(call.prompt !== undefined && { prompt: call.prompt }),
    ...(call.messages !== undefined && { messages: call.messages }),
    decoding: {
      maxTokens: call.maxTokens,
      temperature: call.temperature,
      ...(call.stop !== undefined && { stop: call.stop }),
    },
    reply: '',
    output: null,
    cached: false,
    repairs: [],
  };
}

/** Adds one attempt's answer to `record`; returns the tokens it actually spent. */
export function foldAttempt(record: CallRecord, result: PolicyCallResult): number {
  record.model = result.model;
  record.tokens.prompt += result.usage.promptTokens;
  record.tokens.completion += result.usage.completionTokens;
  record.latencyMs += result.latencyMs;
  record.reply = result.text;
  record.cached = result.cached ?? false; // absent in results recorded before the cache existed
  return result.spentTokens;
}

/**
 * Adds attempt `attempt` (0-based) of a decision to `record`, as `decide` does: a parsed reply
 * sets the output, an unparsed one becomes a repair. Returns whether the decision is over (parsed,
 * or no repair attempt left of `repairAttempts`) and the tokens the attempt spent.
 */
export function addAttempt(
  record: CallRecord,
  result: PolicyCallResult,
  attempt: number,
  repairAttempts: number,
): { finished: boolean; spentTokens: number } {
  const spentTokens = foldAttempt(record, result);
  if (result.parsed.ok) {
    record.output = result.parsed.value;
    return { finished: true, spentTokens };
  }
  record.repairs.push({ reply: result.text, error: result.parsed.error });
  return { finished: attempt >= repairAttempts, spentTokens };
}
