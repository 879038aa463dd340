/**
 * Small pure helpers every backend shares, so they agree on what a request's text is, how stop
 * sequences cut output and which requests are malformed.
 */
import { LlmError, type LlmRequest } from './types';

/** Request defaults documented on {@link LlmRequest}. */
export const DEFAULT_MAX_TOKENS = 64;
/** @see DEFAULT_MAX_TOKENS */
export const DEFAULT_TEMPERATURE = 0;

/**
 * Longest wait a server's Retry-After may impose before the next attempt: a rate-limit window (a
 * minute) is honoured, but one header can neither park a call for hours nor push its retry past
 * the policy call's schedule-to-close backstop (outage budget + 270 s).
 */
export const MAX_RETRY_AFTER_SECONDS = 60;

/**
 * The delay before the next attempt for a server's Retry-After of `seconds`: at most
 * {@link MAX_RETRY_AFTER_SECONDS}; undefined (the policy's backoff) when absent, negative or NaN.
 */
export function clampRetryAfterSeconds(seconds: number | undefined): number | undefined {
  if (seconds === undefined || Number.isNaN(seconds) || seconds < 0) return undefined;
  return Math.min(seconds, MAX_RETRY_AFTER_SECONDS);
}

/**
 * Throws a non-retryable {@link LlmError} unless exactly one of `prompt` / `messages` is set:
 * a retry cannot fix a malformed request.
 */
export function assertValidRequest(request: LlmRequest): void {
  const hasPrompt = typeof request.prompt === 'string';
  const hasMessages = Array.isArray(request.messages);
  if (hasPrompt === hasMessages) {
    throw new LlmError(
      `LlmRequest for role '${request.role}' must set exactly one of 'prompt' (paper profile) or ` +
        `'messages' (chat profile); it set ${hasPrompt ? 'both' : 'neither'}.`,
      false,
    );
  }
  if (hasMessages && request.messages!.length === 0) {
    throw new LlmError(`LlmRequest for role '${request.role}' has an empty 'messages' array.`, false);
  }
}

/** The text a request shows the model: the raw prompt, or the chat messages' contents in order. */
export function requestText(request: LlmRequest): string {
  return request.prompt ?? (request.messages ?? []).map((m) => m.content).join('\n\n');
}

/** `text` cut before the earliest occurrence of any stop sequence (stop text excluded, as vLLM does). */
export function applyStop(text: string, stop: readonly string[] | undefined): string {
  let end = text.length;
  for (const s of stop ?? []) {
    if (!s) continue;
    const at = text.indexOf(s);
    if (at !== -1 && at < end) end = at;
  }
  return text.slice(0, end);
}

/**
 * `work`, or a rejection as soon as `signal` aborts (an activity was cancelled): the caller stops
 * waiting even when the backend cannot interrupt the call itself (the local model finishes it
 * in the background and its answer is dropped).
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(new LlmError('the model call was cancelled', false));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new LlmError('the model call was cancelled', false));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
