/**
 * Expert trajectories replayed through the real env server (issue 18 item 1) and the datasets built
 * from them (items 5, 6): ALFWorld walkthroughs from the unpacked train split, train_sample and
 * valid_seen; ScienceWorld gold paths of train variations, capped per task; a replay that does not
 * reach the recorded end is dropped with its reason. Rows per role follow the reference's rewards,
 * done flags and next inputs, no input holds more than one step, and every format (reference
 * columns, prompt-completion and chat JSONL, Parquet) round-trips.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { readParquet } from 'parquet-wasm';
import { prepareAlfWorldTrainData } from '../../../src/datasets/alfworld-train';
import { buildDataset } from '../../../src/datasets/build';
import {
  actionsSha256,
  collectExpertTrajectory,
  listExpertSpecs,
  replayExpertActions,
  trajectoryId,
} from '../../../src/datasets/expert-trajectories';
import { labelByRules } from '../../../src/datasets/label';
import { trajectoryRows, type DatasetRow } from '../../../src/datasets/rows';
import type { ExpertTrajectory } from '../../../src/episode/dataset-records';
import { getExpertActions } from '../../../src/envs/expert';
import { connectEnvServer, type EnvServerHandle } from '../../../src/envs/env-server';

jest.setTimeout(300_000);

let server: EnvServerHandle;
const trajectories: ExpertTrajectory[] = [];
let tmp: string;

beforeAll(async () => {
  server = await connectEnvServer();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'step-hrl-datasets-'));
}, 600_000);
afterAll(async () => {
  await server?.stop();
  await rm(tmp, { recursive: true, force: true });
});

async function collect(
  spec: Parameters<typeof collectExpertTrajectory>[1],
  url = server.url,
): Promise<ExpertTrajectory> {
  const r = await collectExpertTrajectory(url, spec);
  if (!r.ok) throw new Error(`${trajectoryId(spec)} dropped: ${r.dropped.reason} ${r.dropped.detail}`);
  trajectories.push(r.trajectory);
  return r.trajectory;
}

describe('expert trajectories', () => {
  test('ALFWorld: the unpacked train split has 3,523 games; walkthroughs replay to a win with every answer recorded', async () => {
    const dataDir = await prepareAlfWorldTrainData();
    const trainServer = await connectEnvServer({ alfworldData: dataDir });
    let train: Awaited<ReturnType<typeof listExpertSpecs>>;
    try {
      train = await listExpertSpecs(trainServer.url, { env: 'alfworld', split: 'train' });
      expect(train).toHaveLength(3523);
      for (const spec of [train[0], train[1700]]) await collect(spec, trainServer.url);
    } finally {
      await trainServer.stop();
    }
    const sample = await listExpertSpecs(server.url, { env: 'alfworld', split: 'train_sample', limit: 1 });
    const seen = await listExpertSpecs(server.url, { env: 'alfworld', split: 'valid_seen', limit: 1 });
    for (const spec of [sample[0], seen[0]]) await collect(spec);
    expect(trajectories.map((t) => t.spec)).toEqual([train[0], train[1700], sample[0], seen[0]]);
    for (const t of trajectories) {
      const spec = t.spec;
      // The recorded actions are the game file's walkthrough (its hash is the source's).
      const game =
        spec.split === 'train' ? path.join(dataDir, 'json_2.1.1', spec.split, spec.task, 'game.tw-pddl') : undefined;
      const walkthrough = game
        ? (JSON.parse(await readFile(game, 'utf8')) as { walkthrough: string[] }).walkthrough
        : await getExpertActions(server.url, spec);
      expect(t.steps.map((s) => s.action)).toEqual(walkthrough);
      expect(t.source.actionsSha256).toBe(actionsSha256(walkthrough));
      expect(t.steps.at(-1)).toMatchObject({ done: true, won: true, score: 1, reward: 1 });
      expect(t.steps.slice(0, -1).every((s) => !s.done && s.reward === 0)).toBe(true);
      expect(t.initial.look).toMatch(/You are in the middle of a room/);
      expect(t.task).toMatch(/Your task is to: /);
      expect(t.envVersions).toHaveProperty('alfworld');
      expect(t.source.kind).toBe('alfworld-walkthrough');
      expect(t.id).toBe(`alfworld/${spec.split}/${spec.task}`);
    }
  });

  test('ScienceWorld: train variations capped per task; gold paths replay to score 100', async () => {
    const specs = await listExpertSpecs(server.url, {
      env: 'scienceworld',
      tasks: ['find-animal', 'boil'],
      capPerTask: 2,
    });
    expect(specs.map((s) => [s.task, s.split])).toEqual([
      ['find-animal', 'train'],
      ['find-animal', 'train'],
      ['boil', 'train'],
      ['boil', 'train'],
    ]);
    const t = await collect(specs[0]);
    expect(t.steps.at(-1)).toMatchObject({ done: true, won: true, score: 100 });
    expect(t.steps.reduce((sum, s) => sum + s.reward, 0)).toBe(100);
    expect(t.steps[0].observation.look).toBeDefined();
    expect(t.steps[0].observation.inventory).toBeDefined();
    expect(t.envVersions).toHaveProperty('scienceworld');
    expect(t.source.kind).toBe('scienceworld-gold');
  });

  test('ScienceWorld: a gold path that wins before its last action ends at the win; the rest is counted', async () => {
    const [spec] = await listExpertSpecs(server.url, {
      env: 'scienceworld',
      tasks: ['lifespan-longest-lived'],
      capPerTask: 1,
    });
    const gold = await getExpertActions(server.url, spec);
    const r = await collectExpertTrajectory(server.url, spec);
    if (!r.ok) throw new Error(r.dropped.detail);
    expect(r.trajectory.steps.at(-1)).toMatchObject({ done: true, won: true, score: 100 });
    expect(r.trajectory.steps.map((s) => s.action)).toEqual(gold.slice(0, r.trajectory.steps.length));
    expect(r.trajectory.steps.length + (r.trajectory.source.actionsAfterWin ?? 0)).toBe(gold.length);
    expect(r.trajectory.source.actionsAfterWin).toBeGreaterThan(0);
  });

  test('a replay that does not reach the recorded end is dropped with its reason, not thrown', async () => {
    const spec = (await listExpertSpecs(server.url, { env: 'alfworld', split: 'train_sample', limit: 1 }))[0];
    const walkthrough = await getExpertActions(server.url, spec);
    const r = await replayExpertActions(server.url, spec, walkthrough.slice(0, -1));
    expect(r).toEqual({
      ok: false,
      dropped: {
        id: trajectoryId(spec),
        stage: 'replay',
        reason: 'not-won',
        detail: `after all ${walkthrough.length - 1} expert actions the score is 0 and the task is not won`,
      },
    });
  });
});

describe('datasets from the trajectories', () => {
  const rowsOf = (profile: 'paper' | 'chat') =>
    trajectories.flatMap((t) => trajectoryRows(labelByRules(t), { profile, obs: 'raw' }));

  test('row counts per role match the trajectories: a high row per subtask, a low row per step, a progress row per non-terminal step', () => {
    for (const t of trajectories) {
      const lt = labelByRules(t);
      const rows = trajectoryRows(lt, { profile: 'paper', obs: 'raw' });
      const count = (role: string) => rows.filter((r) => r.role === role).length;
      expect(count('high')).toBe(lt.segments.length);
      expect(count('low')).toBe(t.steps.length);
      expect(count('progress')).toBe(t.steps.length - 1);
    }
  });

  test('rewards, done flags, targets and next inputs follow the reference', () => {
    const t = trajectories.find((x) => x.spec.env === 'scienceworld')!;
    const lt = labelByRules(t);
    const rows = trajectoryRows(lt, { profile: 'paper', obs: 'raw' });
    const high = rows.filter((r) => r.role === 'high');
    const low = rows.filter((r) => r.role === 'low');
    const progress = rows.filter((r) => r.role === 'progress');
    expect(high.reduce((s, r) => s + r.reward, 0)).toBeCloseTo(1);
    expect(high.at(-1)!.done).toBe(true);
    expect(high.slice(0, -1).every((r) => !r.done)).toBe(true);
    expect(high.map((r) => r.target)).toEqual(lt.segments.map((s) => s.subtask));
    let i = 0;
    for (const seg of lt.segments)
      for (const [j, action] of seg.actions.entries()) {
        const last = j === seg.actions.length - 1;
        expect(low[i]).toMatchObject({
          target: `${action}; ${last ? 'True' : 'False'}`,
          reward: last ? 1 : 0,
          done: last,
        });
        if (j === 0) expect(low[i].input.prompt).toContain('Local Progress: None\n');
        i++;
      }
    for (const group of [high, low, progress]) {
      group.slice(0, -1).forEach((r, k) => expect(r.next).toEqual(group[k + 1].input));
      expect(group.at(-1)!.next).toBe('Task successfully finished');
    }
    expect(progress.map((r) => r.rawTarget)).toEqual(lt.progress.slice(0, -1).map((p) => p!.raw));
  });

  test('no input holds more than one step of history', () => {
    for (const row of rowsOf('paper')) {
      const text = row.input.prompt!;
      const observations = (text.match(/\nObs: /g) ?? []).length;
      expect(observations).toBeLessThanOrEqual(1);
      expect((text.match(/Current action: /g) ?? []).length).toBeLessThanOrEqual(1);
      if (row.role !== 'high') expect(text).not.toContain('Historical subtasks');
    }
    // An ALFWorld low input is its instruction, subtask, one observation and the progress.
    const alf = rowsOf('paper').find((r) => r.env === 'alfworld' && r.role === 'low' && r.stepIndex === 3)!;
    expect(alf.input.prompt!.split('\n').filter((l) => l.startsWith('Subtask: '))).toHaveLength(1);
  });

  test('every format round-trips; the card counts roles, tasks, splits, drops and sources', async () => {
    const labelled = trajectories.map(labelByRules);
    const dropped = [{ id: 'alfworld/train/x', stage: 'replay' as const, reason: 'not-won', detail: 'score 0' }];
    const dir = path.join(tmp, 'paper');
    const summary = await buildDataset(dir, labelled, dropped, { profile: 'paper', obs: 'raw', devFraction: 0.3 });
    const rows: DatasetRow[] = labelled.flatMap((lt) =>
      trajectoryRows(lt, { profile: 'paper', obs: 'raw', devFraction: 0.3 }),
    );
    expect(summary.rows).toEqual({
      high: rows.filter((r) => r.role === 'high').length,
      low: rows.filter((r) => r.role === 'low').length,
      progress: rows.filter((r) => r.role === 'progress').length,
    });
    // Split by trajectory, never by row.
    const splits = new Map<string, Set<string>>();
    for (const r of rows) splits.set(r.trajectoryId, (splits.get(r.trajectoryId) ?? new Set()).add(r.split));
    expect([...splits.values()].every((s) => s.size === 1)).toBe(true);

    const lowTrain = rows.filter((r) => r.role === 'low' && r.split === 'train');
    const ref = JSON.parse(await readFile(path.join(dir, 'reference/low.train.json'), 'utf8'));
    expect(Object.keys(ref)).toEqual(['obs', 'action', 'next_obs', 'reward', 'score', 'done']);
    expect(ref.obs).toEqual(lowTrain.map((r) => r.input.prompt));
    expect(ref.action).toEqual(lowTrain.map((r) => r.target));
    const jsonl = (await readFile(path.join(dir, 'low.train.prompt.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(jsonl.map((l) => [l.prompt, l.completion])).toEqual(lowTrain.map((r) => [r.input.prompt, r.target]));
    const chat = (await readFile(path.join(dir, 'low.train.chat.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(chat[0]).toEqual({
      messages: [
        { role: 'user', content: lowTrain[0].input.prompt },
        { role: 'assistant', content: lowTrain[0].target },
      ],
    });
    const table = tableFromIPC(readParquet(await readFile(path.join(dir, 'low.train.parquet'))).intoIPCStream());
    const records = table.toArray().map((r) => r.toJSON() as Record<string, unknown>);
    expect(records.map((r) => [r.prompt, r.completion, r.reward, r.done])).toEqual(
      lowTrain.map((r) => [r.input.prompt, r.target, r.reward, r.done]),
    );
    expect(JSON.parse(records[0].provenance as string)).toMatchObject({ segmenter: 'rules', rulesVersion: 'rules-v1' });

    const card = await readFile(path.join(dir, 'README.md'), 'utf8');
    expect(card).toContain(`| low | ${lowTrain.length} |`);
    expect(card).toContain('| replay | not-won | 1 |');
    expect(card).toContain('| scienceworld | find-animal | 1 |');
    expect(card).toContain('Held out by trajectory, never by row');
    expect(card).toMatch(/"alfworld":"/);

    // Deterministic: a second build is byte-identical.
    const again = await buildDataset(path.join(tmp, 'paper2'), labelled, dropped, {
      profile: 'paper',
      obs: 'raw',
      devFraction: 0.3,
    });
    expect(again.files.map((f) => f.sha256)).toEqual(summary.files.map((f) => f.sha256));
  });
});
