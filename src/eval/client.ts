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
import { temporal } from '@temporalio/proto';
import { decode, num, type HistoryEvent } from '../history-payloads';
import { fetchDecodedHistory } from '../codec/history';
import { evalStartAttributes, evalStartFacts, SUMMARY_MEMO } from '../episode/search-attributes';
import { explainSearchAttributeError } from '../server/errors';
import { currentBuildId, DEFAULT_TASK_QUEUE } from '../worker';
import { EvalBook } from '../episode/eval-book';
import { hasIndex, rangesOf, type EvalState } from '../episode/eval-state';
import { evalResultsOf, outcomeOfFailure, outcomeOfResult, type SlimOutcome } from '../episode/eval-outcome';
import { evalEpisodeId, planEpisodes, type EvalInput, type EvalWorkflowResult } from '../episode/eval-records';
import type { EvalResults } from '../episode/eval-types';
import { evalEpisodeOutcomeSignal, type EvalWorkflow } from '../episode/messages';
import type { EvalActivityTypes } from '../episode/eval-records';
import type { EpisodeResult, ReactResult } from '../episode/records';

/** The task queue of one eval: only a process running that eval polls it. */
export function evalTaskQueue(evalId: string): string {
  return `${DEFAULT_TASK_QUEUE}.eval.${evalId}`;
}

/**
 * The default eval id: the same command gives the same id (so re-running it resumes), a
 * different selection, agent, model or episode config a different one.
 */
export function defaultEvalId(
  input: Pick<EvalInput, 'selection' | 'agent' | 'config' | 'episodes' | 'plan'>,
  llm: string,
): string {
  const slug = (text: string) =>
    text
      .replace(/[^A-Za-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 48);
  const hash = createHash('sha256')
    .update(JSON.stringify({ config: input.config, episodes: planEpisodes(input).map((e) => e.spec) }))
    .digest('hex')
    .slice(0, 8);
  return `eval-${slug(input.selection)}-${input.agent}-${slug(llm)}-${hash}`;
}

/** What {@link startOrAttachEval} found or did. */
export interface OpenedEval {
  handle: WorkflowHandle<EvalWorkflow>;
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
    const handle = await client.workflow.start<EvalWorkflow>('evalWorkflow', {
      workflowId: evalId,
      taskQueue,
      args: [input],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      ...evalStartMetadata(evalId, input, await currentBuildId(client.options.dataConverter ?? {})),
    });
    return { handle, state: 'started', input, taskQueue };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError))
      throw explainSearchAttributeError(err, client.options.namespace);
  }
  return openExistingEval(client, evalId);
}

/**
 * Search attributes and memo an eval starts with (its episodes get theirs from the eval workflow);
 * `buildId`: the starting process's workflow code.
 */
