/**
 * Checks that the configured OpenAI-compatible endpoints answer before an episode starts, so an
 * unreachable server is one clear error in seconds instead of a failed episode after minutes of
 * activity retries.
 */
import { POLICY_ROLES, redactUrl, type OpenAiClientConfig } from '../llm/config';

/** How long one endpoint may take to answer the check. */
const CHECK_TIMEOUT_MS = 5000;

/** An endpoint that did not answer; the message names the variable and the fix. */
export class LlmEndpointUnreachableError extends Error {
  override name = 'LlmEndpointUnreachableError';
}

/**
 * Sends one unauthenticated `GET <baseURL>/models` to every distinct base URL of `config`. Any
 * HTTP answer (even 401 or 404) proves the server is there; only a connection failure or a
 * timeout is an error. No key is sent, so nothing secret can leak through the check.
 * @throws LlmEndpointUnreachableError naming the variable that set the URL.
 */
export async function checkLlmEndpoints(
  config: OpenAiClientConfig,
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = CHECK_TIMEOUT_MS,
): Promise<void> {
  const checked = new Set<string>();
  for (const role of POLICY_ROLES) {
    const { baseURL } = config.roles[role];
    if (checked.has(baseURL)) continue;
    checked.add(baseURL);
    try {
      await fetch(`${baseURL}/models`, { signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      const variable = env[`STEP_HRL_BASE_URL_${role.toUpperCase()}`]
        ? `STEP_HRL_BASE_URL_${role.toUpperCase()}`
        : 'OPENAI_BASE_URL';
      throw new LlmEndpointUnreachableError(
        `${variable}=${redactUrl(baseURL)} is unreachable (${reason(err, timeoutMs)}); start that server, ` +
          `fix ${variable}, or unset it (and OPENAI_API_KEY) to use the embedded local model`,
      );
    }
  }
}

/** The low-level cause of a failed fetch, in a few words. */
function reason(err: unknown, timeoutMs: number): string {
  const error = err as Error & { cause?: { code?: string; message?: string } };
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return `no answer within ${timeoutMs / 1000} s`;
  return error.cause?.code ?? error.cause?.message ?? error.message;
}
