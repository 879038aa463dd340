/**
 * kill -9 of `step-hrl run` on a real env leaves no env server and no simulator JVM behind
 * (issue 9 item 6): the env server it spawned watches its stdin pipe and exits, closing every
 * session's JVM, when the run dies. The processes are found by the run's process tree, captured
 * just before the kill.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../../src/server/ports';
import { BIN, cleanEnv, ensureBuilt, processesMentioning, ROOT, waitFor } from '../../support/cli-harness';

interface Proc {
  pid: number;
  ppid: number;
  cmdline: string;
}

function processes(): Proc[] {
  const out: Proc[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z') continue; // a zombie holds nothing
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim();
      out.push({ pid: Number(name), ppid: Number(ppid), cmdline });
    } catch {
      // exited while we looked
    }
  }
  return out;
}

function descendants(root: number): Proc[] {
  const all = processes();
  const found: Proc[] = [];
  let frontier = [root];
  while (frontier.length > 0) {
    const next = all.filter((p) => frontier.includes(p.ppid));
    found.push(...next);
    frontier = next.map((p) => p.pid);
  }
  return found;
}

describe('killing `run` on ScienceWorld', () => {
  let dataDir: string;
  let tree: Proc[] = [];

  beforeAll(() => {
    ensureBuilt();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'step-hrl-orphan-'));
  });
  afterAll(() => {
    const stillThere = (p: Proc) => processes().some((q) => q.pid === p.pid && q.cmdline === p.cmdline);
    for (const p of [...tree.filter(stillThere), ...processesMentioning(dataDir)]) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('leaves no env server and no JVM behind', async () => {
    const port = await freePort();
    const args = ['run', '--env', 'scienceworld', '--task', 'boil', '--llm', 'expert', '--max-steps', '40'];
    args.push('--data-dir', dataDir, '--port', String(port));
    const run = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: cleanEnv(),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => run.once('exit', (_code, sig) => resolve(sig)));
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no first step within 150 s; output:\n${output}`)), 150_000);
      run.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      run.stdout!.on('data', (d: Buffer) => {
        output += d.toString();
        if (/step +1 +> /.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      });
      run.once('exit', () => reject(new Error(`run exited before its first step; output:\n${output}`)));
    });

    tree = descendants(run.pid!);
    const envProcs = tree.filter((p) => p.cmdline.includes('step_hrl_envserver') || /\bjava\b/.test(p.cmdline));
    expect(envProcs.filter((p) => p.cmdline.includes('step_hrl_envserver'))).toHaveLength(1);
    expect(envProcs.filter((p) => /\bjava\b/.test(p.cmdline)).length).toBeGreaterThanOrEqual(1);

    process.kill(run.pid!, 'SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const left = (): string[] =>
      processes()
        .filter((p) => envProcs.some((e) => e.pid === p.pid && e.cmdline === p.cmdline))
        .map((p) => `${p.pid}: ${p.cmdline.slice(0, 160)}`);
    await waitFor(() => left().length === 0, 15_000);
    expect(left()).toEqual([]);
  }, 240_000);
});
