/**
 * The evaluation plots: mean score by task and tokens per step by level (one eval), or both agents
 * side by side (two evals). Built as {@link BarFigure}s, rendered to SVG and PNG by `chart.ts`.
 */
import { BarFigure, SERIES_COLORS, barFigureSvg, svgToPng } from './chart';
import { MEAN_ROW_LABEL, ResultsTable, buildResultsTable } from './table';
import type { EvalResults } from '../episode/eval-types';

/** The bars of one eval: score by group (plus the split mean), tokens per step stacked by level. */
export function resultsFigure(results: EvalResults, table: ResultsTable = buildResultsTable(results)): BarFigure {
  const rows = [...table.rows, table.mean];
  return {
    title: `${results.agent} on ${results.selection}${results.model ? ` (${results.model})` : ''}`,
    subtitle: `${table.done}/${table.total} episodes, max ${results.maxSteps} steps, eval ${results.evalId}`,
    categories: rows.map((r) => r.group),
    boldCategories: [MEAN_ROW_LABEL],
    panels: [
      {
        title: 'Score by task',
        axisLabel: table.metric === 'success-rate' ? 'score (100 × success rate)' : 'mean of max(0, score)',
        series: [{ name: results.agent, color: SERIES_COLORS[0], values: rows.map((r) => r.score) }],
        max: 100,
      },
      {
        title: 'Tokens per step by level',
        axisLabel: 'prompt + completion tokens per env step',
        stacked: true,
        digits: 0,
        series: table.levels.map((level, i) => ({
          name: level,
          color: SERIES_COLORS[i % SERIES_COLORS.length],
          values: rows.map((r) => r.tokensPerStep[level] ?? 0),
        })),
      },
    ],
  };
}

/** The plot of one eval as PNG bytes. */
export function renderResultsPng(results: EvalResults, table?: ResultsTable): Buffer {
  return svgToPng(barFigureSvg(resultsFigure(results, table)));
}

/** Name of an eval in legends: its agent, and its id when both evals ran the same agent. */
export function evalLabel(results: EvalResults, other: EvalResults): string {
  return results.agent === other.agent ? `${results.agent} (${results.evalId})` : results.agent;
}

/**
 * Two evals side by side: score by group and tokens per step by group, one bar per eval. Groups
 * are the union, in the first eval's order then the second's; the split means come last.
 */
export function compareFigure(a: EvalResults, b: EvalResults): BarFigure {
  const ta = buildResultsTable(a);
  const tb = buildResultsTable(b);
  const groups = [...new Set([...ta.rows.map((r) => r.group), ...tb.rows.map((r) => r.group)])];
  const pick = (t: ResultsTable, value: (r: ResultsTable['mean']) => number) => [
    ...groups.map((g) => {
      const row = t.rows.find((r) => r.group === g);
      return row ? value(row) : NaN;
    }),
    value(t.mean),
  ];
  const names = [evalLabel(a, b), evalLabel(b, a)];
  return {
    title: `${names[0]} vs ${names[1]}`,
    subtitle: `${a.selection} / ${b.selection}`,
    categories: [...groups, MEAN_ROW_LABEL],
    boldCategories: [MEAN_ROW_LABEL],
    panels: [
      {
        title: 'Score by task',
        axisLabel: ta.metric === 'success-rate' ? 'score (100 × success rate)' : 'mean of max(0, score)',
        series: [
          { name: names[0], color: SERIES_COLORS[0], values: pick(ta, (r) => r.score) },
          { name: names[1], color: SERIES_COLORS[1], values: pick(tb, (r) => r.score) },
        ],
        max: 100,
      },
      {
        title: 'Tokens per step',
        axisLabel: 'prompt + completion tokens per env step',
        digits: 0,
        series: [
          { name: names[0], color: SERIES_COLORS[0], values: pick(ta, (r) => r.tokensPerStep.total) },
          { name: names[1], color: SERIES_COLORS[1], values: pick(tb, (r) => r.tokensPerStep.total) },
        ],
      },
    ],
  };
}

/** The comparison plot as PNG bytes. */
export function renderComparePng(a: EvalResults, b: EvalResults): Buffer {
  return svgToPng(barFigureSvg(compareFigure(a, b)));
}
