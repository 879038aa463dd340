/**
 * One policy decision = one model call plus bounded, recorded repair attempts. Workflow code:
 * each attempt is its own activity, so none is repeated on replay. A call that cannot be made (a
 * non-retryable error: bad key, unknown model, bad request, read-only cache miss; or an outage
 * longer than `llmOutageBudgetSeconds`) ends the episode with status `llm-error` and a message,
 * keeping what was recorded, instead of failing the workflow.
 */
import type { PolicyCallInput } from '../activities/types';
import { buildRepairCall } from '../agent/prompts';
import { addAttempt, emptyCallRecord, type Decision, type LlmStop } from '../episode/call-record';
import { DEFAULT_EPISODE_CONFIG, type EpisodeConfig } from '../agent/config';
import { llmFailureMessage } from '../episode/llm-failure-message';
import { policyFor } from './proxies';

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

/**
 * {@link decide} with the config's repair attempts and outage budget; a policy call that failed
 * for good becomes `{ llmError }`. Anything else (cancellation, a bug) is rethrown.
 */
export async function decideOrStop(
  call: PolicyCallInput,
  config: Pick<EpisodeConfig, 'repairAttempts' | 'llmOutageBudgetSeconds'>,
): Promise<Decision | LlmStop> {
  try {
    return await decide(call, config.repairAttempts, config.llmOutageBudgetSeconds);
  } catch (err) {
    const message = llmFailureMessage(err, config.llmOutageBudgetSeconds);
    if (message !== undefined) return { llmError: message };
    throw err;
  }
}
