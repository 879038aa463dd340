/**
 * `step-hrl replay` and `step-hrl archive` (issue 11 items 5 and 8). Replay: every committed
 * fixture history of the newest version (continue-as-new and re-drive included) passes through
 * `replayRecorded`; a freshly recorded episode (continue-as-new after every subtask) is collected
 * whole (every run, every subtask child) and passes through the CLI; a bundle whose subtask
 * workflow starts a timer first (tests/support/reordered-subtask-workflows.ts) is reported as
 * nondeterministic, naming the subtask workflow and the event. Archive: a bundle written by the
 * CLI is read by `show`, `export` and `replay` with no server at all (Temporal pointed at a closed
 * port), and a corrupted history in it makes `replay` exit 1 naming it.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import { archiveHistories } from '../../../src/archive/read';
import type { ArchiveManifest } from '../../../src/archive/manifest';
import { fetchTransitions, startEpisode } from '../../../src/client';
import { goldSubtasks } from '../../../src/envs/builtin';
import type { EnvSpec } from '../../../src/envs/text-env';
import { liveHistories } from '../../../src/history-source';
import { expertPolicyRules } from '../../../src/llm/expert-policy';
import { ScriptedLlmClient } from '../../../src/llm/scripted-client';
import { writeArchive } from '../../../src/archive/write';
import { writeExport } from '../../../src/cli/export-records';
import { startOrAttachEval } from '../../../src/eval/client';
import { ExpertRouterClient } from '../../../src/llm/expert-router';
import { evalEpisodeId, type EvalInput } from '../../../src/workflows/eval';
import { collectHistories, type RecordedHistory } from '../../../src/replay/collect';
import { replayRecorded } from '../../../src/replay/replay';
import type { EpisodeResult } from '../../../src/workflows/episode';
import { cleanEnv, ensureBuilt, runCli } from '../../support/cli-harness';
import { HISTORIES_DIR, readManifest } from '../../support/record-fixtures';
import {
  connectTestTemporal,
  queueFor,
  sharedBundle,
  testAddress,
  withWorker,
  type TestTemporal,
} from '../../support/temporal';

let t: TestTemporal;
let episodeId: string;
let result: EpisodeResult;
let reordered: WorkflowBundle;
const spec: EnvSpec = { env: 'builtin', task: 'deliver-apple', variation: 2 };

beforeAll(async () => {
  t = await connectTestTemporal();
  const taskQueue = queueFor('replay-archive');
  episodeId = `ep-${taskQueue}`;
  const llm = new ScriptedLlmClient(expertPolicyRules(goldSubtasks(spec), 'chat'));
  // A tiny history limit: the episode continues as new after every subtask.
  result = await withWorker(t, { taskQueue, llm }, async () =>
    (await startEpisode(t.client, { episodeId, taskQueue, config: { spec, historyEventLimit: 20 } })).result(),
  );
  reordered = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../support/reordered-subtask-workflows'),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} },
  });
  ensureBuilt();
});
afterAll(async () => t?.close());

const manifest = readManifest();
const newest = Object.keys(manifest)
  .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))
  .at(-1)!;

/** The fixture histories of a version as recorded histories. */
function fixtures(version: string): RecordedHistory[] {
  return manifest[version]!.map((entry) => {
    const history = historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES_DIR, version, entry.file), 'utf8')));
    const started = history.events![0]!.workflowExecutionStartedEventAttributes!;
    return {
      workflowId: entry.workflowId,
      runId: started.originalExecutionRunId!,
      workflowType: started.workflowType!.name!,
      history,
    };
  });
}

