/**
 * Replays the simulator's gold path directly (no agent, no Temporal) for the ScienceWorld episodes
 * of an eval results file that ended below 100, and records the score the gold path itself reaches
 * with its final observation (the simulator's own reason), under the episode's own budgets: its
 * spec (options such as the simulator's `envStepLimit`) and the eval's step budget. An agent that
 * follows the gold path faithfully must reach the same score. Writes bench/results/<name>.{json,md}.
 *
 *   npx ts-node bench/gold-replay.ts --results bench/results/eval-scienceworld-seen-step-hrl.results.json --name …
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_EPISODE_CONFIG } from '../src/agent/config';
import { startEnvServer } from '../src/envs/env-server';
import { ScienceWorldTextEnv } from '../src/envs/http-text-env';
import type { EnvSpec } from '../src/envs/text-env';
import { readResults } from '../src/eval/write';

/** Why a gold path replay stopped. */
type EndedBy = 'step budget' | 'simulator done' | 'gold path complete';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { results: { type: 'string', multiple: true }, name: { type: 'string' } } });
  if (!values.results?.length || !values.name)
    throw new Error('usage: --results <results.json> [--results …] --name <name>');
  const below = new Map<
    string,
    { task: string; variation: number; spec: EnvSpec; maxSteps: number; agents: Record<string, number> }
  >();
  const budgets = new Set<string>();
  for (const file of values.results) {
    const { results } = await readResults(file);
    const maxSteps = results.maxSteps ?? DEFAULT_EPISODE_CONFIG.maxSteps; // unset: the episode default
    for (const o of results.outcomes.filter((x) => x.spec.env === 'scienceworld' && x.score < 100)) {
      const key = `${o.spec.task}#${o.spec.variation}`;
      const row = below.get(key) ?? {
        task: o.spec.task,
        variation: o.spec.variation ?? 0,
        spec: { ...o.spec, env: 'scienceworld' as const },
        maxSteps,
        agents: {},
      };
      row.agents[results.agent] = o.score;
      below.set(key, row);
      budgets.add(
        `${maxSteps} agent steps, simulator step limit ${o.spec.options?.envStepLimit ?? "100 (the server's default)"}`,
      );
    }
  }
  const server = await startEnvServer();
  const rows = [];
  try {
    for (const b of below.values()) {
      const env = new ScienceWorldTextEnv({ url: server.url });
      try {
        const gold = await env.goldActions(b.spec);
        await env.reset(b.spec);
        let last = { score: 0, done: false, observation: { text: '' } } as Awaited<ReturnType<typeof env.step>>;
        let steps = 0;
        for (const action of gold.slice(0, b.maxSteps)) {
          last = await env.step(action);
          steps += 1;
          if (last.done) break;
        }
        const endedBy: EndedBy = last.done
          ? 'simulator done'
          : steps === gold.length
            ? 'gold path complete'
            : 'step budget';
        const { spec: _spec, ...row } = b;
        rows.push({
          ...row,
          goldLength: gold.length,
          goldScore: last.score,
          stepsPlayed: steps,
          done: last.done,
          endedBy,
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
    JSON.stringify({ date: new Date().toISOString(), budgets: [...budgets], rows }, null, 2) + '\n',
  );
  const md = [
    `# ScienceWorld episodes below 100 with the scripted expert, against the gold path replayed directly (${new Date().toISOString()})`,
    '',
    `\`npx ts-node bench/gold-replay.ts ${values.results.map((r) => `--results ${path.relative(path.join(__dirname, '..'), r)}`).join(' ')} --name ${values.name}\`; simplifications off; budgets as in the eval: ${[...budgets].join('; ')}.`,
    '',
    `Gold paths replayed: ${rows.length}; the gold path's own score equals every agent's score on ${rows.filter((r) => Object.values(r.agents).every((s) => s === r.goldScore)).length} of them.`,
    '',
    "| task | variation | agents' scores | gold path length | gold path replayed: score | steps played | ended by | the simulator's last words |",
    '| --- | ---: | --- | ---: | ---: | ---: | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.task} | ${r.variation} | ${Object.entries(r.agents)
          .map(([a, s]) => `${a} ${s}`)
          .join(
            ', ',
          )} | ${r.goldLength} | ${r.goldScore} | ${r.stepsPlayed} | ${r.endedBy} | ${r.finalObservation.replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`,
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
