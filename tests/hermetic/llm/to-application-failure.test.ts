/** Pins how backend errors become Temporal failures: retryability, type and Retry-After delay. */
import { ApplicationFailure } from '@temporalio/common';
import { CacheMissError } from '../../../src/llm/cache';
import { asApplicationFailure, llmErrorToApplicationFailure } from '../../../src/llm/to-application-failure';
import { LlmError } from '../../../src/llm/types';

describe('llmErrorToApplicationFailure', () => {
  it('a 429 becomes a retryable failure whose next retry waits for Retry-After', () => {
    const f = llmErrorToApplicationFailure(new LlmError('rate limited by http://x/v1 (429): slow down', true, 7.5));
    expect(f).toBeInstanceOf(ApplicationFailure);
    expect(f).toMatchObject({
      message: 'rate limited by http://x/v1 (429): slow down',
      type: 'LlmTransientError',
      nonRetryable: false,
      nextRetryDelay: 7500,
      details: [{ retryAfterSeconds: 7.5 }],
    });
  });

  it('a transient error without Retry-After leaves the delay to the policy backoff', () => {
    const f = llmErrorToApplicationFailure(new LlmError('server error (500)', true));
    expect(f.nonRetryable).toBe(false);
    expect(f.nextRetryDelay).toBeUndefined();
  });

  it('a configuration error is non-retryable and typed for nonRetryableErrorTypes', () => {
    const f = llmErrorToApplicationFailure(new LlmError('rejected the API key (401); set OPENAI_API_KEY', false, 3));
    expect(f).toMatchObject({ type: 'LlmConfigError', nonRetryable: true });
    expect(f.nextRetryDelay).toBeUndefined();
  });

  it('subclasses keep their own type', () => {
    const f = llmErrorToApplicationFailure(new CacheMissError('ab'.repeat(32), 'read-only', '/tmp/c'));
    expect(f).toMatchObject({ type: 'CacheMissError', nonRetryable: true });
  });
});

describe('asApplicationFailure', () => {
  it('converts LlmError and passes anything else through unchanged', () => {
    expect(asApplicationFailure(new LlmError('x', true))).toBeInstanceOf(ApplicationFailure);
    const other = new TypeError('bug');
    expect(asApplicationFailure(other)).toBe(other);
  });
});
