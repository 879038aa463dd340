/**
 * Turns a failed episode's error chain into one line that names the root cause (the activity and
 * its error message), instead of Temporal's generic "Workflow execution failed".
 */
import { WorkflowFailedError } from '@temporalio/client';
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  ChildWorkflowFailure,
  TerminatedFailure,
  TimeoutFailure,
} from '@temporalio/common';

/**
 * One line describing why `err` (from a workflow handle's `result()`) happened, e.g.
 * `envStep activity: ECONNREFUSED ...`; `undefined` when `err` is not a workflow failure.
 */
export function describeWorkflowFailure(err: unknown): string | undefined {
  if (!(err instanceof WorkflowFailedError)) return undefined;
  const where: string[] = [];
  let root: Error = err;
  for (let cause: unknown = err.cause; cause instanceof Error; cause = (cause as { cause?: unknown }).cause) {
    if (cause instanceof ActivityFailure) where.push(`${cause.activityType} activity`);
    else if (cause instanceof ChildWorkflowFailure) where.push(`${cause.workflowType} ${cause.execution.workflowId}`);
    root = cause;
  }
  return [...where, rootMessage(root)].join(': ');
}

function rootMessage(root: Error): string {
  if (root instanceof TimeoutFailure) return `timed out (${root.timeoutType})`;
  if (root instanceof TerminatedFailure) return 'terminated';
  if (root instanceof CancelledFailure) return 'cancelled';
  const type = root instanceof ApplicationFailure && root.type ? `${root.type}: ` : '';
  const message = root.message.split('\n')[0] || 'Workflow execution failed';
  return message.startsWith(type) ? message : `${type}${message}`;
}
