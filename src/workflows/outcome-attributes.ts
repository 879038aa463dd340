/**
 * The search attributes and memo a workflow sets when it ends, so `step-hrl list` and the Temporal
 * UI can find episodes and evals by outcome. Only for workflows started with step-hrl's attributes
 * (see {@link startedWithStepHrlAttributes}).
 */
import { upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { factsOfAttributes, startedWithStepHrlAttributes, SUMMARY_MEMO } from '../episode/search-attributes';

/** Upserts `updates` and a memo summarising every step-hrl attribute after them (no-op without step-hrl's attributes). */
export function recordEndAttributes(updates: SearchAttributeUpdatePair[]): void {
  const current = workflowInfo().typedSearchAttributes;
  if (!startedWithStepHrlAttributes(current)) return;
  upsertSearchAttributes(updates);
  upsertMemo({ [SUMMARY_MEMO]: factsOfAttributes(current.updateCopy(updates)) });
}
