/**
 * A Temporal payload codec that encrypts every payload with AES-256-GCM, so prompts, replies and
 * observations are not readable on the Temporal server. The whole payload (its metadata too) is
 * serialised and encrypted; the result carries only the encoding and the key id in clear.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { KEY_ID_VAR, KEY_VAR, OLD_KEYS_VAR, type CodecKeys } from './keys';

/** `encoding` of an encrypted payload. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** Metadata key holding the id of the key a payload was encrypted with. */
export const KEY_ID_METADATA = 'encryption-key-id';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** An encrypted payload this process cannot decrypt: its key is not configured, or it was altered. */
export class PayloadDecryptionError extends Error {
  override name = 'PayloadDecryptionError';
}

/** Whether `payload` was written by this codec. */
export function isEncrypted(payload: Payload): boolean {
  const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
  return encoding !== undefined && encoding !== null && decoder.decode(encoding) === ENCRYPTED_ENCODING;
}

/**
 * AES-256-GCM codec: a random 12-byte IV per payload, data = IV ‖ ciphertext ‖ tag. Encodes with
 * the current key (passes payloads through when there is none); decodes with any key listed, by
 * the id in the payload's metadata, and passes plain payloads through (records written before
 * encryption was turned on stay readable).
 */
export class AesGcmCodec implements PayloadCodec {
  constructor(private readonly keys: CodecKeys) {}

  /** Whether new payloads are encrypted. */
  get encrypting(): boolean {
    return this.keys.current !== undefined;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const current = this.keys.current;
    if (!current) return payloads;
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv(ALGORITHM, current.key, iv);
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: {
          [METADATA_ENCODING_KEY]: encoder.encode(ENCRYPTED_ENCODING),
          [KEY_ID_METADATA]: encoder.encode(current.id),
        },
        data: new Uint8Array(data),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => (isEncrypted(payload) ? this.decrypt(payload) : payload));
  }

  private decrypt(payload: Payload): Payload {
    const idBytes = payload.metadata?.[KEY_ID_METADATA];
    if (!idBytes || idBytes.length === 0)
      throw new PayloadDecryptionError(
        `an encrypted payload has no ${KEY_ID_METADATA} in its metadata, so no key can be chosen for it; ` +
          `it was not written by step-hrl's codec`,
      );
    const id = decoder.decode(idBytes);
    const key = this.keys.byId.get(id);
    if (!key) throw new PayloadDecryptionError(unknownKeyMessage(id, this.keys));
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES)
      throw new PayloadDecryptionError(`an encrypted payload (key id ${JSON.stringify(id)}) is truncated`);
    try {
      const decipher = createDecipheriv(ALGORITHM, key, data.subarray(0, IV_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([
        decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
      return temporal.api.common.v1.Payload.decode(plain);
    } catch {
      throw new PayloadDecryptionError(
        `an encrypted payload (key id ${JSON.stringify(id)}) failed authentication: it was altered, or the key ` +
          `configured for ${JSON.stringify(id)} is not the one it was written with`,
      );
    }
  }
}

function unknownKeyMessage(id: string, keys: CodecKeys): string {
  const known = [...keys.byId.keys()];
  const have =
    known.length > 0 ? `this process has key ids ${known.map((k) => JSON.stringify(k)).join(', ')}` : 'no key is set';
  return (
    `payload encrypted with key id ${JSON.stringify(id)}, which is not configured (${have}); ` +
    `set ${KEY_ID_VAR}=${id} and ${KEY_VAR} to the key it was written with, or list it as ${id}:<base64 key> ` +
    `in ${OLD_KEYS_VAR} next to your current key`
  );
}
