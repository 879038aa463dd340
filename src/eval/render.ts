/**
 * Renders an evaluation's results table as CSV (RFC 4180), markdown with a caption, and a compact
 * terminal table (`eval show`). Pure: returns strings.
 */
import Table from 'cli-table3';
import { LevelMeans, MACRO_MEAN_LABEL, PaperMetric, ResultsRow, ResultsTable, buildResultsTable } from './table';
import type { EvalResults, TokenLevel } from '../episode/eval-types';
import { hostShares } from './hosts';

/** One CSV field, quoted per RFC 4180 when it holds a comma, a quote or a line break. */
export function csvField(value: string | number): string {
  const s = typeof value === 'number' ? csvNumber(value) : value;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Joins records into an RFC 4180 document (CRLF line ends, one after the last record too). */
export function csvDocument(records: readonly (readonly (string | number)[])[]): string {
  return records.map((rec) => rec.map(csvField).join(',') + '\r\n').join('');
}

function csvNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 10000) / 10000);
}

/** Column names of the results CSV for a table's levels. */
export function resultsCsvHeader(levels: readonly TokenLevel[]): string[] {
  return [
    'group',
    'episodes',
    'won',
    'success_rate',
    'score',
    'mean_steps',
    ...levels.flatMap((l) => [`${l}_calls`, `${l}_prompt_tokens`, `${l}_completion_tokens`]),
    'mean_tokens',
    'tokens_per_step',
    ...levels.map((l) => `${l}_tokens_per_step`),
    'spent_tokens',
    'failed',
    'errored',
  ];
}

function csvRecord(row: ResultsRow, levels: readonly TokenLevel[]): (string | number)[] {
  const zero: LevelMeans = { calls: 0, prompt: 0, completion: 0 };
  return [
    row.group,
    row.episodes,
    row.won,
    row.successRate,
    row.score,
    row.meanSteps,
    ...levels.flatMap((l) => {
      const t = row.tokens[l] ?? zero;
      return [t.calls, t.prompt, t.completion];
    }),
    row.meanTokens,
    row.tokensPerStep.total,
    ...levels.map((l) => row.tokensPerStep[l] ?? 0),
    row.spentTokens,
    row.failed,
    row.errored,
  ];
}

/** The results CSV: a header, one record per group, then the split-mean record (all episodes). */
export function renderResultsCsv(table: ResultsTable): string {
  return csvDocument([
    resultsCsvHeader(table.levels),
    ...table.rows.map((row) => csvRecord(row, table.levels)),
    csvRecord(table.mean, table.levels),
  ]);
}

/** How the score column is computed, for captions. */
export function metricDescription(metric: PaperMetric): string {
  return metric === 'success-rate' ? 'score = 100 × success rate' : 'score = mean of max(0, final score), 0..100';
}

/** One line describing the evaluation: agent, model, selection, split, episodes, max steps. */
export function resultsCaption(results: EvalResults, table: ResultsTable = buildResultsTable(results)): string {
  const parts = [
    `agent ${results.agent}`,
    `model ${results.model ?? 'unknown'}`,
    `selection ${results.selection}`,
    `env ${results.env}`,
    ...(results.split ? [`split ${results.split}`] : []),
    `episodes ${table.done}/${table.total}${table.complete ? '' : ' (in progress or incomplete)'}`,
    `max steps ${results.maxSteps}`,
  ];
  return `Evaluation ${results.evalId}: ${parts.join(', ')}; ${metricDescription(table.metric)}.`;
}

/** Markdown-safe cell text (pipes escaped, line breaks flattened). */
export function markdownCell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** Fixed-point number text. */
export function fixed(v: number, digits = 1): string {
  return v.toFixed(digits);
}

/** Integer text with thousands separators (en-US, deterministic). */
export function count(v: number): string {
  return Math.round(v).toLocaleString('en-US');
}

/** Markdown header and alignment of the results table. */
function markdownHeader(levels: readonly TokenLevel[]): string[] {
  return [
    'Task',
    'Episodes',
    'Success %',
    'Score',
    'Steps',
    ...levels.flatMap((l) => [`${l} prompt`, `${l} completion`]),
    'Tokens/step',
    ...(levels.length > 1 ? levels.map((l) => `${l} tok/step`) : []),
    'Failed/errored',
  ];
}

