/**
 * An eval episode reports its outcome to its eval at its end: a signal to the eval's workflow id,
 * which reaches whichever eval run is current (the run that started the episode may have continued
 * as new meanwhile, abandoning it). The eval counts an outcome once by index, so the report and the
 * child's completion seen by the run that started it never count twice. An episode that is not an
 * eval's (no parent, or an id that is not `<evalId>/ep-N`) reports nothing.
 */
import { CancellationScope, getExternalWorkflowHandle, workflowInfo } from '@temporalio/workflow';
import { outcomeOfResult } from '../episode/eval-outcome';
import { evalEpisodeIndex } from '../episode/eval-records';
import { evalEpisodeOutcomeSignal } from '../episode/messages';
import type { EpisodeResult, ReactResult } from '../episode/records';

/** Sends `result`'s outcome to the eval this episode belongs to (if any) and answers `result`. */
export async function reportedToEval<R extends EpisodeResult | ReactResult>(result: R): Promise<R> {
  const { workflowId, parent } = workflowInfo();
  const index = parent ? evalEpisodeIndex(parent.workflowId, workflowId) : undefined;
  if (parent && index !== undefined) {
    const outcome = outcomeOfResult(index, result);
    // Non-cancellable: a cancelled episode reports its `cancelled` end too (the eval waits for it).
    await CancellationScope.nonCancellable(() =>
      getExternalWorkflowHandle(parent.workflowId).signal(evalEpisodeOutcomeSignal, outcome),
    ).catch(() => undefined); // the eval has closed: a later run reads this episode's result itself
  }
  return result;
}
