/**
 * Starts and queries episodes, and reads their record back from Temporal: the transitions live in
 * the results of the subtask child workflows, whose ids are deterministic.
 */
import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { withDefaults, type EpisodeConfig } from './agent/config';
import type { AugmentedTransition } from './agent/records';
import type { EnvSpec } from './envs/text-env';
import { episodeWorkflow, reactWorkflow, subtaskWorkflowId } from './workflows';
import type { SubtaskOutcome } from './workflows/subtask';
import { DEFAULT_TASK_QUEUE } from './worker';

/** Options of {@link startEpisode}. */
export interface StartEpisodeOptions {
  episodeId: string;
  config: Partial<EpisodeConfig> & { spec: EnvSpec };
  taskQueue?: string;
}

/** Starts an episode workflow (idempotent by episode id: starting a running one fails). */
export function startEpisode(
  client: Client,
  options: StartEpisodeOptions,
): Promise<WorkflowHandle<typeof episodeWorkflow>> {
  return client.workflow.start(episodeWorkflow, startOptions(options));
}

/** Starts the ReAct baseline for the same kind of episode. */
export function startReact(
  client: Client,
  options: StartEpisodeOptions,
): Promise<WorkflowHandle<typeof reactWorkflow>> {
  return client.workflow.start(reactWorkflow, startOptions(options));
}

/**
 * Both workflows take the same `{ config }` input and are keyed by the episode id. Defaults are
 * resolved here, once, so the full config is recorded in the input: changing a default later
 * never changes what a running episode does.
 */
function startOptions(options: StartEpisodeOptions) {
  return {
    workflowId: options.episodeId,
    taskQueue: options.taskQueue ?? DEFAULT_TASK_QUEUE,
    args: [{ config: withDefaults(options.config) }] as [{ config: StartEpisodeOptions['config'] }],
  };
}

/** Subtask outcomes of an episode in order (all parts of every subtask), read from finished children. */
export async function fetchSubtaskOutcomes(client: Client, episodeId: string): Promise<SubtaskOutcome[]> {
  const outcomes: SubtaskOutcome[] = [];
  for (let index = 0; ; index++) {
    let found = false;
    for (let part = 0; ; part++) {
      const handle = client.workflow.getHandle<() => Promise<SubtaskOutcome>>(
        subtaskWorkflowId(episodeId, index, part),
      );
      try {
        const description = await handle.describe();
        if (description.status.name !== 'COMPLETED') break;
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) break;
        throw err;
      }
      outcomes.push(await handle.result());
      found = true;
    }
    if (!found) return outcomes;
  }
}

/** Every augmented transition of an episode, in step order. */
export async function fetchTransitions(client: Client, episodeId: string): Promise<AugmentedTransition[]> {
  return (await fetchSubtaskOutcomes(client, episodeId)).flatMap((o) => o.transitions);
}
