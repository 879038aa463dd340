/**
 * kill -9 of a running `step-hrl eval` on real ALFWorld games (its embedded Temporal server dies
 * with it), then the same command again: the eval finishes from where it stopped with every game
 * won, and no game is played twice. Counted by the env server, which lives on outside the killed
 * process: every game has exactly one reset plus one per recorded re-drive (a re-drive replays the
 * recorded actions into a fresh session; nothing is decided again).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readResults } from '../../src/eval/write';
import { freePort } from '../../src/server/ports';
import { useEnvServer } from '../envs/env-server-fixture';
import { BIN, cleanEnv, ensureBuilt, processesMentioning, ROOT, runCli } from '../foundation/cli-harness';

const server = useEnvServer();
const GAMES = 8;

let dataDir: string;
beforeAll(() => {
  ensureBuilt();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'step-hrl-eval-kill-'));
});
afterAll(() => {
  for (const p of processesMentioning(dataDir)) process.kill(p.pid, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

test('an eval killed with kill -9 midway finishes on the same command, no game played twice', async () => {
  const port = await freePort();
  const outDir = path.join(dataDir, 'out');
  const args = ['eval', '--env', 'alfworld', '--split', 'valid_seen', '--limit', String(GAMES), '--llm', 'expert'];
  args.push('--concurrency', '3', '--json', '--port', String(port), '--data-dir', dataDir, '--out', outDir);
  const env = cleanEnv({ STEP_HRL_ENV_URL: server.url });

  // 1. Run it in its own process group; SIGKILL the group a random moment after 2 games finished.
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
    const timer = setTimeout(() => reject(new Error(`2 games not done within 300 s; output:\n${output}`)), 300_000);
    first.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    first.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
      const done = [...output.matchAll(/"type":"eval-progress","done":(\d+)/g)].map((m) => Number(m[1]));
      if (done.length && Math.max(...done) >= 2) {
        clearTimeout(timer);
        doneAtKill = Math.max(...done);
        setTimeout(resolve, Math.random() * 1500);
      }
    });
    first.once('exit', () => reject(new Error(`eval exited before the kill; output:\n${output}`)));
  });
  process.kill(-first.pid!, 'SIGKILL');
  expect(await exited).toBe('SIGKILL');
  expect(doneAtKill).toBeLessThan(GAMES);

  // 2. The same command finishes it.
  const rerun = await runCli(args, env, 600_000);
  expect({ code: rerun.code, stderr: rerun.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
  expect(rerun.stdout).toMatch(/"type":"eval-started".*"state":"attached"/);
  const finished = rerun.stdout.split('\n').filter((l) => l.includes('"type":"eval-finished"'));
  expect(finished).toHaveLength(1);
  expect(JSON.parse(finished[0]!)).toMatchObject({ episodes: GAMES, total: GAMES, won: GAMES });

  // 3. Each game reset once, plus once per recorded re-drive.
  const { results } = await readResults(outDir);
  expect(results.outcomes.map((o) => o.index)).toEqual([...Array(GAMES).keys()]);
  const stats = (await (await fetch(`${server.url}/stats`)).json()) as {
    envs: { alfworld: { resets_by_task: Record<string, number> } };
  };
  const resets = stats.envs.alfworld.resets_by_task;
  const perGame = results.outcomes.map((o) => {
    const key = Object.keys(resets).find((k) => k.includes(o.spec.task));
    return { task: o.spec.task, resets: key ? resets[key] : 0, redrives: o.redrives ?? 0 };
  });
  expect(perGame.filter((g) => g.resets !== 1 + g.redrives)).toEqual([]);
  expect(Object.values(resets).reduce((a, b) => a + b, 0)).toBe(perGame.reduce((s, g) => s + g.resets, 0));
}, 900_000);
