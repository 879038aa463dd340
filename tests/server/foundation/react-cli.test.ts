/**
 * `step-hrl run --agent react` through the real bin (issue 10 item 5): the ReAct baseline with the
 * scripted expert wins a built-in task and a real ALFWorld game, prints one step line per step and
 * a summary; `show` prints a react episode's steps and `export` says why it has no transitions;
 * `resume` of a finished one says so and exits 0;
 * an unknown `--agent` is a one-line error naming the flag and the choices.
 */
import { testAddress } from '../../support/temporal';
import { cleanEnv, ensureBuilt, runCli } from '../../support/cli-harness';

beforeAll(() => ensureBuilt());

interface Event {
  type: string;
  step?: number;
  action?: string;
  agent?: string;
  status?: string;
  won?: boolean;
  steps?: number;
  episodeId?: string;
  rerunOf?: string;
}

const events = (stdout: string): Event[] =>
  stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Event);

const env = () => cleanEnv({ TEMPORAL_ADDRESS: testAddress() });

test('run --agent react --llm expert on a built-in task: wins, one step event per step; show, export, --rerun, resume', async () => {
  const episodeId = `react-cli-${process.pid}-${Date.now()}`;
  const args = ['run', '--agent', 'react', '--llm', 'expert', '--env', 'builtin', '--task', 'find-key-open-chest'];
  const run = await runCli([...args, '--variation', '4', '--episode-id', episodeId, '--json'], env(), 120_000);
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
  const printed = events(run.stdout);
  expect(printed.find((e) => e.type === 'started')).toMatchObject({ episodeId, agent: 'react' });
  const result = printed.find((e) => e.type === 'result')!;
  expect(result).toMatchObject({ agent: 'react', status: 'env-done', won: true });
  expect(result.steps).toBeGreaterThan(3);
  expect(printed.filter((e) => e.type === 'step').map((e) => e.step)).toEqual([...Array(result.steps).keys()]);

  const show = await runCli(['show', episodeId, '--json'], env());
  expect(show.code).toBe(0);
  const shown = events(show.stdout);
  expect(shown.find((e) => e.type === 'result')).toMatchObject({ agent: 'react', won: true, steps: result.steps });
  expect(shown.filter((e) => e.type === 'react-step').map((e) => e.action)).toEqual(
    printed.filter((e) => e.type === 'step').map((e) => e.action),
  );

  const exported = await runCli(['export', episodeId], env());
  expect(exported.code).toBe(1);
  expect(exported.stderr).toContain('is a ReAct baseline episode: it has no augmented transitions');

  // Same id rules as a STEP-HRL episode: --rerun runs it again under a linked id; a finished one is not
  // resumed: `resume` says so and exits 0.
  const rerun = await runCli(
    [...args, '--variation', '4', '--episode-id', episodeId, '--rerun', '--json'],
    env(),
    120_000,
  );
  expect(rerun.code).toBe(0);
  expect(events(rerun.stdout).find((e) => e.type === 'started')).toMatchObject({
    episodeId: `${episodeId}.rerun-2`,
    rerunOf: episodeId,
    agent: 'react',
  });
  const resumed = await runCli(['resume', episodeId, '--llm', 'expert'], env());
  expect({ code: resumed.code, stderr: resumed.stderr }).toEqual({ code: 0, stderr: '' });
  expect(resumed.stdout).toContain(`episode ${episodeId} already finished (env-done); nothing to resume`);
}, 240_000);

test('run --agent react --llm expert wins a real ALFWorld game', async () => {
  const game = 'pick_two_obj_and_place-SprayBottle-None-GarbageCan-419/trial_T20190908_164236_518264';
  const args = ['run', '--agent', 'react', '--llm', 'expert', '--env', 'alfworld', '--split', 'valid_seen'];
  const run = await runCli([...args, '--task', game, '--json'], env(), 240_000);
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
  const printed = events(run.stdout);
  const result = printed.find((e) => e.type === 'result')!;
  expect(result).toMatchObject({ agent: 'react', status: 'env-done', won: true });
  expect(printed.filter((e) => e.type === 'step')).toHaveLength(result.steps!);
}, 300_000);

test('an unknown --agent is one error line naming the flag and the choices', async () => {
  const run = await runCli(['run', '--agent', 'reflexion', '--llm', 'expert'], env());
  expect(run.code).toBe(1);
  expect(run.stderr.trim()).toBe('Error: --agent "reflexion" is not valid; choose one of: step-hrl, react');
});
