/**
 * How a ReAct baseline episode is printed: live (polling its `reactSteps` query), its summary, and
 * what `show` and `export` do with one: its record is its runs' step records (see
 * `src/react-record.ts`), not subtask children, so it has no augmented transitions.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { mergeReactSteps, readReactRecord } from '../react-record';
import { printEnvAndError, printFailure, printStepLine } from './episode-view';
import type { Output } from './output';
import { retryWhileTemporalAway } from './temporal-outage';
import { reactStepsQuery } from '../episode/messages';
import type { ReactResult, ReactStep } from '../episode/records';

/** Workflow type name of the ReAct baseline (as `describe().type` reports it). */
export const REACT_WORKFLOW_TYPE = 'reactWorkflow';

const POLL_MS = 300;

/**
 * Follows a ReAct episode until it ends, printing each step once, in order; returns its result.
 * Steps are told apart by index: after a continue-as-new the query answers the new run's steps
 * (and the previous run's, so none is missed between two polls).
 */
export async function followReact(handle: WorkflowHandle, out: Output): Promise<ReactResult> {
  let printed = 0; // steps [0, printed) are printed
  let done = false;
  const result = retryWhileTemporalAway(() => handle.result() as Promise<ReactResult>, {
    windowMs: Infinity,
  }).finally(() => (done = true));
  const print = (steps: readonly ReactStep[]): void => {
    for (const step of steps) {
      if (step.stepIndex < printed) continue;
      printReactStep(step, out);
      printed = step.stepIndex + 1;
    }
  };
  while (!done) {
    await handle
      .query(reactStepsQuery)
      .then(print)
      .catch(() => undefined); // between tasks or finishing: the next poll (or the result) catches up
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, POLL_MS))]);
  }
  const final = await result;
  print(final.steps);
  return final;
}

/**
 * Prints a ReAct episode's summary (when finished) and its steps as a table: every run's steps, read
 * from its run chain (a running episode's current run from its query).
 */
export async function showReactEpisode(
  client: Client,
  handle: WorkflowHandle,
  status: string,
  out: Output,
  json: boolean,
): Promise<void> {
  const record = await readReactRecord(client, handle.workflowId);
  let steps = record.steps;
  if (status === 'COMPLETED') {
    printReactSummary({ ...((record.result ?? (await handle.result())) as ReactResult), steps }, out);
  } else if (status === 'RUNNING') {
    steps = mergeReactSteps(steps, await handle.query(reactStepsQuery).catch(() => []));
  } else if (status === 'FAILED') {
    await printFailure(handle, out);
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

/** One line per step (and the observation, shortened), as the STEP-HRL live view prints them. */
export function printReactStep(step: ReactStep, out: Output): void {
  const data = { step: step.stepIndex, action: step.action, score: step.score, reward: step.reward, done: step.done };
  printStepLine(out, data, step, step.invalid ? out.dim(' [invalid output]') : '');
}

/** Prints the end-of-episode summary of a ReAct episode. */
export function printReactSummary(result: ReactResult, out: Output): void {
  const table = out.table([
    'episode',
    'agent',
    'status',
    'won',
    'score',
    'steps',
    'calls',
    'tokens',
    'spent',
    're-drives',
  ]);
  table.push([
    result.episodeId,
    'react',
    result.status ?? 'unknown',
    result.won ? 'yes' : 'no',
    result.score,
    result.stepCount ?? result.steps.length,
    result.tokensByLevel?.react.calls ?? result.steps.length,
    result.tokens,
    result.spentTokens,
    result.redrives ?? 0,
  ]);
  const { steps, ...summary } = result;
  out.event('result', { ...summary, agent: 'react', steps: result.stepCount ?? steps.length }, table.toString());
  printEnvAndError(result, out);
}
