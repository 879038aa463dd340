/**
 * Every ScienceWorld task (variation 0) reaches score 100 playing the simulator's gold sequence.
 * The two mendelian-genetics tasks breed plants at random, and the simulator's gold path generator
 * with them: eight loads of unknown-plant variation 0 gave gold paths of 144 to 259 steps, and one
 * of the eight ended focusing on the wrong box (score -100; also seen once in CI). They get up to 3
 * fresh tries and must win one. The paper leaves both tasks out of its evaluation.
 */
import { ScienceWorldTextEnv } from '../../../src/envs/http-text-env';
import { SCIENCEWORLD_ALL_TASKS } from '../../../src/envs/splits';
import { useEnvServer } from '../../support/env-server-fixture';

const server = useEnvServer();
// Two sessions = two simulator JVMs working in parallel (the machine has 2 cores).
const SESSIONS = 2;
const RANDOM_OFFSPRING_TASKS = ['mendelian-genetics-known-plant', 'mendelian-genetics-unknown-plant'];
const TRIES_FOR_RANDOM_TASKS = 3;

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
          const tries = RANDOM_OFFSPRING_TASKS.includes(task) ? TRIES_FOR_RANDOM_TASKS : 1;
          for (let attempt = 1; attempt <= tries; attempt++) {
            const gold = await env.goldActions(spec);
            await env.reset(spec);
            let last = { score: 0, done: false };
            for (const a of gold) last = await env.step(a);
            const won = last.score === 100 && last.done;
            if (won || attempt === tries) {
              results.push({ task, score: last.score, done: last.done, steps: gold.length });
              break;
            }
            console.log(`${task}: gold path scored ${last.score} on try ${attempt} (random offspring); trying again`);
          }
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
