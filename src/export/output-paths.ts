/** Where `export --out <dir|file>` writes each file. */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { TrainingFormat } from './row-format';
import type { TrainingRole } from './training-rows';

/** File name of the chained records inside a directory (also what an archive bundle holds). */
export const EXPORT_FILE_NAME = 'export.jsonl';

/** `out` names a directory: an existing one, or a path ending in a separator or without an extension. */
export function isDirectoryTarget(out: string): boolean {
  if (existsSync(out)) return statSync(out).isDirectory();
  return /[\\/]$/.test(out) || path.extname(out) === '';
}

/** The chained records file for `--out`. */
export function recordsPath(out: string): string {
  return isDirectoryTarget(out) ? path.join(out, EXPORT_FILE_NAME) : out;
}

/** Files of a training export: one JSONL per role (plus metadata for the chat form) and the card. */
export interface TrainingPaths {
  rows: Record<TrainingRole, string>;
  /** Line-aligned metadata per role (chat form only). */
  meta?: Record<TrainingRole, string>;
  card: string;
}

/** `<dir>/<format>.<role>.jsonl` for a directory, `<name>.<role>.jsonl` beside a file name. */
export function trainingPaths(out: string, format: TrainingFormat): TrainingPaths {
  const base = isDirectoryTarget(out) ? path.join(out, format) : out.replace(/\.jsonl?$/i, '');
  const perRole = (suffix: string) =>
    ({ high: `${base}.high${suffix}`, low: `${base}.low${suffix}`, progress: `${base}.progress${suffix}` }) as const;
  return {
    rows: perRole('.jsonl'),
    ...(format === 'training-chat' ? { meta: perRole('.meta.jsonl') } : {}),
    card: `${base}.card.md`,
  };
}
