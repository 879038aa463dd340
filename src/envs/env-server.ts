/**
 * Starts (or connects to) the Python env server that hosts ScienceWorld and ALFWorld.
 *
 * `connectEnvServer()` uses `STEP_HRL_ENV_URL` when set (starting nothing), else spawns
 * `python -m step_hrl_envserver --port 0 --exit-with-parent` from the repo's `envserver/` with the
 * venv made by `scripts/setup-envserver.sh`, reads the port it prints, and waits for `/health`.
 * The spawned server dies with this process, even on kill -9 (see {@link startEnvServer}).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { projectRoot, toolsDir } from '../project';
import { EnvHttp } from './env-http';
import { EnvError } from './text-env';

/** Versions of the env packages behind a server; record them with every result. */
export interface EnvVersions {
  envserver: string;
  python: string;
  scienceworld: string;
  alfworld: string;
  textworld: string;
  java: string;
  [pkg: string]: string;
}

/** A running (or configured) env server. */
export interface EnvServerHandle {
  /** Root URL, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** True when this process spawned the server (and `stop()` ends it). */
  readonly spawned: boolean;
  /** OS process id of the spawned server, if any. */
  readonly pid?: number;
  /** Stops a spawned server (SIGTERM, then SIGKILL after a grace period); no-op otherwise. Idempotent. */
  stop(): Promise<void>;
  /** Resolves when a spawned server process has exited (never for a configured one). */
  readonly exited: Promise<void>;
  /** False once a spawned server process has exited. */
  readonly running: boolean;
}

/** Options for {@link startEnvServer}. */
export interface StartEnvServerOptions {
  /** Python with the env server's deps. @default `$STEP_HRL_ENV_PYTHON` or `<repo>/.tools/venv/bin/python` */
  python?: string;
  /** ALFWorld data folder (holds `json_2.1.1/`). @default `$ALFWORLD_DATA`, else `<repo>/../shared/data/alfworld` */
  alfworldData?: string;
  /** Give up (and kill the process) when not healthy after this long. @default 60000 */
  startupTimeoutMs?: number;
  /** Extra environment variables for the server process. */
  env?: Record<string, string>;
  /** Port to bind (0 = any free loopback port). @default 0 */
  port?: number;
}

/** The project root, checked to hold the env server's package. */
export function findRepoRoot(): string {
  const root = projectRoot();
  if (!existsSync(path.join(root, 'envserver', 'step_hrl_envserver', '__main__.py'))) {
    throw new EnvError(`cannot find envserver/ in ${root}; run step-hrl from its project folder`, 'EnvUnavailable');
  }
  return root;
}

/** Spawns the env server on a free loopback port and resolves once `/health` answers. */
export async function startEnvServer(opts: StartEnvServerOptions = {}): Promise<EnvServerHandle> {
  const root = findRepoRoot();
  const python = opts.python ?? process.env.STEP_HRL_ENV_PYTHON ?? path.join(toolsDir(), 'venv', 'bin', 'python');
  if (!existsSync(python)) {
    throw new EnvError(
      `env server Python not found at ${python}; run \`bash scripts/setup-envserver.sh\` (or set STEP_HRL_ENV_PYTHON)`,
      'EnvUnavailable',
    );
  }
  const timeoutMs = opts.startupTimeoutMs ?? 60_000;
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env, PYTHONUNBUFFERED: '1' };
  if (opts.alfworldData) env.ALFWORLD_DATA = opts.alfworldData;
  // stdin stays a pipe that we never write: when this process dies (even by kill -9) the kernel
  // closes it, and `--exit-with-parent` makes the server exit on that EOF, ending its JVMs.
  const child = spawn(python, ['-m', 'step_hrl_envserver', '--port', String(opts.port ?? 0), '--exit-with-parent'], {
    cwd: path.join(root, 'envserver'),
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin?.on('error', () => undefined); // EPIPE once the server is gone is expected
  let running = true;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      running = false;
      resolve();
    }),
  );
  const stderrTail: string[] = [];
  child.stderr?.on('data', (d: Buffer) => {
    stderrTail.push(d.toString());
    if (stderrTail.length > 50) stderrTail.shift();
  });
  const killOnExit = (): void => {
    child.kill('SIGKILL'); // 'exit' handlers must be synchronous; the server's JVMs die with it
  };
  process.once('exit', killOnExit);

  try {
    const port = await readPort(child, timeoutMs, () => stderrTail.join(''));
    const url = `http://127.0.0.1:${port}`;
    await waitForHealth(url, timeoutMs);
    return {
      url,
      spawned: true,
      pid: child.pid,
      exited,
      get running() {
        return running;
      },
      stop: async () => {
        process.removeListener('exit', killOnExit);
        await stopChild(child);
      },
    };
  } catch (e) {
    process.removeListener('exit', killOnExit);
    await stopChild(child);
    throw e;
  }
}

