/**
 * `resume` warms the env server of a ScienceWorld episode while it connects (EnvProvider.warm): the
 * spawned server starts at once and starts its spare session simulator before any session is asked
 * for, so the re-drive after a kill -9 takes a simulator that is already up.
 */
import { EnvProvider } from '../../../src/envs/factory';

let provider: EnvProvider | undefined;
afterEach(async () => provider?.close());

interface SimulatorCounts {
  warm: number;
  cold: number;
  ready: number;
}

async function simulators(url: string): Promise<SimulatorCounts> {
  const stats = (await (await fetch(`${url}/stats`)).json()) as {
    envs: Record<string, { simulators: SimulatorCounts }>;
  };
  return stats.envs.scienceworld!.simulators;
}

test('warm(scienceworld) starts the server and a spare simulator before the first session', async () => {
  provider = new EnvProvider();
  provider.warm({ env: 'scienceworld', task: 'boil', variation: 0 });
  const { url, spawned } = await provider.handle();
  expect(spawned).toBe(true);
  const deadline = Date.now() + 60_000;
  while ((await simulators(url)).ready < 1) {
    if (Date.now() > deadline) throw new Error('no spare simulator was started');
    await new Promise((r) => setTimeout(r, 100));
  }
  // The first session is served by the spare: no simulator started for it.
  const env = await provider.create({ env: 'scienceworld', task: 'boil', variation: 0 });
  await env.reset({ env: 'scienceworld', task: 'boil', variation: 0 });
  expect(await simulators(url)).toMatchObject({ warm: 1, cold: 0 });
  await env.close();
});

test('without warm(), a server starts no simulator until a ScienceWorld session is asked for', async () => {
  provider = new EnvProvider();
  const { url } = await provider.handle();
  await new Promise((r) => setTimeout(r, 1_500));
  expect(await simulators(url)).toMatchObject({ warm: 0, cold: 0, ready: 0 });
});
