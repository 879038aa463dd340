/**
 * Riding out a Temporal server that is briefly away (restart, deploy, network blip): a CLI that
 * follows an episode retries with capped backoff instead of ending with "Failed to get Workflow
 * execution history", for a configurable window.
 */
import { isGrpcServiceError } from '@temporalio/client';
import { ExitNow } from './exit-now';

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

/** How often {@link watchTemporal} asks whether Temporal answers, and how long one probe may take. */
export const TEMPORAL_PROBE_EVERY_MS = 1000;
const PROBE_TIMEOUT_MS = 1500;

/** A Temporal outage longer than the window: the command ends with it (the episode is kept). */
export class TemporalOutageError extends ExitNow {
  override name = 'TemporalOutageError';
  constructor(message: string) {
    super(1, message);
  }
}

/** What {@link watchTemporal} returns. */
export interface TemporalWatch {
  /** Rejects with {@link TemporalOutageError} once Temporal has been unreachable for the whole window. */
  expired: Promise<never>;
  /** True while an outage is in progress (other pollers can stay quiet meanwhile). */
  away(): boolean;
  stop(): void;
}

/**
 * Watches a connection while a command follows an episode: a cheap call with a short deadline every
 * second ({@link TEMPORAL_PROBE_EVERY_MS}), independent of the follow's own long polls (whose retries
 * hide an outage for about 20 s). Prints one line when Temporal stops answering and one when it
 * answers again; after `windowMs` of continuous outage `expired` rejects, then, naming what to do.
 * `probe` is the call (default: `GetSystemInfo`).
 */
export function watchTemporal(
  probe: (deadline: number) => Promise<unknown>,
  options: { windowMs: number; say: (line: string) => void; resumeHint: string; everyMs?: number },
): TemporalWatch {
  const everyMs = options.everyMs ?? TEMPORAL_PROBE_EVERY_MS;
  let outageStart: number | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let reject: (err: Error) => void = () => undefined;
  const expired = new Promise<never>((_, r) => (reject = r));
  expired.catch(() => undefined); // observed by the caller's race
  const seconds = Math.round(options.windowMs / 1000);
  const tick = async (): Promise<void> => {
    let reachable = true;
    let problem = '';
    try {
      await probe(Date.now() + PROBE_TIMEOUT_MS);
    } catch (err) {
      if (!isTemporalUnreachable(err)) throw err;
      reachable = false;
      problem = (err as Error).message.split('\n')[0] ?? '';
    }
    if (stopped) return;
    if (reachable) {
      if (outageStart !== undefined) options.say('Temporal reachable again; following the episode');
      outageStart = undefined;
      return;
    }
    if (outageStart === undefined) {
      outageStart = Date.now();
      options.say(`Temporal unreachable, retrying for up to ${seconds} s (${TEMPORAL_OUTAGE_VAR})...`);
    }
    if (Date.now() - outageStart >= options.windowMs) {
      stopped = true;
      reject(
        new TemporalOutageError(
          `Temporal stayed unreachable for ${seconds} s (${problem}); the episode is kept: start Temporal again ` +
            `and run ${options.resumeHint}, or raise ${TEMPORAL_OUTAGE_VAR}`,
        ),
      );
    }
  };
  const loop = (): void => {
    if (stopped) return;
    tick()
      .catch(() => undefined) // an answer that is not an outage (e.g. permission): not ours to judge
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, everyMs);
      });
  };
  timer = setTimeout(loop, everyMs);
  return {
    expired,
    away: () => outageStart !== undefined,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
