/**
 * How many LLM calls one worker runs at once: `--llm-slots`, else `STEP_HRL_LLM_SLOTS`, else a
 * default sized to the backend: a batching server (vLLM, llama.cpp server, a hosted API) is fed
 * best with many calls in flight; the embedded local model runs one call at a time, so more slots
 * would only hold calls inside the worker instead of in Temporal's queue.
 */
import { DEFAULT_WORKER_SLOTS } from '../worker';

/** Environment variable overriding the LLM slot default. */
export const LLM_SLOTS_ENV = 'STEP_HRL_LLM_SLOTS';

/** Slots for a backend that runs one call at a time (one running, one ready to start). */
export const SERIAL_BACKEND_LLM_SLOTS = 2;

/**
 * The worker's LLM slot count. `serial` is true for the embedded local model.
 * @throws naming the flag or variable and the fix when the value is not a positive integer.
 */
export function resolveLlmSlots(options: { flag?: string; serial: boolean; env?: NodeJS.ProcessEnv }): number {
  const env = options.env ?? process.env;
  const [source, raw] =
    options.flag !== undefined
      ? ['--llm-slots', options.flag]
      : [LLM_SLOTS_ENV, env[LLM_SLOTS_ENV]?.trim() || undefined];
  if (raw === undefined) {
    return options.serial ? SERIAL_BACKEND_LLM_SLOTS : DEFAULT_WORKER_SLOTS.maxConcurrentLlmCalls;
  }
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < 1) {
    throw new Error(
      `${source} ${JSON.stringify(raw)} is not valid: give the number of LLM calls a worker runs at once, ` +
        'a whole number of at least 1 (about the backend’s batch size, e.g. 64 for vLLM; 1-2 for a local model)',
    );
  }
  return n;
}

/** Help text of the `--llm-slots` option. */
export const LLM_SLOTS_HELP =
  `LLM calls this worker runs at once (default ${DEFAULT_WORKER_SLOTS.maxConcurrentLlmCalls} for an endpoint, ` +
  `${SERIAL_BACKEND_LLM_SLOTS} for the local model; or ${LLM_SLOTS_ENV})`;
