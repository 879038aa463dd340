/** Token totals of recorded calls and transitions. Zod-free (type imports only), so workflows use it too. */
import type { CallRecordV1, RecordedTransition } from './records';

/** Prompt + completion tokens of one recorded call of any version (0 when there was none). */
export function callTokens(record: Pick<CallRecordV1, 'tokens'> | undefined): number {
  return record ? record.tokens.prompt + record.tokens.completion : 0;
}

/** Tokens of a transition's low-level and progress calls. */
export function transitionTokens(transition: RecordedTransition): number {
  return callTokens(transition.low) + callTokens(transition.progress);
}
