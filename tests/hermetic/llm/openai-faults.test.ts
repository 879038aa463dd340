/**
 * Every fault the mock server injects maps to the right LlmError: transient ones retryable (429
 * with its Retry-After), configuration ones non-retryable with a message naming the fix, and the
 * API key never appears in any message. The client makes exactly one request per call: retries
 * belong to Temporal's activity retry policy.
 */
import { OpenAiLlmClient } from '../../../src/llm/openai-client';
import { LlmError, type LlmRequest } from '../../../src/llm/types';
import { MockOpenAiServer, type MockFault } from '../../support/mock-openai-server';
import { CHAT_SCHEMA_REQUEST } from '../../support/llm-conformance';
import { TEST_KEY, mockConfig } from '../../support/mock-config';

const CHAT: LlmRequest = { role: 'low', messages: [{ role: 'user', content: 'next action?' }] };
const RAW: LlmRequest = { role: 'high', prompt: 'Task: x\nSubtask:' };

let server: MockOpenAiServer;
beforeAll(async () => {
  server = await MockOpenAiServer.start({
    apiKey: TEST_KEY,
    models: ['mock-model'],
    responder: () => '{"action":"look","done":false}',
  });
});
afterAll(() => server.stop());
beforeEach(() => server.requests.splice(0));

async function failure(request: LlmRequest, fault?: MockFault, timeoutMs = 5_000): Promise<LlmError> {
  if (fault) server.injectFaults(fault);
  const llm = new OpenAiLlmClient(mockConfig(server.baseURL, { timeoutMs }));
  const err: unknown = await llm.complete(request).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LlmError);
  expect((err as Error).message).not.toContain(TEST_KEY);
  expect((err as Error).message).not.toContain('SECRET');
  return err as LlmError;
}

describe.each([
  ['chat', CHAT],
  ['completions', RAW],
])('faults on the %s endpoint', (_name, request) => {
  it('429 is retryable and carries Retry-After seconds', async () => {
    const err = await failure(request, { kind: 'rate-limit', retryAfterSeconds: 7 });
    expect(err).toMatchObject({ retryable: true, retryAfterSeconds: 7 });
    expect(err.message).toMatch(/^rate limited by http:\/\/127\.0\.0\.1:\d+\/v1 \(429\)/);
    expect(server.requestCount).toBe(1); // the openai package did not retry on its own
  });

  it('500 is retryable', async () => {
    const err = await failure(request, { kind: 'server-error' });
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/server error from .* \(500\)/);
    expect(server.requestCount).toBe(1);
  });

  it('a hung request times out as retryable', async () => {
    const err = await failure(request, { kind: 'hang' }, 300);
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/timed out after 300 ms \(STEP_HRL_LLM_TIMEOUT_MS\)/);
    expect(server.requestCount).toBe(1);
  });

  it('a truncated body is retryable', async () => {
    const err = await failure(request, { kind: 'truncated' });
    expect(err.retryable).toBe(true);
    expect(server.requestCount).toBe(1);
  });

  it('a non-JSON body is retryable', async () => {
    const err = await failure(request, { kind: 'non-json' });
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/truncated or non-JSON response body from .*502 Bad Gateway/);
  });

  it('401 is non-retryable and names the env var, never the key', async () => {
    const err = await failure(request, { kind: 'unauthorized' });
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/rejected the API key \(401\); set OPENAI_API_KEY to a valid key/);
  });

  it('404 unknown model is non-retryable and names the model, base URL and variable', async () => {
    const err = await failure(request, { kind: 'unknown-model' });
    expect(err.retryable).toBe(false);
    expect(err.message).toContain(`model 'mock-model' not found at ${server.baseURL}`);
    expect(err.message).toContain('set STEP_HRL_MODEL to a model the server serves');
  });
});

describe('faults from server state, not injection', () => {
  it('a wrong key gets a 401 that echoes it; our error still hides it', async () => {
    const llm = new OpenAiLlmClient(
      mockConfig(server.baseURL, {
        perRole: { low: { apiKey: 'sk-wrong-SECRET-123456', apiKeyVar: 'STEP_HRL_API_KEY_LOW' } },
      }),
    );
    const err = (await llm.complete(CHAT).catch((e: unknown) => e)) as LlmError;
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('set STEP_HRL_API_KEY_LOW to a valid key');
    expect(err.message).not.toContain('sk-wrong-SECRET-123456');
  });

  it('an unserved model name is non-retryable and names it', async () => {
    const llm = new OpenAiLlmClient(
      mockConfig(server.baseURL, { perRole: { high: { model: 'gpt-nope', modelVar: 'STEP_HRL_MODEL_HIGH' } } }),
    );
    const err = (await llm.complete(RAW).catch((e: unknown) => e)) as LlmError;
    expect(err.retryable).toBe(false);
    expect(err.message).toContain(`model 'gpt-nope' not found at ${server.baseURL}`);
    expect(err.message).toContain('set STEP_HRL_MODEL_HIGH');
  });

  it('an unreachable server is retryable and says so', async () => {
    const gone = await MockOpenAiServer.start();
    const url = gone.baseURL;
    await gone.stop();
    const err = (await new OpenAiLlmClient(mockConfig(url)).complete(RAW).catch((e: unknown) => e)) as LlmError;
    expect(err.retryable).toBe(true);
    expect(err.message).toContain(`could not reach ${url}`);
  });

  it('an injected json_schema rejection falls back to JSON in text and succeeds', async () => {
    server.injectFaults({ kind: 'json-schema-unsupported' });
    const llm = new OpenAiLlmClient(mockConfig(server.baseURL));
    const res = await llm.complete(CHAT_SCHEMA_REQUEST);
    expect(JSON.parse(res.text)).toEqual({ action: 'look', done: false });
    expect(server.requests.map((r) => r.fault ?? 'ok')).toEqual(['json-schema-unsupported', 'ok']);
    expect(llm.structuredOutputMode('low')).toBe('text-fallback');
  });

  it('other 400s are non-retryable with the server message', async () => {
    server.injectFaults({ kind: 'server-error', status: 400 });
    const err = (await new OpenAiLlmClient(mockConfig(server.baseURL))
      .complete(RAW)
      .catch((e: unknown) => e)) as LlmError;
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/rejected the request as invalid \(400\) for model 'mock-model'/);
  });

  it('a call after a transient fault succeeds (what an activity retry would do)', async () => {
    server.injectFaults({ kind: 'rate-limit', retryAfterSeconds: 1 }, { kind: 'truncated' });
    const llm = new OpenAiLlmClient(mockConfig(server.baseURL));
    await expect(llm.complete(CHAT)).rejects.toMatchObject({ retryable: true });
    await expect(llm.complete(CHAT)).rejects.toMatchObject({ retryable: true });
    await expect(llm.complete(CHAT)).resolves.toMatchObject({ text: '{"action":"look","done":false}' });
    expect(server.requestCount).toBe(3);
  });
});
