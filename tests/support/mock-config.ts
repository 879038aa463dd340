/** Builds an OpenAiClientConfig pointing every role at a mock server, for the llm tests. */
import type { OpenAiClientConfig, RoleConfig } from '../../src/llm/config';
import type { PolicyRole } from '../../src/llm/types';

/** The key tests use; long and unique so a leak is easy to search for. */
export const TEST_KEY = 'sk-test-SECRET-9f8e7d6c5b4a';

/** Config with every role on `baseURL` and model `model`; `perRole` patches single roles. */
export function mockConfig(
  baseURL: string,
  opts: { model?: string; timeoutMs?: number; perRole?: Partial<Record<PolicyRole, Partial<RoleConfig>>> } = {},
): OpenAiClientConfig {
  const role = (r: PolicyRole): RoleConfig => ({
    baseURL,
    apiKey: TEST_KEY,
    apiKeyVar: 'OPENAI_API_KEY',
    model: opts.model ?? 'mock-model',
    modelVar: 'STEP_HRL_MODEL',
    ...opts.perRole?.[r],
  });
  return {
    roles: { high: role('high'), low: role('low'), progress: role('progress'), react: role('react') },
    timeoutMs: opts.timeoutMs ?? 5_000,
  };
}
