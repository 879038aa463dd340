/**
 * kill -9 of a running `step-hrl eval` on real ALFWorld games (its embedded Temporal server dies
 * with it), then the same command again: the eval finishes from where it stopped with every game
 * won, and no game is played twice. Counted by the env server, which lives on outside the killed
 * process: every game has one real reset plus at most one per recorded re-drive (a re-drive replays the
 * recorded actions into a fresh session; nothing is decided again; a retried reset is answered from
 * the keyed session and costs no second reset). (A second process of the same eval is no longer
 * refused: each polls its own env queue; tests/server/workflows/env-incarnations.test.ts.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readResults } from '../../../src/eval/write';
import { freePort } from '../../../src/server/ports';
import { useEnvServer } from '../../support/env-server-fixture';
import { cleanEnv, ensureBuilt, processesMentioning } from '../../support/cli-harness';
import { killAndRerunEval, resetsPerGame } from '../../support/eval-kill';

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

  // 1. SIGKILL the first's process group a random moment after 2 games finished; 2. the same command again.
  const { doneAtKill, rerun } = await killAndRerunEval(args, env, {
    killAfterDone: 2,
    firstRunTimeoutMs: 300_000,
    rerunTimeoutMs: 600_000,
  });
  expect(doneAtKill).toBeLessThan(GAMES);
  expect({ code: rerun.code, stderr: rerun.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
  expect(rerun.stdout).toMatch(/"type":"eval-started".*"state":"attached"/);
  const finished = rerun.stdout.split('\n').filter((l) => l.includes('"type":"eval-finished"'));
  expect(finished).toHaveLength(1);
  expect(JSON.parse(finished[0]!)).toMatchObject({ episodes: GAMES, total: GAMES, won: GAMES });

  // 4. No game played twice: a real reset only for the first play and per recorded re-drive. A
  // retried reset, or a re-drive before the game's first step, finds its keyed session untouched
  // and is answered from the store; every re-drive shows up as one or the other.
  const { results } = await readResults(outDir);
  expect(results.outcomes.map((o) => o.index)).toEqual([...Array(GAMES).keys()]);
  const perGame = await resetsPerGame(server.url, results.outcomes);
  expect(perGame.filter((g) => g.resets < 1 || g.resets > 1 + g.redrives)).toEqual([]);
  expect(perGame.filter((g) => g.resets + g.storedResets < 1 + g.redrives)).toEqual([]);
}, 900_000);
