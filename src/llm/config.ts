/**
 * Configuration for the OpenAI-compatible backend and the response cache, read from env vars.
 *
 * Lives apart from `openai-client.ts` so the CLI and worker can validate settings (and print
 * which variable is wrong) without loading the `openai` package. API keys are read here and
 * kept only in the returned config object on the worker: never in requests, records or errors.
 */
import { z } from 'zod';
import type { PolicyRole } from './types';

/** Every role a client may be asked to serve, in a fixed order (used for ids and loops). */
export const POLICY_ROLES: readonly PolicyRole[] = ['high', 'low', 'progress', 'react'];

/** The endpoint, model and sampling settings one policy role uses. */
export interface RoleConfig {
  /** Base URL of an OpenAI-compatible API, ending in `/v1`. */
  baseURL: string;
  /** API key; servers without auth (local vLLM, Ollama) accept any placeholder. */
  apiKey: string;
  /** Env var the key came from, named in "bad key" errors (never the key itself). */
  apiKeyVar: string;
  /** Model name as the server knows it. */
  model: string;
  /** Env var the model came from, named in "unknown model" errors. */
  modelVar: string;
  /** Operator override of the request's temperature; unset = the request's value. */
  temperature?: number;
  /** Operator override of the request's max tokens; unset = the request's value. */
  maxTokens?: number;
}

/**
 * Default per-request timeout (`STEP_HRL_LLM_TIMEOUT_MS`). The policy activity's start-to-close
 * (`POLICY_ATTEMPT_TIMEOUT_SECONDS`) is twice it, so the client's own timeout ends a hung attempt
 * with its message and the outage budget check; a test pins the pair.
 */
export const DEFAULT_LLM_TIMEOUT_MS = 120_000;

/** Full config of an {@link OpenAiLlmClient}: one {@link RoleConfig} per policy role. */
export interface OpenAiClientConfig {
  roles: Record<PolicyRole, RoleConfig>;
  /**
   * Per-request timeout in milliseconds; a hung server becomes a retryable error after it.
   * Keep it below the policy activity's start-to-close (240 s), which is twice the default.
   * @default {@link DEFAULT_LLM_TIMEOUT_MS}
   */
  timeoutMs: number;
}

/** Response cache modes; see {@link CachedLlmClient}. */
export type CacheMode = 'off' | 'read-write' | 'read-only';

/** Where and how responses are cached. */
export interface CacheConfig {
  mode: CacheMode;
  /** @default '.step-hrl/cache' (under the data dir) */
  dir: string;
}

/** Thrown when an env var holds an unusable value; `variable` names it, the message says the fix. */
export class LlmConfigEnvError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
    this.name = 'LlmConfigEnvError';
  }
}

/** Placeholder key sent to servers that need none (vLLM, llama.cpp, Ollama without `--api-key`). */
export const NO_KEY_PLACEHOLDER = 'no-key';

/** The data dir's default cache folder. */
export const DEFAULT_CACHE_DIR = '.step-hrl/cache';

type Env = Readonly<Record<string, string | undefined>>;

const urlSchema = z.url({ protocol: /^https?$/ });
const temperatureSchema = z.coerce.number().min(0).max(2);
const maxTokensSchema = z.coerce.number().int().positive();
const timeoutSchema = z.coerce.number().int().positive();
const cacheModeSchema = z.enum(['off', 'read-write', 'read-only']);

/** First set (non-empty) variable among `names`, with its name. */
function pick(env: Env, names: string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return { name, value };
  }
  return undefined;
}

/** Parses `value` with `schema` or throws an error naming `variable`, what it saw, and `expected`. */
function parseVar<T>(schema: z.ZodType<T>, variable: string, value: string, expected: string, secret = false): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const shown = secret ? '(hidden)' : JSON.stringify(value);
  throw new LlmConfigEnvError(variable, `${variable}=${shown} is invalid: expected ${expected}.`);
}

/** Strips `user:password@` from a URL so it can appear in ids and messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url;
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return url;
  }
}

/**
 * Reads the OpenAI-compatible backend config from env vars, or returns `undefined` when neither
 * `OPENAI_BASE_URL` nor `OPENAI_API_KEY` (nor a per-role base URL) is set, meaning "use the
 * embedded local model".
 *
 * Variables (a per-role `_HIGH`/`_LOW`/`_PROGRESS`/`_REACT` suffix overrides the global one):
 * - `OPENAI_BASE_URL` / `STEP_HRL_BASE_URL_<ROLE>`: API base URL. @default `https://api.openai.com/v1`
 * - `OPENAI_API_KEY` / `STEP_HRL_API_KEY_<ROLE>`: key; required for the default (OpenAI) URL.
 * - `STEP_HRL_MODEL` / `STEP_HRL_MODEL_<ROLE>`: model name; required.
 * - `STEP_HRL_TEMPERATURE` / `STEP_HRL_TEMPERATURE_<ROLE>`: overrides the request temperature (0..2).
 * - `STEP_HRL_MAX_TOKENS` / `STEP_HRL_MAX_TOKENS_<ROLE>`: overrides the request max tokens.
 * - `STEP_HRL_LLM_TIMEOUT_MS`: per-request timeout. @default 120000
 *
 * @throws {@link LlmConfigEnvError} naming the variable and the fix.
 */
