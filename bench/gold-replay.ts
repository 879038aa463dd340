/**
 * Replays the simulator's gold path directly (no agent, no Temporal) for the ScienceWorld episodes
 * of an eval results file that ended below 100, and records the score the gold path itself reaches
 * with its final observation (the simulator's own reason). An agent that follows the gold path
 * faithfully must reach the same score. Writes bench/results/<name>.{json,md}.
 *
 *   npx ts-node bench/gold-replay.ts --results bench/results/eval-scienceworld-seen-step-hrl.results.json --name …
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startEnvServer } from '../src/envs/env-server';
import { ScienceWorldTextEnv } from '../src/envs/http-text-env';
import { readResults } from '../src/eval/write';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { results: { type: 'string', multiple: true }, name: { type: 'string' } } });
  if (!values.results?.length || !values.name)
    throw new Error('usage: --results <results.json> [--results …] --name <name>');
  const below = new Map<string, { task: string; variation: number; agents: Record<string, number> }>();
  for (const file of values.results) {
    const { results } = await readResults(file);
    for (const o of results.outcomes.filter((x) => x.spec.env === 'scienceworld' && x.score < 100)) {
      const key = `${o.spec.task}#${o.spec.variation}`;
      const row = below.get(key) ?? { task: o.spec.task, variation: o.spec.variation ?? 0, agents: {} };
      row.agents[results.agent] = o.score;
      below.set(key, row);
    }
  }
  const server = await startEnvServer();
  const rows = [];
  try {
    for (const b of below.values()) {
      const env = new ScienceWorldTextEnv({ url: server.url });
      try {
        const spec = { env: 'scienceworld' as const, task: b.task, variation: b.variation };
        const gold = await env.goldActions(spec);
        await env.reset(spec);
        let last = { score: 0, done: false, observation: { text: '' } } as Awaited<ReturnType<typeof env.step>>;
        let steps = 0;
        for (const action of gold) {
          last = await env.step(action);
          steps += 1;
          if (last.done) break;
        }
        rows.push({
          ...b,
          goldLength: gold.length,
          goldScore: last.score,
          stepsPlayed: steps,
          done: last.done,
          finalObservation: last.observation.text.trim().slice(0, 300),
        });
        console.log(rows.at(-1));
      } finally {
        await env.close();
      }
    }
  } finally {
    await server.stop();
  }
  const out = path.join(__dirname, 'results');
  writeFileSync(
    path.join(out, `${values.name}.json`),
    JSON.stringify({ date: new Date().toISOString(), rows }, null, 2) + '\n',
  );
  const md = [
    `# ScienceWorld episodes below 100 with the scripted expert, against the gold path replayed directly (${new Date().toISOString()})`,
    '',
    `\`npx ts-node bench/gold-replay.ts ${values.results.map((r) => `--results ${path.relative(path.join(__dirname, '..'), r)}`).join(' ')} --name ${values.name}\`; the env server's defaults (simplifications off, simulator env step limit 100).`,
    '',
    "| task | variation | agents' scores | gold path length | gold path replayed: score | steps until done | the simulator's last words |",
    '| --- | ---: | --- | ---: | ---: | ---: | --- |',
    ...rows.map(
      (r) =>
        `| ${r.task} | ${r.variation} | ${Object.entries(r.agents)
          .map(([a, s]) => `${a} ${s}`)
          .join(
            ', ',
          )} | ${r.goldLength} | ${r.goldScore} | ${r.stepsPlayed}${r.done ? '' : ' (not done)'} | ${r.finalObservation.replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`,
    ),
    '',
  ].join('\n');
  writeFileSync(path.join(out, `${values.name}.md`), md);
  console.log(md);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
