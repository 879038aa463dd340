/** Reading values out of raw Temporal history events (what the client APIs do not decode for us). */
import { defaultPayloadConverter, type PayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';

/** One raw history event. */
export type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

type Payloads = temporal.api.common.v1.IPayloads | null | undefined;

/**
 * The first value of a payload list (an input, a result), or undefined when there is none. Pass a
 * `HistorySource`'s converter to read with the worker's data converter.
 */
export function decode<T>(payloads: Payloads, converter: PayloadConverter = defaultPayloadConverter): T | undefined {
  const payload = payloads?.payloads?.[0];
  return payload ? (converter.fromPayload(payload) as T) : undefined;
}

/** An event id (a Long in the protos) as a number. */
export function num(value: unknown): number {
  return Number(String(value ?? 0));
}

/** When `event` was written, in ms since the epoch (0 when the event has no time). */
export function eventTimeMs(event: HistoryEvent): number {
  const time = event.eventTime;
  return time ? num(time.seconds) * 1000 + Math.floor((time.nanos ?? 0) / 1e6) : 0;
}
