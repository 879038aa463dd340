/**
 * A latency model of one GPU serving a 7B model with static batches, from a measured table
 * (`h200-7b-hf-generate.jsonl` in the shared data folder beside the repository: one line per
 * `{prompt, new, batch, s}` cell, the wall time of one Hugging Face `generate` call). The table is
 * read at run time, never copied into the repository.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** One measured cell: a batch of `batch` calls with `prompt` prompt tokens and `new` new tokens took `s` seconds. */
export interface GpuCostCell {
  prompt: number;
  new: number;
  batch: number;
  s: number;
}

/** Where the measured table lives: the shared data folder beside the repository root. */
export const DEFAULT_GPU_COST_TABLE = path.resolve(
  __dirname,
  '..',
  '..',
  '..',
  'shared',
  'data',
  'gpu-cost',
  'h200-7b-hf-generate.jsonl',
);

/** Reads the table. @throws naming the file and how to get it when it is missing or malformed. */
export function readGpuCostTable(file = DEFAULT_GPU_COST_TABLE): GpuCostCell[] {
  if (!existsSync(file)) {
    throw new Error(
      `GPU cost table not found at ${file}: the simulated batching endpoint needs the measured table ` +
        '(shared/data/gpu-cost/h200-7b-hf-generate.jsonl in the shared folder beside the repository); ' +
        'put the shared folder there or pass --gpu-table <file>',
    );
  }
  const cells = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line, i) => {
      const c = JSON.parse(line) as Partial<GpuCostCell>;
      for (const key of ['prompt', 'new', 'batch', 's'] as const) {
        if (typeof c[key] !== 'number' || !(c[key] > 0)) {
          throw new Error(`${file} line ${i + 1}: '${key}' must be a positive number, got ${JSON.stringify(c[key])}`);
        }
      }
      return c as GpuCostCell;
    });
  if (cells.length === 0) throw new Error(`${file} has no cells`);
  return cells;
}

/**
 * Piecewise-linear interpolation through points sorted by x: below the first point the first
 * value (clamped); above the last, linear extrapolation from the last two points (or the last
 * value when there is only one).
 */
export function interpolate(points: readonly (readonly [number, number])[], x: number): number {
  if (points.length === 0) throw new Error('interpolate: no points');
  if (x <= points[0]![0] || points.length === 1) return points[0]![1];
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = points[i - 1]!;
    const [x1, y1] = points[i]!;
    if (x <= x1 || i === points.length - 1) return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
  }
  return points.at(-1)![1];
}

/** The batch-time model `s(p, n, b)` over a measured table. */
export class GpuCostModel {
  /** (prompt → new → [batch, s] sorted by batch) */
  private readonly grid = new Map<number, Map<number, [number, number][]>>();

  constructor(readonly cells: readonly GpuCostCell[]) {
    for (const c of cells) {
      const byNew = this.grid.get(c.prompt) ?? new Map<number, [number, number][]>();
      this.grid.set(c.prompt, byNew);
      const row = byNew.get(c.new) ?? [];
      byNew.set(c.new, row);
      row.push([c.batch, c.s]);
    }
    for (const byNew of this.grid.values()) for (const row of byNew.values()) row.sort((a, b) => a[0] - b[0]);
  }

  /**
   * Seconds one batch of `batch` calls takes, with `prompt` prompt tokens (the batch's longest,
   * as HF pads) and `newTokens` new tokens (the batch's longest, as it decodes until all finish).
   * Linear in the batch size between measured sizes (beyond a row's largest, the same time per
   * call), linear in new tokens (decode steps) and in prompt length (prefill); below the
   * smallest measured value of any axis the smallest is used, beyond the largest it extrapolates.
   */
  seconds(prompt: number, newTokens: number, batch: number): number {
    const byPrompt = [...this.grid.entries()].sort((a, b) => a[0] - b[0]);
    const atPrompt = byPrompt.map(([p, byNew]): [number, number] => {
      const atNew = [...byNew.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([n, row]): [number, number] => [n, batchSeconds(row, batch)]);
      return [p, interpolate(atNew, newTokens)];
    });
    return Math.max(0.001, interpolate(atPrompt, prompt));
  }
}

/** A row's time for `batch` calls: interpolated between measured sizes, per-call beyond the largest. */
function batchSeconds(row: readonly [number, number][], batch: number): number {
  const [largest, s] = row.at(-1)!;
  if (batch > largest) return (s * batch) / largest;
  return interpolate(row, batch);
}
