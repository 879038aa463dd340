/** The data converter every step-hrl Client and Worker uses: the AES-256-GCM codec with the environment's keys. */
import type { DataConverter } from '@temporalio/common';
import { AesGcmCodec } from './aes-gcm-codec';
import { loadCodecKeys } from './keys';

/**
 * The data converter for the keys in `env`. The codec is installed even with no key set: it then
 * passes payloads through, and reports an encrypted payload it meets with the key id to configure
 * (instead of the SDK's "Unknown encoding").
 * @throws CodecKeyConfigError when a key variable is malformed.
 */
export function dataConverterFromEnv(env: NodeJS.ProcessEnv = process.env): DataConverter {
  return { payloadCodecs: [new AesGcmCodec(loadCodecKeys(env))] };
}
