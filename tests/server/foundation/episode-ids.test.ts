/**
 * Pins "an episode id means one run": starting an id that exists is rejected through the CLI with
 * one clear line; `--rerun` starts a new id linked to the old one (memo `rerunOf`); and `show` /
 * `export` read an episode's subtasks from its own history chain, so a later run that reused the
 * id (possible only by going around step-hrl) never shows the children of the earlier run.
 */
import { AugmentedTransition } from '../../../src/agent/records';
import { fetchTransitions, startEpisode } from '../../../src/client';
import { goldSubtasks } from '../../../src/envs/builtin';
import type { EnvSpec } from '../../../src/envs/text-env';
import { expertPolicyRules } from '../../../src/llm/expert-policy';
import { ScriptedLlmClient } from '../../../src/llm/scripted-client';
import { episodeWorkflow } from '../../../src/workflows';
import { connectTestTemporal, queueFor, testAddress, withWorker, type TestTemporal } from '../../support/temporal';
import { cleanEnv, ensureBuilt, runCli } from '../../support/cli-harness';

let t: TestTemporal;
beforeAll(async () => {
  ensureBuilt();
  t = await connectTestTemporal();
});
afterAll(async () => t?.close());

const cliEnv = (): NodeJS.ProcessEnv => cleanEnv({ TEMPORAL_ADDRESS: testAddress() });
const runArgs = (episodeId: string, ...extra: string[]): string[] => [
  'run',
  '--json',
  '--llm',
  'expert',
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

/** The `started` event of a `run --json` output. */
function startedEvent(stdout: string): { episodeId: string; rerunOf?: string } {
  const events = stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { type: string; episodeId: string; rerunOf?: string });
  return events.find((e) => e.type === 'started')!;
}

describe('episode ids', () => {
  it('rejects starting an id that exists, with one line naming resume and --rerun', async () => {
    const episodeId = `dup-${process.pid}-${Date.now()}`;
    const first = await runCli(runArgs(episodeId), cliEnv(), 90_000);
    expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: '' });

    const second = await runCli(runArgs(episodeId), cliEnv(), 90_000);
    expect(second.code).toBe(1);
    expect(second.stderr.trim().split('\n')).toEqual([
      `Error: episode ${episodeId} already exists (completed); use \`step-hrl resume ${episodeId}\` or \`--rerun\``,
    ]);
    expect(second.stdout).not.toContain('"type":"step"');
  });

  it('--rerun starts the first free linked id <id>.rerun-<n>', async () => {
    const episodeId = `rerun-${process.pid}-${Date.now()}`;
    expect((await runCli(runArgs(episodeId), cliEnv(), 90_000)).code).toBe(0);

    for (const n of [2, 3]) {
      const rerun = await runCli(runArgs(episodeId, '--rerun'), cliEnv(), 90_000);
      expect({ code: rerun.code, stderr: rerun.stderr }).toEqual({ code: 0, stderr: '' });
      expect(startedEvent(rerun.stdout)).toMatchObject({ episodeId: `${episodeId}.rerun-${n}`, rerunOf: episodeId });
      const description = await t.client.workflow.getHandle(`${episodeId}.rerun-${n}`).describe();
      expect(description.status.name).toBe('COMPLETED');
      expect(await description.memo).toMatchObject({ rerunOf: episodeId });
    }
  });

  it('show and export read only the latest run of a reused id, not the children of the earlier run', async () => {
    const spec: EnvSpec = { env: 'builtin', task: 'boil-water', variation: 1 };
    const plan = goldSubtasks(spec);
    expect(plan.length).toBeGreaterThanOrEqual(3);
    const taskQueue = queueFor('reused-id');
    const episodeId = `reused-${taskQueue}`;
    const llm = new ScriptedLlmClient(expertPolicyRules(plan, 'chat'));

    await withWorker(t, { taskQueue, llm }, async () => {
      // Run 1 through step-hrl: three subtasks (its subtask budget).
      const first = await startEpisode(t.client, { episodeId, taskQueue, config: { spec, maxSubtasks: 3 } });
      expect((await first.result()).subtasks).toHaveLength(3);
      // Run 2 under the same id, started around step-hrl's guard: one subtask.
      const second = await t.client.workflow.start(episodeWorkflow, {
        workflowId: episodeId,
        taskQueue,
        args: [{ config: { spec, maxSubtasks: 1 } }],
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      });
      expect((await second.result()).subtasks).toHaveLength(1);
    });

    const expected = plan[0]!.actions;
    const transitions = await fetchTransitions(t.client, episodeId);
    expect(transitions.map((tr) => tr.action)).toEqual(expected);

    const exported = await runCli(['export', episodeId], cliEnv(), 60_000);
    expect({ code: exported.code, stderr: exported.stderr }).toEqual({ code: 0, stderr: '' });
    // Hash-chained JSONL: a header, one `{ seq, prevHash, hash, record }` line per record (the
    // subtask's high-level transition, then its steps), an end line.
    const records = exported.stdout
      .trim()
      .split('\n')
      .slice(1, -1)
      .map((line) => (JSON.parse(line) as { record: { record?: string } }).record);
    const steps = records.filter((r) => r.record === undefined);
    expect(steps.map((r) => AugmentedTransition.parse(r).action)).toEqual(expected);
    expect(records.filter((r) => r.record === 'high-level-transition')).toHaveLength(1);

    const shown = await runCli(['show', episodeId, '--json'], cliEnv(), 60_000);
    expect(shown.code).toBe(0);
    const shownActions = shown.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { type: string; action?: string })
      .filter((e) => e.type === 'transition')
      .map((e) => e.action);
    expect(shownActions).toEqual(expected);
  });
});
