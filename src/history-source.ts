/**
 * Where recorded workflow histories are read from: the live cluster, or (for records that must
 * outlive the namespace) an archive on disk. Readers of the record take a {@link HistorySource}, so
 * `show`, `export` and `replay` work the same on both.
 */
import { WorkflowNotFoundError, isGrpcServiceError, type Client } from '@temporalio/client';
import type { PayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { fetchDecodedHistory } from './codec/history';

/** One workflow run's history. */
export type History = temporal.api.history.v1.IHistory;

/** Reads workflow histories and decodes their payloads. */
export interface HistorySource {
  /**
   * The history of one run of `workflowId` (the latest when `runId` is absent), payloads decoded
   * (decrypted) by the source's codecs; undefined when there is none.
   */
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
      fetchDecodedHistory(client, workflowId, runId).catch((err: unknown) => {
        if (isWorkflowMissing(err)) return undefined;
        if (/larger than max/.test(String((err as Error)?.message)))
          throw new Error(
            `the history of ${workflowId} has a page larger than this client's gRPC receive limit; connect with ` +
              `channelArgs RECORD_READER_CHANNEL_ARGS (src/history-source.ts), as step-hrl's commands do: ${(err as Error).message}`,
          );
        throw err;
      }),
  };
}

/** gRPC's NOT_FOUND, which reading a missing workflow's history can throw unwrapped. */
const GRPC_NOT_FOUND = 5;

/** True for "no such workflow (run)": the SDK's error, or a bare gRPC NOT_FOUND anywhere in the causes. */
export function isWorkflowMissing(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = (e as { cause?: unknown }).cause)
    if (e instanceof WorkflowNotFoundError || (isGrpcServiceError(e) && e.code === GRPC_NOT_FOUND)) return true;
  return false;
}

/** A client reads live; anything else already is a source. */
export function historySourceOf(from: Client | HistorySource): HistorySource {
  return 'fetch' in from && 'payloadConverter' in from ? from : liveHistories(from as Client);
}

/**
 * The events of every run of `workflowId`, first run first: from `lastRunId` (default: the latest)
 * back along `continuedExecutionRunId`. Stops at a run the source no longer has (past retention).
 */
export async function fetchRunChain(
  source: HistorySource,
  workflowId: string,
  lastRunId?: string,
): Promise<temporal.api.history.v1.IHistoryEvent[][]> {
  const runs: temporal.api.history.v1.IHistoryEvent[][] = [];
  let runId = lastRunId;
  do {
    const history = await source.fetch(workflowId, runId);
    if (!history) break;
    const events = history.events ?? [];
    runs.unshift(events);
    runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  } while (runId);
  return runs;
}
