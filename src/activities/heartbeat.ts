/**
 * Heartbeats while a long call runs, so a worker that dies mid-call is noticed within the
 * heartbeat timeout (seconds) instead of the start-to-close timeout (minutes); and the running
 * activity's cancellation signal, which heartbeats deliver.
 */
import { Context } from '@temporalio/activity';

/** Runs `work`, heartbeating every `everyMs` when inside an activity. */
export async function withHeartbeat<T>(work: () => Promise<T>, everyMs = 1000): Promise<T> {
  let context: Context | undefined;
  try {
    context = Context.current();
  } catch {
    return work(); // called outside an activity (unit tests)
  }
  const timer = setInterval(() => context!.heartbeat(), everyMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
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
