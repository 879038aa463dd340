/**
 * Writes an evaluation's results under its output folder: `results.json` (the results and the
 * table, versioned), `results.csv`, `results.md` and `results.png`; and a comparison of two evals.
 * Each file is written to a temporary name and renamed, so a reader never sees half a file.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { Comparison, compareEvals, renderCompareMarkdown } from './compare';
import { renderComparePng, renderResultsPng } from './plot';
import { renderResultsCsv, renderResultsMarkdown } from './render';
import { ResultsTable, buildResultsTable } from './table';
import type { EvalResults } from '../episode/eval-types';

/** Version of the `results.json` layout; bump when a field changes meaning or goes away. */
export const RESULTS_SCHEMA_VERSION = 1;

/** What `results.json` holds. */
export interface ResultsFile {
  schemaVersion: typeof RESULTS_SCHEMA_VERSION;
  results: EvalResults;
  table: ResultsTable;
}

/** Paths of the files {@link writeResults} wrote. */
export interface ResultsPaths {
  json: string;
  csv: string;
  markdown: string;
  png: string;
}

/** Writes `results.{json,csv,md,png}` into `dir` (created if missing) and returns their paths. */
export async function writeResults(results: EvalResults, dir: string): Promise<ResultsPaths> {
  const table = buildResultsTable(results);
  const file: ResultsFile = { schemaVersion: RESULTS_SCHEMA_VERSION, results, table };
  const paths: ResultsPaths = {
    json: path.join(dir, 'results.json'),
    csv: path.join(dir, 'results.csv'),
    markdown: path.join(dir, 'results.md'),
    png: path.join(dir, 'results.png'),
  };
  await fs.mkdir(dir, { recursive: true });
  await writeAtomic(paths.json, JSON.stringify(file, null, 2) + '\n');
  await writeAtomic(paths.csv, renderResultsCsv(table));
  await writeAtomic(paths.markdown, renderResultsMarkdown(results, table));
  await writeAtomic(paths.png, renderResultsPng(results, table));
  return paths;
}

/**
 * Reads a `results.json` written by {@link writeResults} (`file` may be the file or its folder).
 * Throws an error naming the file and the fix when it is missing, not JSON, or of another version.
 */
export async function readResults(file: string): Promise<ResultsFile> {
  const target = (await isDirectory(file)) ? path.join(file, 'results.json') : file;
  let text: string;
  try {
    text = await fs.readFile(target, 'utf8');
  } catch (err) {
    throw new Error(
      `cannot read evaluation results ${target}: ${(err as Error).message}; pass the eval's output folder or its results.json`,
    );
  }
  let parsed: Partial<ResultsFile>;
  try {
    parsed = JSON.parse(text) as Partial<ResultsFile>;
  } catch (err) {
    throw new Error(`evaluation results ${target} are not JSON (${(err as Error).message}); write them again`);
  }
  if (parsed.schemaVersion !== RESULTS_SCHEMA_VERSION || !parsed.results) {
    throw new Error(
      `evaluation results ${target} have schemaVersion ${String(parsed.schemaVersion)}, this step-hrl reads ${RESULTS_SCHEMA_VERSION}; ` +
        'write them again with this version (`step-hrl eval show <eval-id>`)',
    );
  }
  return { schemaVersion: RESULTS_SCHEMA_VERSION, results: parsed.results, table: buildResultsTable(parsed.results) };
}

/** Paths of the files {@link writeComparison} wrote. */
export interface ComparisonPaths {
  json: string;
  markdown: string;
  png: string;
}

/** Writes `compare.{json,md,png}` for evals A and B into `dir` (created if missing). */
export async function writeComparison(a: EvalResults, b: EvalResults, dir: string): Promise<ComparisonPaths> {
  const comparison: Comparison = compareEvals(a, b);
  const paths: ComparisonPaths = {
    json: path.join(dir, 'compare.json'),
    markdown: path.join(dir, 'compare.md'),
    png: path.join(dir, 'compare.png'),
  };
  await fs.mkdir(dir, { recursive: true });
  await writeAtomic(
    paths.json,
    JSON.stringify({ schemaVersion: RESULTS_SCHEMA_VERSION, ...comparison }, null, 2) + '\n',
  );
  await writeAtomic(paths.markdown, renderCompareMarkdown(comparison));
  await writeAtomic(paths.png, renderComparePng(a, b));
  return paths;
}

async function writeAtomic(file: string, data: string | Buffer): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, data);
  await fs.rename(tmp, file);
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isDirectory();
  } catch {
    return false;
  }
}
