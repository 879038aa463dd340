/**
 * Pins env config loading: no endpoint means "use the embedded model", per-role overrides win
 * over globals, and every bad value fails with a message naming the variable and the fix
 * (never echoing a key).
 */
import { LlmConfigEnvError, loadCacheConfigFromEnv, loadOpenAiConfigFromEnv } from '../../../src/llm/config';

const load = (env: Record<string, string>) => loadOpenAiConfigFromEnv(env);
const errorOf = (fn: () => unknown): LlmConfigEnvError => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(LlmConfigEnvError);
    return e as LlmConfigEnvError;
  }
  throw new Error('expected a LlmConfigEnvError');
};

describe('loadOpenAiConfigFromEnv', () => {
  it('returns undefined when no endpoint is configured (embedded local model)', () => {
    expect(load({ STEP_HRL_MODEL: 'x' })).toBeUndefined();
  });

  it('reads globals for every role and per-role overrides on top', () => {
    const config = load({
      OPENAI_BASE_URL: 'http://127.0.0.1:8000/v1/',
      OPENAI_API_KEY: 'sk-global',
      STEP_HRL_MODEL: 'base-model',
      STEP_HRL_MODEL_HIGH: 'high-model',
      STEP_HRL_MODEL_PROGRESS: 'progress-model',
      STEP_HRL_TEMPERATURE_LOW: '0.3',
      STEP_HRL_MAX_TOKENS: '128',
      STEP_HRL_API_KEY_HIGH: 'sk-high',
      STEP_HRL_BASE_URL_HIGH: 'https://api.example.test/v1',
      STEP_HRL_LLM_TIMEOUT_MS: '30000',
    })!;
    expect(config.timeoutMs).toBe(30000);
    expect(config.roles.high).toEqual({
      baseURL: 'https://api.example.test/v1',
      apiKey: 'sk-high',
      apiKeyVar: 'STEP_HRL_API_KEY_HIGH',
      model: 'high-model',
      modelVar: 'STEP_HRL_MODEL_HIGH',
      maxTokens: 128,
    });
    expect(config.roles.low).toEqual({
      baseURL: 'http://127.0.0.1:8000/v1',
      apiKey: 'sk-global',
      apiKeyVar: 'OPENAI_API_KEY',
      model: 'base-model',
      modelVar: 'STEP_HRL_MODEL',
      temperature: 0.3,
      maxTokens: 128,
    });
    expect(config.roles.progress.model).toBe('progress-model');
    expect(config.roles.react.model).toBe('base-model');
  });

  it('a local server needs no key: a placeholder is sent', () => {
    const config = load({ OPENAI_BASE_URL: 'http://127.0.0.1:8000/v1', STEP_HRL_MODEL: 'm' })!;
    expect(config.roles.low.apiKey).toBe('no-key');
    expect(config.timeoutMs).toBe(120000);
  });

  it('the default OpenAI endpoint without a key is an error naming OPENAI_API_KEY', () => {
    const err = errorOf(() => load({ STEP_HRL_BASE_URL_HIGH: 'http://127.0.0.1:1/v1', STEP_HRL_MODEL: 'm' }));
    expect(err.variable).toBe('OPENAI_API_KEY');
    expect(err.message).toBe(
      "OPENAI_API_KEY is not set but role 'low' uses the default endpoint https://api.openai.com/v1: " +
        'set OPENAI_API_KEY (or STEP_HRL_API_KEY_LOW), or point OPENAI_BASE_URL at your own server.',
    );
  });

  it('a missing model names STEP_HRL_MODEL and the per-role variable', () => {
    const err = errorOf(() => load({ OPENAI_API_KEY: 'sk-1234', STEP_HRL_MODEL_HIGH: 'h' }));
    expect(err.variable).toBe('STEP_HRL_MODEL');
    expect(err.message).toMatch(
      /name the model for role 'low' with STEP_HRL_MODEL \(all roles\) or STEP_HRL_MODEL_LOW/,
    );
  });

  it.each([
    ['OPENAI_BASE_URL', 'localhost:8000', 'an http(s) URL such as http://127.0.0.1:8000/v1'],
    ['STEP_HRL_TEMPERATURE_HIGH', '3', 'a number from 0 to 2'],
    ['STEP_HRL_MAX_TOKENS', '-5', 'a positive integer'],
    ['STEP_HRL_LLM_TIMEOUT_MS', 'soon', 'a positive integer number of milliseconds'],
  ])('%s=%s is rejected with the expected form', (variable, value, expected) => {
    const env = { OPENAI_BASE_URL: 'http://127.0.0.1:8000/v1', STEP_HRL_MODEL: 'm', [variable]: value };
    const err = errorOf(() => load(env));
    expect(err.variable).toBe(variable);
    expect(err.message).toBe(`${variable}=${JSON.stringify(value)} is invalid: expected ${expected}.`);
  });
});

describe('loadCacheConfigFromEnv', () => {
  it('defaults to off under .step-hrl/cache', () => {
    expect(loadCacheConfigFromEnv({})).toEqual({ mode: 'off', dir: '.step-hrl/cache' });
  });

  it('reads mode and dir', () => {
    expect(loadCacheConfigFromEnv({ STEP_HRL_CACHE: 'read-only', STEP_HRL_CACHE_DIR: 'runs/cache' })).toEqual({
      mode: 'read-only',
      dir: 'runs/cache',
    });
  });

  it('rejects an unknown mode naming the variable and the choices', () => {
    const err = errorOf(() => loadCacheConfigFromEnv({ STEP_HRL_CACHE: 'readonly' }));
    expect(err.message).toBe(`STEP_HRL_CACHE="readonly" is invalid: expected one of 'off', 'read-write', 'read-only'.`);
  });
});
