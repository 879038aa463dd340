/**
 * Starts, shares and stops the embedded Temporal dev server (`temporal server start-dev`) with a
 * SQLite file under the data dir.
 *
 * Crash safety: the server runs under a small bash watchdog in its own process group that stops it
 * as soon as the owning process dies (even by SIGKILL), and a lock file in the data dir lets the
 * next run tell a live shared server from a stale one left by a killed run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Connection, type ConnectionOptions } from '@temporalio/client';
import { DataDirError, DevServerStartError, PortInUseError } from './errors';
import { isPortFree } from './ports';
import { temporalCliPath } from './temporal-cli';
import { searchAttributeRegistrations } from '../episode/search-attributes';
import { ensureSearchAttributes } from './register-search-attributes';

/** Options for {@link startDevServer}. */
export interface DevServerOptions {
  /** Folder for the SQLite file, log and lock. Created if missing. */
  dataDir: string;
  /** gRPC port on 127.0.0.1. @default 7233 */
  port?: number;
  /** Serve the Web UI on port + 1000. @default false */
  ui?: boolean;
  /** How long to wait for the server to answer. @default 60000 */
  startTimeoutMs?: number;
  /**
   * Let the server hand activity tasks to the worker completing the workflow task that scheduled
   * them (dynamic config `system.enableActivityEagerExecution`). @default false
   */
  eagerActivities?: boolean;
}

/** A running (or shared) dev server. */
export interface DevServerHandle {
  /** host:port to connect to. */
  readonly address: string;
  /** Namespace to use. */
  readonly namespace: string;
  /** True when this process started it; only the owner's {@link DevServerHandle.stop} stops it. */
  readonly owned: boolean;
  /** Server process group id (owned servers), for tests and diagnostics. */
  readonly pid?: number;
  /** Stops an owned server and removes its lock; no-op for a shared one. Idempotent. */
  stop(): Promise<void>;
}

/** What the lock file records about the server that owns a data dir. */
interface ServerLock {
  ownerPid: number;
  serverPid: number;
  port: number;
  address: string;
  startedAt: string;
}

const LOCK_FILE = 'temporal-server.lock.json';
const LOG_FILE = 'temporal-server.log';
const DB_FILE = 'temporal.sqlite';

// Runs the server in the background and stops it when the owner pid disappears.
const WATCHDOG = `
owner="$1"; shift
"$@" &
child=$!
trap 'kill -TERM "$child" 2>/dev/null' TERM INT
while kill -0 "$owner" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 0.5; done
kill -TERM "$child" 2>/dev/null
wait "$child"
`;

/** True when a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Creates `dir` one level at a time below its first existing ancestor. Node's recursive mkdir
 * spins forever where a parent exists but refuses children with ENOENT (e.g. under /proc), so
 * each level is created on its own and the first refusal is thrown.
 */
