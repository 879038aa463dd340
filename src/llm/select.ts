/**
 * Chooses the worker's LLM backend: an OpenAI-compatible endpoint when one is configured
 * (OPENAI_BASE_URL / OPENAI_API_KEY / per-role variables), else the embedded local model; or the
 * scripted expert policy when asked for. Wraps it in the response cache when enabled.
 */
import { CachedLlmClient } from './cache';
import { loadCacheConfigFromEnv, loadOpenAiConfigFromEnv, type CacheMode } from './config';
import { expertPolicyRules, type ExpertSubtask } from './expert-policy';
import { ExpertRouterClient, type ExpertRouterOptions } from './expert-router';
import { sharedLocalLlamaClient } from './local-llama';
import { OpenAiLlmClient } from './openai-client';
import { ScriptedLlmClient } from './scripted-client';
import type { LlmClient } from './types';

/** Which backend to use; `auto` = OpenAI-compatible when configured, else local. */
export type LlmChoice = 'auto' | 'openai' | 'local' | 'expert';

/** Every backend choice, in the order the CLI lists them. */
export const LLM_CHOICES: readonly LlmChoice[] = ['auto', 'openai', 'local', 'expert'];

/** Parses a `--llm` value. @throws naming the flag and the valid choices. */
export function parseLlmChoice(text: string): LlmChoice {
  if (!LLM_CHOICES.includes(text as LlmChoice)) {
    throw new Error(`--llm ${JSON.stringify(text)} is not valid; choose one of: ${LLM_CHOICES.join(', ')}`);
  }
  return text as LlmChoice;
}

/** Options of {@link selectLlm}. */
export interface SelectLlmOptions {
  choice: LlmChoice;
  /** Needed for `expert` (or `expertRouter`): the plan the scripted policy follows. */
  expertPlan?: ExpertSubtask[];
  /** For `expert` over many episodes (an evaluation): each episode's plan, looked up per call. */
  expertRouter?: Omit<ExpertRouterOptions, 'profile'>;
  /** Output format of the expert policy. */
  profile?: 'paper' | 'chat';
  /** GGUF model path for `local` (else STEP_HRL_MODEL_PATH or the installed default). */
  modelPath?: string;
  /** Overrides STEP_HRL_CACHE. */
  cacheMode?: CacheMode;
  /** Overrides STEP_HRL_CACHE_DIR. */
  cacheDir?: string;
  env?: NodeJS.ProcessEnv;
}

/** The selected client and a one-line description for logs (never contains a key). */
export interface SelectedLlm {
  client: LlmClient;
  description: string;
  /** True when the backend runs one call at a time (the embedded local model). */
  serial: boolean;
}

/** Builds the backend. @throws LlmConfigEnvError for bad variables, LlmError for a missing local model. */
export function selectLlm(options: SelectLlmOptions): SelectedLlm {
  const env = options.env ?? process.env;
  let client: LlmClient;
  let description: string;
  let serial = false;
  const openai = options.choice === 'auto' || options.choice === 'openai' ? loadOpenAiConfigFromEnv(env) : undefined;
  if (options.choice === 'expert') {
    const profile = options.profile ?? 'chat';
    if (options.expertRouter) client = new ExpertRouterClient({ ...options.expertRouter, profile });
    else if (options.expertPlan) {
      client = new ScriptedLlmClient(expertPolicyRules(options.expertPlan, profile), { modelId: 'scripted-expert' });
    } else throw new Error('the expert policy needs an expert plan for the episode');
    description = 'scripted expert policy (follows the env expert solution; not a model)';
  } else if (openai) {
    client = new OpenAiLlmClient(openai);
    description = `${client.modelId} via the OpenAI-compatible API`;
  } else if (options.choice === 'openai') {
    throw new Error('--llm openai needs OPENAI_BASE_URL or OPENAI_API_KEY (and STEP_HRL_MODEL) in the environment');
  } else {
    client = sharedLocalLlamaClient({ modelPath: options.modelPath });
    description = `${client.modelId} (embedded local model, CPU)`;
    serial = true;
  }
  const cache = loadCacheConfigFromEnv(env);
  const mode = options.cacheMode ?? cache.mode;
  if (mode !== 'off') {
    client = new CachedLlmClient(client, { mode, dir: options.cacheDir ?? cache.dir });
    description += `, response cache ${mode}`;
  }
  return { client, description, serial };
}
