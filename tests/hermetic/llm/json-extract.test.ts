/** Pins JSON-in-text extraction used when a server cannot constrain output to a schema. */
import { extractFirstJsonObject } from '../../../src/agent/json';

describe('extractFirstJsonObject', () => {
  it.each([
    ['bare object', '{"a": 1}', '{"a": 1}'],
    ['prose and code fence', 'Sure!\n```json\n{"action": "open door"}\n```\nDone.', '{"action": "open door"}'],
    ['braces inside strings', 'x {"say": "a } and { b", "n": {"m": 2}} y', '{"say": "a } and { b", "n": {"m": 2}}'],
    ['escaped quote', '{"q": "he said \\"}\\""}', '{"q": "he said \\"}\\""}'],
    ['skips a non-JSON brace first', 'use {braces} like {"ok": true}', '{"ok": true}'],
    ['first of two objects', '{"a": 1} {"b": 2}', '{"a": 1}'],
  ])('%s', (_name, text, expected) => {
    expect(extractFirstJsonObject(text)).toBe(expected);
  });

  it.each([
    ['no braces', 'open the door'],
    ['unbalanced', '{"a": 1'],
    ['array only', '[1, 2]'],
  ])('returns undefined for %s', (_name, text) => {
    expect(extractFirstJsonObject(text)).toBeUndefined();
  });
});
