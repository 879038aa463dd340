/**
 * The no-op floor of the throughput bench: workflows with the episode's shape (an episode workflow
 * starting one child workflow per subtask) running the same activities on the same task-queue
 * layout as a STEP-HRL episode, each answering at once. Per episode: acquire an env queue (shared
 * queue), reset (env queue), close (env queue); per subtask: one high-level call (shared queue);
 * per step: low-level call and progress call (shared queue), env step (env queue), except that the
 * episode's last step (the env reports done) has no progress call. What it costs
 * per step is the orchestration floor of the same Temporal server and worker settings.
 * Bundled by the bench's floor worker only (never part of the step-hrl workflow bundle).
 */
import { executeChild, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { FloorActivities } from './floor-activities';

/** Input of {@link floorEpisodeWorkflow}: how many steps each subtask of the mirrored episode took. */
export interface FloorEpisodeInput {
  stepsPerSubtask: number[];
}

/** Input of {@link floorSubtaskWorkflow}. */
export interface FloorSubtaskInput {
  envQueue: string;
  steps: number;
  /** The episode ends with this subtask's last step, which then gets no progress call. */
  endsEpisode: boolean;
}

const OPTIONS = { startToCloseTimeout: '1 minute', retry: { maximumAttempts: 3 } } as const;
const shared = proxyActivities<FloorActivities>(OPTIONS);
const onEnvQueue = (taskQueue: string) => proxyActivities<FloorActivities>({ ...OPTIONS, taskQueue });

/** One floor episode; returns the number of steps it ran. */
export async function floorEpisodeWorkflow(input: FloorEpisodeInput): Promise<number> {
  const envQueue = await shared.floorAcquireEnvQueue();
  const env = onEnvQueue(envQueue);
  await env.floorNoop('reset');
  let steps = 0;
  for (const [index, count] of input.stepsPerSubtask.entries()) {
    await shared.floorNoop('high');
    steps += await executeChild(floorSubtaskWorkflow, {
      workflowId: `${workflowInfo().workflowId}.subtask-${index}`,
      args: [{ envQueue, steps: count, endsEpisode: index === input.stepsPerSubtask.length - 1 }],
    });
  }
  await env.floorNoop('close');
  return steps;
}

/** One floor subtask: per step a low-level call, an env step and a progress call. */
export async function floorSubtaskWorkflow(input: FloorSubtaskInput): Promise<number> {
  const env = onEnvQueue(input.envQueue);
  for (let i = 0; i < input.steps; i++) {
    await shared.floorNoop('low');
    await env.floorNoop('step');
    if (!(input.endsEpisode && i === input.steps - 1)) await shared.floorNoop('progress');
  }
  return input.steps;
}
