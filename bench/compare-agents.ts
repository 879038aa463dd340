/**
 * Two evals' result files side by side on the episodes both played (e.g. STEP-HRL on a whole
 * preset and ReAct on the first variations of each task): per task both agents' score and
 * tokens per step, the ratio, and every episode whose final score differs. Writes
 * bench/results/<name>.{md,json,png} (via `eval compare`'s writer).
 *
 *   npx ts-node bench/compare-agents.ts --a <results.json> --b <results.json> --name compare-scienceworld-seen
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { compareEvals, renderCompareMarkdown } from '../src/eval/compare';
import type { EvalResults, EpisodeOutcome } from '../src/episode/eval-types';
import { readResults, writeComparison } from '../src/eval/write';

const key = (o: EpisodeOutcome): string =>
  `${o.spec.env}|${o.spec.task}|${o.spec.variation ?? 0}|${o.spec.split ?? ''}`;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { a: { type: 'string' }, b: { type: 'string' }, name: { type: 'string' } } });
  if (!values.a || !values.b || !values.name)
    throw new Error('usage: --a <results.json> --b <results.json> --name <name>');
  const [a, b] = [(await readResults(values.a)).results, (await readResults(values.b)).results];
  const common = new Set(a.outcomes.map(key).filter((k) => b.outcomes.some((o) => key(o) === k)));
  const only = (r: EvalResults): EvalResults => {
    const outcomes = r.outcomes.filter((o) => common.has(key(o)));
    return { ...r, total: outcomes.length, outcomes };
  };
  const [sa, sb] = [only(a), only(b)];
  const scoreOf = new Map(sb.outcomes.map((o) => [key(o), o.score]));
  const differ = sa.outcomes
    .filter((o) => scoreOf.get(key(o)) !== o.score)
    .map((o) => ({
      task: o.spec.task,
      variation: o.spec.variation,
      [a.agent]: o.score,
      [b.agent]: scoreOf.get(key(o)),
    }));
  const dir = path.join(__dirname, 'results');
  const tmp = path.join(dir, `.${values.name}`);
  mkdirSync(tmp, { recursive: true });
  await writeComparison(sa, sb, tmp);
  renameSync(path.join(tmp, 'compare.png'), path.join(dir, `${values.name}.png`));
  renameSync(path.join(tmp, 'compare.json'), path.join(dir, `${values.name}.json`));
  const md = [
    `# ${a.agent} vs ${b.agent} on the ${common.size} episodes both played (${new Date().toISOString()})`,
    '',
    `\`npx ts-node bench/compare-agents.ts --a ${path.basename(values.a)} --b ${path.basename(values.b)} --name ${values.name}\` (files in bench/results).`,
    '',
    `Episodes whose final score differs between the agents: ${differ.length ? '' : 'none'}`,
    ...differ.map((d) => `- ${JSON.stringify(d)}`),
    '',
    renderCompareMarkdown(compareEvals(sa, sb)),
  ].join('\n');
  writeFileSync(path.join(dir, `${values.name}.md`), md);
  rmSync(tmp, { recursive: true, force: true }); // its compare.md is replaced by the md above
  console.log(md);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
