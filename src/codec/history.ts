/**
 * Decoding the payloads of a raw workflow history. `fetchHistory()` returns payloads as the server
 * stores them (encrypted when the codec is on); readers of the record decode them here first.
 */
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;

/** Where a payload sits in the history tree, so its decoded form can replace it. */
interface PayloadSlot {
  holder: Record<string | number, unknown>;
  key: string | number;
  payload: Payload;
}

/**
 * Runs every payload of `history` (inputs, results, failures' details and encoded attributes,
 * memos, headers) through `codecs` (in reverse order, as the SDK decodes) and puts the decoded
 * payloads in place. A failure whose message and stack trace were encoded (an encrypting data
 * converter writes `message: "Encoded failure"` and the real ones in `encodedAttributes`) gets
 * them back in `message` and `stackTrace`, so readers of raw events see the real message.
 * @returns the same history object, decoded.
 */
export async function decodeHistoryPayloads<H extends History>(
  history: H,
  codecs: readonly PayloadCodec[],
): Promise<H> {
  const slots: PayloadSlot[] = [];
  if (codecs.length > 0) collectPayloads(history, slots);
  if (slots.length > 0) {
    let payloads = slots.map((s) => s.payload);
    for (const codec of [...codecs].reverse()) payloads = await codec.decode(payloads);
    slots.forEach((slot, i) => (slot.holder[slot.key] = payloads[i]));
  }
  restoreEncodedFailureAttributes(history);
  return history;
}

/** The history of a run (latest when `runId` is absent) with its payloads decoded by the client's codecs. */
export async function fetchDecodedHistory(client: Client, workflowId: string, runId?: string): Promise<History> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  return decodeHistoryPayloads(history, client.options.loadedDataConverter.payloadCodecs);
}

/**
 * What the SDK's `failureToError` does for the failures it converts, for every failure in a raw
 * history (causes included): `encodedAttributes` `{ message, stack_trace }` back into `message` and
 * `stackTrace`. The attributes are then dropped, so the history reads (and archives, and replays)
 * as one written without encoding. Attributes still encrypted, or of another shape, stay as they are.
 */
function restoreEncodedFailureAttributes(node: unknown): void {
  if (typeof node !== 'object' || node === null || ArrayBuffer.isView(node)) return;
  const holder = node as Record<string, unknown>;
  const encoded = holder.encodedAttributes;
  if (typeof encoded === 'object' && encoded !== null && isPayload(encoded)) {
    const attributes = decodedAttributes(encoded);
    if (attributes) {
      if (typeof attributes.message === 'string') holder.message = attributes.message;
      if (typeof attributes.stack_trace === 'string') holder.stackTrace = attributes.stack_trace;
      holder.encodedAttributes = null;
    }
  }
  for (const key of Object.keys(holder)) {
    const child = holder[key];
    if (typeof child === 'object' && child !== null && !ArrayBuffer.isView(child) && !isPayload(child))
      restoreEncodedFailureAttributes(child);
  }
}

function decodedAttributes(payload: Payload): { message?: unknown; stack_trace?: unknown } | undefined {
  try {
    const value: unknown = defaultPayloadConverter.fromPayload(payload);
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined; // still encrypted (no codec was given) or not JSON: not ours to interpret
  }
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
