/**
 * Ids of the `patched()` guards around workflow changes that alter the commands a recorded history
 * expects. A history recorded before a change replays the old branch; new executions take the new
 * one. Remove a guard (via `deprecatePatch`) only once no history without it can still replay.
 */

/** A schedule-to-start timeout on a pinned env queue pings the worker before declaring the session lost. */
export const LIVENESS_PROBE = 'env-liveness-probe';
/** A session lost at reset or during a re-drive acquires a new env queue and tries again. */
export const REACQUIRE_LOST_SESSION = 'reacquire-lost-session';
/** Our cancel signal received during the high-level call stops the episode before the next subtask. */
export const CANCEL_BEFORE_SUBTASK = 'cancel-before-subtask';
/** Temporal's cancellation ends the episode as `cancelled` with its record and a closed env session. */
export const HONOUR_TEMPORAL_CANCEL = 'honour-temporal-cancel';
/** A failing episode still closes its env session. */
export const CLOSE_ENV_ON_FAILURE = 'close-env-on-failure';
/** A subtask child returns after `maxStepsPerChildRun` steps; the next part continues the subtask. */
export const SUBTASK_PARTS = 'subtask-parts';
/** ReAct: a session lost at a step re-drives a fresh session through the recorded steps (was: the workflow failed). */
export const REACT_REDRIVE = 'react-redrive';
/** ReAct: our cancel signal, or Temporal's cancellation, ends the episode as `cancelled` with its record. */
export const REACT_CANCEL = 'react-cancel';
/** ReAct: a failing episode still closes its env session; the close waits out a cancellation. */
export const REACT_CLOSE_ENV = 'react-close-env';
/** ReAct: `maxTokens` (when set) ends the episode as `token-budget` before the next call. */
export const REACT_TOKEN_BUDGET = 'react-token-budget';
/** An episode (STEP-HRL or ReAct) started with step-hrl's search attributes upserts its outcome and memo when it ends. */
export const EPISODE_OUTCOME_ATTRIBUTES = 'episode-outcome-search-attributes';
/** An eval started with step-hrl's search attributes starts its episodes with theirs and upserts its own end. */
export const EVAL_SEARCH_ATTRIBUTES = 'eval-search-attributes';
/**
 * A subtask child's result leaves out of its transitions what its input and the previous transition
 * already hold (`task`, `completedSubtasks`, `observation`); readers expand it.
 */
export const COMPACT_SUBTASK_OUTCOME = 'compact-subtask-outcome';
/**
 * An eval cancelled (by Temporal, our signal or the `cancel` update) cancels its running episodes
 * through their own cancellation scopes and waits for them (was: a signal to each, and Temporal's
 * cancellation failed the eval while its children were still closing).
 */
export const EVAL_NATIVE_CANCEL = 'eval-native-cancel';
/** An episode cancelled while its env session opens closes that session and ends `cancelled` (was: cancelled as a workflow, session left open). */
export const CANCEL_DURING_RESET = 'cancel-during-reset';
