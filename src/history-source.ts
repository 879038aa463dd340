/**
 * Where recorded workflow histories are read from: the live cluster, or (for records that must
 * outlive the namespace) an archive on disk. Readers of the record take a {@link HistorySource}, so
 * `show`, `export` and `replay` work the same on both.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { PayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';

/** One workflow run's history. */
export type History = temporal.api.history.v1.IHistory;

/** Reads workflow histories and decodes their payloads. */
export interface HistorySource {
  /** The history of one run of `workflowId` (the latest when `runId` is absent); undefined when there is none. */
  fetch(workflowId: string, runId?: string): Promise<History | undefined>;
  /** Turns a history's (decoded) payloads into values: the same converter the worker uses. */
  readonly payloadConverter: PayloadConverter;
}

/** Histories read from the cluster `client` talks to (a run past retention reads as absent). */
export function liveHistories(client: Client): HistorySource {
  return {
    payloadConverter: client.options.loadedDataConverter.payloadConverter,
    fetch: (workflowId, runId) =>
      client.workflow
        .getHandle(workflowId, runId)
        .fetchHistory()
        .catch((err: unknown) => {
          // fetchHistory reports a missing workflow as the raw gRPC NOT_FOUND (code 5), not WorkflowNotFoundError
          if (err instanceof WorkflowNotFoundError || (err as { code?: number }).code === 5) return undefined;
          throw err;
        }),
  };
}

/** A client reads live; anything else already is a source. */
export function historySourceOf(from: Client | HistorySource): HistorySource {
  return 'fetch' in from && 'payloadConverter' in from ? from : liveHistories(from as Client);
}