test(`every ${newest} fixture history (continue-as-new and re-drive among them) replays`, async () => {
  // The labelling workflows have their own bundle (tests/server/datasets/labelling-replay.test.ts).
  const histories = fixtures(newest).filter((h) => !h.workflowType.startsWith('label'));
  const files = manifest[newest]!.map((e) => e.file);
  expect(files).toEqual(
    expect.arrayContaining(['can-first-run.json', 'can-continued-run.json', 'redrive-episode.json']),
  );
  const report = await replayRecorded(histories, await sharedBundle());
  expect(report.results.map((r) => [r.workflowId, r.ok])).toEqual(histories.map((h) => [h.workflowId, true]));
  expect(report.ok).toBe(true);
  expect(report.divergence).toBeUndefined();
});

test('a fresh episode is collected whole (every continue-as-new run, every subtask child) and replays', async () => {
  expect(result.runs).toBeGreaterThan(1);
  const collected = await collectHistories(liveHistories(t.client), episodeId);
  const runs = collected.histories.filter((h) => h.workflowId === episodeId);
  const children = collected.histories.filter((h) => h.workflowType === 'subtaskWorkflow');
  expect(runs).toHaveLength(result.runs);
  expect(children.map((h) => h.workflowId)).toEqual(result.subtasks.map((_, i) => `${episodeId}/subtask-${i}.0`));
  expect(children.every((h) => h.parentWorkflowId === episodeId)).toBe(true);
  expect(collected.missing).toEqual([]);
  const report = await replayRecorded(collected.histories, await sharedBundle());
  expect(report.ok).toBe(true);
});

test('`step-hrl replay <id>` passes on the recorded episode', async () => {
  const run = await runCli(['replay', episodeId], cleanEnv({ TEMPORAL_ADDRESS: testAddress() }), 120_000);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const histories = result.runs + result.subtasks.length;
  expect(run.stdout).toContain(`${histories} histories replayed, 0 failed`);
  expect(run.stdout.match(/^pass {2}/gm)).toHaveLength(histories);
});

test('a changed subtask workflow is reported as nondeterminism naming the subtask workflow and event', async () => {
  const collected = await collectHistories(liveHistories(t.client), episodeId);
  const report = await replayRecorded(collected.histories, reordered);
  expect(report.ok).toBe(false);
  // The episode workflow did not change: its runs still replay.
  expect(report.results.filter((r) => r.workflowType === 'episodeWorkflow').every((r) => r.ok)).toBe(true);
  expect(report.results.filter((r) => r.workflowType === 'subtaskWorkflow').every((r) => r.nondeterminism)).toBe(true);
  const d = report.divergence!;
  expect(d.workflowType).toBe('subtaskWorkflow');
  expect(d.workflowId).toBe(`${episodeId}/subtask-0.0`);
  // The changed code starts a timer in its first workflow task: the divergence is among the command
  // events the history recorded for that task (after its WorkflowTaskCompleted event).
  const events = collected.histories.find((h) => h.workflowId === d.workflowId)!.history.events!;
  const firstCompleted = events.findIndex((e) => e.workflowTaskCompletedEventAttributes);
  const nextTask = events.findIndex((e, i) => i > firstCompleted && e.workflowTaskScheduledEventAttributes);
  const taskEventIds = events.slice(firstCompleted + 1, nextTask).map((e) => Number(e.eventId));
  expect(taskEventIds).toContain(d.eventId);
  expect(d.eventType).toBe(
    temporal.api.enums.v1.EventType[events.find((e) => Number(e.eventId) === d.eventId)!.eventType!],
  );
  expect(d.detail).toMatch(/Nondeterminism/);
});

test('the same change is caught on a committed fixture subtask history', async () => {
  const subtask = fixtures(newest).find((h) => h.workflowType === 'subtaskWorkflow')!;
  const report = await replayRecorded([subtask], reordered);
  expect(report.divergence).toMatchObject({ workflowId: subtask.workflowId, workflowType: 'subtaskWorkflow' });
});

