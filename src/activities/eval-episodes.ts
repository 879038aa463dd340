/**
 * The eval's fallback for episodes that ended without reporting their outcome (terminated, timed
 * out, failed hard, or closed while the eval was away): it describes their executions with the
 * worker's Temporal client and reads each closed one's outcome from its result or failure.
 */
import { Context } from '@temporalio/activity';
import { WorkflowFailedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { outcomeOfFailure, outcomeOfResult } from '../episode/eval-outcome';
import { evalEpisodeId, type EvalActivityTypes } from '../episode/eval-records';
import type { SlimOutcome } from '../episode/eval-types';
import type { EpisodeResult, ReactResult } from '../episode/records';

/** The outcome of episode `index` of `evalId` once its workflow has closed, or undefined while it runs. */
export async function endedEpisodeOutcome(
  client: Client,
  evalId: string,
  index: number,
): Promise<SlimOutcome | undefined> {
  const episodeId = evalEpisodeId(evalId, index);
  const handle = client.workflow.getHandle(episodeId);
  const description = await handle.describe().catch((err: unknown) => {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  });
  if (!description) return outcomeOfFailure(index, episodeId, 'no such workflow (never started or deleted)');
  if (description.status.name === 'RUNNING') return undefined;
  try {
    return outcomeOfResult(index, (await handle.result()) as EpisodeResult | ReactResult);
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const outcome = outcomeOfFailure(index, episodeId, err.cause?.message ?? err.message);
    return err.cause instanceof CancelledFailure ? { ...outcome, status: 'cancelled' } : outcome;
  }
}

/** The eval activities of a worker (its Temporal client comes from the activity context). */
export function createEvalActivities(): EvalActivityTypes {
  return {
    async endedEvalEpisodes({ evalId, indexes }) {
      const client = Context.current().client;
      const outcomes: SlimOutcome[] = [];
      for (const index of indexes) {
        const outcome = await endedEpisodeOutcome(client, evalId, index);
        if (outcome) outcomes.push(outcome);
      }
      return outcomes;
    },
  };
}
