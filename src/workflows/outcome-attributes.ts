/**
 * The search attributes and memo a workflow sets when it ends, so `step-hrl list` and the Temporal
 * UI can find episodes and evals by outcome. Only for workflows started with step-hrl's attributes
 * (see {@link startedWithStepHrlAttributes}); the eval (which upgrades across builds) guards its
 * use with a `patched()` id.
 */
import { patched, upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { factsOfAttributes, startedWithStepHrlAttributes, SUMMARY_MEMO } from '../episode/search-attributes';

/**
 * Upserts `updates` and a memo summarising every step-hrl attribute after them. No-op for a
 * workflow started without step-hrl's attributes, or replaying a history from before `patchId`.
 */
export function recordEndAttributes(updates: SearchAttributeUpdatePair[], patchId?: string): void {
  const current = workflowInfo().typedSearchAttributes;
  if (!startedWithStepHrlAttributes(current) || (patchId !== undefined && !patched(patchId))) return;
  upsertSearchAttributes(updates);
  upsertMemo({ [SUMMARY_MEMO]: factsOfAttributes(current.updateCopy(updates)) });
}

/** True when this workflow may start children with step-hrl's attributes (see {@link recordEndAttributes}). */
export function childAttributesEnabled(patchId: string): boolean {
  return startedWithStepHrlAttributes(workflowInfo().typedSearchAttributes) && patched(patchId);
}
