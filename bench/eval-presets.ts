/**
 * The paper's presets played end to end by the real CLI (`step-hrl eval --preset … --llm expert`),
 * optionally killed with kill -9 midway and resumed by the same command. The env server runs
 * outside the eval (so its `/stats` counts resets across the kill): every ALFWorld game must have
 * exactly one reset plus one per recorded re-drive. Writes
 * bench/results/eval-<preset>-<agent>.{json,md} with the results table.
 *
 *   npx ts-node bench/eval-presets.ts --preset alfworld-seen [--agent react] [--kill-after 40]
 *     [--concurrency 8] [--max-steps N] [--per-task N]
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startEnvServer } from '../src/envs/env-server';
import { buildResultsTable } from '../src/eval/table';
import { readResults } from '../src/eval/write';
import { freePort } from '../src/server/ports';
import { cleanEnv, ensureBuilt, processesMentioning, runCli } from '../tests/support/cli-harness';
import { killAndRerunEval, resetsPerGame } from '../tests/support/eval-kill';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      preset: { type: 'string' },
      agent: { type: 'string', default: 'step-hrl' },
      'kill-after': { type: 'string', default: '0' },
      concurrency: { type: 'string', default: '8' },
      'max-steps': { type: 'string' },
      'per-task': { type: 'string' },
    },
  });
  if (!values.preset) throw new Error('--preset is required (e.g. alfworld-seen)');
  ensureBuilt();
  const killAfter = Number(values['kill-after']);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'step-hrl-bench-eval-'));
  const envServer = await startEnvServer();
  const t0 = Date.now();
  try {
    const outDir = path.join(dataDir, 'out');
    const args = ['eval', '--preset', values.preset, '--agent', values.agent!, '--llm', 'expert'];
    args.push('--concurrency', values.concurrency!, '--json', '--port', String(await freePort()));
    args.push('--data-dir', dataDir, '--out', outDir);
    if (values['max-steps']) args.push('--max-steps', values['max-steps']);
    if (values['per-task']) args.push('--per-task', values['per-task']);
    const env = cleanEnv({ STEP_HRL_ENV_URL: envServer.url });
    let doneAtKill: number | undefined;
    let run;
    if (killAfter > 0) {
      const killed = await killAndRerunEval(args, env, {
        killAfterDone: killAfter,
        firstRunTimeoutMs: 3 * 3600_000,
        rerunTimeoutMs: 3 * 3600_000,
      });
      doneAtKill = killed.doneAtKill;
      run = killed.rerun;
    } else {
      run = await runCli(args, env, 3 * 3600_000);
    }
    if (run.code !== 0) throw new Error(`eval failed (exit ${run.code}):\n${run.stderr.slice(-4000)}`);
    const { results } = await readResults(outDir);
    const table = buildResultsTable(results);
    const perGame = values.preset.startsWith('alfworld') ? await resetsPerGame(envServer.url, results.outcomes) : [];
    const notOnce = perGame.filter((g) => g.resets < 1 || g.resets > 1 + g.redrives);
    const stats = (await (await fetch(`${envServer.url}/stats`)).json()) as Record<string, unknown>;
    const belowFull = results.outcomes
      .filter((o) => (results.env === 'alfworld' ? !o.won : o.score < 100))
      .map((o) => ({
        task: o.spec.task,
        variation: o.spec.variation,
        score: o.score,
        steps: o.steps,
        status: o.status,
        error: o.error,
      }));
    const summary = {
      date: new Date().toISOString(),
      machine: { cores: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
      command: `step-hrl ${args.filter((a) => !a.startsWith('/')).join(' ')}`,
      preset: values.preset,
      agent: values.agent,
      episodes: results.outcomes.length,
      total: results.total,
      won: results.outcomes.filter((o) => o.won).length,
      metric: table.mean.score,
      killedAfterDone: doneAtKill ?? null,
      redrives: results.outcomes.reduce((s, o) => s + (o.redrives ?? 0), 0),
      gamesNotResetExactlyOncePlusRedrives: notOnce,
      belowFullScore: belowFull,
      envServerStats: { ...stats, envs: undefined },
      wallSeconds: Math.round((Date.now() - t0) / 1000),
    };
    const name =
      `eval-${values.preset}-${values.agent}` + (values['per-task'] ? `-per-task-${values['per-task']}` : '');
    const resultsDir = path.join(__dirname, 'results');
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(path.join(resultsDir, `${name}.json`), JSON.stringify({ ...summary, table }, null, 2) + '\n');
    // The eval's own results file (every outcome), for `bench/compare-agents.ts`.
    writeFileSync(path.join(resultsDir, `${name}.results.json`), readFileSync(path.join(outDir, 'results.json')));
    const md = [
      `# ${values.preset}, agent ${values.agent}, scripted expert (${summary.date})`,
      '',
      `${summary.machine.cores} cores, ${summary.machine.memGiB} GiB, Node ${summary.machine.node}; wall ${summary.wallSeconds} s.`,
      `\`npx ts-node bench/eval-presets.ts --preset ${values.preset} --agent ${values.agent}` +
        (killAfter ? ` --kill-after ${killAfter}` : '') +
        (values['max-steps'] ? ` --max-steps ${values['max-steps']}` : '') +
        (values['per-task'] ? ` --per-task ${values['per-task']}` : '') +
        '` reproduces it.',
      '',
      `- episodes: ${summary.episodes}/${summary.total}, won ${summary.won}, paper metric ${summary.metric.toFixed(2)}`,
      killAfter
        ? `- killed with kill -9 (process group: CLI, worker, embedded Temporal) after ${doneAtKill} episodes, then the same command finished it; re-drives: ${summary.redrives}`
        : '- not killed',
      perGame.length
        ? `- env resets per game: ${perGame.length - notOnce.length}/${perGame.length} games with one real reset plus at most one per recorded re-drive` +
          (notOnce.length ? `; NOT: ${JSON.stringify(notOnce)}` : '')
        : '- (resets per game not checked: ScienceWorld variations share a task name)',
      `- below full score: ${belowFull.length ? '' : 'none'}`,
      ...belowFull.map(
        (b) =>
          `  - ${b.task} v${b.variation ?? 0}: score ${b.score}, ${b.steps} steps, ${b.status}${b.error ? ` (${b.error})` : ''}`,
      ),
      '',
      readFileSync(path.join(outDir, 'results.md'), 'utf8'),
    ].join('\n');
    writeFileSync(path.join(resultsDir, `${name}.md`), md);
    console.log(md);
  } finally {
    await envServer.stop();
    for (const p of processesMentioning(dataDir)) process.kill(p.pid, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
