/**
 * Verifiable export through the real bin (issue 11 item 4): a real episode (built-in env, scripted
 * expert, continued as new across several runs) is exported hash-chained; the untouched export
 * verifies, and editing, removing, swapping or cutting records, or changing the header, makes
 * `verify` fail naming the right record. A directory holding `export.jsonl` (an archive bundle)
 * verifies the same way; a file that is not an export gets a clear error.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AugmentedTransition, HighLevelTransition } from '../../../src/agent/records';
import { startEpisode } from '../../../src/client';
import { goldSubtasks } from '../../../src/envs/builtin';
import type { EnvSpec } from '../../../src/envs/text-env';
import { expertPolicyRules } from '../../../src/llm/expert-policy';
import { ScriptedLlmClient } from '../../../src/llm/scripted-client';
import { connectTestTemporal, queueFor, testAddress, withWorker, type TestTemporal } from '../../support/temporal';
import { cleanEnv, ensureBuilt, runCli } from '../../support/cli-harness';

let t: TestTemporal;
let dir: string;
let exportFile: string;
let lines: string[];
let episodeId: string;
let runIds: string[];
const env = () => cleanEnv({ TEMPORAL_ADDRESS: testAddress() });

beforeAll(async () => {
  ensureBuilt();
  t = await connectTestTemporal();
  dir = mkdtempSync(path.join(tmpdir(), 'step-hrl-export-'));
  const spec: EnvSpec = { env: 'builtin', task: 'boil-water', variation: 3 };
  const llm = new ScriptedLlmClient(expertPolicyRules(goldSubtasks(spec), 'paper'));
  const taskQueue = queueFor('export-verify');
  episodeId = `ep-${taskQueue}`;
  // A small history limit continues the episode as new a few times: the export spans several runs.
  const config = { spec, profile: 'paper' as const, historyEventLimit: 40 };
  const result = await withWorker(t, { taskQueue, llm }, async () =>
    (await startEpisode(t.client, { episodeId, taskQueue, config })).result(),
  );
  expect(result).toMatchObject({ status: 'env-done', won: true });
  expect(result.runs).toBeGreaterThan(1);
  const info = (await t.client.workflow.getHandle(episodeId).describe()).raw.workflowExecutionInfo!;
  runIds = [info.firstRunId!, info.execution!.runId!];

  exportFile = path.join(dir, 'episode.jsonl');
  const exported = await runCli(['export', episodeId, '--out', exportFile], env());
  expect({ code: exported.code, stderr: exported.stderr }).toEqual({
    code: 0,
    stderr: expect.stringContaining(`records (hash-chained) to ${exportFile}`),
  });
  lines = readFileSync(exportFile, 'utf8').trimEnd().split('\n');
}, 240_000);
afterAll(async () => {
  await t?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Writes `content` lines to a new file and runs `verify` on it. */
async function verifyLines(name: string, content: string[]) {
  const file = path.join(dir, name);
  writeFileSync(file, content.join('\n') + '\n');
  return runCli(['verify', file], env());
}

test("the export is a header, one chained line per record (each subtask's high-level transition, then its steps), and an end line; untouched it verifies", async () => {
  const header = JSON.parse(lines[0]);
  expect(header).toMatchObject({
    kind: 'step-hrl-export',
    hashAlgorithm: 'sha256',
    identity: { namespace: 'default', episodes: [{ episodeId }] },
    recordVersions: [1, 2],
    stepHrlVersion: expect.any(String),
  });
  const chainRuns: string[] = header.identity.episodes[0].runIds;
  expect(chainRuns.length).toBeGreaterThan(1); // every continue-as-new run of the chain
  expect([chainRuns[0], chainRuns.at(-1)]).toEqual(runIds);
  const records = lines.slice(1, -1).map((l) => JSON.parse(l));
  records.forEach((line, seq) => {
    expect(line.seq).toBe(seq);
    const { record: kind, ...high } = line.record;
    if (kind === 'high-level-transition') expect(HighLevelTransition.parse(high)).toEqual(high);
    else expect(AugmentedTransition.parse(line.record)).toEqual(line.record);
    expect(line.prevHash).toBe(seq === 0 ? header.hash : records[seq - 1].hash);
  });
  const steps = records.filter((r) => r.record.record === undefined);
  const highs = records.filter((r) => r.record.record === 'high-level-transition');
  expect(steps.map((r) => r.record.stepIndex)).toEqual([...steps.keys()]);
  expect(highs.map((r) => r.record.subtaskIndex)).toEqual([...new Set(steps.map((r) => r.record.subtaskIndex))]);
  expect(JSON.parse(lines.at(-1)!)).toMatchObject({ kind: 'step-hrl-export-end', count: records.length });

  const verified = await runCli(['verify', exportFile], env());
  expect({ code: verified.code, stderr: verified.stderr }).toEqual({ code: 0, stderr: '' });
  expect(verified.stdout.trim().split('\n')).toHaveLength(1);
  expect(verified.stdout).toContain(`intact: ${records.length} records from ${episodeId} (${chainRuns.length} runs)`);

  // The final hash it prints is the one to publish; --expect-hash checks against it.
  const finalHash = JSON.parse(lines.at(-1)!).hash as string;
  expect(verified.stdout).toContain(`final hash ${finalHash}`);
  expect((await runCli(['verify', exportFile, '--expect-hash', finalHash], env())).code).toBe(0);
  const other = await runCli(['verify', exportFile, '--expect-hash', '0'.repeat(64)], env());
  expect(other.code).toBe(1);
  expect(other.stderr).toContain(`the chain is intact but its final hash ${finalHash} is not the expected`);

  // An archive bundle: a directory holding export.jsonl.
  const bundle = path.join(dir, 'bundle');
  mkdirSync(bundle);
  writeFileSync(path.join(bundle, 'export.jsonl'), lines.join('\n') + '\n');
  expect((await runCli(['verify', bundle], env())).code).toBe(0);
});

