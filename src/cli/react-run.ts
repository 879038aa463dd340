/**
 * `step-hrl run --agent react`: the ReAct baseline (full-history prompt, one call per step) under
 * the same id rules and flags as a STEP-HRL episode. Prints each step live (polling the workflow's
 * `reactSteps` query) and a summary; Ctrl-C cancels it cleanly with the record kept.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { startReact, startEpisodeRerun } from '../client';
import { episodeFailure, withSigintCancel } from './sigint-cancel';
import { reactStepsQuery, type ReactResult, type ReactStep, type reactWorkflow } from '../workflows/react';
import { printReactStep, printReactSummary } from './react-show';
import { defaultEpisodeId, parseEpisodeFlags } from './episode-options';
import type { Output } from './output';
import { modelLabel, withSession } from './session';
import { failOnErrorStatus } from './commands/show';
import type { RunFlags } from './commands/run';

const POLL_MS = 300;

/** Runs one ReAct baseline episode end to end with an in-process worker. */
export async function runReactEpisode(flags: RunFlags & { taskQueue: string }, out: Output): Promise<void> {
  const { config } = parseEpisodeFlags(flags);
  if (flags.rerun && !flags.episodeId) {
    throw new Error('--rerun needs --episode-id <id> of the episode to run again (default ids are always new)');
  }
  await withSession(flags, async (session) => {
    const llm = await session.llm(flags, config.spec, config.profile);
    out.line(`policy: ${llm.description} (agent: react, full-history baseline)`);
    const worker = await session.worker(flags, llm);
    const server = session.temporal.target.devServer;
    const where = server ? `embedded Temporal at ${server.address}` : 'Temporal';
    const requestedId = flags.episodeId ?? defaultEpisodeId(config.spec);
    let handle: WorkflowHandle<typeof reactWorkflow> | undefined;

    const startAndFollow = async (): Promise<ReactResult> => {
      const options = { episodeId: requestedId, taskQueue: flags.taskQueue, config, model: modelLabel(flags.llm) };
      handle = flags.rerun
        ? await startEpisodeRerun(session.temporal.client, options, startReact)
        : await startReact(session.temporal.client, options);
      const episodeId = handle.workflowId;
      const rerunOf = episodeId !== requestedId ? requestedId : undefined;
      out.event(
        'started',
        { episodeId, agent: 'react', spec: config.spec, ...(rerunOf ? { rerunOf } : {}) },
        `react episode ${out.bold(episodeId)} on ${where} (${config.spec.env} ${config.spec.task})` +
          (rerunOf ? `, a re-run of ${rerunOf}` : ''),
      );
      return followReact(handle, out).catch((err: unknown) => {
        throw episodeFailure(episodeId, err);
      });
    };

    await withSigintCancel(
      () => handle,
      out,
      'cancelling after the current step (Ctrl-C again to quit now)...',
      async () => {
        const result = await worker.run(startAndFollow());
        if (result) {
          printReactSummary(result, out);
          failOnErrorStatus(result);
        }
      },
    );
  });
}

/** Follows a ReAct episode until it ends, printing each step once, in order; returns its result. */
export async function followReact(handle: WorkflowHandle<typeof reactWorkflow>, out: Output): Promise<ReactResult> {
  let printed = 0;
  let done = false;
  const result = handle.result().finally(() => (done = true));
  const print = (steps: readonly ReactStep[]): void => {
    for (const step of steps.slice(printed)) printReactStep(step, out);
    printed = Math.max(printed, steps.length);
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
