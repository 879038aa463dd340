/**
 * Pins where the ALFWorld games are looked for and the one error when they are missing: the env
 * server (which eval presets and `--llm expert` ask for game lists and walkthroughs) and the local
 * check give the same message, naming ALFWORLD_DATA and how to get the games.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findAlfWorldData, noAlfWorldDataError } from '../../../src/envs/alfworld-data';
import { DEMO_GAME, DEMO_SPLIT } from '../../../src/envs/demo-game';
import { getExpertActions } from '../../../src/envs/expert';
import { listSplitSpecs } from '../../../src/envs/splits';
import { EnvError } from '../../../src/envs/text-env';
import { startEnvServer, type EnvServerHandle } from '../../../src/envs/env-server';

const empty = mkdtempSync(path.join(os.tmpdir(), 'step-hrl-no-alfworld-'));
// A server of its own (never a configured STEP_HRL_ENV_URL one): its data folder is the point.
let server: EnvServerHandle;
beforeAll(async () => (server = await startEnvServer({ alfworldData: empty })), 120_000);
afterAll(async () => {
  await server?.stop();
  rmSync(empty, { recursive: true, force: true });
}, 60_000);

describe('ALFWorld data lookup', () => {
  it('uses ALFWORLD_DATA when it holds json_2.1.1/, and only then', () => {
    const data = mkdtempSync(path.join(os.tmpdir(), 'step-hrl-alfworld-'));
    try {
      expect(findAlfWorldData({ ALFWORLD_DATA: data })).toMatchObject({ found: false });
      mkdirSync(path.join(data, 'json_2.1.1'));
      expect(findAlfWorldData({ ALFWORLD_DATA: data })).toEqual({ found: true, dir: data });
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });

  it('an empty ALFWORLD_DATA folder is reported with the variable, the folder and how to get the games', () => {
    const lookup = findAlfWorldData({ ALFWORLD_DATA: empty });
    expect(lookup.found).toBe(false);
    const error = (lookup as { error: EnvError }).error;
    expect(error.code).toBe('BadGameFile');
    expect(error.message).toContain(`no ALFWorld data found (${empty} has no json_2.1.1/ folder)`);
    for (const hint of [
      'pip install alfworld',
      'alfworld-download --data-dir <folder>',
      'export ALFWORLD_DATA=<folder>',
    ]) {
      expect(error.message).toContain(hint);
    }
  });

  it('the env server gives the same error for split listings (eval presets) and walkthroughs (--llm expert)', async () => {
    const expected = noAlfWorldDataError(empty);
    await expect(listSplitSpecs(server.url, 'alfworld:valid_seen')).rejects.toMatchObject({
      code: expected.code,
      message: expected.message,
    });
    await expect(
      getExpertActions(server.url, { env: 'alfworld', task: DEMO_GAME, split: DEMO_SPLIT }),
    ).rejects.toMatchObject({ code: expected.code, message: expected.message });
  });
});
