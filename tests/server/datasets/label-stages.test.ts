/**
 * `label segment` / `label progress` and rollouts mixed in (issue 18 items 4, 5), on a real
 * Temporal server and env server with the rules segmenter on ALFWorld train_sample games:
 * - `progress` before `segment` is refused, naming the command to run first; `segment` keeps the
 *   segmentations and writes no dataset; `progress` then writes datasets byte-identical to `build`'s.
 * - The commands refuse bad input (`--teacher-price`, `--rollouts`, progress before segment)
 *   before the job starts.
 * - A real STEP-HRL episode, exported as `step-hrl export` writes it, mixed in as a rollout: its
 *   rows' inputs are byte-equal to the prompts the episode sent, it is in the split of its game,
 *   and the card counts expert and rollout trajectories.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isCompleteTransition } from '../../../src/agent/records';
import { fetchEpisodeRecord, startEpisode } from '../../../src/client';
import { collectExpertTrajectory, listExpertSpecs, trajectoryId } from '../../../src/datasets/expert-trajectories';
import { runLabelJob } from '../../../src/datasets/job';
import { labelByRules } from '../../../src/datasets/label';
import { splitOf, trajectoryRows } from '../../../src/datasets/rows';
import type { LabelDatasetInput } from '../../../src/episode/labelling-records';
import { connectEnvServer, type EnvServerHandle } from '../../../src/envs/env-server';
import { createHttpTextEnv } from '../../../src/envs/http-text-env';
import { collectEpisodes, headerFields } from '../../../src/export/collect';
import { chainLines } from '../../../src/export/hash-chain';
import { liveHistories } from '../../../src/history-source';
import { OpenAiLlmClient } from '../../../src/llm/openai-client';
import { cleanEnv, ensureBuilt, runCli } from '../../support/cli-harness';
import { mockConfig, TEST_KEY } from '../../support/mock-config';
import { MockOpenAiServer } from '../../support/mock-openai-server';
import { connectTestTemporal, queueFor, testAddress, withWorker, type TestTemporal } from '../../support/temporal';

jest.setTimeout(600_000);

let env: EnvServerHandle;
let t: TestTemporal;
let tmp: string;
beforeAll(async () => {
  env = await connectEnvServer();
  t = await connectTestTemporal();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'step-hrl-label-stages-'));
}, 180_000);
afterAll(async () => {
  await t?.close();
  await env?.stop();
  await rm(tmp, { recursive: true, force: true });
});

const SELECTION = { env: 'alfworld', split: 'train_sample', limit: 3 } as const;

function jobInput(out: string, extra: Partial<LabelDatasetInput> = {}): Omit<LabelDatasetInput, 'state'> {
  return {
    name: 'stages test',
    selection: SELECTION,
    workDir: path.join(out, '.work'),
    outDir: out,
    segmenter: 'rules',
    progress: 'rules',
    renderings: [{ profile: 'paper', obs: 'raw' }],
    devFraction: 0.5,
    concurrency: 2,
    ...extra,
  };
}

const job = (name: string, input: Omit<LabelDatasetInput, 'state'>) =>
  runLabelJob({
    client: t.client,
    native: t.nativeConnection,
    namespace: 'default',
    workflowId: `label-${name}-${process.pid}-${Date.now()}`,
    input,
    cacheDir: path.join(input.workDir, 'teacher-cache'),
    envUrl: env.url,
  });

async function hashes(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir, { recursive: true })).sort()) {
    try {
      out[name] = createHash('sha256')
        .update(await readFile(path.join(dir, name)))
        .digest('hex');
    } catch {
      // a folder
    }
  }
  return out;
}

const jsonl = async (file: string) =>
  (await readFile(file, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

test('progress before segment is refused; segment keeps the segmentations; progress then builds what build builds', async () => {
  const staged = path.join(tmp, 'staged');
  await expect(job('early', jobInput(staged, { stage: 'progress' }))).rejects.toMatchObject({
    cause: { message: expect.stringContaining('run `step-hrl label segment` with the same flags first') },
  });

  const segmented = await job('segment', jobInput(staged, { stage: 'segment', renderings: [], devFraction: 0 }));
  expect(segmented).toMatchObject({ total: 3, labelled: 3, dropped: 0, datasets: [] });
  expect((await readdir(path.join(staged, '.work', 'segmented'))).length).toBe(3);
  expect((await readdir(staged)).sort()).toEqual(['.work']); // no dataset yet

  const progressed = await job('progress', jobInput(staged, { stage: 'progress' }));
  expect(progressed).toMatchObject({ total: 3, labelled: 3, dropped: 0 });
  expect(progressed.datasets[0].rows.low).toBeGreaterThan(0);

  const built = path.join(tmp, 'built');
  await job('build', jobInput(built));
  expect(await hashes(path.join(staged, 'paper-raw'))).toEqual(await hashes(path.join(built, 'paper-raw')));
});

test('a recorded episode mixed in as a rollout: its rows are the prompts it sent, in the split of its game', async () => {
  // One real paper episode on the first game, whose policy answers with the expert rows' targets.
  const [spec] = await listExpertSpecs(env.url, SELECTION);
  const collected = await collectExpertTrajectory(env.url, spec);
  if (!collected.ok) throw new Error(collected.dropped.detail);
  const expertRows = trajectoryRows(labelByRules(collected.trajectory), { profile: 'paper', obs: 'raw' });
  const answers = new Map<string, string[]>();
  for (const row of expertRows) answers.set(row.input.prompt!, [...(answers.get(row.input.prompt!) ?? []), row.target]);
  const mock = await MockOpenAiServer.start({
    apiKey: TEST_KEY,
    responder: ({ prompt }) => answers.get(prompt)?.shift() ?? 'NOT IN THE DATASET',
  });
  const taskQueue = queueFor('label-rollout');
  const episodeId = `ep-${taskQueue}`;
  try {
    const result = await withWorker(
      t,
      {
        taskQueue,
        llm: new OpenAiLlmClient(mockConfig(mock.baseURL)),
        envFactory: (s) => createHttpTextEnv(s.env as 'alfworld', { url: env.url }),
      },
      async () =>
        (
          await startEpisode(t.client, {
            episodeId,
            taskQueue,
            config: { spec, profile: 'paper', obs: 'raw', highLevelWindow: 0, maxSteps: 40 },
          })
        ).result(),
    );
    expect(result).toMatchObject({ won: true });
  } finally {
    await mock.stop();
  }

  // Exported as `step-hrl export <id> --out <dir>` writes it.
  const episodes = await collectEpisodes(liveHistories(t.client), [episodeId]);
  const exportDir = path.join(tmp, 'export');
  await rm(exportDir, { recursive: true, force: true });
  await mkdir(exportDir, { recursive: true });
  const lines = chainLines(
    headerFields('default', episodes, new Date(0)),
    episodes.flatMap((e) => e.records),
  );
  await writeFile(path.join(exportDir, 'export.jsonl'), `${lines.join('\n')}\n`);

  const out = path.join(tmp, 'mixed');
  const summary = await job('rollouts', jobInput(out, { rollouts: [exportDir], rolloutRatio: 1 }));
  expect(summary.datasets[0]).toMatchObject({ trajectories: 3, rollouts: 1 });

  const dir = path.join(out, 'paper-raw');
  const rows = (
    await Promise.all(
      ['high', 'low', 'progress'].flatMap((role) =>
        ['train', 'dev'].map((split) => jsonl(path.join(dir, `${role}.${split}.prompt.jsonl`))),
      ),
    )
  ).flat();
  const rollout = rows.filter((r) => (r.provenance as { source: string }).source === 'rollout');
  const record = await fetchEpisodeRecord(t.client, episodeId);
  const transitions = record.transitions.filter(isCompleteTransition);
  const inputs = (role: string) => rollout.filter((r) => r.role === role).map((r) => r.prompt);
  expect(inputs('high')).toEqual(record.highLevel.map((h) => h.call!.prompt));
  expect(inputs('low')).toEqual(transitions.map((tr) => tr.low.prompt));
  expect(inputs('progress')).toEqual(transitions.flatMap((tr) => (tr.progress ? [tr.progress.prompt] : [])));
  expect(rollout.filter((r) => r.role === 'low').map((r) => r.completion)).toEqual(
    transitions.map((tr) => `${tr.action}; ${tr.subtaskDone ? 'True' : 'False'}`),
  );
  // In the split of the game it played, as the expert rows of that game.
  const split = splitOf(trajectoryId(spec), 0.5);
  expect(new Set(rollout.map((r) => r.split))).toEqual(new Set([split]));
  expect(rollout[0].provenance).toMatchObject({ source: 'rollout', episodeId });

  const card = await readFile(path.join(dir, 'README.md'), 'utf8');
  expect(card).toContain('and 1 rollouts');
  expect(card).toMatch(/\| expert \| 3 \| \d+ \| \d+ \| \d+ \|/);
  expect(card).toMatch(/\| rollout \| 1 \| \d+ \| \d+ \| \d+ \|/);
  expect(await jsonl(path.join(dir, 'rollouts.jsonl'))).toEqual([
    expect.objectContaining({ episode_id: episodeId, split, split_by: trajectoryId(spec) }),
  ]);
});

test('the commands refuse bad input before the job starts, naming the flag or the command to run first', async () => {
  ensureBuilt();
  const out = path.join(tmp, 'empty');
  const base = ['--env', 'alfworld', '--split', 'train_sample', '--out', out];
  const env = cleanEnv({ TEMPORAL_ADDRESS: testAddress() });
  const refused = async (args: string[]) => {
    const r = await runCli(['label', ...args], env, 90_000);
    expect(r.code).toBe(1);
    return r.stderr.trim();
  };
  expect(await refused(['progress', ...base])).toMatch(
    /^Error: nothing is segmented in .*empty: run `step-hrl label segment` with the same --env, --split and --out first$/,
  );
  expect(await refused(['build', ...base, '--teacher-price', 'cheap'])).toMatch(
    /^Error: --teacher-price "cheap" must be two non-negative numbers/,
  );
  expect(await refused(['build', ...base, '--rollouts', path.join(tmp, 'no-such-export')])).toMatch(
    /^Error: --rollouts .*no-such-export: no such file or folder/,
  );
  expect(await refused(['build', ...base, '--rollout-ratio', '2'])).toBe(
    'Error: --rollout-ratio needs --rollouts <export file or folder>',
  );
  const help = await runCli(['label', 'segment', '--help'], env);
  expect(help.stdout).toContain('--segmenter');
  expect(help.stdout).not.toContain('--rollouts');
});

test('`label segment` then `label progress` through the bin: JSON summaries, the cost at the given price', async () => {
  ensureBuilt();
  const out = path.join(tmp, 'cli');
  const base = ['--env', 'alfworld', '--split', 'train_sample', '--limit', '2', '--out', out, '--json'];
  const env = cleanEnv({ TEMPORAL_ADDRESS: testAddress() });
  const last = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;

  const segment = await runCli(['label', 'segment', ...base], env, 300_000);
  expect(segment.code).toBe(0);
  expect(last(segment.stdout)).toMatchObject({ stage: 'segment', total: 2, labelled: 2, dropped: 0, datasets: [] });
  expect((await readdir(path.join(out, '.work', 'segmented'))).length).toBe(2);

  const progress = await runCli(['label', 'progress', ...base, '--teacher-price', '1,2'], env, 300_000);
  expect(progress.code).toBe(0);
  // Rules only: no teacher token was paid for.
  const summary = last(progress.stdout);
  expect(summary).toMatchObject({ stage: 'progress', total: 2, labelled: 2, cost: 0 });
  expect((summary.datasets as { rows: { low: number } }[])[0].rows.low).toBeGreaterThan(0);
  expect(await readdir(path.join(out, 'paper-raw'))).toContain('README.md');
});
