/**
 * Input is checked before anything starts (issue 17 item 9): an unknown task and an ALFWorld game
 * that is not in the data folder are refused before Temporal (or the env server) starts; a taken
 * episode id and a fork range the parent does not have are refused before the model backend or the
 * env server is touched (here: an unreachable OPENAI_BASE_URL would be reported otherwise, and a
 * ScienceWorld expert would start the env server and its JVM first). `resume` of an episode that
 * already finished says so and exits 0, so a recovery script can tell done from failed.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../../src/server/ports';
import { testAddress } from '../../support/temporal';
import { cleanEnv, ensureBuilt, runCli } from '../../support/cli-harness';

let tmp: string;
let closedPort: number;
beforeAll(async () => {
  ensureBuilt();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'step-hrl-early-'));
  closedPort = await freePort();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const onTestServer = (extra: Record<string, string> = {}) => cleanEnv({ TEMPORAL_ADDRESS: testAddress(), ...extra });
/** An OpenAI-compatible endpoint that is not there: any use of it is an error naming OPENAI_BASE_URL. */
const deadEndpoint = () => ({ OPENAI_BASE_URL: `http://127.0.0.1:${closedPort}/v1`, STEP_HRL_MODEL: 'm' });

/** Runs `step-hrl <args>` expecting exactly one `Error:` line and exit 1; returns it and the time taken. */
async function refused(args: string[], env: NodeJS.ProcessEnv): Promise<{ line: string; ms: number }> {
  const started = Date.now();
  const result = await runCli(args, env, 90_000);
  const ms = Date.now() - started;
  const lines = result.stderr.split('\n').filter((l) => l.length > 0);
  expect({ code: result.code, lines, stdout: result.stdout }).toEqual({
    code: 1,
    lines: [expect.stringMatching(/^Error: /)],
    stdout: '',
  });
  return { line: lines[0]!, ms };
}

describe('refused before Temporal starts (embedded server, fresh data dir)', () => {
  const run = (dataDir: string, ...extra: string[]): string[] => [
    'run',
    '--llm',
    'expert',
    '--data-dir',
    dataDir,
    '--port',
    String(closedPort),
    ...extra,
  ];
  const temporalStarted = (dataDir: string) => existsSync(path.join(dataDir, 'temporal-server.log'));

  it('an unknown built-in task', async () => {
    const dataDir = path.join(tmp, 'builtin');
    const { line } = await refused(run(dataDir, '--env', 'builtin', '--task', 'boil-milk'), cleanEnv());
    expect(line).toBe(
      'Error: --task "boil-milk" is not a built-in task; choose one of: boil-water, find-key-open-chest, ' +
        'deliver-apple, clean-plate, chill-juice, water-plant',
    );
    expect(temporalStarted(dataDir)).toBe(false);
  });

  it('an unknown ScienceWorld task (a known one, or a task id, passes this check)', async () => {
    const dataDir = path.join(tmp, 'scienceworld');
    const { line } = await refused(run(dataDir, '--env', 'scienceworld', '--task', 'boiling'), cleanEnv());
    expect(line).toMatch(/^Error: --task "boiling" is not a ScienceWorld task; choose one of: boil, melt, freeze, /);
    expect(temporalStarted(dataDir)).toBe(false);
  });

  it('an ALFWorld game that is not in the data folder', async () => {
    const dataDir = path.join(tmp, 'alfworld');
    const game = 'pick_two_obj_and_place-SprayBottle-None-GarbageCan-419/trial_no_such_trial';
    const { line } = await refused(
      run(dataDir, '--env', 'alfworld', '--split', 'valid_seen', '--task', game),
      cleanEnv(process.env.ALFWORLD_DATA ? { ALFWORLD_DATA: process.env.ALFWORLD_DATA } : {}),
    );
    expect(line).toContain(`--task: ALFWorld game "valid_seen/${game}" not found under `);
    expect(temporalStarted(dataDir)).toBe(false);
  });
});

describe('on Temporal, before the model backend or the env server', () => {
  const builtin = (episodeId: string, ...extra: string[]): string[] => [
    'run',
    '--env',
    'builtin',
    '--task',
    'boil-water',
    '--max-steps',
    '3',
    '--episode-id',
    episodeId,
    ...extra,
  ];

  it('a taken episode id, a fork range the parent lacks; resume of a finished episode exits 0', async () => {
    const episodeId = `early-${process.pid}-${Date.now()}`;
    const first = await runCli(builtin(episodeId, '--llm', 'expert'), onTestServer(), 90_000);
    expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: '' });

    const taken = await refused(builtin(episodeId, '--llm', 'openai'), onTestServer(deadEndpoint()));
    expect(taken.line).toBe(
      `Error: episode ${episodeId} already exists (completed); use \`step-hrl resume ${episodeId}\` or \`--rerun\``,
    );
    // A ScienceWorld expert would start the env server (and a JVM) to plan: the id is refused first.
    const sciArgs = ['run', '--llm', 'expert', '--env', 'scienceworld', '--task', 'boil', '--episode-id', episodeId];
    const sci = await refused(sciArgs, onTestServer());
    expect(sci.line).toContain(`episode ${episodeId} already exists (completed)`);
    expect(sci.ms).toBeLessThan(5_000);

    const fork = await refused(
      ['fork', episodeId, '--from-subtask', '9', '--llm', 'openai'],
      onTestServer(deadEndpoint()),
    );
    expect(fork.line).toMatch(
      new RegExp(`^Error: episode ${episodeId} finished \\d subtasks, so it has no state before subtask 9; `),
    );

    const resumed = await runCli(['resume', episodeId, '--llm', 'openai'], onTestServer(deadEndpoint()), 60_000);
    expect({ code: resumed.code, stderr: resumed.stderr }).toEqual({ code: 0, stderr: '' });
    expect(resumed.stdout).toContain(
      `episode ${episodeId} already finished (step-budget); nothing to resume (\`step-hrl show ${episodeId}\` prints it)`,
    );
  }, 180_000);
});
