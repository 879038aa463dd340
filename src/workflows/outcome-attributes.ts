/**
 * The search attributes and memo a workflow sets when it ends, so `step-hrl list` and the Temporal
 * UI can find episodes and evals by outcome. Only for workflows started with step-hrl's attributes
 * (see {@link startedWithStepHrlAttributes}).
 */
import { upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { SearchAttributeUpdatePair, TypedSearchAttributes } from '@temporalio/common';
import type { EpisodeConfig } from '../agent/config';
import { invalidConfigFailure } from '../episode/failures';
import {
  factsOfAttributes,
  startedWithStepHrlAttributes,
  StepHrlStatus,
  SUMMARY_MEMO,
} from '../episode/search-attributes';

/**
 * Upserts `updates` and a memo of the attributes after them (by default a summary of every step-hrl
 * attribute); a no-op without step-hrl's attributes.
 */
export function recordEndAttributes(
  updates: SearchAttributeUpdatePair[],
  memoOf: (after: TypedSearchAttributes) => object = factsOfAttributes,
): void {
  const current = workflowInfo().typedSearchAttributes;
  if (!startedWithStepHrlAttributes(current)) return;
  upsertSearchAttributes(updates);
  upsertMemo({ [SUMMARY_MEMO]: memoOf(current.updateCopy(updates)) });
}

/**
 * Ends an episode of either agent kind whose config is invalid: `failed` in its search attributes
 * and a non-retryable `InvalidEpisodeConfig` naming every problem. Returns when the config is valid.
 */
export function refuseInvalidConfig(config: EpisodeConfig): void {
  const failure = invalidConfigFailure(config);
  if (!failure) return;
  recordEndAttributes([{ key: StepHrlStatus, value: 'failed' }]);
  throw failure;
}
