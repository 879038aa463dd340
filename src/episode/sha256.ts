/**
 * SHA-256 of a string's UTF-8 bytes, as lowercase hex, through @noble/hashes (audited, pure
 * JavaScript: no Node or Web crypto API), so workflow code can hash what it records (a prompt stored
 * by its hash is checked with it on read) and readers get the same digest as Node's `createHash`.
 */
import { sha256 } from '@noble/hashes/sha256';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils';

/** Lowercase hex SHA-256 of `text` encoded as UTF-8 (lone surrogates as U+FFFD, as Node does). */
export function sha256Hex(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text)));
}
