/**
 * Starts, finds and reads evaluations in Temporal. An eval id names one evaluation: starting it
 * again attaches to the running eval, reports a finished one, or continues a failed or terminated
 * one from the outcomes its history recorded (so no finished episode is ever played again).
 */
import { createHash } from 'node:crypto';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { decode, type HistoryEvent } from '../history-payloads';
import { fetchDecodedHistory } from '../codec/history';
import { evalStartAttributes, evalStartFacts, SUMMARY_MEMO } from '../search-attributes';
import { explainSearchAttributeError } from '../server/errors';
import { DEFAULT_TASK_QUEUE } from '../worker';
import type { EpisodeResult } from '../workflows/episode';
import { evalEpisodeId, type EvalInput, type EvalWorkflowResult, type evalWorkflow } from '../workflows/eval';
import type { ReactResult } from '../workflows/react';
import { evalResultsOf, outcomeOfFailure, outcomeOfResult, type SlimOutcome } from './outcome';
import type { EvalResults } from './types';

/** The task queue of one eval: only a process running that eval polls it. */
export function evalTaskQueue(evalId: string): string {
  return `${DEFAULT_TASK_QUEUE}.eval.${evalId}`;
}

/**
 * The default eval id: the same command gives the same id (so re-running it resumes), a
 * different selection, agent, model or episode config a different one.
 */
export function defaultEvalId(
  input: Pick<EvalInput, 'selection' | 'agent' | 'config' | 'episodes'>,
  llm: string,
): string {
  const slug = (text: string) =>
    text
      .replace(/[^A-Za-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 48);
  const hash = createHash('sha256')
    .update(JSON.stringify({ config: input.config, episodes: input.episodes.map((e) => e.spec) }))
    .digest('hex')
    .slice(0, 8);
  return `eval-${slug(input.selection)}-${input.agent}-${slug(llm)}-${hash}`;
}

/** What {@link startOrAttachEval} found or did. */
export interface OpenedEval {
  handle: WorkflowHandle<typeof evalWorkflow>;
  /** `started`: a new eval; `attached`: it was running; `continued`: a new run after a failed one; `finished`. */
  state: 'started' | 'attached' | 'continued' | 'finished';
  /** The eval's input (the plan), as recorded. */
  input: EvalInput;
  taskQueue: string;
}

/** Starts eval `evalId` with `input`, or picks up the eval of that id that exists (see the module comment). */
export async function startOrAttachEval(
  client: Client,
  evalId: string,
  input: EvalInput,
  taskQueue = evalTaskQueue(evalId),
): Promise<OpenedEval> {
  try {
    const handle = await client.workflow.start<typeof evalWorkflow>('evalWorkflow', {
      workflowId: evalId,
      taskQueue,
      args: [input],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      ...evalStartMetadata(evalId, input),
    });
    return { handle, state: 'started', input, taskQueue };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError))
      throw explainSearchAttributeError(err, client.options.namespace);
  }
  return openExistingEval(client, evalId);
}

/** Search attributes and memo an eval starts with (its episodes get theirs from the eval workflow). */
function evalStartMetadata(evalId: string, input: EvalInput) {
  const facts = {
    evalId,
    env: input.env,
    agent: input.agent,
    split: input.split,
    model: input.model,
    profile: input.config.profile,
  };
  return {
    typedSearchAttributes: evalStartAttributes(facts),
    memo: { kind: 'eval', [SUMMARY_MEMO]: evalStartFacts(facts) },
  };
}

/** Picks up an existing eval: attach when running, continue when failed/terminated, report when finished. */
export async function openExistingEval(client: Client, evalId: string): Promise<OpenedEval> {
  const { handle, description, events, input } = await describeEval(client, evalId);
  const taskQueue = description.taskQueue;
  const status = description.status.name;
  if (status === 'RUNNING') return { handle, state: 'attached', input, taskQueue };
  if (status === 'COMPLETED') return { handle, state: 'finished', input, taskQueue };
  // FAILED, TERMINATED, TIMED_OUT, CANCELLED: continue from what the dead run recorded.
  const outcomes = recordedOutcomes(events, input, evalId);
  const runs = (input.state?.runs ?? 0) + 1;
  const continued = await client.workflow.start<typeof evalWorkflow>('evalWorkflow', {
    workflowId: evalId,
    taskQueue,
    args: [{ ...input, state: { outcomes, runs } }],
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
    ...evalStartMetadata(evalId, input),
  });
  return { handle: continued, state: 'continued', input, taskQueue };
}

/** Outcomes a closed eval run recorded: those it carried in, plus every child that completed in it. */
export function recordedOutcomes(events: readonly HistoryEvent[], input: EvalInput, evalId: string): SlimOutcome[] {
  const outcomes = new Map<number, SlimOutcome>((input.state?.outcomes ?? []).map((o) => [o.index, o]));
  const indexOf = new Map(input.episodes.map((_, index) => [evalEpisodeId(evalId, index), index]));
  for (const e of events) {
    const completed = e.childWorkflowExecutionCompletedEventAttributes;
    const failed = e.childWorkflowExecutionFailedEventAttributes;
    const id = (completed ?? failed)?.workflowExecution?.workflowId;
    const index = id ? indexOf.get(id) : undefined;
    if (index === undefined || outcomes.has(index)) continue;
    if (completed) {
      const result = decode<EpisodeResult | ReactResult>(completed.result);
      if (result) outcomes.set(index, outcomeOfResult(index, result));
    } else {
      outcomes.set(
        index,
        outcomeOfFailure(index, id!, failed?.failure?.cause?.message ?? failed?.failure?.message ?? 'failed'),
      );
    }
  }
  return [...outcomes.values()].sort((a, b) => a.index - b.index);
}

/**
 * The eval's results: the final result when it finished, else the outcomes so far (a query, which
 * needs a worker on the eval's queue; without one, those recorded in its history).
 */
export async function fetchEvalResults(
  client: Client,
  evalId: string,
): Promise<{ results: EvalResults; finished: boolean; cancelled: boolean }> {
  const opened = await describeEval(client, evalId);
  if (opened.description.status.name === 'COMPLETED') {
    const result: EvalWorkflowResult = await opened.handle.result();
    return { results: result, finished: true, cancelled: result.cancelled };
  }
  const outcomes = recordedOutcomes(opened.events, opened.input, evalId);
  return {
    results: evalResultsOf(evalId, opened.input, outcomes),
    finished: false,
    cancelled: false,
  };
}

/** An eval's handle, description, current run's history and recorded input. @throws when it is not an eval. */
async function describeEval(client: Client, evalId: string) {
  const handle = client.workflow.getHandle<typeof evalWorkflow>(evalId);
  const description = await handle.describe().catch((err: unknown) => {
    if (err instanceof WorkflowNotFoundError) {
      throw new Error(`no evaluation with id ${JSON.stringify(evalId)}; start one with \`step-hrl eval\``);
    }
    throw err;
  });
  if (description.type !== 'evalWorkflow') {
    throw new Error(`${JSON.stringify(evalId)} is not an evaluation (it is a ${description.type})`);
  }
  const events = (await fetchDecodedHistory(client, evalId, description.runId)).events ?? [];
  const input = decode<EvalInput>(events[0]?.workflowExecutionStartedEventAttributes?.input);
  if (!input) throw new Error(`evaluation ${evalId} has no recorded input`);
  return { handle, description, events, input };
}
