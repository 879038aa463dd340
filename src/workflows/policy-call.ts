/**
 * One policy decision = one model call plus bounded, recorded repair attempts. Workflow code:
 * each attempt is its own activity, so none is repeated on replay.
 */
import type { PolicyCallInput } from '../activities/types';
import type { PolicyOutput } from '../agent/schemas';
import type { CallRecord } from '../agent/records';
import { buildRepairCall } from '../agent/prompts';
import { addAttempt, emptyCallRecord } from '../episode/call-record';
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
    // The same fold as the record readers' (`rebuildTransitions`), so both see one decision.
    const step = addAttempt(record, result, attempt, repairAttempts);
    spentTokens += step.spentTokens;
    if (result.parsed.ok) return { output: result.parsed.value, lastReply: result.text, record, spentTokens };
    if (step.finished) return { lastReply: result.text, record, spentTokens };
    current = buildRepairCall(call, result.text, result.parsed.error);
  }
}
