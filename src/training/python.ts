/**
 * The trainer's Python (trainer/, its venv installed by scripts/setup-trainer.sh): resolving a
 * config with it, and a supervised training worker process (`python -m step_hrl_trainer.worker`)
 * that is restarted when it dies, so a killed worker costs at most the chunk it was training.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { projectRoot, toolsDir } from '../project';

/** Python of the trainer's venv: `STEP_HRL_TRAINER_PYTHON`, else `<tools>/trainer-venv/bin/python`. */
export function trainerPython(env: NodeJS.ProcessEnv = process.env): string {
  const python = env.STEP_HRL_TRAINER_PYTHON || path.join(toolsDir(env), 'trainer-venv', 'bin', 'python');
  if (!existsSync(python))
    throw new Error(
      `the trainer's Python environment is not installed (${python} is missing); run \`bash scripts/setup-trainer.sh\` ` +
        '(part of `npm run setup`), or set STEP_HRL_TRAINER_PYTHON to a Python with trainer/requirements.txt installed',
    );
  return python;
}

/** The environment a trainer process runs with: the trainer package importable, output unbuffered. */
export function trainerEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const trainerDir = path.join(projectRoot(), 'trainer');
  const pythonPath = env.PYTHONPATH ? `${trainerDir}${path.delimiter}${env.PYTHONPATH}` : trainerDir;
  return { ...env, PYTHONPATH: pythonPath, PYTHONUNBUFFERED: '1' };
}

/**
 * The resolved config of `file` (every default filled, paths absolute), as the trainer reads it.
 * @throws Error naming the file and the trainer's reason when the config is invalid.
 */
export function resolveTrainingConfig(file: string, python = trainerPython()): Record<string, unknown> {
  if (!existsSync(file)) throw new Error(`--config ${file}: no such file; pass the training config (YAML or JSON)`);
  const out = spawnSync(python, ['-m', 'step_hrl_trainer', 'resolve-config', file], {
    env: trainerEnv(),
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (out.status !== 0) {
    const reason = (out.stderr || out.stdout || String(out.error ?? '')).trim().split('\n').slice(-3).join(' ');
    throw new Error(`--config ${file}: ${reason.replace(/^Error:\s*/, '') || `the trainer exited ${out.status}`}`);
  }
  return JSON.parse(out.stdout) as Record<string, unknown>;
}

/** Options of {@link superviseTrainingWorker}. */
export interface TrainingWorkerOptions {
  taskQueue: string;
  address: string;
  namespace: string;
  python?: string;
  /** One line per event (started, died and restarted, gave up). */
  onEvent?: (line: string) => void;
  /** Extra environment (tests). */
  env?: NodeJS.ProcessEnv;
  /** Quick deaths in a row (each within 20 s of its start) before giving up. @default 5 */
  maxQuickDeaths?: number;
}

/** A supervised worker: `ready` once it polls; `stop()` ends it (SIGTERM, then SIGKILL). */
export interface SupervisedWorker {
  ready: Promise<void>;
  /** Rejects when the worker keeps dying at start (a broken install); never resolves otherwise. */
  failed: Promise<never>;
  /** The current process id (tests kill it). */
  pid(): number | undefined;
  stop(): Promise<void>;
}

/** Starts the Python training worker and restarts it whenever it dies (see the file header). */
export function superviseTrainingWorker(o: TrainingWorkerOptions): SupervisedWorker {
  const python = o.python ?? trainerPython();
  const say = o.onEvent ?? ((line: string) => console.error(line));
  let child: ChildProcess | undefined;
  let stopping = false;
  let quickDeaths = 0;
  let markReady!: () => void;
  let fail!: (err: Error) => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => undefined);

  const start = (): void => {
    const startedAt = Date.now();
    let tail = '';
    const proc = spawn(
      python,
      [
        '-m',
        'step_hrl_trainer.worker',
        '--task-queue',
        o.taskQueue,
        '--address',
        o.address,
        '--namespace',
        o.namespace,
      ],
      { env: trainerEnv({ ...process.env, ...o.env }), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    proc.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('training worker polling')) {
        quickDeaths = 0;
        markReady();
      }
    });
    proc.stderr!.on('data', (chunk: Buffer) => (tail = (tail + chunk.toString()).slice(-2000)));
    proc.on('exit', (code, signal) => {
      if (stopping) return;
      const how = signal ? `killed by ${signal}` : `exited ${code}`;
      quickDeaths = Date.now() - startedAt < 20_000 ? quickDeaths + 1 : 0;
      if (quickDeaths >= (o.maxQuickDeaths ?? 5)) {
        const last = tail.trim().split('\n').slice(-3).join(' | ');
        fail(new Error(`the training worker keeps dying at start (${how}): ${last || 'no output'}`));
        return;
      }
      say(`training worker (pid ${proc.pid}) ${how}; restarting it: the chunk in flight resumes from its checkpoint`);
      setTimeout(() => !stopping && start(), 1000);
    });
  };
  start();

  return {
    ready,
    failed,
    pid: () => child?.pid,
    async stop() {
      stopping = true;
      const proc = child;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGTERM');
      const killer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    },
  };
}
