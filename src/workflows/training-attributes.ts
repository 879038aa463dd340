/**
 * The search attributes a training run upserts when it ends (status, steps) and its memo: only for
 * runs started with step-hrl's attributes, since an upsert of attributes the cluster does not know
 * fails the workflow task over and over.
 */
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { startedWithStepHrlAttributes, SUMMARY_MEMO } from '../episode/search-attributes';

/** Upserts `updates` and a memo of the run's kind, status and steps. */
export function recordTrainingEnd(updates: SearchAttributeUpdatePair[]): void {
  const current = workflowInfo().typedSearchAttributes;
  if (!startedWithStepHrlAttributes(current)) return;
  upsertSearchAttributes(updates);
  const after = current.updateCopy(updates);
  const memo: Record<string, unknown> = { kind: 'training' };
  for (const { key } of updates) memo[key.name.replace(/^StepHrl/, '').toLowerCase()] = after.get(key);
  upsertMemo({ [SUMMARY_MEMO]: memo });
}
