/**
 * Ids of the `patched()` guards of the eval workflow. Episode, subtask and ReAct workflows run
 * PINNED to the build that started them (Worker Versioning), so they change without guards; the
 * eval is long-lived and upgrades to new builds (AUTO_UPGRADE), so a change to its commands keeps
 * the old branch behind an id here, with a replay fixture of each branch (docs/versioning.md).
 * Remove a guard (via `deprecatePatch`) only once no running eval can hold a history without it.
 */

/** An eval started with step-hrl's search attributes starts its episodes with theirs and upserts its own end. */
export const EVAL_SEARCH_ATTRIBUTES = 'eval-search-attributes';
/**
 * An eval cancelled (by Temporal, our signal or the `cancel` update) cancels its running episodes
 * through their own cancellation scopes and waits for them (was: a signal to each, and Temporal's
 * cancellation failed the eval while its children were still closing).
 */
export const EVAL_NATIVE_CANCEL = 'eval-native-cancel';
