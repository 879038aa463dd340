/**
 * Search attribute keys step-hrl sets on its workflows. (Placeholder holding only the key `fork`
 * sets; the search-attributes work defines the full set under the same names.)
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** The episode a fork branched from (`step-hrl list --parent <id>`). */
export const StepHrlParent = defineSearchAttributeKey('StepHrlParent', SearchAttributeType.KEYWORD);
