/**
 * A prompt is stored by hash only when the reader can render it again, and read back only when the
 * rendered text matches the hash: a changed template leaves the hash and no invented text.
 */
import type { PolicyCallInput } from '../../../src/activities/types';
import type { CallRecord } from '../../../src/agent/records';
import { PROMPT_BUILDER_VERSION, promptByHash, promptFromHash } from '../../../src/episode/prompt-ref';
import { sha256Hex } from '../../../src/episode/sha256';

const call = (prompt: string): PolicyCallInput => ({
  role: 'low',
  profile: 'paper',
  prompt,
  maxTokens: 8,
  temperature: 0,
});
const record: CallRecord = {
  role: 'low',
  model: 'm',
  tokens: { prompt: 1, completion: 1 },
  latencyMs: 1,
  promptChars: 6,
  prompt: 'sent 1',
  decoding: { maxTokens: 8, temperature: 0 },
  reply: 'r',
  output: null,
  cached: false,
  repairs: [],
};

test('stored by hash in place of the text, and read back whole with the same key order', () => {
  const stored = promptByHash(record, call('sent 1'));
  expect(stored).not.toHaveProperty('prompt');
  expect(stored).toMatchObject({ promptHash: sha256Hex('sent 1'), promptBuilder: PROMPT_BUILDER_VERSION });
  const back = promptFromHash(stored, () => call('sent 1'));
  expect(back).toEqual(record);
  expect(JSON.stringify(back)).toBe(JSON.stringify(record));
});

test('kept whole when the reader would render something else', () => {
  expect(promptByHash(record, call('other'))).toBe(record);
});

test('a rendered text that does not match the hash is not put back', () => {
  const stored = promptByHash(record, call('sent 1'));
  const back = promptFromHash(stored, () => call('changed template')) as Record<string, unknown>;
  expect(back).not.toHaveProperty('prompt');
  expect(back.promptHash).toBe(sha256Hex('sent 1'));
});

test('chat messages are hashed as JSON and come back as messages', () => {
  const messages = [{ role: 'user' as const, content: 'hi' }];
  const { prompt: _prompt, ...rest } = record;
  const chat = { ...rest, messages } as CallRecord;
  const rendered = { ...call(''), prompt: undefined, messages };
  const stored = promptByHash(chat, rendered);
  expect(stored.promptHash).toBe(sha256Hex(JSON.stringify(messages)));
  expect(promptFromHash(stored, () => rendered)).toEqual(chat);
});
