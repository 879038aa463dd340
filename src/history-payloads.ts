/** Reading values out of raw Temporal history events (what the client APIs do not decode for us). */
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';

/** One raw history event. */
export type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

type Payloads = temporal.api.common.v1.IPayloads | null | undefined;

/** The first value of a payload list (an input, a result), or undefined when there is none. */
export function decode<T>(payloads: Payloads): T | undefined {
  const payload = payloads?.payloads?.[0];
  return payload ? (defaultPayloadConverter.fromPayload(payload) as T) : undefined;
}

/** An event id (a Long in the protos) as a number. */
export function num(value: unknown): number {
  return Number(String(value ?? 0));
}
