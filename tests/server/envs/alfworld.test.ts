/** ALFWorld through the TS client: the conformance suite, observations as agents see them, splits. */
import { getExpertActions, listAlfWorldGames } from '../../../src/envs/expert';
import { AlfWorldTextEnv } from '../../../src/envs/http-text-env';
import { listSplitSpecs } from '../../../src/envs/splits';
import { EnvSpec } from '../../../src/envs/text-env';
import { useEnvServer } from '../../support/env-server-fixture';
import { textEnvConformance } from '../../support/text-env-conformance';

const server = useEnvServer();
const spec: EnvSpec = {
  env: 'alfworld',
  split: 'valid_seen',
  task: 'pick_heat_then_place_in_recep-Egg-None-CounterTop-2/trial_T20190908_122951_021026',
};

describe('the conformance game exists', () => {
  test('it is listed in valid_seen', async () => {
    const games = await listAlfWorldGames(server.url, 'valid_seen');
    expect(games.map((g) => g.task)).toContain(spec.task);
  });
});

textEnvConformance({
  name: 'ALFWorld (HTTP)',
  create: async () => new AlfWorldTextEnv({ url: server.url }),
  spec,
  solution: () => getExpertActions(server.url, spec),
});

describe('ALFWorld observations', () => {
  test('reset: look = room description, task = "Your task is to" line, admissible commands', async () => {
    const env = new AlfWorldTextEnv({ url: server.url });
    try {
      const r = await env.reset(spec);
      expect(r.observation.look).toMatch(/^You are in the middle of a room\. Looking quickly around you, you see /);
      expect(r.taskDescription).toBe('Your task is to: heat some egg and put it in countertop.');
      expect(r.observation.text).toBe(`${r.observation.look}\n\n${r.taskDescription}`);
      expect(r.observation.text).not.toContain('Welcome to TextWorld');
      expect(r.observation.validActions).toEqual(expect.arrayContaining(['look', 'inventory', 'go to countertop 2']));
      const s = await env.step('go to countertop 2');
      expect(s.observation.text).toMatch(/^You arrive at countertop 2\./);
      expect(s.observation.look).toBe(r.observation.look);
      expect(s).toMatchObject({ reward: 0, score: 0, done: false, won: false });
    } finally {
      await env.close();
    }
  });

  test('the put command is "move X to Y" (2.1.3 games) and winning gives reward 1, score 1', async () => {
    const actions = await getExpertActions(server.url, spec);
    expect(actions[actions.length - 1]).toMatch(/^move egg \d+ to countertop \d+$/);
    const env = new AlfWorldTextEnv({ url: server.url });
    try {
      await env.reset(spec);
      const results = [];
      for (const a of actions) results.push(await env.step(a));
      expect(results.map((r) => r.reward)).toEqual([...Array(actions.length - 1).fill(0), 1]);
      expect(results[results.length - 1]).toMatchObject({ score: 1, won: true, done: true });
    } finally {
      await env.close();
    }
  });

  test('paper splits list 140 valid_seen and 134 valid_unseen games', async () => {
    const seen = await listSplitSpecs(server.url, 'alfworld:valid_seen');
    const unseen = await listSplitSpecs(server.url, 'alfworld:valid_unseen');
    expect([seen.length, unseen.length]).toEqual([140, 134]);
    expect(seen[0]).toMatchObject({ env: 'alfworld', split: 'valid_seen' });
    const types = new Set((await listAlfWorldGames(server.url, 'valid_unseen')).map((g) => g.taskType));
    expect(types.size).toBe(6);
  });

  test('a game can also be addressed by its full path without a split', async () => {
    const env = new AlfWorldTextEnv({ url: server.url });
    try {
      const r = await env.reset({ env: 'alfworld', task: `valid_seen/${spec.task}` });
      expect(r.taskDescription).toBe('Your task is to: heat some egg and put it in countertop.');
    } finally {
      await env.close();
    }
  });
});