describe('archive', () => {
  let dir: string;
  /** Temporal is unreachable: whatever the command reads must come from the bundle. */
  const offline = () => cleanEnv({ TEMPORAL_ADDRESS: '127.0.0.1:1' });

  beforeAll(async () => {
    dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'step-hrl-archive-')), 'bundle');
    const run = await runCli(
      ['archive', episodeId, '--out', dir],
      cleanEnv({ TEMPORAL_ADDRESS: testAddress() }),
      120_000,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });

  test('the bundle holds a manifest, every history in Temporal JSON form and the export', async () => {
    const bundle = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as ArchiveManifest;
    expect(bundle).toMatchObject({ format: 'step-hrl-archive', kind: 'episode', rootId: episodeId, missing: [] });
    expect(bundle.versions.stepHrl).toMatch(/^\d+\.\d+\.\d+/);
    expect(bundle.histories).toHaveLength(result.runs + result.subtasks.length);
    const live = await collectHistories(liveHistories(t.client), episodeId);
    for (const entry of bundle.histories) {
      const archived = historyFromJSON(JSON.parse(readFileSync(path.join(dir, entry.file), 'utf8')));
      const original = live.histories.find((h) => h.workflowId === entry.workflowId && h.runId === entry.runId)!;
      expect(archived.events).toHaveLength(original.history.events!.length);
    }
    const transitions = await fetchTransitions(t.client, episodeId);
    // The hash-chained export: a header, each subtask's high-level transition and its steps, an end line.
    const exported = readFileSync(path.join(dir, 'export.jsonl'), 'utf8').trim().split('\n');
    const records = transitions.length + result.subtasks.length;
    expect(exported).toHaveLength(records + 2);
    expect(bundle.exportRecords).toBe(records);
    const verified = await runCli(['verify', dir], cleanEnv({}));
    expect({ code: verified.code, stdout: verified.stdout }).toEqual({
      code: 0,
      stdout: expect.stringContaining('intact'),
    });
    // The record read from the bundle is the live one.
    expect(await fetchTransitions(archiveHistories(dir), episodeId)).toEqual(transitions);
  });

  test('show, export and replay read the bundle with no server', async () => {
    const show = await runCli(['show', episodeId, '--archive', dir], offline());
    expect(show.stderr).toBe('');
    expect(show.stdout).toContain(`episode ${episodeId}: COMPLETED`);
    expect(show.stdout).toContain(result.subtasks[0]!.slice(0, 20));

    const out = path.join(dir, '..', 'again.jsonl');
    const exported = await runCli(['export', episodeId, '--archive', dir, '--out', out], offline());
    expect(exported.code).toBe(0);
    // The same records (the header differs: export time, and the namespace reads as the archive's).
    const recordsOf = (file: string) =>
      readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .slice(1, -1)
        .map((l) => (JSON.parse(l) as { record: unknown }).record);
    expect(recordsOf(out)).toEqual(recordsOf(path.join(dir, 'export.jsonl')));

    // The bundle's folder in place of the id works as well as --archive.
    for (const args of [
      ['replay', '--archive', dir],
      ['replay', dir],
    ]) {
      const replay = await runCli(args, offline(), 120_000);
      expect(replay.stderr).toBe('');
      expect(replay.code).toBe(0);
      expect(replay.stdout).toContain(`${result.runs + result.subtasks.length} histories replayed, 0 failed`);
    }
  });

  test('replay of a bundle with a corrupted subtask history exits 1 naming the history and event', async () => {
    const copy = path.join(dir, '..', 'corrupted');
    await runCli(['archive', episodeId, '--out', copy], cleanEnv({ TEMPORAL_ADDRESS: testAddress() }), 120_000);
    const bundle = JSON.parse(readFileSync(path.join(copy, 'manifest.json'), 'utf8')) as ArchiveManifest;
    const entry = bundle.histories.find((h) => h.workflowId === `${episodeId}/subtask-1.0`)!;
    const file = path.join(copy, entry.file);
    const json = JSON.parse(readFileSync(file, 'utf8')) as {
      events: { activityTaskScheduledEventAttributes?: { activityType: { name: string } } }[];
    };
    json.events.find(
      (e) => e.activityTaskScheduledEventAttributes,
    )!.activityTaskScheduledEventAttributes!.activityType.name = 'renamed';
    writeFileSync(file, JSON.stringify(json));
    const replay = await runCli(['replay', copy], offline(), 120_000);
    expect(replay.code).toBe(1);
    expect(replay.stdout).toMatch(new RegExp(`^FAIL {2}${episodeId}/subtask-1\\.0 `, 'm'));
    expect(replay.stdout).toMatch(
      new RegExp(
        `nondeterminism: subtaskWorkflow ${episodeId}/subtask-1\\.0 run \\S+ diverged at event \\d+ \\(EVENT_TYPE_ACTIVITY_TASK_SCHEDULED\\)`,
      ),
    );
    expect(replay.stdout).toContain("'renamed'");
  });
});

