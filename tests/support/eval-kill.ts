/**
 * Kill -9 of a running `step-hrl eval` and the same command again, for the eval chaos test and the
 * preset bench; and the reset count that shows no episode was played twice.
 */
import { spawn } from 'node:child_process';
import type { EpisodeOutcome } from '../../src/episode/eval-types';
import { BIN, ROOT, runCli, type CliResult } from './cli-harness';

/** What {@link killAndRerunEval} saw. */
export interface KilledEval {
  /** Episodes done (per the last progress event) when the group was killed. */
  doneAtKill: number;
  /** The second, uninterrupted run of the same command. */
  rerun: CliResult;
}

/**
 * Runs `step-hrl <args>` (which must include `--json`) in its own process group, SIGKILLs the group
 * a random moment (0–1.5 s) after `killAfterDone` episodes finished, then runs the same command to
 * the end.
 */
export async function killAndRerunEval(
  args: string[],
  env: NodeJS.ProcessEnv,
  options: { killAfterDone: number; firstRunTimeoutMs: number; rerunTimeoutMs: number },
): Promise<KilledEval> {
  const first = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => first.once('exit', (_c, sig) => resolve(sig)));
  let output = '';
  let doneAtKill = 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${options.killAfterDone} episodes not done in time; output:\n${output}`)),
      options.firstRunTimeoutMs,
    );
    first.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    first.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
      const done = [...output.matchAll(/"type":"eval-progress","done":(\d+)/g)].map((m) => Number(m[1]));
      if (done.length && Math.max(...done) >= options.killAfterDone && doneAtKill === 0) {
        clearTimeout(timer);
        doneAtKill = Math.max(...done);
        setTimeout(resolve, Math.random() * 1500);
      }
    });
    first.once('exit', () => reject(new Error(`eval exited before the kill; output:\n${output}`)));
  });
  process.kill(-first.pid!, 'SIGKILL');
  const signal = await exited;
  if (signal !== 'SIGKILL') throw new Error(`the eval ended with ${signal} instead of being killed`);
  return { doneAtKill, rerun: await runCli(args, env, options.rerunTimeoutMs) };
}

/** Resets of one episode's game/task as the env server counted them, against its recorded re-drives. */
export interface EpisodeResets {
  task: string;
  variation?: number;
  /** Real simulator resets. */
  resets: number;
  /** Resets answered from a keyed session's store (re-driven before its first step): no simulator work. */
  storedResets: number;
  redrives: number;
}

/**
 * Env server resets per episode (`GET /stats` `resets_by_task`, `stored_resets_by_task`). Only for
 * evals whose episodes are distinct games (ALFWorld): each must have exactly 1 + its recorded
 * re-drives, counting a re-drive before the first step (answered from the store) as a reset.
 */
export async function resetsPerGame(
  envServerUrl: string,
  outcomes: readonly EpisodeOutcome[],
): Promise<EpisodeResets[]> {
  const stats = (await (await fetch(`${envServerUrl}/stats`)).json()) as {
    envs: Record<string, { resets_by_task: Record<string, number>; stored_resets_by_task: Record<string, number> }>;
  };
  const countFor = (byTask: Record<string, number> | undefined, task: string): number => {
    const key = Object.keys(byTask ?? {}).find((k) => k.includes(task));
    return key ? byTask![key]! : 0;
  };
  return outcomes.map((o) => {
    const env = stats.envs[o.spec.env];
    return {
      task: o.spec.task,
      resets: countFor(env?.resets_by_task, o.spec.task),
      storedResets: countFor(env?.stored_resets_by_task, o.spec.task),
      redrives: o.redrives ?? 0,
    };
  });
}
