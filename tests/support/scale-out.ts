/**
 * What the scale-out tests share (tests/slow/scale-out): the Temporal the simulated hosts join
 * (the embedded dev server, or the cluster of scripts/cluster.sh with STEP_HRL_MULTIHOST_CLUSTER=1),
 * hosts that run one `step-hrl eval` each, and waiting on what they print.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDevServer, type DevServerHandle } from '../../src/server/dev-server';
import { freePort } from '../../src/server/ports';
import { cleanEnv, ensureBuilt, processesMentioning } from './cli-harness';
import { clusterScript, type TestCluster } from './cluster-script';
import { SimulatedHost, type HostEvent } from './netns-host';

const MINUTE = 60_000;

/** Whether the scale-out tests run on the cluster of scripts/cluster.sh instead of the dev server. */
export const ON_CLUSTER = process.env.STEP_HRL_MULTIHOST_CLUSTER === '1';

/** The Temporal the hosts share. */
export interface SharedTemporal {
  /** Its frontend's port on 127.0.0.1. */
  port: number;
  /** What {@link SharedTemporal.restart} does, for reports. */
  restartLabel: string;
  /** An outage: the dev server stopped and started; the cluster's frontend, then PostgreSQL. */
  restart(): Promise<void>;
  /** Stops it and deletes its data. */
  stop(): Promise<void>;
}

/** Starts the Temporal of {@link ON_CLUSTER} with its data under `work`. */
export async function startSharedTemporal(work: string): Promise<SharedTemporal> {
  if (!ON_CLUSTER) {
    const port = await freePort();
    const start = (): Promise<DevServerHandle> => startDevServer({ dataDir: path.join(work, 'temporal'), port });
    let server = await start();
    return {
      port,
      restartLabel: 'the embedded Temporal server restarted',
      async restart() {
        await server.stop();
        server = await start();
      },
      stop: () => server.stop(),
    };
  }
  // Below 32600: the services' membership ports must fit PostgreSQL's smallint (scripts/cluster.sh).
  const owned: TestCluster = {
    dir: path.join(work, 'cluster'),
    port: Number(process.env.STEP_HRL_MULTIHOST_CLUSTER_PORT ?? 29233),
  };
  const script = async (args: string[]): Promise<void> => {
    const run = await clusterScript(owned, args, 40 * MINUTE);
    if (run.code !== 0) throw new Error(`scripts/cluster.sh ${args.join(' ')} exited ${run.code}:\n${run.stderr}`);
  };
  await script(['up']);
  return {
    port: owned.port,
    restartLabel: 'the frontend service restarted, then PostgreSQL',
    async restart() {
      await script(['restart', 'frontend']);
      await script(['restart', 'postgres']);
    },
    stop: () => script(['reset']),
  };
}

/** Options of {@link startEvalHost}. */
export interface EvalHostOptions {
  name: string;
  /** The host's folder (its results go to `<dir>/out`). */
  dir: string;
  temporal: SharedTemporal;
  /** `step-hrl eval` arguments before `--out` and `--json`. */
  evalArgs: string[];
  /** Extra environment of the host's `step-hrl` (build id, versioning mode). */
  env?: Record<string, string>;
  onEvent?: (event: HostEvent) => void;
}

/** A simulated host running `step-hrl eval <evalArgs> --out <dir>/out --json`. */
export function startEvalHost(options: EvalHostOptions): Promise<SimulatedHost> {
  return SimulatedHost.start({
    name: options.name,
    dir: options.dir,
    frontend: () => ({ host: '127.0.0.1', port: options.temporal.port }),
    args: [...options.evalArgs, '--out', path.join(options.dir, 'out'), '--json'],
    // Outages here (a cut link, a restart) are shorter than this: waited out, not fatal.
    env: cleanEnv({ STEP_HRL_TEMPORAL_OUTAGE_SECONDS: '600', ...options.env }),
    onEvent: options.onEvent,
  });
}

/** Resolves once `check` holds, polling; rejects naming `what` after `timeoutMs`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Whether the host's `step-hrl` has exited. */
export const exited = (host: SimulatedHost) => (): boolean => host.exitCode !== undefined;

/** Whether the host printed that it started or joined the eval. */
export const joined = (host: SimulatedHost) => (): boolean => host.events.some((e) => e.type === 'eval-started');

/** Expects the host's `step-hrl` to have exited 0 (its output in the failure otherwise). */
export function exitedCleanly(host: SimulatedHost): { code: number | undefined; log: string } {
  return { code: host.exitCode, log: host.exitCode === 0 ? '' : host.log };
}

/** What a scale-out test works in: its folder, the shared Temporal, and the hosts it started. */
export interface ScaleOutFixture {
  readonly work: string;
  readonly temporal: SharedTemporal;
  /** Hosts to kill when the file ends: push every host started. */
  readonly hosts: SimulatedHost[];
}

/**
 * Registers the scale-out fixture's hooks (call inside the test file's `describe`): before all, a
 * temp folder (`prefix`) and the shared Temporal; after all, every host killed, Temporal stopped
 * and its data deleted, stray processes of the folder killed, the folder removed.
 */
export function useScaleOut(prefix: string): ScaleOutFixture {
  let work = '';
  let temporal: SharedTemporal | undefined;
  const hosts: SimulatedHost[] = [];
  beforeAll(async () => {
    ensureBuilt();
    work = mkdtempSync(path.join(os.tmpdir(), prefix));
    // As root, the cluster's PostgreSQL runs as 'postgres', which must be able to enter the folder.
    chmodSync(work, 0o755);
    temporal = await startSharedTemporal(work);
  }, 45 * MINUTE);
  afterAll(async () => {
    await Promise.all(hosts.map((h) => h.kill()));
    await temporal?.stop();
    if (!work) return;
    for (const p of processesMentioning(work)) process.kill(p.pid, 'SIGKILL');
    rmSync(work, { recursive: true, force: true });
  }, 5 * MINUTE);
  return {
    get work() {
      return work;
    },
    get temporal() {
      if (!temporal) throw new Error('the shared Temporal is not started yet (use it inside tests)');
      return temporal;
    },
    hosts,
  };
}
