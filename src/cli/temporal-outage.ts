/**
 * Riding out a Temporal server that is briefly away (restart, deploy, network blip): a CLI that
 * follows an episode retries with capped backoff instead of ending with "Failed to get Workflow
 * execution history", for a configurable window.
 */
import { isGrpcServiceError } from '@temporalio/client';

/** How long a command keeps retrying while Temporal does not answer, unless configured. */
export const DEFAULT_TEMPORAL_OUTAGE_SECONDS = 600;

/** Variable that sets the outage window in seconds. */
export const TEMPORAL_OUTAGE_VAR = 'STEP_HRL_TEMPORAL_OUTAGE_SECONDS';

/** gRPC status codes of an absent server: UNAVAILABLE (14) and DEADLINE_EXCEEDED (4). */
const RETRYABLE_CODES: ReadonlySet<number> = new Set([14, 4]);

/** The outage window from {@link TEMPORAL_OUTAGE_VAR}. @throws naming the variable and the fix. */
export function temporalOutageWindowMs(env: NodeJS.ProcessEnv = process.env): number {
  const text = env[TEMPORAL_OUTAGE_VAR];
  if (text === undefined || text === '') return DEFAULT_TEMPORAL_OUTAGE_SECONDS * 1000;
  const seconds = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isSafeInteger(seconds)) {
    throw new Error(`${TEMPORAL_OUTAGE_VAR}=${JSON.stringify(text)} is not valid; pass a whole number of seconds`);
  }
  return seconds * 1000;
}

/** True when `err` (or an error it wraps) says the Temporal server could not be reached. */
export function isTemporalUnreachable(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = (e as { cause?: unknown }).cause) {
    if (isGrpcServiceError(e) && RETRYABLE_CODES.has(e.code)) return true;
    if (/ECONNREFUSED|Connection refused|transport error|UNAVAILABLE/i.test(e.message)) return true;
  }
  return false;
}

/**
 * Runs `call` until it succeeds, retrying while Temporal is unreachable with backoff capped at 5 s,
 * for at most `windowMs` of continuous outage. `onOutage` is called once per outage (to print one
 * line) and `onRecovered` when Temporal answers again. Other errors are thrown at once.
 */
export async function retryWhileTemporalAway<T>(
  call: () => Promise<T>,
  options: { windowMs: number; onOutage?: () => void; onRecovered?: () => void },
): Promise<T> {
  let outageStart: number | undefined;
  let delayMs = 250;
  for (;;) {
    try {
      const value = await call();
      if (outageStart !== undefined) options.onRecovered?.();
      return value;
    } catch (err) {
      if (!isTemporalUnreachable(err)) throw err;
      if (outageStart === undefined) {
        outageStart = Date.now();
        options.onOutage?.();
      }
      if (Date.now() - outageStart > options.windowMs) {
        throw new Error(
          `Temporal stayed unreachable for ${Math.round(options.windowMs / 1000)} s ` +
            `(${(err as Error).message.split('\n')[0]}); start it again and run \`step-hrl resume\`, ` +
            `or raise ${TEMPORAL_OUTAGE_VAR}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      delayMs = Math.min(delayMs * 2, 5000);
    }
  }
}
