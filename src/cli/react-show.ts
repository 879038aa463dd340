/**
 * `show` and `export` of a ReAct baseline episode: its record is the workflow's result (one entry
 * per step), not subtask children, so it has no augmented transitions.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { reactStepsQuery, type ReactResult, type ReactStep } from '../workflows/react';
import { describeWorkflowFailure } from './failure';
import type { Output } from './output';
import { printReactSummary } from './react-run';

/** Workflow type name of the ReAct baseline (as `describe().type` reports it). */
export const REACT_WORKFLOW_TYPE = 'reactWorkflow';

/** Prints a ReAct episode's summary (when finished) and its steps as a table. */
export async function showReactEpisode(
  handle: WorkflowHandle,
  status: string,
  out: Output,
  json: boolean,
): Promise<void> {
  let steps: ReactStep[] = [];
  if (status === 'COMPLETED') {
    const result = (await handle.result()) as ReactResult;
    printReactSummary(result, out);
    steps = result.steps;
  } else if (status === 'RUNNING') {
    steps = await handle.query(reactStepsQuery).catch(() => []);
  } else if (status === 'FAILED') {
    const cause = await handle.result().then(
      () => undefined,
      (err: unknown) => describeWorkflowFailure(err),
    );
    if (cause) out.line(`failed: ${cause}`);
  }
  const table = out.table(['step', 'action', 'observation', 'reward', 'score', 'tokens']);
  for (const step of steps) {
    table.push([
      step.stepIndex + 1,
      step.action.slice(0, 40),
      step.observation.replace(/\s+/g, ' ').trim().slice(0, 60),
      step.reward,
      step.score,
      step.promptTokens + step.completionTokens,
    ]);
    out.event('react-step', { ...step }, '');
  }
  if (!json) console.log(table.toString());
}

/** The error `export` gives for a ReAct episode. */
export function reactExportError(episodeId: string): Error {
  return new Error(
    `episode ${JSON.stringify(episodeId)} is a ReAct baseline episode: it has no augmented transitions ` +
      `(only STEP-HRL episodes do); \`step-hrl show ${episodeId} --json\` prints its steps`,
  );
}
