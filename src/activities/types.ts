/**
 * Activity contracts shared by workflows (type-only imports) and implementations.
 * Inputs are bounded and carry no secrets.
 */
import type { PolicyOutput } from '../agent/schemas';
import type { Parsed } from '../agent/prompts/types';
import type { EnvSpec, ResetResult, StepResult } from '../envs/text-env';
import type { PolicyCallInput, PromptProfile } from '../agent/vocabulary';
import type { TokenUsage } from '../llm/types';

/** The core's prompt vocabulary, re-exported so activity code can keep importing it from here. */
export type { PolicyCallInput, PromptProfile };

/** Input of `callPolicy`: one call, and how long it may wait out an outage. */
export interface PolicyActivityInput extends PolicyCallInput {
  /**
   * The episode's `llmOutageBudgetSeconds`: a retryable failure once this many seconds have passed
   * since the call's first attempt was scheduled ends the call ({@link LLM_OUTAGE_BUDGET_EXCEEDED}).
   * Absent in calls scheduled before the budget was time: their retry policy bounds them.
   */
  outageBudgetSeconds?: number;
}

/** Failure type of a policy call still failing when its outage budget ran out (non-retryable). */
export const LLM_OUTAGE_BUDGET_EXCEEDED = 'LlmOutageBudgetExceeded';

/** Period of the heartbeats every running activity sends (worker interceptor). */
export const HEARTBEAT_EVERY_MS = 1000;

/**
 * The worker's `maxHeartbeatThrottleInterval`: the SDK sends at most one heartbeat per
 * min(0.8 x heartbeat timeout, this), so without the cap a 5 s timeout meant one every 4 s and a
 * stall of a second failed a live attempt.
 */
export const HEARTBEAT_THROTTLE_MS = 2000;

/**
 * Heartbeat timeout of every heartbeating activity: several throttled heartbeats, so a worker
 * stalled for a few seconds (GC, a busy event loop) is not taken for dead, and a killed one is
 * still noticed within seconds.
 */
export const HEARTBEAT_TIMEOUT_MS = 10_000;

/** The model's reply, parsed and validated for the role and profile (never throws on bad output). */
export interface PolicyCallResult {
  text: string;
  parsed: Parsed<PolicyOutput>;
  /** Usage of the call that produced the reply (the original one on a cache hit). */
  usage: TokenUsage;
  /** Tokens actually spent by this call: 0 on a cache hit. */
  spentTokens: number;
  model: string;
  /** Latency of the call that produced the reply. */
  latencyMs: number;
  cached: boolean;
}

/** {@link ResetResult} plus a short hash of the observation, used to check re-drives. */
export interface EnvResetOutput extends ResetResult {
  obsHash: string;
  /** Versions of the env packages behind the session (recorded with the result). */
  versions: Record<string, string>;
}

/** {@link StepResult} plus a short hash of the observation and the step's latency. */
export interface EnvStepOutput extends StepResult {
  obsHash: string;
  latencyMs: number;
}

/** One recorded step of the action prefix, enough to re-drive a lost session. */
export interface RecordedStep {
  action: string;
  /** The observation's hash, or (from a {@link CompactRedriveLog}) its first characters. */
  obsHash: string;
}

/**
 * The re-drive log in compact form, about 10 bytes a step (a list of {@link RecordedStep} costs
 * about 45): each distinct action once, then per step the index of its action and a short
 * observation hash. Built and read by `src/episode/redrive-log.ts`.
 */
export interface CompactRedriveLog {
  /** Each distinct action once, in order of first use. */
  actions: string[];
  /** Per step, the index of its action in `actions` in base 36; steps separated by `,`. */
  actionIndexes: string;
  /** Per step, the first `REDRIVE_HASH_CHARS` (8) hex digits of its observation hash, concatenated. */
  obsHashes: string;
}

/** What a re-drive replays: the compact log, or the step list that states recorded before it hold. */
export type RedriveLog = CompactRedriveLog | RecordedStep[];

/** Input of `envRedrive`: the spec and the whole recorded prefix (only sent after a session loss). */
export interface RedriveInput {
  episodeId: string;
  spec: EnvSpec;
  steps: RedriveLog;
  resetObsHash: string;
}

/**
 * The answer of `acquireEnvQueue`: the env queue of the worker process that will hold the session,
 * and that process's incarnation (fresh in every process, also the last part of the queue's name).
 * Env activities called with another incarnation answer {@link SESSION_LOST}.
 */
export interface EnvLease {
  envQueue: string;
  incarnation: string;
  /** The worker's Temporal identity (`pid@host`, incarnation, machine), read by `resume` to tell a gone one. */
  identity?: string;
}

/** Input of `acquireEnvQueue`: the env family, whose server the answering worker checks first. */
export interface AcquireInput {
  env: string;
}

/**
 * The incarnation of the worker process serving `envQueue` (`<taskQueue>.env.[<label>.]<incarnation>`):
 * the part after the last dot. Pure, so workflows pass it with every env call.
 */
export function incarnationOfEnvQueue(envQueue: string): string {
  return envQueue.slice(envQueue.lastIndexOf('.') + 1);
}

/** What every env activity's input carries: the incarnation it was meant for (absent in older calls). */
export interface PinnedInput {
  /** The incarnation of the worker that holds the session; another one answers {@link SESSION_LOST}. */
  incarnation?: string;
}

/** Failure types thrown by env activities, matched by workflows and retry policies. */
export const SESSION_LOST = 'SessionLost';
/** A re-driven observation differed from the recorded one. */
export const ENV_DIVERGENCE = 'EnvDivergence';

/** Liveness queue of an env queue: where its worker answers `pingEnvWorker` with slots of its own. */
export function livenessQueue(envQueue: string): string {
  return `${envQueue}.alive`;
}

/**
 * Every activity a step-hrl worker registers, as the workflows call them: declared here (no
 * implementation imported) so workflow code depends on activity types only. The worker's
 * implementations are checked against it (`src/activities/index.ts`).
 */
export interface StepHrlActivityTypes {
  callPolicy(input: PolicyActivityInput): Promise<PolicyCallResult>;
  acquireEnvQueue(input?: AcquireInput): Promise<EnvLease>;
  envReset(input: { episodeId: string; spec: EnvSpec } & PinnedInput): Promise<EnvResetOutput>;
  envStep(input: { episodeId: string; stepIndex: number; action: string } & PinnedInput): Promise<EnvStepOutput>;
  envRedrive(input: RedriveInput & PinnedInput): Promise<{ replayed: number }>;
  envClose(input: { episodeId: string } & PinnedInput): Promise<void>;
  pingEnvWorker(): Promise<string>;
}
