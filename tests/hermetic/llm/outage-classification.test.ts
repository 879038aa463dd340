/**
 * Which failures an outage budget waits out and which fail fast (issue 9 item 3), through the real
 * OpenAI client against the mock endpoint and the conversion to Temporal's ApplicationFailure that
 * the policy activity's retry policy reads: bad key (401/403), unknown model (404) and bad request
 * (400/422) are non-retryable; 408/409/429/5xx, a refused or reset connection and timeouts are
 * retryable, and 429's Retry-After becomes the next retry's delay.
 */
import { OpenAiLlmClient } from '../../../src/llm/openai-client';
import { llmErrorToApplicationFailure } from '../../../src/llm/to-application-failure';
import { LlmError, type LlmRequest } from '../../../src/llm/types';
import { MockOpenAiServer, type MockFault } from '../../support/mock-openai-server';
import { TEST_KEY, mockConfig } from '../../support/mock-config';

const CHAT: LlmRequest = { role: 'low', messages: [{ role: 'user', content: 'next action?' }] };

let server: MockOpenAiServer;
beforeAll(async () => {
  server = await MockOpenAiServer.start({ apiKey: TEST_KEY, responder: () => '{"action":"look"}' });
});
afterAll(() => server.stop());

async function failureOf(fault: MockFault | 'refused', timeoutMs = 5_000) {
  if (fault === 'refused') await server.goDown('refuse');
  else server.injectFaults(fault);
  try {
    const err: unknown = await new OpenAiLlmClient(mockConfig(server.baseURL, { timeoutMs })).complete(CHAT).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LlmError);
    return llmErrorToApplicationFailure(err as LlmError);
  } finally {
    if (fault === 'refused') await server.comeUp();
  }
}

test.each([400, 401, 403, 404, 422])('HTTP %i fails fast (non-retryable)', async (status) => {
  const failure = await failureOf({ kind: 'server-error', status });
  expect(failure.nonRetryable).toBe(true);
  expect(failure.type).toBe('LlmConfigError');
});

test.each([408, 409, 500, 502, 503, 504])('HTTP %i is waited out (retryable)', async (status) => {
  const failure = await failureOf({ kind: 'server-error', status });
  expect(failure.nonRetryable).toBe(false);
});

test('429 is retryable after its Retry-After', async () => {
  const failure = await failureOf({ kind: 'rate-limit', retryAfterSeconds: 42 });
  expect(failure.nonRetryable).toBe(false);
  expect(failure.nextRetryDelay).toBe(42_000);
});

test.each([
  ['a refused connection', 'refused' as const],
  ['a reset connection', { kind: 'reset' } as MockFault],
  ['a timeout', { kind: 'hang' } as MockFault],
])('%s is waited out (retryable)', async (_name, fault) => {
  const failure = await failureOf(fault, 1_000);
  expect(failure.nonRetryable).toBe(false);
});

test('the endpoint answers again after an outage ends', async () => {
  await server.goDown('unavailable');
  const llm = new OpenAiLlmClient(mockConfig(server.baseURL));
  await expect(llm.complete(CHAT)).rejects.toThrow(/503/);
  await server.comeUp();
  await expect(llm.complete(CHAT)).resolves.toMatchObject({ text: '{"action":"look"}' });
});