function mkdirLevels(dir: string): void {
  const missing: string[] = [];
  let current = path.resolve(dir);
  while (!existsSync(current)) {
    missing.unshift(current);
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const level of missing) {
    try {
      mkdirSync(level);
    } catch (err) {
      // another process created it meanwhile
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

function ensureWritableDir(dataDir: string): void {
  try {
    mkdirLevels(dataDir);
    const probe = path.join(dataDir, `.write-test-${process.pid}`);
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (err) {
    throw new DataDirError(dataDir, (err as NodeJS.ErrnoException).code ?? (err as Error).message);
  }
}

function readLock(dataDir: string): ServerLock | undefined {
  const file = path.join(dataDir, LOCK_FILE);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ServerLock;
  } catch {
    return undefined; // a half-written lock from a killed run is simply stale
  }
}

/**
 * Connects to `options.address` and describes `namespace` within `timeoutMs`; throws the
 * connection's error when the frontend does not answer. One probe for every reachability check.
 */
export async function probeTemporal(
  options: ConnectionOptions,
  namespace = 'default',
  timeoutMs = 2000,
): Promise<void> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ ...options, connectTimeout: timeoutMs });
    await connection.withDeadline(Date.now() + timeoutMs, () =>
      connection!.workflowService.describeNamespace({ namespace }),
    );
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

/** True when a Temporal frontend answers at `address` within `timeoutMs`. */
export async function isTemporalHealthy(address: string, timeoutMs = 2000): Promise<boolean> {
  return probeTemporal({ address }, 'default', timeoutMs).then(
    () => true,
    () => false,
  );
}

async function killGroup(pid: number, graceMs = 10_000): Promise<void> {
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-pid, sig);
    } catch {
      /* already gone */
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) signal('SIGKILL');
  while (isAlive(pid)) await sleep(50);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function logTail(dataDir: string, lines = 15): string {
  try {
    return readFileSync(path.join(dataDir, LOG_FILE), 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Clears a lock whose owner died. Returns a live lock that another process still owns, if any.
 * A server left by a SIGKILLed owner is normally stopped by its watchdog; this also covers a
 * killed watchdog.
 */
async function reclaimStaleLock(dataDir: string): Promise<ServerLock | undefined> {
  const lock = readLock(dataDir);
  if (!lock) {
    rmSync(path.join(dataDir, LOCK_FILE), { force: true });
    return undefined;
  }
  if (isAlive(lock.ownerPid)) return lock;
  if (isAlive(lock.serverPid)) await killGroup(lock.serverPid);
  rmSync(path.join(dataDir, LOCK_FILE), { force: true });
  return undefined;
}

/**
 * Starts `temporal server start-dev` on 127.0.0.1 with its SQLite file under `dataDir`, waits until
 * it answers, and returns a handle. If another live step-hrl process already runs a server on this
 * data dir, that server is shared instead (two servers on one SQLite file would corrupt it).
 * @throws DataDirError, ToolsMissingError, PortInUseError, DevServerStartError
 */
export async function startDevServer(options: DevServerOptions): Promise<DevServerHandle> {
  const dataDir = path.resolve(options.dataDir);
  const port = options.port ?? 7233;
  ensureWritableDir(dataDir);

  const live = await reclaimStaleLock(dataDir);
  if (live && (await isTemporalHealthy(live.address))) {
    await ensureSearchAttributes(live.address);
    return { address: live.address, namespace: 'default', owned: false, stop: async () => undefined };
  }
  if (live) rmSync(path.join(dataDir, LOCK_FILE), { force: true });

  const binary = temporalCliPath();
  if (!(await isPortFree(port))) throw new PortInUseError(port);

  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port)];
  args.push('--db-filename', path.join(dataDir, DB_FILE), '--log-level', 'warn');
  // Registered on every start (idempotent), so `step-hrl list` and the UI can filter on them.
  for (const registration of searchAttributeRegistrations()) args.push('--search-attribute', registration);
  if (options.eagerActivities) args.push('--dynamic-config-value', 'system.enableActivityEagerExecution=true');
  // Worker Deployment Versioning (versioned workers, current/ramping versions) needs no dynamic
  // config on the pinned server (1.32): its APIs and routing are on by default (docs/versioning.md).
  if (options.ui) args.push('--ui-port', String(port + 1000));
  else args.push('--headless');

  const log = openSync(path.join(dataDir, LOG_FILE), 'a');
  let child: ChildProcess;
  try {
    child = spawn('bash', ['-c', WATCHDOG, 'step-hrl-temporal-watchdog', String(process.pid), binary, ...args], {
      detached: true,
      stdio: ['ignore', log, log],
    });
  } finally {
    closeSync(log);
  }
  child.unref();
  const serverPid = child.pid!;
  const address = `127.0.0.1:${port}`;
  const lock: ServerLock = { ownerPid: process.pid, serverPid, port, address, startedAt: new Date().toISOString() };
  writeFileSync(path.join(dataDir, LOCK_FILE), JSON.stringify(lock));

  let exited = false;
  child.once('exit', () => (exited = true));
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await killGroup(serverPid);
    const current = readLock(dataDir);
    if (current?.serverPid === serverPid) rmSync(path.join(dataDir, LOCK_FILE), { force: true });
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  while (!(await isTemporalHealthy(address))) {
    if (exited || Date.now() > deadline) {
      await stop();
      const why = exited ? 'exited during start-up' : 'did not answer in time';
      // One line (the CLI prints errors as a single line): the log's last line, where to read more, the fix.
      const last = logTail(dataDir, 1).slice(0, 200);
      throw new DevServerStartError(
        `Temporal dev server on ${address} ${why} (log: ${last}); see ${path.join(dataDir, LOG_FILE)}, ` +
          'and run `npm run setup` to reinstall the Temporal CLI if it is broken',
      );
    }
    await sleep(250);
  }
  try {
    await ensureSearchAttributes(address);
  } catch (err) {
    await stop();
    throw new DevServerStartError(
      `Temporal dev server on ${address} did not accept step-hrl's search attributes (${(err as Error).message.split('\n')[0]}); ` +
        `see ${path.join(dataDir, LOG_FILE)}`,
    );
  }
  return { address, namespace: 'default', owned: true, pid: serverPid, stop };
}
