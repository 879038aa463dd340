/** The workflow-safe SHA-256 agrees with Node's on ASCII, multi-byte text and block-boundary lengths. */
import { createHash } from 'node:crypto';
import { sha256Hex } from '../../../src/episode/sha256';

test.each(['', 'abc', 'héllo wörld 😀 ünïcode', 'a'.repeat(55), 'a'.repeat(56), 'a'.repeat(64), 'x'.repeat(5000)])(
  'sha256Hex of %#',
  (text) => {
    expect(sha256Hex(text)).toBe(createHash('sha256').update(text, 'utf8').digest('hex'));
  },
);
