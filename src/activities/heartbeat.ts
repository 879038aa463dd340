/**
 * Heartbeats while an activity runs, so a worker that dies mid-call is noticed within the
 * heartbeat timeout (seconds) instead of the start-to-close timeout (minutes); and the running
 * activity's cancellation signal, which heartbeats deliver. Every heartbeat carries the attempt's
 * progress ({@link HeartbeatProgress}): the UI and `temporal workflow describe` show it on the
 * pending activity, and a retry reads the last one in `info.heartbeatDetails`.
 */
import { Context, type Info } from '@temporalio/activity';
import { HEARTBEAT_EVERY_MS } from './types';

/** What each heartbeat of a step-hrl activity says about its attempt. */
export interface HeartbeatProgress {
  /** The attempt (1 = the first). */
  attempt: number;
  /** Milliseconds this attempt has been running. */
  runningMs: number;
  /** Milliseconds since the activity's first attempt was scheduled (the LLM outage budget's clock). */
  sinceScheduledMs: number;
  /** What the attempt is doing, when the activity says (e.g. `low call`, `step 12`). */
  doing?: string;
}

/** Attempts already heartbeating (one source each: the interceptor, else the outermost withHeartbeat). */
const beating = new WeakSet<Context>();
/** What each attempt says it is doing, for its heartbeats. */
const doing = new WeakMap<Context, string>();

/** The progress of the attempt `info`, started at `startedMs`. */
export function heartbeatProgress(info: Info, startedMs: number, nowMs: number, doingNow?: string): HeartbeatProgress {
  return {
    attempt: info.attempt,
    runningMs: nowMs - startedMs,
    sinceScheduledMs: nowMs - info.scheduledTimestampMs,
    ...(doingNow !== undefined && { doing: doingNow }),
  };
}

/**
 * Heartbeats `ctx` with its progress every {@link HEARTBEAT_EVERY_MS} until the returned function
 * is called; a no-op when `ctx` already heartbeats. The first heartbeat comes after one period,
 * so an activity that ends sooner costs no heartbeat call.
 */
export function startHeartbeats(ctx: Context): () => void {
  if (beating.has(ctx)) return () => undefined;
  beating.add(ctx);
  const started = Date.now();
  const timer = setInterval(
    () => ctx.heartbeat(heartbeatProgress(ctx.info, started, Date.now(), doing.get(ctx))),
    HEARTBEAT_EVERY_MS,
  );
  return () => {
    clearInterval(timer);
    beating.delete(ctx);
  };
}

/**
 * Runs `work`, heartbeating when inside an activity (through the worker interceptor's heartbeats
 * when they run, else its own); `doingNow` goes into the heartbeats while `work` runs.
 */
export async function withHeartbeat<T>(work: () => Promise<T>, doingNow?: string): Promise<T> {
  let context: Context;
  try {
    context = Context.current();
  } catch {
    return work(); // called outside an activity (unit tests)
  }
  const before = doing.get(context);
  if (doingNow !== undefined) doing.set(context, doingNow);
  const stop = startHeartbeats(context);
  try {
    return await work();
  } finally {
    stop();
    if (before === undefined) doing.delete(context);
    else doing.set(context, before);
  }
}

/** The running activity's cancellation signal (undefined outside an activity, e.g. unit tests). */
export function cancellationSignal(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined;
  }
}
