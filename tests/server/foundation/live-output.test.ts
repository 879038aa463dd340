/**
 * The live view of `run` prints every recorded step and subtask, in order, even those of subtasks
 * that begin and end between two polls (the built-in env with the scripted expert is fast enough
 * for whole subtasks to fall between polls).
 */
import { testAddress } from '../../support/temporal';
import { cleanEnv, ensureBuilt, runCli } from '../../support/cli-harness';

beforeAll(() => ensureBuilt());

test('`run --json` prints one step event per recorded step and one subtask event per subtask, in order', async () => {
  const env = cleanEnv({ TEMPORAL_ADDRESS: testAddress() });
  const episodeId = `live-${process.pid}-${Date.now()}`;
  const args = ['run', '--llm', 'expert', '--env', 'builtin', '--task', 'find-key-open-chest', '--variation', '4'];
  const run = await runCli([...args, '--episode-id', episodeId, '--json'], env, 120_000);
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
  const events = run.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map(
      (line) =>
        JSON.parse(line) as { type: string; step?: number; index?: number; steps?: number; subtasks?: string[] },
    );
  const result = events.find((e) => e.type === 'result')!;
  expect(result.steps).toBeGreaterThan(3);
  expect(events.filter((e) => e.type === 'step').map((e) => e.step)).toEqual([...Array(result.steps).keys()]);
  expect(events.filter((e) => e.type === 'subtask').map((e) => e.index)).toEqual([
    ...Array(result.subtasks!.length).keys(),
  ]);
}, 180_000);
