/**
 * An episode cancelled through Temporal while its env session opens (a slow reset): it ends
 * `cancelled` as a completed workflow with an empty record, and the session the reset opened on the
 * worker is closed (today's bug: the cancellation escaped before the `try`, the session stayed open).
 */
import type { EnvFactory } from '../../../src/activities';
import { BuiltinTextEnv, goldSubtasks } from '../../../src/envs/builtin';
import type { EnvSpec, TextEnv } from '../../../src/envs/text-env';
import { ExpertRouterClient } from '../../../src/llm/expert-router';
import type { EpisodeResult } from '../../../src/workflows/episode';
import { connectTestTemporal, queueFor, withWorker, type TestTemporal } from '../../support/temporal';

let t: TestTemporal;
beforeAll(async () => (t = await connectTestTemporal()));
afterAll(async () => t?.close());

test('a cancel during the env reset ends the episode cancelled and closes the session', async () => {
  const taskQueue = queueFor('cancel-during-reset');
  const workflowId = `cancel-during-reset-${taskQueue}`;
  const spec: EnvSpec = { env: 'builtin', task: 'boil-water', variation: 0 };
  let resetStarted = false;
  let open = 0;
  const slowReset: EnvFactory = () => {
    const env = new BuiltinTextEnv();
    const wrapped: TextEnv = Object.create(env) as TextEnv;
    wrapped.reset = async (s: EnvSpec) => {
      resetStarted = true;
      open += 1;
      await new Promise((r) => setTimeout(r, 2000));
      return env.reset(s);
    };
    wrapped.close = async () => {
      open = Math.max(0, open - 1);
      return env.close();
    };
    return wrapped;
  };
  const llm = new ExpertRouterClient({ specOf: () => spec, planOf: async (s) => goldSubtasks(s), profile: 'chat' });
  const result = await withWorker(t, { taskQueue, llm, envFactory: slowReset }, async () => {
    const handle = await t.client.workflow.start('episodeWorkflow', {
      workflowId,
      taskQueue,
      args: [{ config: { spec, maxSteps: 20 } }],
    });
    while (!resetStarted) await new Promise((r) => setTimeout(r, 20));
    await handle.cancel();
    const ended: EpisodeResult = await handle.result();
    // The close runs after the reset finished on the worker; wait for it rather than the clock.
    for (let i = 0; i < 100 && open > 0; i++) await new Promise((r) => setTimeout(r, 100));
    return ended;
  });
  expect(result.status).toBe('cancelled');
  expect(result.steps).toBe(0);
  expect((await t.client.workflow.getHandle(workflowId).describe()).status.name).toBe('COMPLETED');
  expect(open).toBe(0);
}, 120_000);
