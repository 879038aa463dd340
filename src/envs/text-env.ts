/**
 * The one interface every text environment implements (built-in, ScienceWorld, ALFWorld).
 * Pure types only: imported by activities, clients and the conformance suite.
 */

import type { EnvKind, EnvSpec, Observation } from '../agent/vocabulary';

/** The core's env vocabulary, re-exported so env code can keep importing it from here. */
export type { EnvKind, EnvSpec, Observation };

/** Result of {@link TextEnv.reset}. */
export interface ResetResult {
  observation: Observation;
  /** Natural-language task description. */
  taskDescription: string;
  /** Score at reset (usually 0). */
  score: number;
}

/** Result of {@link TextEnv.step}. */
export interface StepResult {
  observation: Observation;
  /** Reward of this step (score delta for ScienceWorld, 0/1 for ALFWorld). */
  reward: number;
  /** Score after the step: ScienceWorld 0..100 (negative on failure), ALFWorld 0/1, built-in 0..100. */
  score: number;
  /** True when the environment has ended the episode (won, lost, or its own step limit). */
  done: boolean;
  /** True when the task was accomplished. */
  won: boolean;
}

/** Per-call options of {@link TextEnv.step}. */
export interface StepOptions {
  /**
   * Index of this step since the last reset (0-based). Env servers that support it apply each
   * index once and answer a repeat with the stored result (a retry after a lost answer), and
   * report a different action at a used index as `EnvDivergence`.
   */
  stepIndex?: number;
  /** Aborts the call (e.g. the activity's cancellation signal); the env may still apply the step. */
  signal?: AbortSignal;
}

/** Per-call options of {@link TextEnv.reset}. */
export interface ResetOptions {
  /** Aborts the call (e.g. the activity's cancellation signal). */
  signal?: AbortSignal;
  /**
   * Idempotency key of the session (the episode id): an env server that keeps sessions answers a
   * retried reset under the same key from the session it already reset, if no step followed.
   */
  key?: string;
  /**
   * The client process that owns the session (a worker incarnation id), sent when a server session
   * is created: once that process is known to be gone, its sessions on a shared env server are
   * closed at once (`releaseGoneSessions`) instead of holding their simulator until the idle TTL.
   */
  owner?: string;
}

/**
 * A live session of a text environment. One instance = one session; not shared across episodes.
 * Implementations throw {@link EnvError} subclasses with messages that name the bad input.
 */
export interface TextEnv {
  /** Starts (or restarts) the session at the spec's initial state. */
  reset(spec: EnvSpec, options?: ResetOptions): Promise<ResetResult>;
  /** Applies one action. Invalid actions are not errors: they return the env's own feedback. */
  step(action: string, options?: StepOptions): Promise<StepResult>;
  /** Releases the session. Idempotent. */
  close(): Promise<void>;
  /** Versions of the packages behind the env (simulator, game engine), recorded with every result. */
  versions?(): Promise<Record<string, string>>;
}

/** Base class for environment errors; `code` is stable for retry policies and tests. */
export class EnvError extends Error {
  constructor(
    message: string,
    readonly code:
      | 'UnknownTask'
      | 'BadVariation'
      | 'BadGameFile'
      | 'BadAction'
      | 'EnvUnavailable'
      | 'SessionLost'
      | 'EnvDivergence'
      | 'EnvProtocol',
  ) {
    super(message);
    this.name = `${code}Error`;
  }
}
