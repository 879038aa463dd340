/**
 * One policy decision = one model call plus bounded, recorded repair attempts. Workflow code:
 * each attempt is its own activity, so none is repeated on replay.
 */
import type { PolicyCallInput } from '../activities/types';
import type { PolicyOutput } from '../agent/schemas';
import type { CallRecord } from '../agent/records';
import { buildRepairCall } from '../agent/prompts';
import { emptyCallRecord, foldAttempt } from '../episode/call-record';
import { DEFAULT_EPISODE_CONFIG } from '../agent/config';
import { policyFor } from './proxies';

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

/**
 * Calls the policy, repairing unparseable replies up to `repairAttempts` times. Each call may wait
 * out an endpoint outage for `outageBudgetSeconds` (default: the config default), which the call
 * carries so that the activity checks it; past it, or on a non-retryable error, the
 * `ActivityFailure` is thrown (see {@link llmFailureMessage}).
 */
export async function decide(
  call: PolicyCallInput,
  repairAttempts: number,
  outageBudgetSeconds = DEFAULT_EPISODE_CONFIG.llmOutageBudgetSeconds,
): Promise<Decision> {
  const llm = policyFor(outageBudgetSeconds);
  const record = emptyCallRecord(call);
  let current = call;
  let spentTokens = 0;
  for (let attempt = 0; ; attempt++) {
    const result = await llm.callPolicy({ ...current, outageBudgetSeconds });
    spentTokens += foldAttempt(record, result);
    if (result.parsed.ok) {
      record.output = result.parsed.value;
      return { output: result.parsed.value, lastReply: result.text, record, spentTokens };
    }
    record.repairs.push({ reply: result.text, error: result.parsed.error });
    if (attempt >= repairAttempts) return { lastReply: result.text, record, spentTokens };
    current = buildRepairCall(call, result.text, result.parsed.error);
  }
}
