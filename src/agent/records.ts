/**
 * The versioned records users see: one {@link AugmentedTransition} per environment step (the unit
 * STEP-HRL trains on), and per-subtask / per-episode summaries. zod schemas are the source of truth;
 * workflows import the inferred types only (`import type`), so zod stays out of the workflow bundle.
 */
import { z } from 'zod';

/** Format version of {@link AugmentedTransition}; bump on any field change. */
export const TRANSITION_VERSION = 1;

const Tokens = z.object({ prompt: z.number().int().nonnegative(), completion: z.number().int().nonnegative() });

/**
 * One bounded model call's bookkeeping. Tokens and latency are those of the call that produced the
 * reply (a response-cache hit reports the original call's), so a cached re-run records identically;
 * what a run actually spent is in the episode result's `spentTokens`.
 */
export const CallRecord = z.object({
  model: z.string(),
  tokens: Tokens,
  latencyMs: z.number().nonnegative(),
  /** Size of the prompt sent, in characters (the bounded-input guarantee is checked on this). */
  promptChars: z.number().int().nonnegative(),
  /** Rejected replies and why, when repair attempts were needed. */
  repairs: z.array(z.object({ reply: z.string(), error: z.string() })),
});
export type CallRecord = z.infer<typeof CallRecord>;

/** An augmented step-level transition: (s, a, r, s', done) plus its STEP-HRL context. */
export const AugmentedTransition = z.object({
  version: z.literal(TRANSITION_VERSION),
  episodeId: z.string(),
  subtaskIndex: z.number().int().nonnegative(),
  stepIndex: z.number().int().nonnegative(),
  task: z.string(),
  subtask: z.string(),
  completedSubtasks: z.array(z.string()),
  progressBefore: z.string(),
  progressAfter: z.string(),
  observation: z.string(),
  action: z.string(),
  nextObservation: z.string(),
  reward: z.number(),
  score: z.number(),
  done: z.boolean(),
  won: z.boolean(),
  subtaskDone: z.boolean(),
  /** True when the low-level output could not be parsed and the action sent was "None". */
  invalid: z.boolean(),
  low: CallRecord,
  /** Absent on the terminal step (the reference skips the progress update there). */
  progress: CallRecord.optional(),
  envLatencyMs: z.number().nonnegative(),
});
export type AugmentedTransition = z.infer<typeof AugmentedTransition>;

/** Why a subtask (child workflow) stopped. */
export type SubtaskStatus =
  | 'subtask-done'
  | 'env-done'
  | 'step-budget'
  | 'subtask-step-cap'
  | 'token-budget'
  | 'cancelled'
  | 'session-lost'
  | 'llm-error';

/** Why an episode stopped. */
export type EpisodeStatus =
  'env-done' | 'step-budget' | 'subtask-budget' | 'token-budget' | 'cancelled' | 'env-error' | 'llm-error';
