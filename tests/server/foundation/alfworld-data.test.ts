/**
 * Pins the ALFWorld data story for users outside this repo: with `ALFWORLD_DATA` at a folder
 * without the games, `run --env alfworld` fails with one line naming the variable and how to get
 * the games (before starting anything), and `demo` falls back to the built-in env with a one-line
 * notice and still wins with the scripted expert.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEMO_GAME, DEMO_SPLIT } from '../../../src/envs/demo-game';
import { connectTestTemporal, testAddress, type TestTemporal } from '../../support/temporal';
import { cleanEnv, ensureBuilt, runCli } from '../../support/cli-harness';

const HOW_TO_GET_THE_GAMES =
  'get the games once with `pip install alfworld` then `alfworld-download --data-dir <folder>`, ' +
  'and `export ALFWORLD_DATA=<folder>` (the folder that holds json_2.1.1/ and logic/)';

let t: TestTemporal;
let empty: string;
beforeAll(async () => {
  ensureBuilt();
  t = await connectTestTemporal();
  empty = mkdtempSync(path.join(os.tmpdir(), 'step-hrl-no-alfworld-'));
});
afterAll(async () => {
  await t?.close();
  rmSync(empty, { recursive: true, force: true });
});

const cliEnv = (): NodeJS.ProcessEnv => cleanEnv({ TEMPORAL_ADDRESS: testAddress(), ALFWORLD_DATA: empty });

/** JSON lines of a `--json` run. */
function events(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('ALFWorld data missing', () => {
  it('run --env alfworld fails with one line naming ALFWORLD_DATA and how to get the games', async () => {
    const args = ['run', '--env', 'alfworld', '--task', DEMO_GAME, '--split', DEMO_SPLIT, '--llm', 'expert'];
    const res = await runCli(args, cliEnv(), 60_000);
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr.trim().split('\n')).toEqual([
      `Error: no ALFWorld data found (${empty} has no json_2.1.1/ folder); ${HOW_TO_GET_THE_GAMES}`,
    ]);
  });

  it('demo falls back to the built-in env with a one-line notice, and the expert still wins', async () => {
    const res = await runCli(['demo', '--json', '--llm', 'expert'], cliEnv(), 90_000);
    expect({ code: res.code, stderr: res.stderr }).toEqual({ code: 0, stderr: '' });
    const out = events(res.stdout);
    expect(out[0]).toEqual({
      type: 'log',
      message: `no ALFWorld data found, so the demo plays the built-in env (boil-water) instead; for the real ALFWorld games, ${HOW_TO_GET_THE_GAMES}`,
    });
    const started = out.find((e) => e.type === 'started') as { spec: { env: string; task: string } };
    expect(started.spec).toMatchObject({ env: 'builtin', task: 'boil-water' });
    const result = out.find((e) => e.type === 'result') as { won: boolean; score: number };
    expect(result).toMatchObject({ won: true, score: 100 });
  });
});
