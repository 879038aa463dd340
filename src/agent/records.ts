/**
 * The versioned records users see: one {@link AugmentedTransition} per environment step (the unit
 * STEP-HRL trains on), one {@link HighLevelTransition} per subtask (the high level's unit), and
 * per-subtask / per-episode summaries. zod schemas are the source of truth; workflows import the
 * inferred types only (`import type`), so zod stays out of the workflow bundle.
 *
 * Readers meet every version ever recorded: histories written before v2 hold v1 transitions
 * (no prompt, reply or cache flag). {@link parseRecordedTransition} accepts both and keeps the
 * version tag, so a reader can say what an old record lacks instead of inventing it.
 */
import { z } from 'zod';

/** Format version of {@link AugmentedTransition}; bump on any field change. */
export const TRANSITION_VERSION = 2;

/** Format version of {@link HighLevelTransition}; bump on any field change. */
export const HIGH_LEVEL_VERSION = 1;

const Tokens = z.object({ prompt: z.number().int().nonnegative(), completion: z.number().int().nonnegative() });

/** A call's bookkeeping as recorded before v2: cost and repairs, not what was said. */
export const CallRecordV1 = z.object({
  model: z.string(),
  tokens: Tokens,
  latencyMs: z.number().nonnegative(),
  /** Size of the prompt sent, in characters (the bounded-input guarantee is checked on this). */
  promptChars: z.number().int().nonnegative(),
  /** Rejected replies and why, when repair attempts were needed. */
  repairs: z.array(z.object({ reply: z.string(), error: z.string() })),
  /** Only in the earliest v1 records (before cached re-runs were made to record identically). */
  cached: z.boolean().optional(),
});
export type CallRecordV1 = z.infer<typeof CallRecordV1>;

const ChatMessage = z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string() });

/** What a parsed reply meant (the `PolicyOutput` of `src/agent/schemas.ts`); null when unparseable. */
const ParsedOutput = z.union([
  z.object({ role: z.literal('high'), subtask: z.string() }),
  z.object({ role: z.literal('low'), decision: z.object({ action: z.string(), subtaskDone: z.boolean() }) }),
  z.object({ role: z.literal('progress'), progress: z.string() }),
  z.object({ role: z.literal('react'), action: z.string(), thought: z.string().optional() }),
]);

/**
 * One bounded model call, complete: what was sent (the prompt of the `paper` profile or the
 * messages of `chat`, exactly as the model received them, stored once), the decoding parameters,
 * the raw reply, what it was parsed into, and its cost. Repair attempts re-send the same call
 * (extended with the rejected reply in `chat`), so only their replies and errors are stored.
 *
 * Tokens and latency are those of the call that produced the reply (a response-cache hit reports
 * the original call's), so a cached re-run records identically but for `cached`; what a run
 * actually spent is in the episode result's `spentTokens`.
 */
export const CallRecord = CallRecordV1.extend({
  role: z.enum(['high', 'low', 'progress', 'react']),
  /** The prompt sent (`paper` profile). */
  prompt: z.string().optional(),
  /** The messages sent (`chat` profile). */
  messages: z.array(ChatMessage).optional(),
  decoding: z.object({
    maxTokens: z.number().int().positive(),
    temperature: z.number(),
    stop: z.array(z.string()).optional(),
  }),
  /** The last raw reply (the accepted one, or the last rejected one when every attempt failed). */
  reply: z.string(),
  /** The accepted reply parsed; null when every attempt was unparseable. */
  output: ParsedOutput.nullable(),
  /** The accepted (or last) reply came from the response cache rather than the model. */
  cached: z.boolean(),
});
export type CallRecord = z.infer<typeof CallRecord>;

const transitionFields = {
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
  envLatencyMs: z.number().nonnegative(),
};

/** An augmented step-level transition: (s, a, r, s', done) plus its STEP-HRL context and both calls in full. */
export const AugmentedTransition = z.object({
  version: z.literal(TRANSITION_VERSION),
  ...transitionFields,
  low: CallRecord,
  /** Absent on the terminal step (the reference skips the progress update there). */
  progress: CallRecord.optional(),
});
export type AugmentedTransition = z.infer<typeof AugmentedTransition>;

/** A transition recorded before v2: the calls' cost and repairs only. */
export const AugmentedTransitionV1 = z.object({
  version: z.literal(1),
  ...transitionFields,
  low: CallRecordV1,
  progress: CallRecordV1.optional(),
});
export type AugmentedTransitionV1 = z.infer<typeof AugmentedTransitionV1>;

/** Any transition a history may hold, told apart by `version`. */
export const RecordedTransition = z.discriminatedUnion('version', [AugmentedTransition, AugmentedTransitionV1]);
export type RecordedTransition = z.infer<typeof RecordedTransition>;

/**
 * Validates a transition of any recorded version, keeping its `version` tag (v1 is not upgraded:
 * what it never stored stays absent). Throws a zod error naming the bad field otherwise.
 */
export function parseRecordedTransition(value: unknown): RecordedTransition {
  return RecordedTransition.parse(value);
}

/** True for a transition recorded with complete call records (v2 on). */
export function isCompleteTransition(tr: RecordedTransition): tr is AugmentedTransition {
  return tr.version >= 2;
}

/** True for a call record holding the prompt and reply (v2 on). */
export function isCompleteCall(record: CallRecordV1 | CallRecord | undefined): record is CallRecord {
  return record !== undefined && 'reply' in record;
}

/**
 * The paper's high-level transition, one per subtask: the high level saw the task, the subtasks
 * issued so far, the last subtask's final progress and the observation; it issued `subtask`; the
 * low level ran it for `steps` steps, earning `return`, ending with `finalProgress` and
 * `nextObservation`. `call` (what the high level was asked and answered) is recorded by the
 * episode workflow at decision time; the rest is assembled from the subtask's transitions.
 */
export const HighLevelTransition = z.object({
  version: z.literal(HIGH_LEVEL_VERSION),
  episodeId: z.string(),
  subtaskIndex: z.number().int().nonnegative(),
  task: z.string(),
  completedSubtasks: z.array(z.string()),
  /** Final local progress of the previous subtask ("None" for the first). */
  lastProgress: z.string(),
  /** The observation when the subtask was issued, as the prompt showed it. */
  observation: z.string(),
  subtask: z.string(),
  /** Reward summed over the subtask's steps, and the env score's change across them. */
  return: z.object({ reward: z.number(), scoreDelta: z.number() }),
  finalProgress: z.string(),
  /** The observation after the subtask's last step (= `observation` when it took none). */
  nextObservation: z.string(),
  /** Episode step index of the subtask's first step, and how many steps it took (all parts). */
  firstStep: z.number().int().nonnegative(),
  steps: z.number().int().nonnegative(),
  /** Why the subtask stopped (its last part's status). */
  status: z.string(),
  /** The env ended during the subtask. */
  done: z.boolean(),
  won: z.boolean(),
  /** The high-level call; absent for subtasks recorded before v2 (not stored then). */
  call: CallRecord.optional(),
});
export type HighLevelTransition = z.infer<typeof HighLevelTransition>;

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
