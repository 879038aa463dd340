/**
 * Env step latency and reset time through the TS client, per environment.
 * Writes bench/results/env-latency.json and bench/results/env-latency.md.
 * Run: npx ts-node bench/env-latency.ts [--episodes N] (default 6 per env)
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { connectEnvServer, getEnvVersions } from '../src/envs/env-server';
import { getExpertActions, listAlfWorldGames } from '../src/envs/expert';
import { createHttpTextEnv } from '../src/envs/http-text-env';
import { EnvSpec } from '../src/envs/text-env';

interface Stats {
  n: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
  return {
    n: s.length,
    meanMs: s.reduce((a, b) => a + b, 0) / Math.max(1, s.length),
    p50Ms: q(0.5),
    p95Ms: q(0.95),
    maxMs: s[s.length - 1] ?? 0,
  };
}

/** Up to `n` games, taking task types in turn (the sorted list starts with 20+ short look_at games). */
function spreadOverTaskTypes<T extends { taskType: string }>(games: T[], n: number): T[] {
  const byType = new Map<string, T[]>();
  for (const g of games) byType.set(g.taskType, [...(byType.get(g.taskType) ?? []), g]);
  const picked: T[] = [];
  for (let i = 0; picked.length < n && i < games.length; i++)
    for (const list of byType.values()) if (picked.length < n && list[i]) picked.push(list[i]);
  return picked;
}

async function measure(
  url: string,
  specs: EnvSpec[],
  validActions = false,
): Promise<{ reset: Stats; step: Stats; episodes: number; solved: number }> {
  const env = createHttpTextEnv(specs[0]!.env as 'scienceworld' | 'alfworld', { url });
  if (validActions) specs = specs.map((spec) => ({ ...spec, options: { ...spec.options, validActions: true } }));
  const resets: number[] = [];
  const steps: number[] = [];
  let solved = 0;
  try {
    await env.reset(specs[0]!); // warm-up: session creation (JVM start) is not a reset
    for (const spec of specs) {
      const actions = await getExpertActions(url, spec);
      let t = performance.now();
      await env.reset(spec);
      resets.push(performance.now() - t);
      let won = false;
      for (const a of actions) {
        t = performance.now();
        won = (await env.step(a)).won;
        steps.push(performance.now() - t);
      }
      if (won) solved += 1; // the expert must win, or the timings are of a broken run
    }
  } finally {
    await env.close();
  }
  return { reset: stats(resets), step: stats(steps), episodes: specs.length, solved };
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--episodes');
  const episodes = i > 0 ? Number(process.argv[i + 1]) : 6; // 6 = every ALFWorld task type once
  const server = await connectEnvServer();
  try {
    const sci: EnvSpec[] = ['find-plant', 'boil', 'melt', 'grow-plant', 'chemistry-mix', 'test-conductivity']
      .slice(0, episodes)
      .map((task) => ({ env: 'scienceworld', task, variation: 0 }));
    const alf: EnvSpec[] = spreadOverTaskTypes(await listAlfWorldGames(server.url, 'valid_seen'), episodes).map(
      (g) => ({ env: 'alfworld', task: g.task, split: g.split }),
    );
    const load = (): number => Number(os.loadavg()[0].toFixed(2));
    const machine = { cores: os.cpus().length, node: process.version, loadBefore: load(), loadAfter: 0 };
    const results = {
      date: new Date().toISOString(),
      machine,
      versions: await getEnvVersions(server.url),
      note: 'reset = load episode in an existing session; step = one action, HTTP round trip included',
      scienceworld: await measure(server.url, sci),
      // The baseline, in the same run: every step lists the valid actions, as every ScienceWorld step
      // did before the env server enumerated them only when asked.
      scienceworldListingValidActions: await measure(server.url, sci, true),
      alfworld: await measure(server.url, alf),
    };
    machine.loadAfter = load();
    for (const env of ['scienceworld', 'scienceworldListingValidActions', 'alfworld'] as const) {
      const r = results[env];
      if (r.solved !== r.episodes) throw new Error(`${env}: the expert solved ${r.solved} of ${r.episodes} episodes`);
    }
    const dir = path.join(__dirname, 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'env-latency.json'), JSON.stringify(results, null, 2) + '\n');
    const row = (env: string, what: string, s: Stats): string =>
      `| ${env} | ${what} | ${s.n} | ${s.meanMs.toFixed(1)} | ${s.p50Ms.toFixed(1)} | ${s.p95Ms.toFixed(1)} | ${s.maxMs.toFixed(1)} |`;
    const md = [
      `# Env latency through the TS client (${results.date})`,
      '',
      `scienceworld ${results.versions.scienceworld}, alfworld ${results.versions.alfworld}, textworld ${results.versions.textworld}`,
      '',
      `${machine.cores} cores, Node ${machine.node}; 1-min load average ${machine.loadBefore} before, ${machine.loadAfter} after (the cores are shared with other work).`,
      `Episodes: ScienceWorld ${sci.map((s) => `${s.task}/${s.variation}`).join(', ')}; ALFWorld valid_seen, one game per task type in turn (${alf.length}). Every episode plays the expert actions and is won.`,
      '',
      '| env | op | n | mean ms | p50 ms | p95 ms | max ms |',
      '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
      row('scienceworld', 'reset', results.scienceworld.reset),
      row('scienceworld', 'step', results.scienceworld.step),
      row('scienceworld', 'reset, listing valid actions', results.scienceworldListingValidActions.reset),
      row('scienceworld', 'step, listing valid actions', results.scienceworldListingValidActions.step),
      row('alfworld', 'reset', results.alfworld.reset),
      row('alfworld', 'step', results.alfworld.step),
      '',
      `ScienceWorld lists the valid actions only when a request asks (\`valid_actions\`); the rows "listing valid actions" ask on every call, which is what every step cost before (the simulator enumerated them each step): a step is ${(results.scienceworldListingValidActions.step.p50Ms / results.scienceworld.step.p50Ms).toFixed(1)}x faster at the median without them, in the same run.`,
      '',
    ].join('\n');
    writeFileSync(path.join(dir, 'env-latency.md'), md);
    console.log(md);
  } finally {
    await server.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