function evalStartMetadata(evalId: string, input: EvalInput, buildId: string) {
  const facts = {
    evalId,
    env: input.env,
    agent: input.agent,
    split: input.split,
    model: input.model,
    profile: input.config.profile,
    buildId,
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
  const recorded = recordedOutcomes(events, input, evalId);
  const state = stateAfter(input, recorded, unendedChildren(events, input, evalId), description.runId);
  const continued = await client.workflow.start<EvalWorkflow>('evalWorkflow', {
    workflowId: evalId,
    taskQueue,
    args: [{ ...input, state }],
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
    ...evalStartMetadata(evalId, input, await currentBuildId(client.options.dataConverter ?? {})),
  });
  return { handle: continued, state: 'continued', input, taskQueue };
}

/**
 * The state a new run continues a closed run `runId` with: the carried state plus every episode
 * that run recorded (new outcomes only), linked to it so results can still read its outcomes.
 */
function stateAfter(
  input: EvalInput,
  recorded: readonly SlimOutcome[],
  started: readonly number[],
  runId: string,
): EvalState {
  // The same book a run keeps: the outcomes it had not carried yet are counted once.
  const book = new EvalBook(planEpisodes(input).length, input.state, input.concurrency, Infinity);
  for (const outcome of recorded)
    if (!hasIndex(book.finished, outcome.index)) {
      book.running.add(outcome.index); // settled below, whether the dead run carried it or started it
      book.settle(outcome.index, outcome);
    }
  // Started by the dead run and not ended there: abandoned children may still run; awaited, not restarted.
  const running = rangesOf([...book.running, ...started.filter((i) => !hasIndex(book.finished, i))]);
  return { ...book.carried(), running, previousRunId: runId };
}

/**
 * Episodes a run started abandoned (they outlive it) that its history shows no end of; children
 * started before abandoning (runs recorded before 0.2.0's change) died with the run and are played again.
 */
export function unendedChildren(events: readonly HistoryEvent[], input: EvalInput, evalId: string): number[] {
  const indexOf = new Map(planEpisodes(input).map((_, index) => [evalEpisodeId(evalId, index), index]));
  const abandoned = new Set<string>();
  const open = new Set<number>();
  for (const e of events) {
    const initiated = e.startChildWorkflowExecutionInitiatedEventAttributes;
    if (initiated?.parentClosePolicy === temporal.api.enums.v1.ParentClosePolicy.PARENT_CLOSE_POLICY_ABANDON)
      abandoned.add(initiated.workflowId ?? '');
    const startedChild = e.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.workflowId;
    const ended = (
      e.childWorkflowExecutionCompletedEventAttributes ??
      e.childWorkflowExecutionFailedEventAttributes ??
      e.childWorkflowExecutionCanceledEventAttributes ??
      e.childWorkflowExecutionTerminatedEventAttributes ??
      e.childWorkflowExecutionTimedOutEventAttributes
    )?.workflowExecution?.workflowId;
    const s = startedChild && abandoned.has(startedChild) ? indexOf.get(startedChild) : undefined;
    if (s !== undefined) open.add(s);
    const x = ended ? indexOf.get(ended) : undefined;
    if (x !== undefined) open.delete(x);
  }
  return [...open];
}

/** The activity by which a run reads the outcome of episodes that never reported it. */
const ENDED_EPISODES_ACTIVITY: keyof EvalActivityTypes = 'endedEvalEpisodes';

/**
 * Outcomes one eval run recorded: every child that completed or failed in its history, every
 * outcome an episode signalled to it and every one it read from a closed execution (the latest per
 * episode, so a retried episode counts once), plus the outcome list an eval started before 0.2.0
 * carried in its input.
 */
export function recordedOutcomes(events: readonly HistoryEvent[], input: EvalInput, evalId: string): SlimOutcome[] {
  const outcomes = new Map<number, SlimOutcome>((input.state?.outcomes ?? []).map((o) => [o.index, o]));
  const indexOf = new Map(planEpisodes(input).map((_, index) => [evalEpisodeId(evalId, index), index]));
  const activityTypes = new Map<number, string>();
  for (const e of events) {
    // Outcomes an episode reported itself (it may have outlived the run that started it) ...
    const signalled = e.workflowExecutionSignaledEventAttributes;
    if (signalled?.signalName === evalEpisodeOutcomeSignal.name) {
      const outcome = decode<SlimOutcome>(signalled.input);
      if (outcome) outcomes.set(outcome.index, outcome);
      continue;
    }
    // ... or the run read from a closed execution that never reported.
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) activityTypes.set(num(e.eventId), scheduled.activityType?.name ?? '');
    const read = e.activityTaskCompletedEventAttributes;
    if (read && activityTypes.get(num(read.scheduledEventId)) === ENDED_EPISODES_ACTIVITY) {
      for (const outcome of decode<SlimOutcome[]>(read.result) ?? []) outcomes.set(outcome.index, outcome);
      continue;
    }
    const completed = e.childWorkflowExecutionCompletedEventAttributes;
    const failed = e.childWorkflowExecutionFailedEventAttributes;
    const canceled = e.childWorkflowExecutionCanceledEventAttributes;
    const id = (completed ?? failed ?? canceled)?.workflowExecution?.workflowId;
    const index = id ? indexOf.get(id) : undefined;
    if (index === undefined) continue;
    if (completed) {
      const result = decode<EpisodeResult | ReactResult>(completed.result);
      if (result) outcomes.set(index, outcomeOfResult(index, result));
    } else if (failed) {
      const message = failed.failure?.cause?.message ?? failed.failure?.message ?? 'failed';
      outcomes.set(index, outcomeOfFailure(index, id!, message));
    } else {
      outcomes.set(index, { ...outcomeOfFailure(index, id!, 'cancelled'), status: 'cancelled' });
    }
  }
  return [...outcomes.values()].sort((a, b) => a.index - b.index);
}

/**
 * Every outcome of an eval, read from the histories of its runs, newest first (so the latest
 * outcome of a retried episode wins): the chain of continue-as-new runs, runs that continued a dead
 * one (`state.previousRunId`), down to the first run or one that carried an outcome list.
 */
export async function collectEvalOutcomes(
  client: Client,
  evalId: string,
  latest: { runId: string; events: readonly HistoryEvent[]; input: EvalInput },
): Promise<SlimOutcome[]> {
  const outcomes = new Map<number, SlimOutcome>();
  let run: typeof latest | undefined = latest;
  while (run) {
    for (const o of recordedOutcomes(run.events, run.input, evalId))
      if (!outcomes.has(o.index)) outcomes.set(o.index, o);
    if (run.input.state?.outcomes) break; // an eval from before 0.2.0: that list holds every earlier outcome
    const started: HistoryEvent['workflowExecutionStartedEventAttributes'] =
      run.events[0]?.workflowExecutionStartedEventAttributes;
    const previous: string | undefined = started?.continuedExecutionRunId || run.input.state?.previousRunId;
    if (!previous) break;
    const events: HistoryEvent[] = (await fetchDecodedHistory(client, evalId, previous)).events ?? [];
    const input: EvalInput | undefined = decode<EvalInput>(events[0]?.workflowExecutionStartedEventAttributes?.input);
    run = input ? { runId: previous, events, input } : undefined;
  }
  return [...outcomes.values()].sort((a, b) => a.index - b.index);
}

/**
 * The eval's results: every outcome recorded in its runs' histories (an eval finished before 0.2.0:
 * its result's list), with whether it finished and was cancelled.
 */
export async function fetchEvalResults(
  client: Client,
  evalId: string,
): Promise<{ results: EvalResults; finished: boolean; cancelled: boolean }> {
  const opened = await describeEval(client, evalId);
  const finished = opened.description.status.name === 'COMPLETED';
  const result: EvalWorkflowResult | undefined = finished ? await opened.handle.result() : undefined;
  if (result?.outcomes)
    return { results: { ...result, outcomes: result.outcomes }, finished, cancelled: result.cancelled };
  const outcomes = await collectEvalOutcomes(client, evalId, {
    runId: opened.description.runId,
    events: opened.events,
    input: opened.input,
  });
  return {
    results: evalResultsOf(evalId, opened.input, outcomes),
    finished,
    cancelled: result?.cancelled ?? false,
  };
}

/** An eval's handle, description, current run's history and recorded input. @throws when it is not an eval. */
async function describeEval(client: Client, evalId: string) {
  const handle = client.workflow.getHandle<EvalWorkflow>(evalId);
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
