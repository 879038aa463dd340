/**
 * Writes an archive bundle: every history of an episode or eval (see `collectHistories`) as
 * Temporal's JSON history format, the episodes' export, and a manifest, so the record outlives the
 * namespace's retention and `show`, `export`, `replay` (and Temporal's own tools) read it offline.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import type { HistorySource } from '../history-source';
import { projectRoot } from '../project';
import { collectHistories, type RecordedHistory } from '../replay/collect';
import {
  ARCHIVE_FORMAT_VERSION,
  EXPORT_FILE,
  MANIFEST_FILE,
  type ArchiveManifest,
  type ArchivedHistory,
} from './manifest';

/**
 * Writes the hash-chained export of `episodeIds` through `write`, leaving out (and naming) episodes
 * without a record; the CLI passes `export`'s writer, bound to the namespace.
 */
export type ExportWriter = (
  source: HistorySource,
  episodeIds: readonly string[],
  write: (line: string) => void,
) => Promise<{ records: number; skipped: { episodeId: string; reason: string }[] }>;

/** Options of {@link writeArchive}. */
export interface WriteArchiveOptions {
  /** The export writer (the CLI passes `export`'s). */
  writeExport: ExportWriter;
}

/** Workflow types whose record is an episode export. */
const EPISODE_TYPES = new Set(['episodeWorkflow']);
/** How a run ended, from its last event (a run with no close event is still running). */
const CLOSE_STATUS: Record<string, string> = {
  EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: 'COMPLETED',
  EVENT_TYPE_WORKFLOW_EXECUTION_FAILED: 'FAILED',
  EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT: 'TIMED_OUT',
  EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED: 'CANCELLED',
  EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED: 'TERMINATED',
  EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW: 'CONTINUED_AS_NEW',
};

/** How the run of `history` ended: `COMPLETED`, `FAILED`, ... or `RUNNING`. */
export function runStatus(history: RecordedHistory['history']): string {
  const last = history.events?.at(-1);
  return CLOSE_STATUS[temporal.api.enums.v1.EventType[last?.eventType ?? 0] ?? ''] ?? 'RUNNING';
}

/**
 * Archives `rootId` (an episode or an eval) from `source` into `outDir` (created; must be empty).
 * @throws when there is no such workflow or `outDir` is not empty.
 */
export async function writeArchive(
  source: HistorySource,
  rootId: string,
  outDir: string,
  options: WriteArchiveOptions,
): Promise<ArchiveManifest> {
  if (existsSync(outDir) && readdirSync(outDir).length > 0)
    throw new Error(`--out ${outDir} is not empty; pass a new or empty folder (an archive is never overwritten)`);
  const collected = await collectHistories(source, rootId);
  const root = collected.histories.filter((h) => h.workflowId === rootId);
  if (root.length === 0)
    throw new Error(`no episode or eval with id ${JSON.stringify(rootId)}; check the id, --data-dir and --port`);

  mkdirSync(path.join(outDir, 'histories'), { recursive: true });
  const newest = new Map<string, RecordedHistory>(); // per workflow id: the run started last
  for (const h of collected.histories) newest.set(h.workflowId, h);
  const width = String(collected.histories.length).length;
  const entries: ArchivedHistory[] = collected.histories.map((h, i) => {
    const file = path.join(
      'histories',
      `${String(i + 1).padStart(width, '0')}-${h.workflowId.replace(/[^A-Za-z0-9._-]+/g, '_')}.json`,
    );
    writeFileSync(path.join(outDir, file), historyToJSON(h.history));
    return {
      workflowId: h.workflowId,
      runId: h.runId,
      workflowType: h.workflowType,
      ...(h.parentWorkflowId && { parentWorkflowId: h.parentWorkflowId }),
      file: file.split(path.sep).join('/'),
      events: h.history.events?.length ?? 0,
      status: runStatus(h.history),
      latest: newest.get(h.workflowId) === h,
    };
  });

  const rootRun = newest.get(rootId)!;
  const kind = rootRun.workflowType === 'evalWorkflow' ? 'eval' : 'episode';
  // An eval's episodes are its direct episode children; an episode exports itself.
  const exportedEpisodes =
    kind === 'eval'
      ? [
          ...new Set(
            entries
              .filter((e) => e.parentWorkflowId === rootId && EPISODE_TYPES.has(e.workflowType))
              .map((e) => e.workflowId),
          ),
        ]
      : EPISODE_TYPES.has(rootRun.workflowType)
        ? [rootId]
        : [];
  const lines: string[] = [];
  // One chain over every episode with a record, so `verify <bundle>` checks the whole export.
  const { records: exportRecords, skipped: exportSkipped } = await options.writeExport(
    source,
    exportedEpisodes,
    (line) => lines.push(line),
  );
  writeFileSync(path.join(outDir, EXPORT_FILE), lines.join(''));

  const manifest: ArchiveManifest = {
    format: 'step-hrl-archive',
    version: ARCHIVE_FORMAT_VERSION,
    created: new Date().toISOString(),
    kind,
    rootId,
    rootRunId: rootRun.runId,
    rootType: rootRun.workflowType,
    versions: {
      stepHrl: packageVersion('.'),
      temporalSdk: packageVersion('@temporalio/worker'),
      node: process.version,
    },
    exportedEpisodes,
    exportRecords,
    exportSkipped,
    histories: entries,
    missing: collected.missing,
  };
  writeFileSync(path.join(outDir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

/** The version in a package.json: this project's (`.`) or a dependency's; 'unknown' when unreadable. */
function packageVersion(name: string): string {
  try {
    const file = name === '.' ? path.join(projectRoot(), 'package.json') : require.resolve(`${name}/package.json`);
    return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
