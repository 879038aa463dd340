/**
 * The production-style cluster of `scripts/cluster.sh` (issue 20 item 2): history, matching,
 * frontend and worker as separate processes on PostgreSQL with SQL visibility. Brings it up (the
 * first time builds the server with Go: minutes; later runs reuse the binaries and stamps), plays
 * an episode through `step-hrl run`, an eval through `step-hrl eval` and an episode served by a
 * separate `step-hrl worker`, all with `--address`, finds them with `list` by step-hrl search
 * attributes, checks the data survives `down` + `up`, and that with `STEP_HRL_CLUSTER_TLS=1` the
 * frontend serves TLS that step-hrl reaches through the standard envconfig TLS variables alone.
 *
 * Opt-in (`STEP_HRL_CLUSTER_TEST=1`): on a fresh machine the Go build and the PostgreSQL install
 * alone take longer than CI's budget for one file (docs/testing.md). The cluster lives in a temp
 * folder on its own ports (STEP_HRL_CLUSTER_TEST_PORT, default 27233; PostgreSQL 25432), so a
 * developer's cluster is left alone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startEpisode } from '../../../src/client';
import { BIN, cleanEnv, ensureBuilt, ROOT, runCli, type CliResult } from '../../support/cli-harness';
import { clusterScript } from '../../support/cluster-script';
import { endpointEnv, expertEndpoint } from '../../support/expert-endpoint-process';

const enabled = process.env.STEP_HRL_CLUSTER_TEST === '1';
const PORT = Number(process.env.STEP_HRL_CLUSTER_TEST_PORT ?? 27233);
const ADDRESS = `127.0.0.1:${PORT}`;
const MINUTE = 60_000;

let work: string;
let clusterDir: string;

/** Runs `scripts/cluster.sh <command>` on the test's cluster. */
function cluster(
  command: 'up' | 'down' | 'status' | 'reset',
  timeoutMs: number,
  extraEnv: Record<string, string> = {},
): Promise<CliResult & { ms: number }> {
  return clusterScript({ dir: clusterDir, port: PORT }, [command], timeoutMs, extraEnv);
}

/** The CLI's environment: nothing inherited that picks a cluster; results under the test's folder. */
const cliEnv = (extra: Record<string, string> = {}) =>
  cleanEnv({ STEP_HRL_DATA_DIR: path.join(work, 'data'), ...extra });

interface Listed {
  type: string;
  id: string;
  kind: string;
  status: string;
  env?: string;
  task?: string;
  evalId?: string;
}

