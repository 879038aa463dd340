/**
 * A rolling upgrade across hosts with Worker Versioning (issue 20 item 4, docs/versioning.md "On a
 * cluster: the rollout"). An eval runs on two hosts of build A (STEP_HRL_WORKER_VERSIONING: the
 * first promotes A, the second is `on`); build B is deployed to a third host, ramped to 50 % with
 * the Temporal CLI, then made current; B goes to a fourth host, and once no episode pinned to A is
 * left running, A's hosts are retired. Every episode finished once; each ran all its workflow tasks
 * on the build that started it (PINNED), on a host of that build; episodes started before the ramp
 * are A's, after the promotion B's; the eval (AUTO_UPGRADE) moved to B; no workflow task failed.
 *
 * B is this code under another build id (STEP_HRL_BUILD_ID): what is tested is the routing, which
 * is what keeps a changed build away from the histories of the old one. CI runs it on the embedded
 * server (about a minute); `npm run bench:rolling-upgrade` runs it on the cluster of
 * scripts/cluster.sh and writes bench/results/rolling-upgrade.md.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { temporal as proto } from '@temporalio/proto';
import { evalEpisodeId } from '../../../src/episode/ids';
import { readResults } from '../../../src/eval/write';
import { ROOT } from '../../support/cli-harness';
import { canSimulateHosts, type HostEvent, type SimulatedHost } from '../../support/netns-host';
import {
  exited,
  exitedCleanly,
  joined,
  ON_CLUSTER,
  startEvalHost,
  until,
  useScaleOut,
  type ScaleOutFixture,
} from '../../support/scale-out';

const GAMES = Number(process.env.STEP_HRL_MULTIHOST_GAMES ?? 24);
const REPORT = process.env.STEP_HRL_MULTIHOST_REPORT === '1';
const MINUTE = 60_000;
const EVAL_ID = 'rollout';
const DEPLOYMENT = 'step-hrl';
const TEMPORAL_CLI = path.join(ROOT, '.tools', 'temporal', 'temporal');

const enabled = canSimulateHosts();
const describeRollout = enabled ? describe : describe.skip;

let fx: ScaleOutFixture;
let connection: Connection | undefined;

/** Runs `temporal worker deployment <args>` against the shared Temporal, as an operator would. */
function deploymentCli(...args: string[]): string {
  return execFileSync(TEMPORAL_CLI, ['worker', 'deployment', ...args, '--address', `127.0.0.1:${fx.temporal.port}`], {
    encoding: 'utf8',
  });
}

/** One episode as Temporal recorded it. */
interface EpisodeRun {
  index: number;
  startedAt: number;
  running: boolean;
  pinnedTo: string | undefined;
  behavior: string | undefined;
  /** Build id of every completed workflow task, in order. */
  taskBuilds: string[];
  /** Host name of every completed workflow task's worker. */
  taskHosts: string[];
  failedTasks: number;
}

const buildOfTask = (e: proto.api.history.v1.IHistoryEvent): string =>
  e.workflowTaskCompletedEventAttributes?.deploymentVersion?.buildId ??
  e.workflowTaskCompletedEventAttributes?.workerVersion?.buildId ??
  '';

async function episodeRuns(client: Client): Promise<EpisodeRun[]> {
  const runs: EpisodeRun[] = [];
  for (let index = 0; index < GAMES; index++) {
    const handle = client.workflow.getHandle(evalEpisodeId(EVAL_ID, index));
    const described = await handle.describe().catch(() => undefined);
    if (!described) continue;
    const info = described.raw.workflowExecutionInfo?.versioningInfo;
    const events = (await handle.fetchHistory()).events ?? [];
    const completed = events.filter((e) => e.workflowTaskCompletedEventAttributes);
    runs.push({
      index,
      startedAt: described.startTime.getTime(),
      running: described.status.name === 'RUNNING',
      pinnedTo: info?.deploymentVersion?.buildId ?? undefined,
      behavior: info?.behavior === undefined || info.behavior === null ? undefined : String(info.behavior),
      taskBuilds: completed.map(buildOfTask),
      taskHosts: completed.map(
        (e) => /@(host-\d+)/.exec(e.workflowTaskCompletedEventAttributes?.identity ?? '')?.[1] ?? '',
      ),
      failedTasks: events.filter((e) => e.workflowTaskFailedEventAttributes).length,
    });
  }
  return runs;
}

