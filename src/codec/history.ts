/**
 * Decoding the payloads of a raw workflow history. `fetchHistory()` returns payloads as the server
 * stores them (encrypted when the codec is on); readers of the record decode them here first.
 */
import type { Client } from '@temporalio/client';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;

/** Where a payload sits in the history tree, so its decoded form can replace it. */
interface PayloadSlot {
  holder: Record<string | number, unknown>;
  key: string | number;
  payload: Payload;
}

/**
 * Runs every payload of `history` (inputs, results, failures' details, memos, headers) through
 * `codecs` (in reverse order, as the SDK decodes) and puts the decoded payloads in place.
 * @returns the same history object, decoded.
 */
export async function decodeHistoryPayloads<H extends History>(
  history: H,
  codecs: readonly PayloadCodec[],
): Promise<H> {
  if (codecs.length === 0) return history;
  const slots: PayloadSlot[] = [];
  collectPayloads(history, slots);
  if (slots.length === 0) return history;
  let payloads = slots.map((s) => s.payload);
  for (const codec of [...codecs].reverse()) payloads = await codec.decode(payloads);
  slots.forEach((slot, i) => (slot.holder[slot.key] = payloads[i]));
  return history;
}

/** The history of a run (latest when `runId` is absent) with its payloads decoded by the client's codecs. */
export async function fetchDecodedHistory(client: Client, workflowId: string, runId?: string): Promise<History> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  return decodeHistoryPayloads(history, client.options.loadedDataConverter.payloadCodecs);
}

function isPayload(value: object): value is Payload {
  const metadata = (value as Payload).metadata;
  return typeof metadata === 'object' && metadata !== null && metadata.encoding instanceof Uint8Array;
}

function collectPayloads(node: unknown, slots: PayloadSlot[]): void {
  if (typeof node !== 'object' || node === null || ArrayBuffer.isView(node)) return;
  const holder = node as Record<string | number, unknown>;
  for (const key of Object.keys(holder)) {
    const child = holder[key];
    if (typeof child !== 'object' || child === null || ArrayBuffer.isView(child)) continue;
    if (isPayload(child)) slots.push({ holder, key, payload: child });
    else collectPayloads(child, slots);
  }
}
