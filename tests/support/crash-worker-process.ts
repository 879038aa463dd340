/** Starts `crash-worker.ts` (a real step-hrl worker that journals its work) in a process of its own. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** Spawns the crash worker with `env` added to this process's environment (`CRASH_*`, see crash-worker.ts). */
export function startCrashWorker(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', path.join(__dirname, 'crash-worker.ts')], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}
