/** Every ScienceWorld task (variation 0) reaches score 100 playing the simulator's gold sequence. */
import { ScienceWorldTextEnv } from '../../src/envs/http-text-env';
import { SCIENCEWORLD_ALL_TASKS } from '../../src/envs/splits';
import { useEnvServer } from './env-server-fixture';

const server = useEnvServer();
// Two sessions = two simulator JVMs working in parallel (the machine has 2 cores).
const SESSIONS = 2;

test('all 30 tasks score 100 on their gold path', async () => {
  const queue = [...SCIENCEWORLD_ALL_TASKS];
  const results: { task: string; score: number; done: boolean; steps: number }[] = [];
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: SESSIONS }, async () => {
      const env = new ScienceWorldTextEnv({ url: server.url });
      try {
        for (let task = queue.shift(); task !== undefined; task = queue.shift()) {
          const spec = { env: 'scienceworld' as const, task, variation: 0 };
          const gold = await env.goldActions(spec);
          await env.reset(spec);
          let last = { score: 0, done: false };
          for (const a of gold) last = await env.step(a);
          results.push({ task, score: last.score, done: last.done, steps: gold.length });
        }
      } finally {
        await env.close();
      }
    }),
  );
  console.log(`ScienceWorld gold: ${results.length} tasks in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const failed = results.filter((r) => r.score !== 100 || !r.done);
  expect(failed).toEqual([]);
  expect(results.map((r) => r.task).sort()).toEqual([...SCIENCEWORLD_ALL_TASKS].sort());
}, 1_200_000);
