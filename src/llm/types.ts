/**
 * The one interface every LLM backend implements (scripted, OpenAI-compatible, embedded local model).
 * Requests carry no secrets: keys live in the backend's construction-time config on the worker.
 */

import type { ChatMessage, PolicyRole } from '../agent/vocabulary';

/** The core's call vocabulary, re-exported so LLM code can keep importing it from here. */
export type { ChatMessage, PolicyRole };

/**
 * A single model call. `prompt` (raw text, `paper` profile, completions endpoint) or
 * `messages` (chat profile) is set, never both.
 */
export interface LlmRequest {
  role: PolicyRole;
  /** Raw prompt text (paper profile). */
  prompt?: string;
  /** Chat messages (chat profile). */
  messages?: ChatMessage[];
  /** JSON schema the output must follow (chat profile); backends that can constrain output use it. */
  jsonSchema?: Record<string, unknown>;
  /** @default 64 */
  maxTokens?: number;
  /** @default 0 */
  temperature?: number;
  /** Stop sequences. */
  stop?: string[];
}

/** Per-call options that are not part of the request (so never part of a cache key). */
export interface CallOptions {
  /** Aborts the call (an activity's cancellation signal): backends stop waiting and reject. */
  signal?: AbortSignal;
  /** Workflow id of the episode the call decides for (the scripted expert picks its plan by it). */
  episodeId?: string;
}

/** Token counts for one call; `source` says whether the provider reported them or we counted. */
export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  source: 'api' | 'tokenizer';
}

/** A model's answer. */
export interface LlmResponse {
  text: string;
  usage: TokenUsage;
  /** Model id that produced the text. */
  model: string;
  latencyMs: number;
  /** True when served from the response cache (no tokens spent). */
  cached?: boolean;
  /** On a cache hit: the usage of the call that produced the stored text (`usage` is then zero). */
  originalUsage?: TokenUsage;
  /** On a cache hit: the latency of the call that produced the stored text. */
  originalLatencyMs?: number;
}

/** Any model backend. */
export interface LlmClient {
  /** Stable id of the model(s) behind this client, for records. */
  readonly modelId: string;
  complete(request: LlmRequest, options?: CallOptions): Promise<LlmResponse>;
}

/** Errors a backend throws; `retryable` decides whether the activity retry policy may try again. */
export class LlmError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    /** Seconds the provider asked us to wait (Retry-After). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = retryable ? 'LlmTransientError' : 'LlmConfigError';
  }
}
