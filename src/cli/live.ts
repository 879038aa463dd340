/**
 * Prints an episode live: each subtask as the high level issues it and each step as it is
 * recorded, by polling the episode's progress query and the running subtask's transitions query.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { fetchSubtaskOutcomes } from '../client';
import type { AugmentedTransition } from '../agent/records';
import { printStepLine } from './episode-view';
import type { Output } from './output';
import { retryWhileTemporalAway } from './temporal-outage';
import { type EpisodeWorkflow, episodeProgressQuery, transitionsQuery } from '../episode/messages';
import type { EpisodeResult } from '../episode/records';
import { liveHistories } from '../history-source';
import { readFinishedSubtask } from '../subtask-record';

const POLL_MS = 300;

/**
 * Follows `handle` until it finishes, printing as it goes; returns the result. While Temporal is
 * away the result is asked for again (the caller's `watchTemporal` says so and ends the wait when
 * the outage outlasts its window).
 */
export async function followEpisode(
  client: Client,
  handle: WorkflowHandle<EpisodeWorkflow>,
  out: Output,
): Promise<EpisodeResult> {
  let printedSteps = -1;
  let printedSubtask = -1;
  let done = false;
  const result = retryWhileTemporalAway(() => handle.result(), { windowMs: Infinity }).finally(() => (done = true));
  const printStep = (tr: AugmentedTransition): void => {
    if (tr.stepIndex <= printedSteps) return;
    printedSteps = tr.stepIndex;
    if (tr.subtaskIndex > printedSubtask) printSubtask(tr.subtaskIndex, tr.subtask);
    const flag = tr.subtaskDone ? out.dim(' [subtask done]') : '';
    const invalid = tr.invalid ? out.dim(' [invalid output]') : '';
    const data = {
      step: tr.stepIndex,
      subtask: tr.subtaskIndex,
      action: tr.action,
      score: tr.score,
      reward: tr.reward,
      done: tr.done,
    };
    printStepLine(out, data, { ...tr, observation: tr.nextObservation }, `${flag}${invalid}`);
  };
  const printSubtask = (index: number, subtask: string): void => {
    if (index <= printedSubtask) return;
    printedSubtask = index;
    out.event('subtask', { index, subtask }, `${out.bold(`subtask ${index + 1}`)}: ${subtask}`);
  };

  // Steps recorded by children this loop never saw running (a subtask that began and ended between
  // two polls, or before the first one): print them from the episode's record, in order.
  const catchUp = async (recordedSteps: number): Promise<void> => {
    if (recordedSteps <= printedSteps + 1) return;
    for (const outcome of await fetchSubtaskOutcomes(client, handle.workflowId)) outcome.transitions.forEach(printStep);
  };

  let child: string | undefined;
  // A child that finished between two polls may hold steps not printed yet: read its result.
  const flushChild = async (): Promise<void> => {
    if (!child) return;
    await client.workflow.getHandle(child).result();
    // Its result holds no steps (0.2.0 on): they are read from its history.
    (await readFinishedSubtask(liveHistories(client), child))?.transitions.forEach(printStep);
  };
  while (!done) {
    try {
      const progress = await handle.query(episodeProgressQuery);
      await catchUp(progress.stepIndex);
      if (progress.subtaskWorkflowId !== child) {
        await flushChild();
        child = progress.subtaskWorkflowId;
      }
      if (progress.subtask !== undefined && progress.subtaskIndex >= 0)
        printSubtask(progress.subtaskIndex, progress.subtask);
      if (progress.subtaskWorkflowId) {
        const transitions = await client.workflow.getHandle(progress.subtaskWorkflowId).query(transitionsQuery);
        transitions.forEach(printStep);
      }
    } catch {
      // the workflow may be between tasks or finishing; the next poll catches up
    }
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, POLL_MS))]);
  }
  await flushChild().catch(() => undefined);
  const final = await result.catch(() => undefined);
  if (final) await catchUp(final.steps).catch(() => undefined);
  return result;
}
