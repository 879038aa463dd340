/**
 * A worker that cannot decrypt a payload (no key for its id, or it was altered) would fail that
 * workflow or activity task, and Temporal would hand it back again and again. This guard lets the
 * worker stop instead, with the key id to configure, so the task waits in its queue for a worker
 * that has the key.
 */
import type { DataConverter, PayloadCodec } from '@temporalio/common';
import { PayloadDecryptionError } from './aes-gcm-codec';

/** `converter` with every codec reporting a {@link PayloadDecryptionError} to `onUndecryptable` (then rethrowing it). */
export function stopOnUndecryptable(
  converter: DataConverter,
  onUndecryptable: (err: PayloadDecryptionError) => void,
): DataConverter {
  const guard = (codec: PayloadCodec): PayloadCodec => ({
    encode: (payloads) => codec.encode(payloads),
    decode: (payloads) =>
      codec.decode(payloads).catch((err: unknown) => {
        if (err instanceof PayloadDecryptionError) onUndecryptable(err);
        throw err;
      }),
  });
  return { ...converter, payloadCodecs: (converter.payloadCodecs ?? []).map(guard) };
}
