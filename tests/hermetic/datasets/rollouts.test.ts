/**
 * Rollouts mixed into the datasets (issue 18 item 5): recorded STEP-HRL episodes read from an audit
 * export give rows by the expert rows' rules (the policy's subtasks, actions with its done flag and
 * progress as targets); ReAct episodes and other envs are skipped with a count; a broken chain is
 * refused naming the file; the ratio picks rollouts by hash order whatever the files' order; a
 * rollout of a dev game is in dev; provenance and the card name both sources; the same inputs give
 * byte-identical files. Also the teacher cost of `--teacher-price`.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { formatObservation } from '../../../src/agent/observation';
import { buildDataset } from '../../../src/datasets/build';
import { formatCost, parseTeacherPrice, teacherCost } from '../../../src/datasets/cost';
import { labelByRules } from '../../../src/datasets/label';
import { expertIndex, rolloutRows, rolloutSplitKey } from '../../../src/datasets/rollout-rows';
import { parseExport, readRollouts } from '../../../src/datasets/rollouts';
import { splitOf } from '../../../src/datasets/rows';
import type { ExpertTrajectory } from '../../../src/episode/dataset-records';
import { chainLines } from '../../../src/export/hash-chain';

const TASK = 'You are in the middle of a room. Your task is to: put a clean apple in fridge.';
const LOOK = 'You are in the middle of a room. Looking quickly around you, you see a countertop 1, a fridge 1.';

/** An expert trajectory of one ALFWorld game, to match rollouts of the same game against. */
function expert(game: string): ExpertTrajectory {
  const step = (action: string, text: string, done = false) => ({
    action,
    observation: { text },
    reward: done ? 1 : 0,
    score: done ? 1 : 0,
    done,
    won: done,
  });
  return {
    version: 1,
    id: `alfworld/train_sample/${game}`,
    spec: { env: 'alfworld', task: game, split: 'train_sample' },
    task: `${TASK} (${game})`,
    initial: { text: LOOK, look: LOOK },
    steps: [
      step('go to countertop 1', 'On the countertop 1, you see a apple 1.'),
      step('take apple 1 from countertop 1', 'You pick up the apple 1.'),
      step('go to fridge 1', 'The fridge 1 is closed.'),
      step('put apple 1 in/on fridge 1', 'You put the apple 1 in the fridge 1.', true),
    ],
    envVersions: { alfworld: '0.3.5' },
    source: { kind: 'alfworld-walkthrough', actionsSha256: 'a'.repeat(64) },
  };
}

const call = (role: 'low' | 'progress' | 'react', reply: string) => ({
  model: 'policy',
  tokens: { prompt: 10, completion: 3 },
  latencyMs: 5,
  promptChars: 40,
  repairs: [],
  role,
  prompt: 'p',
  decoding: { maxTokens: 32, temperature: 0 },
  reply,
  output: null,
  cached: false,
});

interface StepSpec {
  subtask: number;
  action: string;
  next: string;
  subtaskDone?: boolean;
  reward?: number;
  done?: boolean;
}

/** The records of one STEP-HRL episode as `step-hrl export` writes them (high-level, then its steps). */
function episodeRecords(episodeId: string, game: string, steps: StepSpec[]): unknown[] {
  const subtasks = ['go to countertop 1 and take apple 1', 'go to fridge 1 and put apple 1'];
  const first = formatObservation('alfworld', { text: LOOK, look: LOOK }, { initial: true });
  const records: unknown[] = [];
  let observation = first;
  let progress = 'None';
  for (const [i, s] of steps.entries()) {
    if (i === 0 || steps[i - 1].subtask !== s.subtask) {
      records.push({
        record: 'high-level-transition',
        version: 1,
        episodeId,
        subtaskIndex: s.subtask,
        task: `${TASK} (${game})`,
        completedSubtasks: subtasks.slice(0, s.subtask),
        lastProgress: progress,
        observation,
        subtask: subtasks[s.subtask],
        return: { reward: 0, scoreDelta: 0 },
        finalProgress: 'x',
        nextObservation: observation,
        firstStep: i,
        steps: 2,
        status: 'subtask-done',
        done: false,
        won: false,
      });
      progress = 'None';
    }
    const last = i === steps.length - 1;
    const after = last ? progress : `did ${s.action}`;
    records.push({
      version: 2,
      episodeId,
      subtaskIndex: s.subtask,
      stepIndex: i,
      task: `${TASK} (${game})`,
      subtask: subtasks[s.subtask],
      completedSubtasks: subtasks.slice(0, s.subtask),
      progressBefore: progress,
      progressAfter: after,
      observation,
      action: s.action,
      nextObservation: s.next,
      reward: s.reward ?? 0,
      score: s.reward ?? 0,
      done: s.done ?? false,
      won: s.done ?? false,
      subtaskDone: s.subtaskDone ?? false,
      invalid: false,
      envLatencyMs: 1,
      low: call('low', `${s.action}; ${s.subtaskDone ? 'True' : 'False'}`),
      ...(!last && { progress: call('progress', after) }),
    });
    observation = s.next;
    progress = after;
  }
  return records;
}

