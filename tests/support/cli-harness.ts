/**
 * Helpers for the foundation tests that drive the real `step-hrl` bin: make sure `dist/` is built
 * from the current sources, run the CLI with a clean environment, and look for leftover processes.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** Repository root. */
export const ROOT = path.resolve(__dirname, '..', '..');
/** The `step-hrl` bin. */
export const BIN = path.join(ROOT, 'bin', 'step-hrl.js');
const ENTRY = path.join(ROOT, 'dist', 'cli', 'index.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

function isStale(): boolean {
  return !existsSync(ENTRY) || statSync(ENTRY).mtimeMs < newestMtime(path.join(ROOT, 'src'));
}

/**
 * Builds `dist/` (`tsc -p tsconfig.build.json`) when it is missing or older than `src/`.
 * Builds are serialised with `flock` so parallel test files do not write `dist/` at once; type
 * errors elsewhere do not stop tsc from emitting, so only a missing entry point fails.
 */
export function ensureBuilt(): void {
  if (!isStale()) return;
  mkdirSync(path.join(ROOT, 'dist'), { recursive: true });
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    execFileSync(
      'flock',
      [path.join(ROOT, 'dist', '.build-lock'), process.execPath, tsc, '-p', 'tsconfig.build.json'],
      {
        cwd: ROOT,
        stdio: 'pipe',
      },
    );
  } catch {
    // emitted anyway unless the entry point is missing (checked below)
  }
  if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing after the build; run \`npm run setup\``);
}

/** Environment for a CLI child: the test's own, minus anything that would redirect Temporal. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key.startsWith('TEMPORAL_') || key.startsWith('STEP_HRL_')) delete env[key];
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

/** What a finished CLI run produced. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `step-hrl <args>` to completion (killed after `timeoutMs`). */
export function runCli(args: string[], env: NodeJS.ProcessEnv = cleanEnv(), timeoutMs = 60_000): Promise<CliResult> {
  return runProcess(process.execPath, [BIN, ...args], env, timeoutMs);
}

/** Runs `file <args>` in the project root to completion (killed after `timeoutMs`), collecting its output. */
export function runProcess(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A live process: pid, parent, process group and command line (from /proc). */
export interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  cmdline: string;
}

/** Every process visible in /proc. */
export function listProcesses(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // fields after the parenthesised command name: state ppid pgrp ...
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue; // zombies hold nothing
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim();
      out.push({ pid: Number(name), ppid: Number(fields[1]), pgid: Number(fields[2]), cmdline });
    } catch {
      // exited while we looked
    }
  }
  return out;
}

/** Processes whose command line mentions `text` (e.g. a data dir's SQLite path). */
export function processesMentioning(text: string): ProcInfo[] {
  return listProcesses().filter((p) => p.pid !== process.pid && p.cmdline.includes(text));
}

/** Polls `check` until it returns true or `timeoutMs` passes; returns the last answer. */
export async function waitFor(check: () => boolean, timeoutMs: number, everyMs = 200): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A CLI process started in the background, with its output so far. */
export interface BackgroundCli {
  child: ChildProcess;
  /** stdout and stderr interleaved. */
  output(): string;
  /** stdout alone. */
  stdout(): string;
  /** Resolves when the output matches `pattern`; rejects if the process exits first or `timeoutMs` passes. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<void>;
  /** Resolves with the exit code and signal once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `step-hrl <args>` in the background (stdout and stderr collected together). */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = cleanEnv()): BackgroundCli {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let stdout = '';
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  child.stdout!.on('data', (d: Buffer) => {
    output += d.toString();
    stdout += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve((exitInfo = { code, signal }))),
  );
  return {
    child,
    output: () => output,
    stdout: () => stdout,
    exited,
    async waitForOutput(pattern, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(output)) {
        if (exitInfo) throw new Error(`step-hrl ${args[0]} exited (${JSON.stringify(exitInfo)}); output:\n${output}`);
        if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms; output:\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}
