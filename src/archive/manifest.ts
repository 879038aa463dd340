/**
 * The `manifest.json` of an archive bundle (`step-hrl archive`): what was archived, from which
 * code, and which file holds each workflow run's history (Temporal's JSON history format, the one
 * `temporal workflow show --output json` writes and `History.fromJSON` reads).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Bumped when the bundle's layout changes in a way an older reader cannot follow. */
export const ARCHIVE_FORMAT_VERSION = 1;
/** The manifest's file name inside a bundle. */
export const MANIFEST_FILE = 'manifest.json';
/** The export's file name inside a bundle. */
export const EXPORT_FILE = 'export.jsonl';

/** One archived workflow run. */
export interface ArchivedHistory {
  workflowId: string;
  runId: string;
  workflowType: string;
  parentWorkflowId?: string;
  /** Path of its JSON history, relative to the bundle. */
  file: string;
  events: number;
  /** How the run closed (`COMPLETED`, `CONTINUED_AS_NEW`, ...) or `RUNNING` when it had not. */
  status: string;
  /** The newest run of its workflow id in the bundle (what a fetch without a run id reads). */
  latest: boolean;
}

/** The manifest of a bundle. */
export interface ArchiveManifest {
  format: 'step-hrl-archive';
  version: number;
  /** ISO time the bundle was written. */
  created: string;
  kind: 'episode' | 'eval';
  /** The archived episode's or eval's workflow id. */
  rootId: string;
  /** Its latest run. */
  rootRunId: string;
  rootType: string;
  /** Code that wrote the bundle. */
  versions: { stepHrl: string; temporalSdk: string; node: string };
  /** Episodes whose records `export.jsonl` holds, in order. */
  exportedEpisodes: string[];
  exportRecords: number;
  /** Episodes left out of the export, and why (e.g. no recorded step). */
  exportSkipped: { episodeId: string; reason: string }[];
  histories: ArchivedHistory[];
  /** Runs the record points at that could not be read when archiving (past retention). */
  missing: { workflowId: string; runId?: string; referencedBy?: string }[];
}

/** Whether `dir` looks like an archive bundle (has a manifest). */
export function isArchiveDir(dir: string): boolean {
  return existsSync(path.join(dir, MANIFEST_FILE));
}

/** Reads and checks a bundle's manifest. @throws naming the folder and what is wrong with it. */
export function readArchiveManifest(dir: string): ArchiveManifest {
  const file = path.join(dir, MANIFEST_FILE);
  if (!existsSync(file))
    throw new Error(
      `${dir} is not a step-hrl archive (no ${MANIFEST_FILE}); write one with \`step-hrl archive <id> --out <dir>\``,
    );
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as ArchiveManifest;
  if (manifest.format !== 'step-hrl-archive' || !Array.isArray(manifest.histories))
    throw new Error(`${file} is not a step-hrl archive manifest (format ${JSON.stringify(manifest.format)})`);
  if (manifest.version > ARCHIVE_FORMAT_VERSION)
    throw new Error(
      `${dir} is archive format ${manifest.version}; this step-hrl reads up to ${ARCHIVE_FORMAT_VERSION}: upgrade step-hrl`,
    );
  return manifest;
}
