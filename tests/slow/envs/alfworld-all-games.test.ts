/**
 * Every valid_seen and valid_unseen ALFWorld game (274) is won by playing its walkthrough.
 * Game loading is CPU-bound Python (one core per server process), so games are spread over one
 * env server per core, one session each.
 */
import * as os from 'node:os';
import { EnvServerHandle, startEnvServer } from '../../../src/envs/env-server';
import { getExpertActions, listAlfWorldGames } from '../../../src/envs/expert';
import { AlfWorldTextEnv } from '../../../src/envs/http-text-env';
import { StepResult } from '../../../src/envs/text-env';

const SERVERS = Math.max(1, Math.min(2, os.cpus().length));
let servers: EnvServerHandle[] = [];

beforeAll(async () => {
  servers = await Promise.all(Array.from({ length: SERVERS }, () => startEnvServer()));
}, 120_000);
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
}, 60_000);

test('every valid_seen and valid_unseen game is won by its walkthrough', async () => {
  const url = servers[0]!.url;
  const games = [...(await listAlfWorldGames(url, 'valid_seen')), ...(await listAlfWorldGames(url, 'valid_unseen'))];
  expect(games).toHaveLength(274);
  const queue = [...games];
  const failures: string[] = [];
  let played = 0;
  const t0 = Date.now();
  await Promise.all(
    servers.map(async (server) => {
      const env = new AlfWorldTextEnv({ url: server.url });
      try {
        for (let g = queue.shift(); g !== undefined; g = queue.shift()) {
          const spec = { env: 'alfworld' as const, task: g.task, split: g.split };
          const walkthrough = await getExpertActions(server.url, spec);
          await env.reset(spec);
          let last: StepResult | undefined;
          for (const a of walkthrough) last = await env.step(a);
          played++;
          if (!last?.won || !last.done || last.score !== 1) failures.push(`${g.gameFile}: ${JSON.stringify(last)}`);
        }
      } finally {
        await env.close();
      }
    }),
  );
  console.log(
    `ALFWorld walkthroughs: ${played} games on ${SERVERS} server(s) in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
  expect(failures).toEqual([]);
  expect(played).toBe(274);
}, 1_800_000);