export function loadOpenAiConfigFromEnv(env: Env = process.env): OpenAiClientConfig | undefined {
  const anyEndpoint =
    pick(env, ['OPENAI_BASE_URL', 'OPENAI_API_KEY']) ??
    pick(
      env,
      POLICY_ROLES.flatMap((r) => [`STEP_HRL_BASE_URL_${r.toUpperCase()}`, `STEP_HRL_API_KEY_${r.toUpperCase()}`]),
    );
  if (!anyEndpoint) return undefined;

  const roles = {} as Record<PolicyRole, RoleConfig>;
  for (const role of POLICY_ROLES) {
    const R = role.toUpperCase();
    const base = pick(env, [`STEP_HRL_BASE_URL_${R}`, 'OPENAI_BASE_URL']);
    const baseURL = base
      ? parseVar(urlSchema, base.name, base.value, 'an http(s) URL such as http://127.0.0.1:8000/v1')
      : 'https://api.openai.com/v1';
    const key = pick(env, [`STEP_HRL_API_KEY_${R}`, 'OPENAI_API_KEY']);
    if (!key && !base) {
      throw new LlmConfigEnvError(
        'OPENAI_API_KEY',
        `OPENAI_API_KEY is not set but role '${role}' uses the default endpoint https://api.openai.com/v1: ` +
          `set OPENAI_API_KEY (or STEP_HRL_API_KEY_${R}), or point OPENAI_BASE_URL at your own server.`,
      );
    }
    const model = pick(env, [`STEP_HRL_MODEL_${R}`, 'STEP_HRL_MODEL']);
    if (!model) {
      throw new LlmConfigEnvError(
        'STEP_HRL_MODEL',
        `STEP_HRL_MODEL is not set: an OpenAI-compatible endpoint is configured, so name the model for role ` +
          `'${role}' with STEP_HRL_MODEL (all roles) or STEP_HRL_MODEL_${R} (this role only).`,
      );
    }
    const temp = pick(env, [`STEP_HRL_TEMPERATURE_${R}`, 'STEP_HRL_TEMPERATURE']);
    const maxTok = pick(env, [`STEP_HRL_MAX_TOKENS_${R}`, 'STEP_HRL_MAX_TOKENS']);
    roles[role] = {
      baseURL: baseURL.replace(/\/+$/, ''),
      apiKey: key?.value ?? NO_KEY_PLACEHOLDER,
      apiKeyVar: key?.name ?? 'OPENAI_API_KEY',
      model: model.value,
      modelVar: model.name,
      ...(temp && { temperature: parseVar(temperatureSchema, temp.name, temp.value, 'a number from 0 to 2') }),
      ...(maxTok && { maxTokens: parseVar(maxTokensSchema, maxTok.name, maxTok.value, 'a positive integer') }),
    };
  }
  const timeout = pick(env, ['STEP_HRL_LLM_TIMEOUT_MS']);
  const timeoutMs = timeout
    ? parseVar(timeoutSchema, timeout.name, timeout.value, 'a positive integer number of milliseconds')
    : DEFAULT_LLM_TIMEOUT_MS;
  return { roles, timeoutMs };
}

/**
 * Reads the response cache settings: `STEP_HRL_CACHE` (`off` | `read-write` | `read-only`,
 * @default `off`) and `STEP_HRL_CACHE_DIR` (@default `.step-hrl/cache`).
 *
 * @throws {@link LlmConfigEnvError} when `STEP_HRL_CACHE` holds another value.
 */
export function loadCacheConfigFromEnv(env: Env = process.env): CacheConfig {
  const mode = pick(env, ['STEP_HRL_CACHE']);
  const dir = pick(env, ['STEP_HRL_CACHE_DIR']);
  return {
    mode: mode ? parseVar(cacheModeSchema, mode.name, mode.value, "one of 'off', 'read-write', 'read-only'") : 'off',
    dir: dir?.value ?? DEFAULT_CACHE_DIR,
  };
}