describeRollout('a rolling upgrade across hosts', () => {
  fx = useScaleOut('step-hrl-rollout-');
  beforeAll(async () => {
    connection = await Connection.connect({ address: `127.0.0.1:${fx.temporal.port}` });
  });
  afterAll(() => connection?.close());

  test(
    'deploy B beside A, ramp, promote, drain and retire A: every episode stays on the build that started it',
    async () => {
      const client = new Client({ connection: connection! });
      let done = 0;
      const onEvent = (event: HostEvent): void => {
        if (event.type === 'eval-progress') done = Math.max(done, Number(event.done));
      };
      const evalArgs = ['eval', '--env', 'alfworld', '--split', 'train_sample', '--limit', String(GAMES)];
      evalArgs.push('--llm', 'expert', '--concurrency', '6', '--eval-id', EVAL_ID);
      const host = async (name: string, build: string, mode: 'on' | 'promote'): Promise<SimulatedHost> => {
        const env = { STEP_HRL_BUILD_ID: build, STEP_HRL_WORKER_VERSIONING: mode };
        const started = await startEvalHost({
          name,
          dir: path.join(fx.work, name),
          temporal: fx.temporal,
          evalArgs,
          env,
          onEvent,
        });
        fx.hosts.push(started);
        await until(`${name} to start or join the eval`, joined(started), 3 * MINUTE);
        return started;
      };

      // Build A on two hosts; the first makes A the deployment's current version.
      const a1 = await host('host-1', 'build-a', 'promote');
      const a2 = await host('host-2', 'build-a', 'on');
      await until('a few episodes to finish on A', () => done >= 4, 5 * MINUTE);

      // Deploy B to one host; ramp 50 % of new episodes to it; then make it current.
      const rampAt = Date.now();
      const b3 = await host('host-3', 'build-b', 'on');
      // As the operator does: B's id is listed once its workers polled.
      await until(
        'build B to be listed in the deployment',
        () => deploymentCli('describe', '--name', DEPLOYMENT, '-o', 'json').includes('build-b'),
        2 * MINUTE,
      );
      deploymentCli(
        'set-ramping-version',
        '--deployment-name',
        DEPLOYMENT,
        '--build-id',
        'build-b',
        '--percentage',
        '50',
        '--yes',
      );
      const doneAtRamp = done;
      await until('episodes to finish during the ramp', () => done >= doneAtRamp + 4, 5 * MINUTE);
      deploymentCli('set-current-version', '--deployment-name', DEPLOYMENT, '--build-id', 'build-b', '--yes');
      const currentAt = Date.now();

      // Then B everywhere: a fourth host of B; A's hosts retire once nothing pinned to A runs.
      const b4 = await host('host-4', 'build-b', 'on');
      await until(
        'the episodes pinned to A to finish (drain)',
        async () => (await episodeRuns(client)).every((r) => !r.running || r.pinnedTo !== 'build-a'),
        10 * MINUTE,
      );
      const drainedAt = Date.now();
      await Promise.all([a1.kill(), a2.kill()]);

      await until('the B hosts to finish the eval', () => exited(b3)() && exited(b4)(), 15 * MINUTE);
      expect(exitedCleanly(b3)).toEqual({ code: 0, log: '' });
      expect(exitedCleanly(b4)).toEqual({ code: 0, log: '' });

      // Every episode once, every game won.
      const outcomes = (await readResults(path.join(b3.dir, 'out'))).results.outcomes;
      expect(outcomes.map((o) => o.index)).toEqual([...Array(GAMES).keys()]);
      expect(outcomes.filter((o) => !o.won)).toEqual([]);

      // Each episode PINNED to one build, all its workflow tasks on that build and on its hosts.
      const runs = await episodeRuns(client);
      expect(runs).toHaveLength(GAMES);
      const hostsOf: Record<string, string[]> = { 'build-a': ['host-1', 'host-2'], 'build-b': ['host-3', 'host-4'] };
      for (const run of runs) {
        const view = { index: run.index, pinnedTo: run.pinnedTo, failedTasks: run.failedTasks };
        expect(view).toEqual({ index: run.index, pinnedTo: expect.stringMatching(/^build-[ab]$/), failedTasks: 0 });
        expect(run.behavior).toMatch(/1|PINNED/);
        expect(new Set(run.taskBuilds)).toEqual(new Set([run.pinnedTo]));
        for (const h of run.taskHosts) expect(hostsOf[run.pinnedTo!]).toContain(h);
      }
      // Before the ramp only A took new episodes; after the promotion only B.
      expect(runs.filter((r) => r.startedAt < rampAt).map((r) => r.pinnedTo)).not.toContain('build-b');
      expect(runs.filter((r) => r.startedAt > currentAt + 2000).map((r) => r.pinnedTo)).not.toContain('build-a');
      const onA = runs.filter((r) => r.pinnedTo === 'build-a').length;
      const onB = runs.filter((r) => r.pinnedTo === 'build-b').length;
      expect(onA).toBeGreaterThan(0);
      expect(onB).toBeGreaterThan(0);

      // The eval upgraded in flight (AUTO_UPGRADE): its last workflow tasks ran on B; none failed.
      const evalEvents = (await client.workflow.getHandle(EVAL_ID).fetchHistory()).events ?? [];
      const evalBuilds = evalEvents.filter((e) => e.workflowTaskCompletedEventAttributes).map(buildOfTask);
      expect(evalBuilds.at(-1)).toBe('build-b');
      expect(evalBuilds).toContain('build-a');
      expect(evalEvents.filter((e) => e.workflowTaskFailedEventAttributes)).toHaveLength(0);

      if (REPORT) {
        const rampedToB = runs.filter(
          (r) => r.startedAt >= rampAt && r.startedAt <= currentAt && r.pinnedTo === 'build-b',
        );
        const lines = [
          `# Rolling upgrade across hosts (${new Date().toISOString()})`,
          '',
          `ALFWorld train_sample, ${GAMES} games, scripted expert, concurrency 6, on ${ON_CLUSTER ? 'the cluster of scripts/cluster.sh' : 'the embedded Temporal server'};`,
          'hosts are user+network+pid+UTS namespaces with their own env servers (tests/slow/scale-out/rolling-upgrade.test.ts).',
          'Build B is the same code under another build id (the routing is what is tested).',
          '',
          '| step | when (s after start of ramp) | episodes done |',
          '| --- | ---: | ---: |',
          `| host-3 (B) deployed, B ramped to 50 % | 0 | ${doneAtRamp} |`,
          `| B made current, host-4 (B) deployed | ${((currentAt - rampAt) / 1000).toFixed(0)} | - |`,
          `| nothing pinned to A running: host-1, host-2 (A) retired | ${((drainedAt - rampAt) / 1000).toFixed(0)} | - |`,
          '',
          `Episodes pinned to A: ${onA}; to B: ${onB} (${rampedToB.length} of them started during the ramp).`,
          "Every episode ran all its workflow tasks on its own build and on that build's hosts; no workflow task",
          `failed in any episode or in the eval, whose last task ran on B; ${GAMES} of ${GAMES} won, each once.`,
          '',
        ];
        writeFileSync(path.join(ROOT, 'bench', 'results', 'rolling-upgrade.md'), lines.join('\n'));
      }
    },
    40 * MINUTE,
  );
});
