/**
 * Two evaluations side by side (e.g. step-hrl vs react on the same split): per group both evals'
 * score, success, mean steps and tokens per step, and the ratio of tokens per step. Pure.
 */
import Table from 'cli-table3';
import { evalLabel } from './plot';
import { fixed, markdownCell, markdownTable, metricDescription } from './render';
import { MEAN_ROW_LABEL, ResultsRow, ResultsTable, buildResultsTable } from './table';
import type { EvalResults } from '../episode/eval-types';

/** One group of the comparison; `a`/`b` absent when that eval has no episode of the group. */
export interface CompareRow {
  group: string;
  a?: ResultsRow;
  b?: ResultsRow;
  /** B's tokens per step ÷ A's; null when either is missing or A's is 0. */
  tokensPerStepRatio: number | null;
}

/** The comparison of eval A with eval B. */
export interface Comparison {
  a: { evalId: string; agent: EvalResults['agent']; label: string; table: ResultsTable };
  b: { evalId: string; agent: EvalResults['agent']; label: string; table: ResultsTable };
  /** Groups in A's order, then B's own; the split means last. */
  rows: CompareRow[];
  mean: CompareRow;
  /** Why the two may not be comparable (different env, selection, split or step budget; incomplete). */
  warnings: string[];
}

/** The ratio B/A of two values; null when A is 0 or either is missing. */
export function ratio(a: number | undefined, b: number | undefined): number | null {
  if (a === undefined || b === undefined || a === 0) return null;
  return b / a;
}

/** Compares two evaluations. */
export function compareEvals(a: EvalResults, b: EvalResults): Comparison {
  const ta = buildResultsTable(a);
  const tb = buildResultsTable(b);
  const groups = [...new Set([...ta.rows.map((r) => r.group), ...tb.rows.map((r) => r.group)])];
  const row = (group: string, ra?: ResultsRow, rb?: ResultsRow): CompareRow => ({
    group,
    a: ra,
    b: rb,
    tokensPerStepRatio: ratio(ra?.tokensPerStep.total, rb?.tokensPerStep.total),
  });
  const warnings: string[] = [];
  if (a.env !== b.env) warnings.push(`different envs: ${a.env} vs ${b.env}`);
  if (a.selection !== b.selection) warnings.push(`different selections: ${a.selection} vs ${b.selection}`);
  if ((a.split ?? '') !== (b.split ?? '')) warnings.push(`different splits: ${a.split ?? '-'} vs ${b.split ?? '-'}`);
  if (a.maxSteps !== b.maxSteps) warnings.push(`different step budgets: ${a.maxSteps} vs ${b.maxSteps}`);
  for (const [name, t] of [
    ['A', ta],
    ['B', tb],
  ] as const) {
    if (!t.complete) warnings.push(`${name} is incomplete: ${t.done}/${t.total} episodes`);
  }
  return {
    a: { evalId: a.evalId, agent: a.agent, label: evalLabel(a, b), table: ta },
    b: { evalId: b.evalId, agent: b.agent, label: evalLabel(b, a), table: tb },
    rows: groups.map((g) =>
      row(
        g,
        ta.rows.find((r) => r.group === g),
        tb.rows.find((r) => r.group === g),
      ),
    ),
    mean: row(MEAN_ROW_LABEL, ta.mean, tb.mean),
    warnings,
  };
}

const HEAD = ['Task', 'Eps A/B', 'Score A', 'Score B', 'Won% A', 'Won% B', 'Steps A', 'Steps B', 'Tok/step A', 'Tok/step B', 'B/A tok/step']; // prettier-ignore
/** Shorter column names for the terminal, where width is scarce. */
const TERMINAL_HEAD = ['Task', 'Eps', 'Score A', 'Score B', 'Won% A', 'Won% B', 'Steps A', 'Steps B', 'T/step A', 'T/step B', 'B/A']; // prettier-ignore

function cells(r: CompareRow, group = r.group): string[] {
  const opt = (row: ResultsRow | undefined, pick: (x: ResultsRow) => number, digits = 1) =>
    row ? fixed(pick(row), digits) : '-';
  return [
    group,
    `${r.a?.episodes ?? 0}/${r.b?.episodes ?? 0}`,
    opt(r.a, (x) => x.score),
    opt(r.b, (x) => x.score),
    opt(r.a, (x) => 100 * x.successRate),
    opt(r.b, (x) => 100 * x.successRate),
    opt(r.a, (x) => x.meanSteps),
    opt(r.b, (x) => x.meanSteps),
    opt(r.a, (x) => x.tokensPerStep.total, 0),
    opt(r.b, (x) => x.tokensPerStep.total, 0),
    r.tokensPerStepRatio === null ? '-' : `${fixed(r.tokensPerStepRatio, 2)}×`,
  ];
}

/** Lines naming A and B, the metric, and any warnings. */
export function compareCaption(c: Comparison): string[] {
  return [
    `A = ${c.a.label} (eval ${c.a.evalId}), B = ${c.b.label} (eval ${c.b.evalId}); ${metricDescription(c.a.table.metric)}; B/A = B's tokens per step ÷ A's.`,
    ...c.warnings.map((w) => `Warning: ${w}.`),
  ];
}

/** The comparison as markdown: caption lines, then the table with the split mean in bold. */
export function renderCompareMarkdown(c: Comparison): string {
  const rows = [...c.rows.map((r) => cells(r, markdownCell(r.group))), cells(c.mean, `**${MEAN_ROW_LABEL}**`)];
  return [...compareCaption(c).map((l) => `${l}  `), '', markdownTable(HEAD, rows), ''].join('\n');
}

/** The comparison for the terminal: caption lines and a compact table (no row separators). */
export function renderCompareTerminal(c: Comparison): string {
  const t = new Table({
    head: TERMINAL_HEAD,
    style: { head: [], border: [], compact: true },
    colAligns: TERMINAL_HEAD.map((_, i) => (i === 0 ? 'left' : 'right')),
  });
  t.push(...c.rows.map((r) => cells(r)), cells(c.mean));
  return [...compareCaption(c), t.toString()].join('\n');
}
