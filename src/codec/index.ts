/** Encryption at rest: the AES-256-GCM payload codec, its keys, history decoding and the codec server. */
export { AesGcmCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA, PayloadDecryptionError, isEncrypted } from './aes-gcm-codec';
export {
  CODEC_SERVER_TOKEN_VAR,
  CodecServerConfigError,
  MIN_CODEC_SERVER_TOKEN_LENGTH,
  TOKEN_PATH_PREFIX,
  startCodecServer,
  type CodecServerOptions,
  type RunningCodecServer,
} from './codec-server';
export { ENCRYPTED_FAILURE_CONVERTER_PATH, dataConverterFromEnv } from './data-converter';
export { decodeHistoryPayloads, fetchDecodedHistory } from './history';
export { CodecKeyConfigError, KEY_ID_VAR, KEY_VAR, OLD_KEYS_VAR, loadCodecKeys, type CodecKeys } from './keys';