const WON: StepSpec[] = [
  { subtask: 0, action: 'go to countertop 1', next: 'On the countertop 1, you see a apple 1.\n' },
  { subtask: 0, action: 'take apple 1 from countertop 1', next: 'You pick up the apple 1.\n', subtaskDone: true },
  { subtask: 1, action: 'go to fridge 1', next: 'The fridge 1 is closed.\n' },
  { subtask: 1, action: 'put apple 1 in/on fridge 1', next: 'You put it.\n', subtaskDone: true, reward: 1, done: true },
];

function exportText(episodes: { id: string; records: unknown[] }[]): string {
  const lines = chainLines(
    {
      identity: { namespace: 'default', episodes: episodes.map((e) => ({ episodeId: e.id, runIds: ['r1'] })) },
      stepHrlVersion: '0.0.0',
      recordVersions: [1, 2],
      exportedAt: '2026-01-01T00:00:00.000Z',
    },
    episodes.flatMap((e) => e.records),
  );
  return `${lines.join('\n')}\n`;
}

const react = {
  id: 'react-1',
  records: [
    {
      ...(episodeRecords('react-1', 'g0', WON.slice(0, 1))[1] as object),
      low: call('react', 'go to countertop 1'),
    },
  ],
};
const sciObs = '\nObs: You are in the kitchen.\nLook: a kitchen\nInventory: nothing';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'step-hrl-rollouts-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

test('an export gives its STEP-HRL episodes; ReAct and other-env episodes are skipped with a count', () => {
  const sci = episodeRecords('sci-1', 'g0', WON).map((r) => ({ ...(r as object), observation: sciObs }));
  const text = exportText([
    { id: 'ep-1', records: episodeRecords('ep-1', 'g0', WON) },
    react,
    { id: 'sci-1', records: sci },
  ]);
  const parsed = parseExport(text, 'export.jsonl', 'alfworld');
  expect(parsed.episodes.map((e) => [e.episodeId, e.steps.length, e.high.size])).toEqual([['ep-1', 4, 2]]);
  expect(parsed.skipped.sort()).toEqual(['other-env', 'react']);
  expect(parsed.sha256).toBe(createHash('sha256').update(text).digest('hex'));
});

test('a broken chain is refused, naming the file and the record', () => {
  const text = exportText([{ id: 'ep-1', records: episodeRecords('ep-1', 'g0', WON) }]);
  const edited = text.replace('take apple 1 from countertop 1', 'take apple 2 from countertop 1');
  expect(() => parseExport(edited, 'runs/export.jsonl', 'alfworld')).toThrow(
    /--rollouts: record seq \d+ \(line \d+\) was edited/,
  );
});

test("rollout rows: the policy's subtasks, actions with its done flag and progress are the targets; expert rules for rewards", () => {
  const labelled = [labelByRules(expert('g0'))];
  const [episode] = parseExport(
    exportText([{ id: 'ep-1', records: episodeRecords('ep-1', 'g0', WON) }]),
    'f',
    'alfworld',
  ).episodes;
  const match = rolloutSplitKey(episode, expertIndex(labelled));
  expect(match).toEqual({ trajectoryId: 'alfworld/train_sample/g0', taskName: 'g0' });
  const rows = rolloutRows(episode, { profile: 'paper', obs: 'raw', devFraction: 0.5 }, match);
  const of = (role: string) => rows.filter((r) => r.role === role);
  expect(of('high').map((r) => [r.target, r.reward, r.done])).toEqual([
    ['go to countertop 1 and take apple 1', 0, false],
    ['go to fridge 1 and put apple 1', 1, true],
  ]);
  expect(of('low').map((r) => [r.target, r.reward, r.done])).toEqual([
    ['go to countertop 1; False', 0, false],
    ['take apple 1 from countertop 1; True', 1, true],
    ['go to fridge 1; False', 0, false],
    ['put apple 1 in/on fridge 1; True', 1, true],
  ]);
  // No progress row on the terminal step, as in the episode.
  expect(of('progress').map((r) => r.target)).toEqual([
    'did go to countertop 1',
    'did take apple 1 from countertop 1',
    'did go to fridge 1',
  ]);
  // The low level saw the observation before its step and the progress so far.
  expect(of('low')[1].input.prompt).toContain(
    'Current Observation: On the countertop 1, you see a apple 1.\nLocal Progress: did go to countertop 1\n',
  );
  expect(of('low')[1].next).toBe(of('low')[2].input);
  expect(of('low')[3].next).toBe('Task successfully finished');
  expect(rows.every((r) => r.split === splitOf('alfworld/train_sample/g0', 0.5))).toBe(true);
  expect(rows[0].provenance).toEqual({
    source: 'rollout',
    episodeId: 'ep-1',
    exportSha256: episode.exportSha256,
    exportFinalHash: episode.exportFinalHash,
  });
});

