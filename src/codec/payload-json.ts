/** Payloads in the proto3 JSON form the codec server protocol uses (bytes as base64 strings). */
import type { Payload } from '@temporalio/common';

/** A payload as JSON: `{ metadata: { encoding: "<base64>" }, data: "<base64>" }`. */
export interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

/** Bad request bodies: the message says what is wrong with the body. */
export class PayloadJsonError extends Error {
  override name = 'PayloadJsonError';
}

/** Parses `{ payloads: [...] }`. @throws PayloadJsonError when the body is not in that form. */
export function payloadsFromJson(body: unknown): Payload[] {
  const list = (body as { payloads?: unknown } | null)?.payloads;
  if (!Array.isArray(list)) throw new PayloadJsonError('body must be JSON of the form {"payloads": [...]}');
  return list.map((item: unknown, i) => {
    if (typeof item !== 'object' || item === null) throw new PayloadJsonError(`payloads[${i}] is not an object`);
    const { metadata = {}, data = '' } = item as JsonPayload;
    if (typeof data !== 'string') throw new PayloadJsonError(`payloads[${i}].data is not a base64 string`);
    const decoded: Record<string, Uint8Array> = {};
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== 'string')
        throw new PayloadJsonError(`payloads[${i}].metadata.${key} is not a base64 string`);
      decoded[key] = new Uint8Array(Buffer.from(value, 'base64'));
    }
    return { metadata: decoded, data: new Uint8Array(Buffer.from(data, 'base64')) };
  });
}

/** Writes payloads back in the same JSON form. */
export function payloadsToJson(payloads: readonly Payload[]): { payloads: JsonPayload[] } {
  return {
    payloads: payloads.map((p) => ({
      metadata: Object.fromEntries(
        Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')]),
      ),
      data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
    })),
  };
}
