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

/**
 * gRPC channel options for a client that reads records: a history page can hold several subtask
 * results of up to 2 MB each (Temporal's payload limit), far over grpc-js's default 4 MB receive
 * limit. 128 MB is what Temporal's Go SDK allows. Pass as `Connection.connect({ channelArgs })`.
 */
export const RECORD_READER_CHANNEL_ARGS = { 'grpc.max_receive_message_length': 128 * 1024 * 1024 } as const;

/** Histories read from the cluster `client` talks to (a run past retention reads as absent). */
export function liveHistories(client: Client): HistorySource {
  return {
    payloadConverter: client.options.loadedDataConverter.payloadConverter,
    fetch: (workflowId, runId) =>
      client.workflow
        .getHandle(workflowId, runId)
        .fetchHistory()
        .catch((err: unknown) => {
          if (err instanceof WorkflowNotFoundError) return undefined;
          if (/larger than max/.test(String((err as Error)?.message)))
            throw new Error(
              `the history of ${workflowId} has a page larger than this client's gRPC receive limit; connect with ` +
                `channelArgs RECORD_READER_CHANNEL_ARGS (src/history-source.ts), as step-hrl's commands do: ${(err as Error).message}`,
            );
          throw err;
        }),
  };
}

/** A client reads live; anything else already is a source. */
export function historySourceOf(from: Client | HistorySource): HistorySource {
  return 'fetch' in from && 'payloadConverter' in from ? from : liveHistories(from as Client);
}
