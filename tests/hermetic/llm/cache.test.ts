/**
 * Pins the response cache: read-write stores then hits with zero tokens; read-only serves hits
 * without any request reaching the server and turns a miss into a clear non-retryable error;
 * every request parameter is part of the key; concurrent writers never corrupt an entry.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CacheMissError, CachedLlmClient, cacheKey } from '../../../src/llm/cache';
import { OpenAiLlmClient } from '../../../src/llm/openai-client';
import { ScriptedLlmClient } from '../../../src/llm/scripted-client';
import { LlmError, type LlmClient, type LlmRequest } from '../../../src/llm/types';
import { MockOpenAiServer } from '../../support/mock-openai-server';
import { CHAT_SCHEMA_REQUEST, RAW_STOP_REQUEST, conformanceReply } from '../../support/llm-conformance';
import { mockConfig } from '../../support/mock-config';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'step-hrl-cache-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function entryFiles(): Promise<string[]> {
  const subdirs = await readdir(dir).catch(() => [] as string[]);
  const files = await Promise.all(subdirs.map(async (d) => (await readdir(join(dir, d))).map((f) => join(d, f))));
  return files.flat();
}

describe('CachedLlmClient over the OpenAI client and a real HTTP server', () => {
  let server: MockOpenAiServer;
  beforeEach(async () => {
    server = await MockOpenAiServer.start({ responder: ({ prompt }) => conformanceReply(prompt) ?? 'ok' });
  });
  afterEach(() => server.stop());

  it('read-write: a miss calls the model and stores; a repeat is a hit with zero tokens and no request', async () => {
    const llm = new CachedLlmClient(new OpenAiLlmClient(mockConfig(server.baseURL)), { mode: 'read-write', dir });
    const first = await llm.complete(CHAT_SCHEMA_REQUEST);
    expect(first.cached).toBeUndefined();
    expect(first.usage.source).toBe('api');
    expect(server.requestCount).toBe(1);
    expect(await entryFiles()).toHaveLength(1);

    const second = await llm.complete(CHAT_SCHEMA_REQUEST);
    expect(server.requestCount).toBe(1);
    expect(second).toMatchObject({
      text: first.text,
      model: first.model,
      cached: true,
      usage: { promptTokens: 0, completionTokens: 0, source: 'api' },
      originalUsage: first.usage,
      originalLatencyMs: first.latencyMs,
    });
    expect(llm.stats()).toEqual({ hits: 1, misses: 1, writes: 1 });
  });

  it('read-only: with the server stopped, recorded requests replay identically at zero tokens', async () => {
    const writer = new CachedLlmClient(new OpenAiLlmClient(mockConfig(server.baseURL)), { mode: 'read-write', dir });
    const recorded = [await writer.complete(CHAT_SCHEMA_REQUEST), await writer.complete(RAW_STOP_REQUEST)];
    const sent = server.requestCount;
    await server.stop();

    const reader = new CachedLlmClient(new OpenAiLlmClient(mockConfig(server.baseURL)), { mode: 'read-only', dir });
    const replayed = [await reader.complete(CHAT_SCHEMA_REQUEST), await reader.complete(RAW_STOP_REQUEST)];
    expect(replayed.map((r) => r.text)).toEqual(recorded.map((r) => r.text));
    for (const r of replayed) expect(r.usage).toMatchObject({ promptTokens: 0, completionTokens: 0 });
    expect(reader.stats()).toEqual({ hits: 2, misses: 0, writes: 0 });

    await server.start(); // same port: had the reader called out, the counter would show it
    expect(server.requestCount).toBe(sent);
  });

  it('read-only: a miss is a non-retryable error naming the mode and the fix, and sends nothing', async () => {
    const reader = new CachedLlmClient(new OpenAiLlmClient(mockConfig(server.baseURL)), { mode: 'read-only', dir });
    const err = await reader.complete(RAW_STOP_REQUEST).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CacheMissError);
    expect(err).toBeInstanceOf(LlmError);
    expect((err as LlmError).retryable).toBe(false);
    expect((err as Error).message).toMatch(
      /^response cache miss in read-only mode \(key [0-9a-f]{16}…, dir .*\): this request was never recorded\. Re-run with STEP_HRL_CACHE=read-write/,
    );
    expect(server.requestCount).toBe(0);
    expect(reader.stats()).toEqual({ hits: 0, misses: 1, writes: 0 });
  });

  it('operator overrides of the OpenAI client are part of the key', async () => {
    const plain = new CachedLlmClient(new OpenAiLlmClient(mockConfig(server.baseURL)), { dir });
    const hot = new CachedLlmClient(
      new OpenAiLlmClient(mockConfig(server.baseURL, { perRole: { low: { temperature: 0.9 } } })),
      { dir },
    );
    expect(plain.modelId).toBe(hot.modelId);
    expect(plain.keyFor(RAW_STOP_REQUEST)).not.toBe(hot.keyFor(RAW_STOP_REQUEST));
  });
});

describe('cache keys', () => {
  const base: LlmRequest = {
    role: 'low',
    messages: [{ role: 'user', content: 'hi' }],
    jsonSchema: { type: 'object', properties: { a: { type: 'string' } } },
    maxTokens: 20,
    temperature: 0,
    stop: ['\n'],
  };
  const key = (req: LlmRequest, modelId = 'm') => cacheKey(modelId, req);

  it.each<[string, LlmRequest]>([
    ['role', { ...base, role: 'high' }],
    ['message content', { ...base, messages: [{ role: 'user', content: 'hi!' }] }],
    ['message role', { ...base, messages: [{ role: 'system', content: 'hi' }] }],
    ['schema', { ...base, jsonSchema: { type: 'object', properties: { b: { type: 'string' } } } }],
    ['maxTokens', { ...base, maxTokens: 21 }],
    ['temperature', { ...base, temperature: 0.1 }],
    ['stop', { ...base, stop: ['\n\n'] }],
    [
      'prompt instead of messages',
      { role: 'low', prompt: 'hi', jsonSchema: base.jsonSchema, maxTokens: 20, temperature: 0, stop: ['\n'] },
    ],
  ])('differs when %s differs', (_what, changed) => {
    expect(key(changed)).not.toBe(key(base));
  });

  it('differs when the model id differs', () => {
    expect(key(base, 'model-a')).not.toBe(key(base, 'model-b'));
  });

  it('ignores object key order', () => {
    const reordered: LlmRequest = {
      stop: ['\n'],
      temperature: 0,
      maxTokens: 20,
      jsonSchema: { properties: { a: { type: 'string' } }, type: 'object' },
      messages: [{ content: 'hi', role: 'user' }],
      role: 'low',
    };
    expect(key(reordered)).toBe(key(base));
  });

  it('treats omitted parameters as their documented defaults', () => {
    const llm = new CachedLlmClient(new ScriptedLlmClient([]), { dir: 'unused' });
    expect(llm.keyFor({ role: 'low', prompt: 'p' })).toBe(
      llm.keyFor({ role: 'low', prompt: 'p', maxTokens: 64, temperature: 0 }),
    );
  });
});

describe('CachedLlmClient storage', () => {
  it('mode off calls the inner client every time and writes nothing', async () => {
    const inner = new ScriptedLlmClient([{ match: 'p', reply: 'r' }]);
    const llm = new CachedLlmClient(inner, { mode: 'off', dir });
    await llm.complete({ role: 'low', prompt: 'p' });
    await llm.complete({ role: 'low', prompt: 'p' });
    expect(inner.requests).toHaveLength(2);
    expect(await entryFiles()).toEqual([]);
  });

  it('a corrupt entry is a miss in read-write mode and gets rewritten', async () => {
    const inner = new ScriptedLlmClient([{ match: 'p', reply: 'r' }]);
    const llm = new CachedLlmClient(inner, { dir });
    await llm.complete({ role: 'low', prompt: 'p' });
    const [file] = await entryFiles();
    await writeFile(join(dir, file!), '{"version": 1, "key": "tru');
    const res = await llm.complete({ role: 'low', prompt: 'p' });
    expect(res.cached).toBeUndefined();
    expect(inner.requests).toHaveLength(2);
    expect(JSON.parse(await readFile(join(dir, file!), 'utf8'))).toMatchObject({ response: { text: 'r' } });
  });

  it('concurrent writers of one key leave a whole entry and no temp files', async () => {
    const request: LlmRequest = { role: 'low', prompt: 'same prompt' };
    // Different lengths: with in-place writes a short entry landing over a long one leaves a torn file.
    const texts = Array.from({ length: 24 }, (_, i) => `${i}:${'x'.repeat(40_000 * (((i * 7) % 24) + 1))}`);
    // A bare fake (no tokenizer: BPE over 400 kB of one letter is slow) answering after a tick.
    const fixed = (text: string): LlmClient => ({
      modelId: 'scripted',
      complete: async () => ({
        text,
        usage: { promptTokens: 1, completionTokens: 1, source: 'tokenizer' },
        model: 'scripted',
        latencyMs: 0,
      }),
    });
    const clients = texts.map((t) => new CachedLlmClient(fixed(t), { dir }));
    await Promise.all(clients.map((c) => c.complete(request)));

    const files = await entryFiles();
    expect(files).toHaveLength(1);
    const entry = JSON.parse(await readFile(join(dir, files[0]!), 'utf8')) as { response: { text: string } };
    expect(texts).toContain(entry.response.text);
    const hit = await new CachedLlmClient(new ScriptedLlmClient([]), { mode: 'read-only', dir }).complete(request);
    expect(hit.text).toBe(entry.response.text);
  });
});