test('the ratio picks rollouts by hash order, whatever the order of files; duplicates count once', async () => {
  const episodes = Array.from({ length: 6 }, (_, i) => ({
    id: `ep-${i}`,
    records: episodeRecords(`ep-${i}`, `g${i}`, WON),
  }));
  const a = path.join(tmp, 'a.jsonl');
  const b = path.join(tmp, 'b.jsonl');
  await writeFile(a, exportText(episodes.slice(0, 4)));
  await writeFile(b, exportText(episodes.slice(2)));
  const one = await readRollouts([a, b], 'alfworld', 2, 1.5);
  const two = await readRollouts([b, a], 'alfworld', 2, 1.5);
  expect(one.episodes.map((e) => e.episodeId)).toHaveLength(3);
  expect(two.episodes.map((e) => e.episodeId)).toEqual(one.episodes.map((e) => e.episodeId));
  expect(one).toMatchObject({ available: 6, leftOut: 3, skipped: { duplicate: 2 }, ratio: 1.5 });
  expect((await readRollouts([a], 'alfworld', 2)).episodes).toHaveLength(4);
  await expect(readRollouts([path.join(tmp, 'missing')], 'alfworld', 1)).rejects.toThrow(
    /--rollouts .*missing: no such file or folder/,
  );
});

test('a dataset with rollouts counts both sources, keeps the split by game, and is byte-identical when rebuilt', async () => {
  const games = ['g0', 'g1', 'g2', 'g3', 'g4', 'g5'];
  const labelled = games.map((g) => labelByRules(expert(g)));
  const file = path.join(tmp, 'mix', 'export.jsonl');
  await rm(path.dirname(file), { recursive: true, force: true });
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(
    file,
    exportText([
      ...games.map((g, i) => ({ id: `ep-${i}`, records: episodeRecords(`ep-${i}`, g, WON) })),
      { id: 'ep-x', records: episodeRecords('ep-x', 'unknown-game', WON) },
      react,
    ]),
  );
  const build = async (dir: string) => {
    const rollouts = await readRollouts([path.dirname(file)], 'alfworld', labelled.length, 2);
    return buildDataset(dir, labelled, [], { profile: 'paper', obs: 'raw', devFraction: 0.5, rollouts });
  };
  const summary = await build(path.join(tmp, 'out1'));
  await build(path.join(tmp, 'out2'));
  expect(summary).toMatchObject({ trajectories: 6, rollouts: 7 });
  const hashes = async (dir: string) =>
    Promise.all(
      (await readdir(dir, { recursive: true }))
        .filter((n) => n.includes('.'))
        .sort()
        .map(async (n) => [
          n,
          createHash('sha256')
            .update(await readFile(path.join(dir, n)))
            .digest('hex'),
        ]),
    );
  expect(await hashes(path.join(tmp, 'out2'))).toEqual(await hashes(path.join(tmp, 'out1')));

  const card = await readFile(path.join(tmp, 'out1', 'README.md'), 'utf8');
  expect(card).toContain('from 6 expert trajectories (0 dropped) and 7 rollouts');
  expect(card).toContain('| expert | 6 | 12 | 24 | 18 |');
  expect(card).toContain('| rollout | 7 | 14 | 28 | 21 |');
  expect(card).toContain('Skipped episodes: react 1');
  const rollouts = (await readFile(path.join(tmp, 'out1', 'rollouts.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  for (const r of rollouts.filter((x) => x.episode_id !== 'ep-x'))
    expect(r.split).toBe(splitOf(`alfworld/train_sample/${games[Number(r.episode_id.slice(3))]}`, 0.5));
  expect(rollouts.find((x) => x.episode_id === 'ep-x').split_by).toMatch(/^rollout-game\//);
  // Every row of a game is in one split, expert and rollout alike.
  const lines = [
    ...(await readFile(path.join(tmp, 'out1', 'low.train.prompt.jsonl'), 'utf8')).split('\n'),
    ...(await readFile(path.join(tmp, 'out1', 'low.dev.prompt.jsonl'), 'utf8')).split('\n'),
  ]
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  expect(new Set(lines.map((l) => l.provenance.source))).toEqual(new Set(['expert', 'rollout']));
});

test('--teacher-price: money per 1M prompt and completion tokens; bad input is named', () => {
  const price = parseTeacherPrice('0.27, 1.10');
  expect(price).toEqual({ input: 0.27, output: 1.1 });
  expect(teacherCost({ promptTokens: 2_000_000, completionTokens: 500_000 }, price)).toBeCloseTo(1.09, 10);
  expect(formatCost(0.012345)).toBe('0.0123');
  expect(formatCost(12.345)).toBe('12.35');
  for (const bad of ['1', 'a,b', '-1,2', '1,2,3', ',2'])
    expect(() => parseTeacherPrice(bad)).toThrow(/--teacher-price .* must be two non-negative numbers/);
});