test('an edited record fails verify naming its seq', async () => {
  const edited = [...lines];
  const line = JSON.parse(edited[3]); // seq 2
  line.record.action = 'open chest';
  edited[3] = JSON.stringify(line);
  const result = await verifyLines('edited.jsonl', edited);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain('record seq 2 (line 4) was edited');
});

test('a removed record fails verify naming the missing seq', async () => {
  const removed = lines.filter((_, i) => i !== 4); // seq 3
  const result = await verifyLines('removed.jsonl', removed);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain('record seq 3 was removed');
});

test('two swapped records fail verify naming both', async () => {
  const swapped = [...lines];
  [swapped[2], swapped[3]] = [swapped[3], swapped[2]]; // seq 1 and seq 2
  const result = await verifyLines('swapped.jsonl', swapped);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain('records reordered: seq 2 (line 3) comes before seq 1 (line 4)');
});

test('a truncated export fails verify: without its end line, or cut mid-line', async () => {
  const cut = await verifyLines('truncated.jsonl', lines.slice(0, 5)); // header + seq 0-3
  expect(cut.code).toBe(1);
  expect(cut.stderr).toContain('truncated after seq 3');

  const midLine = path.join(dir, 'mid-line.jsonl');
  const text = lines.join('\n');
  writeFileSync(midLine, text.slice(0, text.indexOf(lines[5]) + 40));
  const mid = await runCli(['verify', midLine], env());
  expect(mid.code).toBe(1);
  expect(mid.stderr).toContain('truncated: line 6 (after seq 3) is cut short');

  // Removing the last records but keeping the end line: the count it commits to tells.
  const shortened = await verifyLines('shortened.jsonl', [...lines.slice(0, -3), lines.at(-1)!]);
  expect(shortened.code).toBe(1);
  expect(shortened.stderr).toContain(`seq ${lines.length - 4}-${lines.length - 3} are missing`);
});

test('a changed header fails verify, even with its hash recomputed', async () => {
  const header = JSON.parse(lines[0]);
  header.identity.episodes[0].episodeId = 'someone-else';
  const changed = await verifyLines('header.jsonl', [JSON.stringify(header), ...lines.slice(1)]);
  expect(changed.code).toBe(1);
  expect(changed.stderr).toContain('header changed (line 1)');

  const { headerHash } = await import('../../../src/export/hash-chain');
  header.hash = headerHash(header);
  const rehashed = await verifyLines('header-rehashed.jsonl', [JSON.stringify(header), ...lines.slice(1)]);
  expect(rehashed.code).toBe(1);
  expect(rehashed.stderr).toContain('header changed: record seq 0 (line 2) does not chain to it');
});

test('a file that is not an export, a plain transitions file and a bundle without export.jsonl get clear errors', async () => {
  const notExport = await verifyLines('notes.txt', ['hello']);
  expect(notExport.code).toBe(1);
  expect(notExport.stderr).toContain('is not a step-hrl export: its first line is not an export header');

  const plain = await verifyLines(
    'plain.jsonl',
    lines.slice(1, -1).map((l) => JSON.stringify(JSON.parse(l).record)),
  );
  expect(plain.code).toBe(1);
  expect(plain.stderr).toContain('is a plain transitions JSONL without a hash chain');

  const empty = path.join(dir, 'empty-bundle');
  mkdirSync(empty);
  const noBundle = await runCli(['verify', empty], env());
  expect(noBundle.code).toBe(1);
  expect(noBundle.stderr).toContain('is a directory without export.jsonl');
});
