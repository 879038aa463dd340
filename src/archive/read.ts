/** Reads an archive bundle as a {@link HistorySource}, so `show`, `export` and `replay` need no server. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { defaultPayloadConverter, type PayloadConverter } from '@temporalio/common';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import type { History, HistorySource } from '../history-source';
import { readArchiveManifest, type ArchiveManifest, type ArchivedHistory } from './manifest';

/** A history source over a bundle, plus its manifest. */
export interface ArchiveSource extends HistorySource {
  readonly dir: string;
  readonly manifest: ArchiveManifest;
  /** The archived run that a fetch of `workflowId` (and `runId`) reads, if any. */
  entry(workflowId: string, runId?: string): ArchivedHistory | undefined;
}

/**
 * Histories read from the bundle in `dir` (written by `step-hrl archive`). A fetch without a run id
 * reads the run that was the latest when the bundle was written.
 */
export function archiveHistories(
  dir: string,
  payloadConverter: PayloadConverter = defaultPayloadConverter,
): ArchiveSource {
  const manifest = readArchiveManifest(dir);
  const cache = new Map<string, History>();
  const entry = (workflowId: string, runId?: string) =>
    manifest.histories.find((h) => h.workflowId === workflowId && (runId ? h.runId === runId : h.latest));
  return {
    dir,
    manifest,
    payloadConverter,
    entry,
    async fetch(workflowId, runId) {
      const found = entry(workflowId, runId);
      if (!found) return undefined;
      let history = cache.get(found.file);
      if (!history) {
        history = historyFromJSON(JSON.parse(readFileSync(path.join(dir, found.file), 'utf8')));
        cache.set(found.file, history);
      }
      return history;
    },
  };
}

/** What the record of an archived run says about how it ended. */
export interface ArchivedRun {
  status: string;
  workflowType: string;
  /** The workflow's result, when it completed. */
  result?: unknown;
  /** The failure's message, when it failed. */
  failure?: string;
}

/** The latest archived run of `workflowId` (undefined when the bundle lacks it). */
export async function archivedRun(source: ArchiveSource, workflowId: string): Promise<ArchivedRun | undefined> {
  const found = source.entry(workflowId);
  const events = (await source.fetch(workflowId))?.events;
  if (!found || !events) return undefined;
  const last = events.at(-1);
  const payload = last?.workflowExecutionCompletedEventAttributes?.result?.payloads?.[0];
  return {
    status: found.status,
    workflowType: found.workflowType,
    ...(payload && { result: source.payloadConverter.fromPayload(payload) }),
    ...(last?.workflowExecutionFailedEventAttributes && {
      failure: last.workflowExecutionFailedEventAttributes.failure?.message ?? 'no message recorded',
    }),
  };
}