/** The shared env server's URL (`STEP_HRL_ENV_URL`, no trailing slash), or undefined when none is set. */
function configuredEnvUrl(env = process.env): string | undefined {
  return env.STEP_HRL_ENV_URL?.replace(/\/+$/, '') || undefined;
}

/**
 * The env server to use: `STEP_HRL_ENV_URL` (health-checked, never stopped by us) when set,
 * else a freshly spawned one (see {@link startEnvServer}).
 */
export async function connectEnvServer(opts: StartEnvServerOptions = {}): Promise<EnvServerHandle> {
  const url = configuredEnvUrl();
  if (url) {
    await waitForHealth(url, opts.startupTimeoutMs ?? 10_000);
    return {
      url,
      spawned: false,
      stop: async () => undefined,
      exited: new Promise<void>(() => undefined),
      running: true,
    };
  }
  return startEnvServer(opts);
}

/**
 * Closes, on the shared env server (`STEP_HRL_ENV_URL`), every session that the worker incarnations
 * `owners` created (`ResetOptions.owner`): call it once they are known to be gone. Only their process
 * could step those sessions, so they would otherwise hold their simulator (a JVM for ScienceWorld)
 * until the server's idle TTL. A spawned server needs none: it ended with the process that spawned
 * it. Best effort: a server that is down or too old to know `/sessions/release` is skipped (its TTL
 * still frees them). Returns how many sessions were closed.
 */
export async function releaseGoneSessions(owners: readonly string[], env = process.env): Promise<number> {
  const configured = configuredEnvUrl(env);
  if (!configured || owners.length === 0) return 0;
  const http = new EnvHttp(configured);
  let released = 0;
  for (const owner of new Set(owners)) {
    const answer = await http
      .post<{ released: number }>('/sessions/release', { owner }, { timeoutMs: RELEASE_TIMEOUT_MS })
      .catch(() => ({ released: 0 }));
    released += answer.released;
  }
  return released;
}

/** How long {@link releaseGoneSessions} waits for the env server to answer. */
const RELEASE_TIMEOUT_MS = 5_000;

/** Polls `GET /health` until it answers ok; throws `EnvUnavailable` naming the URL after `timeoutMs`. */
export async function waitForHealth(url: string, timeoutMs: number): Promise<void> {
  const http = new EnvHttp(url);
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const h = await http.get<{ status?: string }>('/health', {}, { timeoutMs: Math.min(5_000, timeoutMs) });
      if (h.status === 'ok') return;
      last = new Error(`unexpected /health answer ${JSON.stringify(h)}`);
    } catch (e) {
      last = e;
    }
    await sleep(200);
  }
  throw new EnvError(
    `env server at ${url} was not healthy within ${timeoutMs} ms (${(last as Error)?.message ?? 'no answer'})`,
    'EnvUnavailable',
  );
}

/** The server's env package versions (`GET /versions`). */
export async function getEnvVersions(url: string, timeoutMs = 30_000): Promise<EnvVersions> {
  return new EnvHttp(url).get<EnvVersions>('/versions', {}, { timeoutMs });
}

function readPort(child: ChildProcess, timeoutMs: number, stderr: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout! });
    const fail = (why: string): void => {
      clearTimeout(timer);
      lines.close();
      reject(new EnvError(`env server failed to start: ${why}\n${stderr().slice(-2000)}`, 'EnvUnavailable'));
    };
    const timer = setTimeout(() => fail(`no "listening" line within ${timeoutMs} ms`), timeoutMs);
    child.once('error', (e) => fail(e.message));
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      fail(`process exited (code ${code}, signal ${signal})`);
    child.once('exit', onExit);
    lines.on('line', (line) => {
      try {
        const msg = JSON.parse(line) as { event?: string; port?: number };
        if (msg.event === 'listening' && typeof msg.port === 'number') {
          clearTimeout(timer);
          child.removeListener('exit', onExit);
          resolve(msg.port);
        }
      } catch {
        // not our JSON line: ignore library chatter on stdout
      }
    });
  });
}

async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM'); // the server closes its simulator JVMs on SIGTERM
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
