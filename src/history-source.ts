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

/** Histories read from the cluster `client` talks to (a run past retention reads as absent). */
export function liveHistories(client: Client): HistorySource {
  return {
    payloadConverter: client.options.loadedDataConverter.payloadConverter,
    fetch: (workflowId, runId) =>
      fetchDecodedHistory(client, workflowId, runId).catch((err: unknown) => {
        if (isWorkflowMissing(err)) return undefined;
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
