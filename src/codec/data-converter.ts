/** The data converter every step-hrl Client and Worker uses: the AES-256-GCM codec with the environment's keys. */
import type { DataConverter } from '@temporalio/common';
import { AesGcmCodec } from './aes-gcm-codec';
import { loadCodecKeys } from './keys';

/**
 * Path of the module whose failure converter moves failure messages and stack traces into an
 * encoded (so encrypted) payload; `.ts` under ts-jest/ts-node, `.js` in the build.
 */
export const ENCRYPTED_FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

/**
 * The data converter for the keys in `env`. The codec is installed even with no key set: it then
 * passes payloads through, and reports an encrypted payload it meets with the key id to configure
 * (instead of the SDK's "Unknown encoding"). With a key that encrypts, failure messages and stack
 * traces are encoded too ({@link ENCRYPTED_FAILURE_CONVERTER_PATH}); without one they stay plain, as before.
 * @throws CodecKeyConfigError when a key variable is malformed.
 */
export function dataConverterFromEnv(env: NodeJS.ProcessEnv = process.env): DataConverter {
  const codec = new AesGcmCodec(loadCodecKeys(env));
  if (!codec.encrypting) return { payloadCodecs: [codec] };
  return { payloadCodecs: [codec], failureConverterPath: ENCRYPTED_FAILURE_CONVERTER_PATH };
}
