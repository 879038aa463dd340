/**
 * Pins crash safety of the CLI demo: SIGKILLing `step-hrl run` midway (after its first step)
 * leaves no orphan process (neither the embedded Temporal server nor its watchdog, nor anything
 * in the run's process group) within a few seconds, and the same command then runs to completion
 * on the same data dir and port, leaving no server process and no lock file behind.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../../src/server/ports';
import {
  BIN,
  cleanEnv,
  ensureBuilt,
  listProcesses,
  processesMentioning,
  ROOT,
  runCli,
  waitFor,
} from '../../support/cli-harness';

describe('killing the CLI demo midway', () => {
  let dataDir: string;

  beforeAll(() => {
    ensureBuilt();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'step-hrl-kill-'));
  });
  afterAll(() => {
    for (const p of processesMentioning(dataDir)) process.kill(p.pid, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('leaves no orphan server or stale lock, and the next run succeeds', async () => {
    const port = await freePort();
    const dbFile = path.join(dataDir, 'temporal.sqlite');
    const lockFile = path.join(dataDir, 'temporal-server.lock.json');
    const args = ['run', '--llm', 'expert', '--env', 'builtin', '--task', 'boil-water'];
    args.push('--max-steps', '40', '--port', String(port), '--data-dir', dataDir);

    // 1. Start the demo in its own process group and SIGKILL it once it printed its first step.
    const demo = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: cleanEnv(),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => demo.once('exit', (_code, sig) => resolve(sig)));
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no first step within 45 s; output:\n${output}`)), 45_000);
      demo.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      demo.stdout!.on('data', (d: Buffer) => {
        output += d.toString();
        if (/step +1 +> /.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      });
      demo.once('exit', () => reject(new Error(`demo exited before its first step; output:\n${output}`)));
    });
    // The server was really running for this data dir when we killed the demo.
    expect(processesMentioning(dbFile).length).toBeGreaterThan(0);
    expect(existsSync(lockFile)).toBe(true);
    process.kill(demo.pid!, 'SIGKILL');
    expect(await exited).toBe('SIGKILL');

    // 2. Within a few seconds nothing of that run is left: no server/watchdog, no member of its group.
    const leftovers = (): string[] =>
      [...processesMentioning(dbFile), ...listProcesses().filter((p) => p.pgid === demo.pid)].map(
        (p) => `${p.pid}: ${p.cmdline}`,
      );
    await waitFor(() => leftovers().length === 0, 10_000);
    expect(leftovers()).toEqual([]);

    // 3. The same command runs to completion on the same data dir and port.
    const rerun = await runCli(args);
    expect({ code: rerun.code, stderr: rerun.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    expect(rerun.stdout).toMatch(/step +1 +> /);
    expect(rerun.stdout).toMatch(/│ episode .*│ status .*│/); // the summary table header
    expect(rerun.stdout).toMatch(/│ env-done +│ yes +│ 100 /);

    // 4. And it cleans up after itself: no server process, no lock file.
    await waitFor(() => processesMentioning(dbFile).length === 0, 5_000);
    expect(processesMentioning(dbFile).map((p) => p.cmdline)).toEqual([]);
    expect(existsSync(lockFile)).toBe(false);
  });
});