/** `list --json` rows for `args` on the cluster, polled until `done` holds (visibility lags writes). */
async function listUntil(args: string[], done: (rows: Listed[]) => boolean): Promise<Listed[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const run = await runCli(['list', ...args, '--address', ADDRESS, '--json'], cliEnv(), MINUTE);
    if (run.code !== 0) throw new Error(`list ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
    const rows = run.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Listed)
      .filter((row) => row.type === 'listed');
    if (done(rows) || Date.now() > deadline) return rows;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const describeCluster = enabled ? describe : describe.skip;

describeCluster('scripts/cluster.sh', () => {
  const stamp = `${process.pid}-${Date.now()}`;
  const episodeId = `cluster-run-${stamp}`;
  const evalId = `cluster-eval-${stamp}`;
  const workerEpisodeId = `cluster-worker-${stamp}`;
  let worker: ChildProcess | undefined;

  beforeAll(() => {
    ensureBuilt();
    work = mkdtempSync(path.join(os.tmpdir(), 'step-hrl-cluster-'));
    // As root, PostgreSQL runs as the 'postgres' user, which must be able to enter the folder.
    chmodSync(work, 0o755);
    clusterDir = path.join(work, 'cluster');
  });

  afterAll(async () => {
    worker?.kill('SIGKILL');
    if (!work) return;
    const reset = await cluster('reset', 3 * MINUTE);
    if (reset.code !== 0) console.error(`cluster reset failed:\n${reset.stderr}`);
    rmSync(work, { recursive: true, force: true });
  }, 4 * MINUTE);

  test(
    'up builds (or reuses) the server and prints the frontend address; status shows every process',
    async () => {
      const up = await cluster('up', 40 * MINUTE);
      expect({ code: up.code, stderr: up.stderr }).toEqual({ code: 0, stderr: expect.stringContaining('ready') });
      expect(up.stdout.trim().split('\n').pop()).toBe(ADDRESS);
      console.log(`cluster up took ${(up.ms / 1000).toFixed(0)} s`);
      for (const service of ['history', 'matching', 'frontend', 'worker'])
        expect(existsSync(path.join(clusterDir, 'run', `${service}.pid`))).toBe(true);

      const status = await cluster('status', MINUTE);
      expect(status.code).toBe(0);
      for (const name of ['postgres', 'history', 'matching', 'frontend', 'worker'])
        expect(status.stdout).toMatch(new RegExp(`^${name} +up +\\d+ `, 'm'));
      expect(status.stdout).toContain(`frontend ${ADDRESS}: SERVING`);

      // A second up changes nothing and says it is ready.
      const again = await cluster('up', 2 * MINUTE);
      expect(again.code).toBe(0);
      expect(again.stderr).not.toMatch(/starting|building|creating/);
    },
    45 * MINUTE,
  );

  test(
    'run plays an episode on the cluster and list finds it by its search attributes',
    async () => {
      const run = await runCli(
        ['run', '--env', 'builtin', '--task', 'boil-water', '--llm', 'expert', '--max-steps', '6'].concat([
          '--episode-id',
          episodeId,
          '--address',
          ADDRESS,
          '--json',
        ]),
        cliEnv(),
        5 * MINUTE,
      );
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: expect.any(String) });

      const rows = await listUntil(['--env', 'builtin', '--task', 'boil-water', '--kind', 'episode'], (r) =>
        r.some((row) => row.id === episodeId && row.status !== 'running'),
      );
      const row = rows.find((r) => r.id === episodeId);
      expect(row).toMatchObject({ kind: 'episode', env: 'builtin', task: 'boil-water' });
      expect(row?.status).not.toBe('running');
    },
    6 * MINUTE,
  );

  test(
    'eval runs its episodes on the cluster; list --eval finds them',
    async () => {
      const out = path.join(work, 'eval-out');
      const args = ['eval', '--env', 'builtin', '--tasks', 'boil-water,chill-juice', '--per-task', '1'];
      args.push('--llm', 'expert', '--max-steps', '6', '--concurrency', '2', '--eval-id', evalId, '--out', out);
      const run = await runCli([...args, '--address', ADDRESS, '--json'], cliEnv(), 8 * MINUTE);
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
      const { results } = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as {
        results: { outcomes: unknown[] };
      };
      expect(results.outcomes).toHaveLength(2);

      const rows = await listUntil(['--eval', evalId, '--kind', 'episode'], (r) => r.length >= 2);
      expect(rows.map((r) => r.evalId)).toEqual([evalId, evalId]);
    },
    9 * MINUTE,
  );

  test(
    'a separate `step-hrl worker` process serves an episode started on its queue',
    async () => {
      const taskQueue = `cluster-test-${stamp}`;
      const spec = { env: 'builtin', task: 'boil-water', variation: 0 } as const;
      // A long-lived worker has no scripted policy of its own: it calls an OpenAI-compatible endpoint,
      // here one that answers as the expert.
      const endpoint = await expertEndpoint(spec);
      worker = spawn(
        process.execPath,
        [BIN, 'worker', '--llm', 'openai', '--task-queue', taskQueue, '--address', ADDRESS],
        { cwd: ROOT, env: endpointEnv(endpoint, { STEP_HRL_DATA_DIR: path.join(work, 'data') }), stdio: 'ignore' },
      );
      const connection = await Connection.connect({ address: ADDRESS });
      try {
        const client = new Client({ connection });
        const handle = await startEpisode(client, {
          episodeId: workerEpisodeId,
          taskQueue,
          config: { spec, maxSteps: 6 },
          model: 'mock-model',
        });
        const result = await handle.result();
        expect(result).toMatchObject({ status: 'step-budget' });
        expect(endpoint.requestCount).toBeGreaterThan(0);
      } finally {
        await connection.close();
        worker.kill('SIGTERM');
        await new Promise((resolve) => worker!.once('exit', resolve));
        worker = undefined;
        await endpoint.stop();
      }
    },
    5 * MINUTE,
  );

  test(
    'down stops every process and keeps the data: after up the episodes are still listed and shown',
    async () => {
      const down = await cluster('down', 3 * MINUTE);
      expect({ code: down.code, stderr: down.stderr }).toEqual({ code: 0, stderr: expect.stringContaining('stopped') });
      const stopped = await cluster('status', MINUTE);
      expect(stopped.code).toBe(1);
      for (const name of ['postgres', 'history', 'matching', 'frontend', 'worker'])
        expect(stopped.stdout).toMatch(new RegExp(`^${name} +down `, 'm'));

      const up = await cluster('up', 5 * MINUTE);
      expect(up.code).toBe(0);
      console.log(`cluster up again took ${(up.ms / 1000).toFixed(0)} s`);

      const rows = await listUntil(['--kind', 'episode'], (r) => r.length >= 4);
      expect(rows.map((r) => r.id)).toEqual(expect.arrayContaining([episodeId, workerEpisodeId]));
      expect(rows.filter((r) => r.evalId === evalId)).toHaveLength(2);
      const show = await runCli(['show', episodeId, '--address', ADDRESS], cliEnv(), 2 * MINUTE);
      expect({ code: show.code, stderr: show.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
      expect(show.stdout).toContain(episodeId);
    },
    12 * MINUTE,
  );

  test(
    'STEP_HRL_CLUSTER_TLS=1 serves the frontend over TLS; step-hrl reaches it through the envconfig TLS settings only',
    async () => {
      expect((await cluster('down', 3 * MINUTE)).code).toBe(0);
      const up = await cluster('up', 5 * MINUTE, { STEP_HRL_CLUSTER_TLS: '1' });
      expect({ code: up.code, stderr: up.stderr }).toEqual({ code: 0, stderr: expect.stringContaining('ready') });
      const ca = path.join(clusterDir, 'tls', 'ca.pem');
      expect(up.stderr).toContain(`TEMPORAL_TLS_SERVER_CA_CERT_PATH=${ca}`);
      // status keeps the TLS choice of the last up without being told again.
      expect((await cluster('status', MINUTE)).stdout).toContain(`frontend ${ADDRESS}: SERVING`);

      const plain = await runCli(['list', '--address', ADDRESS], cliEnv(), MINUTE);
      expect(plain.code).toBe(1);
      expect(plain.stderr).toContain(`Temporal at ${ADDRESS}`);

      const tlsEnv = cliEnv({ TEMPORAL_ADDRESS: ADDRESS, TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca });
      const listed = await runCli(['list', '--kind', 'episode', '--json'], tlsEnv, MINUTE);
      expect({ code: listed.code, stderr: listed.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
      expect(listed.stdout).toContain(`"id":"${episodeId}"`);

      const down = await cluster('down', 3 * MINUTE);
      expect(down.code).toBe(0);
    },
    10 * MINUTE,
  );
});