function markdownRow(row: ResultsRow, levels: readonly TokenLevel[], bold = false): string[] {
  const b = (s: string) => (bold ? `**${s}**` : s);
  return [
    b(markdownCell(row.group)),
    String(row.episodes),
    fixed(100 * row.successRate),
    b(fixed(row.score)),
    fixed(row.meanSteps),
    ...levels.flatMap((l) => [count(row.tokens[l]?.prompt ?? 0), count(row.tokens[l]?.completion ?? 0)]),
    fixed(row.tokensPerStep.total),
    ...(levels.length > 1 ? levels.map((l) => fixed(row.tokensPerStep[l] ?? 0)) : []),
    `${row.failed}/${row.errored}`,
  ];
}

/** Renders rows of cells as a markdown (GFM) table; the first column left-aligned, the rest right. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  const align = header.map((_, i) => (i === 0 ? ':---' : '---:'));
  return [line(header), line(align), ...rows.map(line)].join('\n');
}

/**
 * The results as markdown: a caption, the table (one row per group, the split mean over all
 * episodes in bold, then the per-task macro mean), and a note on the columns.
 */
export function renderResultsMarkdown(results: EvalResults, table: ResultsTable = buildResultsTable(results)): string {
  const header = markdownHeader(table.levels);
  const macro = table.macroMean;
  const macroRow = header.map(() => '');
  macroRow[0] = `_${MACRO_MEAN_LABEL}_`;
  macroRow[1] = `${macro.groups} tasks`;
  macroRow[2] = fixed(100 * macro.successRate);
  macroRow[3] = fixed(macro.score);
  macroRow[4] = fixed(macro.meanSteps);
  macroRow[5 + 2 * table.levels.length] = fixed(macro.tokensPerStep);
  const rows = [
    ...table.rows.map((r) => markdownRow(r, table.levels)),
    markdownRow(table.mean, table.levels, true),
    macroRow,
  ];
  return [
    `**Table.** ${resultsCaption(results, table)}`,
    '',
    markdownTable(header, rows),
    '',
    'Prompt and completion: mean tokens per episode per level (cache hits included). ' +
      'Tokens/step: prompt + completion tokens per env step. ' +
      'Failed/errored: episodes whose workflow failed / that ended on an env or LLM error or a cancel; they count as lost.',
    '',
    ...byHost(results),
  ].join('\n');
}

/** The "by host" section of the markdown, when several hosts served the eval. */
function byHost(results: EvalResults): string[] {
  const shares = hostShares(results.outcomes);
  if (shares.length < 2) return [];
  const rows = shares.map((s) => [markdownCell(s.host), String(s.episodes), String(s.redrives)]);
  return [
    "**By host.** Where each episode's env session was opened, and the re-drives each host took over.",
    '',
    markdownTable(['Host', 'Episodes', 'Re-drives taken over'], rows),
    '',
  ];
}

/** Header and cells of the compact terminal table (for `Output.table` or {@link renderResultsTerminal}). */
export function terminalTableData(table: ResultsTable): { head: string[]; rows: string[][] } {
  const perLevel = table.levels.length > 1 ? table.levels : [];
  const head = ['Task', 'Eps', 'Won%', 'Score', 'Steps', 'Tok/step', ...perLevel.map(shortLevel), 'Err'];
  const cells = (r: ResultsRow) => [
    r.group,
    String(r.episodes),
    fixed(100 * r.successRate),
    fixed(r.score),
    fixed(r.meanSteps),
    fixed(r.tokensPerStep.total, 0),
    ...perLevel.map((l) => fixed(r.tokensPerStep[l] ?? 0, 0)),
    String(r.failed + r.errored),
  ];
  const m = table.macroMean;
  const macro = [
    MACRO_MEAN_LABEL,
    String(m.groups),
    fixed(100 * m.successRate),
    fixed(m.score),
    fixed(m.meanSteps),
    fixed(m.tokensPerStep, 0),
    ...perLevel.map(() => ''),
    '',
  ];
  return { head, rows: [...table.rows.map(cells), cells(table.mean), macro] };
}

/** Short column names for levels in the terminal table. */
function shortLevel(level: TokenLevel): string {
  return level === 'progress' ? 'prog' : level;
}

/**
 * The compact terminal table of `eval show`: a caption line, then one line per group (no row
 * separators), the split mean and the macro mean. Plain text (no colour codes).
 */
export function renderResultsTerminal(results: EvalResults, table: ResultsTable = buildResultsTable(results)): string {
  const { head, rows } = terminalTableData(table);
  const t = new Table({
    head,
    style: { head: [], border: [], compact: true },
    colAligns: head.map((_, i) => (i === 0 ? 'left' : 'right')),
  });
  t.push(...rows);
  return `${resultsCaption(results, table)}\n${t.toString()}`;
}
