/**
 * An OpenAI-compatible endpoint (the project's mock server) that answers as the scripted expert of
 * one built-in task, optionally a little slowly, so a `run --llm openai` through the real bin takes
 * long enough for a test to act mid-episode, and can be taken down and up like a real server.
 */
import { goldSubtasks } from '../../src/envs/builtin';
import type { EnvSpec } from '../../src/envs/text-env';
import { expertPolicyRules } from '../../src/llm/expert-policy';
import { TEST_KEY } from './mock-config';
import { MockOpenAiServer } from './mock-openai-server';
import { scriptResponder } from './script-responder';
import { cleanEnv } from './cli-harness';

/** Starts the endpoint; each answer is held `delayMs` first. */
export function expertEndpoint(spec: EnvSpec, delayMs = 0): Promise<MockOpenAiServer> {
  return MockOpenAiServer.start({
    apiKey: TEST_KEY,
    responder: scriptResponder(expertPolicyRules(goldSubtasks(spec), 'chat')),
    ...(delayMs > 0 && { holdReply: () => new Promise<void>((r) => setTimeout(r, delayMs)) }),
  });
}

/** The CLI's environment for `--llm openai` against `server`. */
export function endpointEnv(server: MockOpenAiServer, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return cleanEnv({
    OPENAI_BASE_URL: server.baseURL,
    OPENAI_API_KEY: TEST_KEY,
    STEP_HRL_MODEL: 'mock-model',
    ...extra,
  });
}

/** `run` arguments of a built-in episode with the OpenAI backend. */
export function endpointRunArgs(spec: EnvSpec, episodeId: string, ...extra: string[]): string[] {
  const args = ['run', '--llm', 'openai', '--env', 'builtin', '--task', spec.task];
  return [...args, '--variation', String(spec.variation ?? 0), '--episode-id', episodeId, ...extra];
}
