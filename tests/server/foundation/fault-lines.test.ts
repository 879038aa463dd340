/**
 * What `run` prints while an episode rides out a fault that is not Temporal's (issue 17 item 9):
 * it used to print nothing during a model endpoint outage or an env server restart (only
 * `re-drives: 1` in the summary afterwards). Now one line when the fault begins and one when it
 * ends, read from Temporal's view of the episode (`describe()`: a pending activity retried after a
 * failure, a pending `envRedrive`):
 * - the reporter's rules, without a server;
 * - the model endpoint refusing connections for 8 s mid-episode (built-in env, the scripted expert
 *   behind the project's mock OpenAI server);
 * - the env server `run` spawned SIGKILLed mid-episode on a real ALFWorld game (the worker starts a
 *   new one and the episode re-drives on it).
 */
import { FaultReporter } from '../../../src/cli/fault-watch';
import { testAddress } from '../../support/temporal';
import { cleanEnv, ensureBuilt, listProcesses, spawnCli, type BackgroundCli } from '../../support/cli-harness';
import { endpointEnv, endpointRunArgs, expertEndpoint } from '../../support/expert-endpoint-process';

// Timing-sensitive through the real CLI (it looks at the episode once a second): under the full
// server tier's parallel load a run has been seen to miss once and pass on the rerun; retried, with
// the first error logged, rather than loosened.
jest.retryTimes(2, { logErrorsBeforeRetry: true });

beforeAll(() => ensureBuilt());

/** The `log` messages of a `--json` run, in order. */
function messages(run: BackgroundCli): string[] {
  return run
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { type: string; message?: string })
    .filter((e) => e.type === 'log')
    .map((e) => e.message ?? '');
}

/** The `result` event of a `--json` run. */
function resultOf(run: BackgroundCli): { status?: string; won?: boolean; redrives?: number } | undefined {
  return run
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { type: string; status?: string; won?: boolean; redrives?: number })
    .find((e) => e.type === 'result');
}

describe('the fault reporter', () => {
  it('prints one line when a fault begins and one when it ends, per kind', () => {
    const lines: string[] = [];
    const reporter = new FaultReporter((line) => lines.push(line));
    reporter.update([{ activity: 'callPolicy', attempt: 1 }]); // a first attempt is no fault
    reporter.update([{ activity: 'callPolicy', attempt: 2, failure: 'connect ECONNREFUSED' }]);
    reporter.update([{ activity: 'callPolicy', attempt: 3, failure: 'connect ECONNREFUSED' }]);
    reporter.update([{ activity: 'envRedrive', attempt: 1 }]);
    reporter.update([]);
    reporter.update([{ activity: 'envStep', attempt: 2, failure: 'fetch failed' }]);
    reporter.update([], false); // the episode ended: its summary says how
    expect(lines).toEqual([
      'model endpoint not answering: retrying the call (attempt 2: connect ECONNREFUSED)...',
      'model endpoint answering again (the call took 3 attempts)',
      'env session lost: re-driving a new session through the recorded steps...',
      'env session re-driven; continuing',
      'env server not answering: retrying envStep (attempt 2: fetch failed)...',
    ]);
    expect(reporter.activeKinds()).toEqual([]);
  });
});

test('a model endpoint outage mid-episode: one line as it begins, one as it ends, and the episode completes', async () => {
  const spec = { env: 'builtin' as const, task: 'boil-water', variation: 0 };
  const endpoint = await expertEndpoint(spec, 100);
  try {
    const episodeId = `llm-outage-cli-${process.pid}-${Date.now()}`;
    const run = spawnCli(
      endpointRunArgs(spec, episodeId, '--json'),
      endpointEnv(endpoint, { TEMPORAL_ADDRESS: testAddress() }),
    );
    await run.waitForOutput(/"type":"step","step":1,/, 60_000);
    await endpoint.goDown('refuse');
    const down = Date.now();
    await run.waitForOutput(/model endpoint not answering: retrying the call \(attempt 2: /, 20_000);
    expect(Date.now() - down).toBeLessThan(8_000);
    expect(run.output()).not.toContain('model endpoint answering again');
    await new Promise((r) => setTimeout(r, 8_000 - (Date.now() - down)));
    await endpoint.comeUp();

    const { code } = await run.exited;
    expect({ code, output: code === 0 ? '' : run.output().slice(-3000) }).toEqual({ code: 0, output: '' });
    const lines = messages(run);
    const begins = lines.filter((m) => m.startsWith('model endpoint not answering'));
    const ends = lines.filter((m) => m.startsWith('model endpoint answering again'));
    expect({ begins: begins.length, ends: ends.length }).toEqual({ begins: 1, ends: 1 });
    expect(lines.indexOf(ends[0]!)).toBeGreaterThan(lines.indexOf(begins[0]!));
    expect(resultOf(run)?.status).toBe('env-done');
  } finally {
    await endpoint.stop();
  }
}, 180_000);

test('the env server restarted mid-episode: one line as the re-drive begins, one as it ends, and the game is won', async () => {
  const game = 'pick_two_obj_and_place-SprayBottle-None-GarbageCan-419/trial_T20190908_164236_518264';
  const episodeId = `env-restart-cli-${process.pid}-${Date.now()}`;
  const args = ['run', '--llm', 'expert', '--env', 'alfworld', '--split', 'valid_seen', '--task', game];
  const run = spawnCli([...args, '--episode-id', episodeId, '--json'], cleanEnv({ TEMPORAL_ADDRESS: testAddress() }));
  await run.waitForOutput(/"type":"step","step":2,/, 120_000);
  const servers = listProcesses().filter((p) => p.ppid === run.child.pid && p.cmdline.includes('step_hrl_envserver'));
  expect(servers).toHaveLength(1);
  process.kill(servers[0]!.pid, 'SIGKILL');
  await run.waitForOutput(/env session lost: re-driving a new session through the recorded steps/, 30_000);

  const { code } = await run.exited;
  expect({ code, output: code === 0 ? '' : run.output().slice(-3000) }).toEqual({ code: 0, output: '' });
  const lines = messages(run);
  const begins = lines.filter((m) => m.startsWith('env session lost'));
  const ends = lines.filter((m) => m.startsWith('env session re-driven'));
  expect({ begins: begins.length, ends: ends.length }).toEqual({ begins: 1, ends: 1 });
  expect(lines.indexOf(ends[0]!)).toBeGreaterThan(lines.indexOf(begins[0]!));
  expect(resultOf(run)).toMatchObject({ status: 'env-done', won: true });
  expect(resultOf(run)?.redrives).toBeGreaterThanOrEqual(1);
}, 300_000);
