/**
 * Kill and resume (issue 19): `step-hrl train` on the tiny CPU config, its Python training worker
 * killed with SIGKILL mid-chunk and at an epoch boundary; the CLI's supervisor restarts it, the
 * chunk whose heartbeat stopped is retried from the last checkpoint, and the run's final adapter
 * and critic weights and its metrics are identical to an uninterrupted run's (the trainer's own
 * CLI, one process per stage, no Temporal). The four-kill
 * version (twice each, in both stages) is tests/slow/training/kill-resume.test.ts.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt, runCli, cleanEnv } from '../../support/cli-harness';
import { referenceRun, resultOf, trainerInstalled, trainWithKills, writeTinyRun } from '../../support/training-kill';

const address = process.env.STEP_HRL_TEST_TEMPORAL_ADDRESS!;
const maybe = trainerInstalled() ? test : test.skip;

jest.setTimeout(600_000);

beforeAll(() => ensureBuilt());

maybe('a worker killed mid-chunk and at an epoch boundary resumes to the uninterrupted weights', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'step-hrl-train-'));
  const config = writeTinyRun(dir, 2, 1); // bc: 12 steps (epoch boundary after 6), rl: 6 steps
  const dataDir = path.join(dir, 'dd');
  const stamp = Date.now().toString(36);

  const reference = referenceRun(path.join(dir, 'reference'), config);
  // Chunks of 4 steps: step 2 is mid-chunk; step 6 ends epoch 0 in the middle of the second chunk.
  const killed = await trainWithKills({
    id: `kill-${stamp}`,
    config,
    dataDir,
    address,
    kills: [
      { stage: 'bc', step: 2 },
      { stage: 'bc', step: 6 },
    ],
  });
  // The CLI's output on failure: what went wrong under load, not just the exit code.
  expect({ code: killed.code, output: killed.code === 0 ? '' : killed.output.slice(-4000) }).toEqual({
    code: 0,
    output: '',
  });
  expect(killed.killedAt).toEqual([
    { stage: 'bc', step: 2 },
    { stage: 'bc', step: 6 },
  ]);
  expect(killed.output.match(/training worker \(pid \d+\) killed by SIGKILL; restarting/g)).toHaveLength(2);

  const want = reference;
  const got = resultOf(killed);
  expect(got.status).toBe('finished');
  expect(want.finals.rl!.critics).toMatch(/^[0-9a-f]{64}$/);
  expect(got.finals.bc!.sha256).toEqual(want.finals.bc);
  expect(got.finals.rl!.sha256).toEqual(want.finals.rl);
  for (const stage of ['bc', 'rl'])
    expect(readFileSync(path.join(killed.runDir, stage, 'metrics.jsonl'), 'utf8')).toBe(
      readFileSync(path.join(reference.runDir, stage, 'metrics.jsonl'), 'utf8'),
    );

  // `train show` reports the finished run; the same command again finds it finished.
  const show = await runCli(['train', 'show', `kill-${stamp}`, '--address', address], cleanEnv());
  expect(show.code).toBe(0);
  expect(show.stdout).toContain(`run kill-${stamp}: finished`);
  expect(show.stdout).toContain(`critics sha256 ${want.finals.rl!.critics}`);
  expect(show.stdout).toContain(path.join(killed.runDir, 'bc', 'metrics.jsonl'));
  expect(show.stdout).toMatch(/curves: .*\.png/);

  const again = await trainWithKills({ id: `kill-${stamp}`, config, dataDir, address });
  expect(again).toMatchObject({ code: 0 });
  expect(again.output).toContain(`run kill-${stamp} already finished`);
});
