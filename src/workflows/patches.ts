/**
 * Ids of the `patched()` guards of the eval workflow. Episode, subtask and ReAct workflows run
 * PINNED to the build that started them (Worker Versioning), so they change without guards; the
 * eval is long-lived and upgrades to new builds (AUTO_UPGRADE), so a change to its commands after
 * 1.0 keeps the old branch behind an id in {@link EVAL_PATCHES}, with a replay fixture of each
 * branch (tests/hermetic/workflows/patch-coverage.test.ts, docs/versioning.md). When no running eval can
 * hold a history without the change any more, the guard becomes a `deprecatePatch()` call and its
 * id moves to {@link DEPRECATED_EVAL_PATCHES}.
 */

/**
 * The eval continues as new at once, its running episodes abandoned to the next run (which awaits
 * their signalled or polled outcomes), instead of waiting for them first.
 */
export const EVAL_ABANDONED_STRAGGLERS = 'eval-abandoned-stragglers';

/** Eval changes guarded by `patched()` now (0.2.0 collapsed the stack before them). */
export const EVAL_PATCHES: readonly string[] = [EVAL_ABANDONED_STRAGGLERS];

/** An eval started with step-hrl's search attributes starts its episodes with theirs and upserts its own end. */
export const EVAL_SEARCH_ATTRIBUTES = 'eval-search-attributes';

/** Ids kept as `deprecatePatch()` calls: their markers are in released histories, which still replay. */
export const DEPRECATED_EVAL_PATCHES: readonly string[] = [EVAL_SEARCH_ATTRIBUTES];
