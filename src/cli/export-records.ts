/** The hash-chained JSONL export of episodes' records: one writer for `export` and `archive`. */
import { collectEpisodes, headerFields, NoRecordError, type CollectedEpisode } from '../export/collect';
import { chainLines } from '../export/hash-chain';
import type { HistorySource } from '../history-source';
import { REACT_WORKFLOW_TYPE, reactExportError } from './react-view';

/** The workflow type of `id` (its latest run), or undefined when there is no such workflow. */
async function workflowType(source: HistorySource, id: string): Promise<string | undefined> {
  const history = await source.fetch(id);
  return history?.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? undefined;
}

/** Reads the episodes, turning "no record" for a ReAct episode into the message that explains it. */
export async function collectForExport(
  source: HistorySource,
  episodeIds: readonly string[],
): Promise<CollectedEpisode[]> {
  try {
    return await collectEpisodes(source, episodeIds);
  } catch (err) {
    if (err instanceof NoRecordError && (await workflowType(source, err.episodeId)) === REACT_WORKFLOW_TYPE)
      throw reactExportError(err.episodeId);
    throw err;
  }
}

/** What {@link writeExport} wrote. */
export interface ExportWritten {
  records: number;
  /** Episodes left out because they have no record (only with `skipMissing`), and why. */
  skipped: { episodeId: string; reason: string }[];
}

/** Options of {@link writeExport}. */
export interface WriteExportOptions {
  /** Namespace named in the chain's header (the run identity). */
  namespace: string;
  /** Leave out episodes without a record instead of failing (an archived eval). */
  skipMissing?: boolean;
}

/**
 * Writes the records of `episodeIds` as one hash chain (header, records, end line), line by line
 * through `write`. The one export writer: `archive` calls it too, so a bundle's export is what
 * `export` writes and `verify` checks it the same way.
 */
export async function writeExport(
  source: HistorySource,
  episodeIds: readonly string[],
  write: (line: string) => void,
  options: WriteExportOptions,
): Promise<ExportWritten> {
  const episodes: CollectedEpisode[] = [];
  const skipped: ExportWritten['skipped'] = [];
  for (const episodeId of episodeIds) {
    try {
      episodes.push(...(await collectForExport(source, [episodeId])));
    } catch (err) {
      if (!options.skipMissing) throw err;
      // One episode without a record (failed before its first step) must not cost an eval its archive.
      skipped.push({ episodeId, reason: err instanceof Error ? err.message : String(err) });
    }
  }
  if (episodes.length === 0) return { records: 0, skipped };
  const records = episodes.flatMap((e) => e.records);
  for (const line of chainLines(headerFields(options.namespace, episodes, new Date()), records)) write(line + '\n');
  return { records: records.length, skipped };
}
