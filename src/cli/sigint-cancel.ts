/**
 * Ctrl-C while a command follows a workflow it started: the first press sends our `cancel` signal
 * (the workflow ends cleanly after its current step, record kept), a second one exits at once.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { cancelSignal } from '../workflows/messages';
import { describeWorkflowFailure } from './failure';
import type { Output } from './output';

/** Runs `body` with Ctrl-C cancelling `handle()` (once started); the handler is removed afterwards. */
export async function withSigintCancel<T>(
  handle: () => WorkflowHandle | undefined,
  out: Output,
  message: string,
  body: () => Promise<T>,
): Promise<T> {
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts += 1;
    const current = handle();
    if (interrupts > 1 || !current) process.exit(130);
    out.line(message);
    void current.signal(cancelSignal, 'interrupted from the CLI').catch(() => undefined);
  };
  process.on('SIGINT', onSigint);
  try {
    return await body();
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** The error a command reports when the episode it followed failed: its cause in one line. */
export function episodeFailure(episodeId: string, err: unknown): unknown {
  const cause = describeWorkflowFailure(err);
  return cause ? new Error(`episode ${episodeId} failed: ${cause}`) : err;
}
