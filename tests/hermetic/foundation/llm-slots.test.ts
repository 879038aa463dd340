/**
 * The worker's LLM slot count: sized to the backend by default (a batching endpoint gets enough
 * calls in flight to fill a batch, the serial local model keeps 1-2), overridable by
 * `--llm-slots` or STEP_HRL_LLM_SLOTS, and bad values name the input and the fix.
 */
import { LLM_SLOTS_ENV, resolveLlmSlots, SERIAL_BACKEND_LLM_SLOTS } from '../../../src/cli/llm-slots';
import { selectLlm } from '../../../src/llm/select';
import { DEFAULT_WORKER_SLOTS } from '../../../src/worker';

describe('resolveLlmSlots', () => {
  it('defaults to a full batch for an endpoint and 1-2 for the serial local model', () => {
    expect(resolveLlmSlots({ serial: false, env: {} })).toBe(DEFAULT_WORKER_SLOTS.maxConcurrentLlmCalls);
    expect(DEFAULT_WORKER_SLOTS.maxConcurrentLlmCalls).toBeGreaterThanOrEqual(64);
    expect(resolveLlmSlots({ serial: true, env: {} })).toBe(SERIAL_BACKEND_LLM_SLOTS);
    expect(SERIAL_BACKEND_LLM_SLOTS).toBeLessThanOrEqual(2);
  });

  it('takes the variable, and the flag over the variable', () => {
    expect(resolveLlmSlots({ serial: false, env: { [LLM_SLOTS_ENV]: '24' } })).toBe(24);
    expect(resolveLlmSlots({ serial: true, env: { [LLM_SLOTS_ENV]: '3' } })).toBe(3);
    expect(resolveLlmSlots({ flag: '7', serial: false, env: { [LLM_SLOTS_ENV]: '24' } })).toBe(7);
  });

  it.each(['0', '-1', '2.5', 'many', ''])('rejects --llm-slots %j naming the flag and the fix', (bad) => {
    expect(() => resolveLlmSlots({ flag: bad, serial: false, env: {} })).toThrow(
      new RegExp(`--llm-slots ${JSON.stringify(bad)} is not valid: .*whole number of at least 1`),
    );
  });

  it('names the variable when it is the bad input', () => {
    expect(() => resolveLlmSlots({ serial: false, env: { [LLM_SLOTS_ENV]: 'lots' } })).toThrow(
      /STEP_HRL_LLM_SLOTS "lots" is not valid/,
    );
  });
});

describe('selectLlm marks the serial backend', () => {
  it('an OpenAI-compatible endpoint and the scripted expert are not serial', () => {
    const env = { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', STEP_HRL_MODEL: 'm', STEP_HRL_CACHE: 'off' };
    expect(selectLlm({ choice: 'openai', env }).serial).toBe(false);
    expect(selectLlm({ choice: 'expert', expertPlan: [], env: { STEP_HRL_CACHE: 'off' } }).serial).toBe(false);
  });
});