describe('evals', () => {
  /** Runs an eval of built-in episodes with the expert; returns its id. */
  async function runEval(agent: EvalInput['agent'], variations: number[], episodesPerRun?: number): Promise<string> {
    const taskQueue = queueFor(`replay-eval-${agent}`);
    const evalId = `eval-${taskQueue}`;
    const episodes = variations.map((variation) => ({ spec: { ...spec, variation }, group: spec.task }));
    const specs = new Map(episodes.map((e, i) => [evalEpisodeId(evalId, i), e.spec]));
    const llm = new ExpertRouterClient({
      specOf: (id) => specs.get(id),
      planOf: async (s) => goldSubtasks(s),
      profile: 'chat',
    });
    const input: EvalInput = {
      agent,
      selection: 'replay test',
      env: 'builtin',
      config: { maxSteps: 40 },
      episodes,
      concurrency: 1,
      ...(episodesPerRun && { episodesPerRun }),
    };
    const result = await withWorker(t, { taskQueue, llm }, async () =>
      (await startOrAttachEval(t.client, evalId, input, taskQueue)).handle.result(),
    );
    expect(result.totals?.won).toBe(episodes.length);
    return evalId;
  }

  test('an eval (every run, every episode and its subtasks) is collected, replays and archives', async () => {
    const evalId = await runEval('step-hrl', [0, 1], 1);
    const collected = await collectHistories(liveHistories(t.client), evalId);
    const types = collected.histories.map((h) => h.workflowType);
    expect(types.filter((x) => x === 'evalWorkflow').length).toBeGreaterThan(1); // continued as new
    expect(collected.histories.filter((h) => h.workflowType === 'episodeWorkflow').map((h) => h.workflowId)).toEqual([
      evalEpisodeId(evalId, 0),
      evalEpisodeId(evalId, 1),
    ]);
    expect(types).toContain('subtaskWorkflow');
    expect((await replayRecorded(collected.histories, await sharedBundle())).ok).toBe(true);

    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'step-hrl-eval-archive-')), 'bundle');
    const bundle = await writeArchive(liveHistories(t.client), evalId, dir, {
      writeExport: (source, ids, write) => writeExport(source, ids, write, { namespace: 'default', skipMissing: true }),
    });
    expect(bundle).toMatchObject({ kind: 'eval', rootId: evalId, exportSkipped: [] });
    expect(bundle.exportedEpisodes).toEqual([evalEpisodeId(evalId, 0), evalEpisodeId(evalId, 1)]);
    expect(bundle.histories).toHaveLength(collected.histories.length);
    const fromArchive = await collectHistories(archiveHistories(dir), evalId);
    expect(fromArchive.histories.map((h) => [h.workflowId, h.runId])).toEqual(
      collected.histories.map((h) => [h.workflowId, h.runId]),
    );
  });

  test('a ReAct eval replays (its episodes are reactWorkflow histories)', async () => {
    const evalId = await runEval('react', [0]);
    const collected = await collectHistories(liveHistories(t.client), evalId);
    expect(collected.histories.map((h) => h.workflowType)).toEqual(['evalWorkflow', 'reactWorkflow']);
    expect((await replayRecorded(collected.histories, await sharedBundle())).ok).toBe(true);
  });
});
