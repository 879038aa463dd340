/**
 * Kill and resume, the full version (issue 19 "Must show"): `step-hrl train` on the tiny CPU
 * config with its Python training worker killed with SIGKILL four times: twice mid-chunk and
 * twice at an epoch boundary, in both stages. The final adapter and critic weights and the
 * metrics equal those of an uninterrupted `step-hrl train` run of the same config (and of the
 * trainer's own CLI without Temporal).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt } from '../../support/cli-harness';
import { referenceRun, resultOf, trainerInstalled, trainWithKills, writeTinyRun } from '../../support/training-kill';

const address = process.env.STEP_HRL_TEST_TEMPORAL_ADDRESS!;
const maybe = trainerInstalled() ? test : test.skip;

jest.setTimeout(1_200_000);

beforeAll(() => ensureBuilt());

maybe('four SIGKILLs (mid-chunk and at epoch boundaries, both stages) change nothing in the result', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'step-hrl-train-slow-'));
  const config = writeTinyRun(dir, 2, 2); // 6 steps per epoch: bc 12 steps, rl 12 steps
  const dataDir = path.join(dir, 'dd');
  const stamp = Date.now().toString(36);

  const uninterrupted = await trainWithKills({ id: `ref-${stamp}`, config, dataDir, address, timeoutMs: 600_000 });
  expect(uninterrupted).toMatchObject({ code: 0 });
  // Chunks of 4 steps: bc 2 and rl 5 are mid-chunk; step 6 of each stage ends its first epoch mid-chunk.
  const kills = [
    { stage: 'bc' as const, step: 2 },
    { stage: 'bc' as const, step: 6 },
    { stage: 'rl' as const, step: 5 },
    { stage: 'rl' as const, step: 6 },
  ];
  const killed = await trainWithKills({ id: `kill-${stamp}`, config, dataDir, address, kills, timeoutMs: 900_000 });
  expect(killed).toMatchObject({ code: 0 });
  expect(killed.killedAt).toEqual(kills);
  expect(killed.output.match(/killed by SIGKILL; restarting/g)).toHaveLength(4);

  const want = resultOf(uninterrupted);
  const got = resultOf(killed);
  expect(got.status).toBe('finished');
  expect(want.finals.rl!.sha256.critics).toMatch(/^[0-9a-f]{64}$/);
  expect(got.finals.bc!.sha256).toEqual(want.finals.bc!.sha256);
  expect(got.finals.rl!.sha256).toEqual(want.finals.rl!.sha256);
  for (const stage of ['bc', 'rl'])
    expect(readFileSync(path.join(killed.runDir, stage, 'metrics.jsonl'), 'utf8')).toBe(
      readFileSync(path.join(uninterrupted.runDir, stage, 'metrics.jsonl'), 'utf8'),
    );

  const plain = referenceRun(path.join(dir, 'plain'), config);
  expect(plain.finals.bc).toEqual(want.finals.bc!.sha256);
  expect(plain.finals.rl).toEqual(want.finals.rl!.sha256);
});
