/**
 * The throughput bench's no-op floor mirrors a STEP-HRL episode: for the same expert episode it
 * schedules as many activities on the shared queue (LLM calls, env-queue acquisition) and on the
 * env queue (reset, steps, close) as the real episode does, in the same workflow shape (one child
 * per subtask), so floor time per step is the orchestration cost of a real step.
 */
import { Worker } from '@temporalio/worker';
import { createFloorActivities } from '../../../bench/support/floor-activities';
import { floorEpisodeWorkflow } from '../../../bench/support/floor-workflows';
import { startEpisode } from '../../../src/client';
import { goldSubtasks } from '../../../src/envs/builtin';
import type { EnvSpec } from '../../../src/envs/text-env';
import { expertPolicyRules } from '../../../src/llm/expert-policy';
import { ScriptedLlmClient } from '../../../src/llm/scripted-client';
import { episodeHistories, type History } from '../../support/episode-histories';
import { connectTestTemporal, queueFor, withWorker, type TestTemporal } from '../../support/temporal';

/** Scheduled activities per queue kind: the workflows' own queue ("shared") or any other ("env"). */
function activitiesByQueue(histories: readonly History[], sharedQueue: string): { shared: number; env: number } {
  const out = { shared: 0, env: 0 };
  for (const h of histories)
    for (const e of h.events ?? []) {
      const queue = e.activityTaskScheduledEventAttributes?.taskQueue?.name;
      if (queue !== undefined && queue !== null) out[queue === sharedQueue ? 'shared' : 'env'] += 1;
    }
  return out;
}

async function floorHistories(t: TestTemporal, id: string, subtasks: number): Promise<History[]> {
  const ids = [id, ...Array.from({ length: subtasks }, (_, i) => `${id}.subtask-${i}`)];
  return Promise.all(ids.map((w) => t.client.workflow.getHandle(w).fetchHistory()));
}

describe('no-op floor of the throughput bench', () => {
  let t: TestTemporal;
  beforeAll(async () => {
    t = await connectTestTemporal();
  });
  afterAll(async () => t.close());

  it('runs the same activities per queue and the same steps as the expert episode it mirrors', async () => {
    const spec: EnvSpec = { env: 'builtin', task: 'water-plant', variation: 0 };
    const plan = goldSubtasks(spec);
    const taskQueue = queueFor('floor-real');
    const llm = new ScriptedLlmClient(expertPolicyRules(plan, 'chat'));
    const episodeId = `${taskQueue}-episode`;
    const result = await withWorker(t, { taskQueue, llm }, async () => {
      const handle = await startEpisode(t.client, { episodeId, taskQueue, config: { spec, profile: 'chat' } });
      return handle.result();
    });
    expect(result.won).toBe(true);
    const real = activitiesByQueue(await episodeHistories(t.client, episodeId), taskQueue);

    const floorQueue = queueFor('floor-noop');
    const envQueue = `${floorQueue}.env`;
    const shared = await Worker.create({
      connection: t.nativeConnection,
      taskQueue: floorQueue,
      workflowsPath: require.resolve('../../../bench/support/floor-workflows'),
      activities: createFloorActivities(envQueue),
    });
    const env = await Worker.create({
      connection: t.nativeConnection,
      taskQueue: envQueue,
      activities: createFloorActivities(envQueue),
    });
    const floorId = `${floorQueue}-floor`;
    const input = { stepsPerSubtask: plan.map((p) => p.actions.length) };
    const steps = await env.runUntil(
      shared.runUntil(
        t.client.workflow.execute(floorEpisodeWorkflow, { workflowId: floorId, taskQueue: floorQueue, args: [input] }),
      ),
    );
    expect(steps).toBe(result.steps);
    const floor = activitiesByQueue(await floorHistories(t, floorId, plan.length), floorQueue);
    expect(floor).toEqual(real);
    // acquire, high per subtask, low and progress per step but no progress after the winning step
    expect(real.shared).toBe(1 + plan.length + 2 * result.steps - 1);
  });
});
