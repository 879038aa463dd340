/**
 * Statistics of a built dataset folder (`step-hrl label build` output, one rendering): rows per role
 * and split, and prompt size by step index. A step-level dataset holds one step of history per row,
 * so a prompt's size must not grow with the step it was taken at (compare the buckets' means).
 *
 *   npx ts-node --transpile-only bench/dataset-stats.ts <dataset dir> [--json <file>]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const BUCKETS = [0, 10, 20, 50, 100, Infinity];

interface Row {
  prompt: string;
  step_index: number;
}

function rowsOf(file: string): Row[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Row);
}

function main(): void {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: npx ts-node --transpile-only bench/dataset-stats.ts <dataset dir> [--json <file>]');
    process.exit(2);
  }
  const out: Record<string, unknown> = {};
  for (const role of ['high', 'low', 'progress']) {
    const rows = ['train', 'dev'].flatMap((split) => rowsOf(path.join(dir, `${role}.${split}.prompt.jsonl`)));
    const buckets = BUCKETS.slice(0, -1).map((from, i) => {
      const inBucket = rows.filter((r) => r.step_index >= from && r.step_index < BUCKETS[i + 1]!);
      const sizes = inBucket.map((r) => r.prompt.length);
      return {
        steps: `${from}-${BUCKETS[i + 1] === Infinity ? '' : BUCKETS[i + 1]! - 1}`,
        rows: inBucket.length,
        meanChars: sizes.length ? Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length) : 0,
        maxChars: sizes.length ? Math.max(...sizes) : 0,
      };
    });
    out[role] = { rows: rows.length, buckets };
    console.log(`${role}: ${rows.length} rows`);
    for (const b of buckets)
      console.log(`  steps ${b.steps}: ${b.rows} rows, mean ${b.meanChars} chars, max ${b.maxChars}`);
  }
  const jsonAt = process.argv.indexOf('--json');
  if (jsonAt > 0) writeFileSync(process.argv[jsonAt + 1]!, JSON.stringify(out, null, 2) + '\n');
}

main();
