/** Reads what an export of some episodes holds: each episode's provenance and records, in the order given. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isWorkflowMissing, type HistorySource } from '../history-source';
import { projectRoot } from '../project';
import { readEpisodeSource, type EpisodeSource } from './episode-source';
import type { HeaderFields } from './hash-chain';
import { readEpisodeRecords, recordVersionOf } from './record-fields';

/** One episode's provenance and records. */
export interface CollectedEpisode {
  source: EpisodeSource;
  records: unknown[];
}

/** Thrown for an id with no record; the CLI turns some into more specific messages. */
export class NoRecordError extends Error {
  override name = 'NoRecordError';
  constructor(
    readonly episodeId: string,
    readonly exists: boolean,
  ) {
    super(
      exists
        ? `episode ${JSON.stringify(episodeId)} has no recorded transitions yet; export it once it has taken a step`
        : `no episode ${JSON.stringify(episodeId)} in this namespace; check the id, --data-dir and TEMPORAL_NAMESPACE`,
    );
  }
}

/** Reads every episode of `episodeIds`; an id without records is a {@link NoRecordError}. */
export async function collectEpisodes(
  source: HistorySource,
  episodeIds: readonly string[],
): Promise<CollectedEpisode[]> {
  const collected: CollectedEpisode[] = [];
  for (const episodeId of episodeIds) {
    const provenance = await readEpisodeSource(source, episodeId).catch((err: unknown) => {
      if (isWorkflowMissing(err)) return undefined;
      throw err;
    });
    const records = provenance ? await readEpisodeRecords(source, episodeId) : [];
    if (!provenance || records.length === 0) throw new NoRecordError(episodeId, provenance !== undefined);
    collected.push({ source: provenance, records });
  }
  return collected;
}

/** The version in package.json (what `step-hrl --version` reports). */
export function stepHrlVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

/** The header of an export of `episodes`. */
export function headerFields(namespace: string, episodes: readonly CollectedEpisode[], exportedAt: Date): HeaderFields {
  const versions = new Set<number>();
  for (const e of episodes)
    for (const r of e.records) {
      const v = recordVersionOf(r);
      if (v !== undefined) versions.add(v);
    }
  return {
    identity: {
      namespace,
      episodes: episodes.map((e) => ({ episodeId: e.source.episodeId, runIds: e.source.runIds })),
    },
    stepHrlVersion: stepHrlVersion(),
    recordVersions: [...versions].sort((a, b) => a - b),
    exportedAt: exportedAt.toISOString(),
  };
}
