/**
 * Live progress of a running eval from its workflow: a long-poll (the `waitForEvalChange` update
 * answers as soon as the progress changes, or after at most 30 s unchanged) instead of a query
 * every second. An eval of an older build, without that update, is followed by the query.
 */
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { EvalProgress } from '../../episode/eval-types';
import { type EvalWorkflow, evalProgressQuery, waitForEvalChangeUpdate } from '../../episode/messages';

/** How long one long-poll may take before it is given up (its own wait is at most 30 s). */
const LONG_POLL_LIMIT_MS = 45_000;
/** Between queries, for evals without the long-poll, and after a failed look. */
const QUERY_EVERY_MS = 1000;

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Whether `err` says the eval has no `waitForEvalChange` handler (it runs an older build). */
export function isUnknownUpdate(err: unknown): boolean {
  return err instanceof WorkflowUpdateFailedError && /no registered handler/i.test(err.cause?.message ?? '');
}

/**
 * A feed of an eval's progress: each call answers the next progress (the first at once, then each
 * change), or undefined when this look failed (the caller just asks again).
 */
export function evalProgressFeed(client: Client, evalId: string): () => Promise<EvalProgress | undefined> {
  const handle = client.workflow.getHandle<EvalWorkflow>(evalId);
  let last: EvalProgress | undefined;
  let longPoll = true;
  const query = () => handle.query(evalProgressQuery);
  return async () => {
    try {
      if (!last || !longPoll || last.version === undefined) {
        if (last) await pause(QUERY_EVERY_MS);
        last = await query();
        if (last.version === undefined) longPoll = false; // an older build's eval: query only
        return last;
      }
      let timer: NodeJS.Timeout | undefined;
      const limit = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('long-poll took too long')), LONG_POLL_LIMIT_MS);
      });
      const update = handle.executeUpdate(waitForEvalChangeUpdate, { args: [last.version] });
      update.catch(() => undefined); // given up by the limit: its late end is not an error
      try {
        last = await Promise.race([update, limit]);
      } finally {
        clearTimeout(timer);
      }
      return last;
    } catch (err) {
      if (isUnknownUpdate(err)) longPoll = false;
      else await pause(QUERY_EVERY_MS); // a run that continued as new mid-poll, or Temporal away: look again
      return undefined;
    }
  };
}
