/** Where a reading command (`show`, `export`, `replay`) reads histories: `--archive <dir>`, or Temporal. */
import { archiveHistories } from '../archive/read';
import { liveHistories, type HistorySource } from '../history-source';
import { openTemporal, type OpenTemporal, type TemporalCliOptions } from './temporal';

/** A history source and how to release it. */
export interface OpenHistorySource {
  source: HistorySource;
  /** The Temporal connection, when reading live. */
  temporal?: OpenTemporal;
  close(): Promise<void>;
}

/** Opens the bundle named by `--archive` (no server is started), else Temporal. */
export async function historySourceFor(flags: TemporalCliOptions & { archive?: string }): Promise<OpenHistorySource> {
  if (flags.archive) return { source: archiveHistories(flags.archive), close: async () => undefined };
  const temporal = await openTemporal(flags);
  return { source: liveHistories(temporal.client), temporal, close: () => temporal.close() };
}
