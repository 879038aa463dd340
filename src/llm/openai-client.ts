/**
 * {@link LlmClient} for any OpenAI-compatible endpoint (OpenAI, vLLM, llama.cpp server, Ollama)
 * over the `openai` package. The only file that imports `openai`, so the dependency stays here.
 *
 * Retry contract: the package's own retries are off (`maxRetries: 0`); every failure becomes an
 * {@link LlmError} whose `retryable` flag (and `retryAfterSeconds` on 429) the Temporal activity
 * turns into its retry decision (see `to-application-failure.ts`). A retry re-sends the same
 * request; nothing in this client keeps state a consumer must reset, except the remembered
 * "server lacks json_schema" flag, which only ever switches to the text fallback.
 */
import OpenAI, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  AuthenticationError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
} from 'openai';
import { countTokens } from '../agent/tokens';
import { POLICY_ROLES, redactUrl, type OpenAiClientConfig, type RoleConfig } from './config';
import { extractFirstJsonObject } from '../agent/json';
import { DEFAULT_MAX_TOKENS, DEFAULT_TEMPERATURE, applyStop, assertValidRequest, requestText } from './request-utils';
import { LlmError } from './types';
import type { ChatMessage, CallOptions, LlmClient, LlmRequest, LlmResponse, TokenUsage } from './types';

/** A request with the role's model and the effective sampling parameters filled in. */
export interface ResolvedLlmRequest extends LlmRequest {
  model: string;
  maxTokens: number;
  temperature: number;
}

/** How chat requests with a `jsonSchema` are sent to a server. */
export type StructuredOutputMode = 'json_schema' | 'text-fallback';

/** Raised inside the client for a 200 whose body is not a completion; always retryable. */
class MalformedResponseError extends Error {}

/**
 * OpenAI-compatible backend; one instance serves all policy roles, each with its own endpoint,
 * model and parameter overrides from {@link OpenAiClientConfig} (see `loadOpenAiConfigFromEnv`).
 *
 * - `prompt` requests (paper profile) → `POST /v1/completions` with stop sequences.
 * - `messages` requests (chat profile) → `POST /v1/chat/completions`, with
 *   `response_format: json_schema` when `jsonSchema` is set; if the server rejects that, the
 *   client remembers it per base URL and asks for JSON in the prompt, returning the first JSON
 *   object found in the text.
 *
 * @example
 * const config = loadOpenAiConfigFromEnv();
 * if (config) llm = new OpenAiLlmClient(config);
 */
export class OpenAiLlmClient implements LlmClient {
  readonly modelId: string;
  private readonly sdks = new Map<string, OpenAI>();
  private readonly noJsonSchema = new Set<string>();
  private readonly secrets: string[];

  constructor(private readonly config: OpenAiClientConfig) {
    const models = POLICY_ROLES.map((r) => config.roles[r].model);
    this.modelId =
      new Set(models).size === 1
        ? `openai-compatible:${models[0]}`
        : `openai-compatible:${POLICY_ROLES.map((r, i) => `${r}=${models[i]}`).join(',')}`;
    this.secrets = POLICY_ROLES.map((r) => config.roles[r].apiKey).filter((k) => k.length >= 4);
  }

  /** How a `jsonSchema` request for `role` is currently sent (switches once a server rejects json_schema). */
  structuredOutputMode(role: LlmRequest['role']): StructuredOutputMode {
    return this.noJsonSchema.has(this.config.roles[role].baseURL) ? 'text-fallback' : 'json_schema';
  }

  /** `request` with the role's model and effective parameters (operator overrides, then request, then defaults). */
  resolveRequest(request: LlmRequest): ResolvedLlmRequest {
    const cfg = this.config.roles[request.role];
    return {
      ...request,
      model: cfg.model,
      maxTokens: cfg.maxTokens ?? request.maxTokens ?? DEFAULT_MAX_TOKENS,
      temperature: cfg.temperature ?? request.temperature ?? DEFAULT_TEMPERATURE,
    };
  }

  /** Sends `request` to the role's endpoint. @throws {@link LlmError} for every failure. */
  async complete(request: LlmRequest, options: CallOptions = {}): Promise<LlmResponse> {
    assertValidRequest(request);
    const cfg = this.config.roles[request.role];
    const resolved = this.resolveRequest(request);
    const started = performance.now();
    try {
      const out =
        resolved.prompt !== undefined
          ? await this.viaCompletions(cfg, resolved, options.signal)
          : await this.viaChat(cfg, resolved, options.signal);
      return { ...out, latencyMs: Math.round(performance.now() - started) };
    } catch (err) {
      throw this.toLlmError(err, cfg, performance.now() - started);
    }
  }

  private sdk(cfg: RoleConfig): OpenAI {
    const id = `${cfg.baseURL}\u0000${cfg.apiKey}`;
    let sdk = this.sdks.get(id);
    if (!sdk) {
      sdk = new OpenAI({ baseURL: cfg.baseURL, apiKey: cfg.apiKey, maxRetries: 0, timeout: this.config.timeoutMs });
      this.sdks.set(id, sdk);
    }
    return sdk;
  }

  private async viaCompletions(
    cfg: RoleConfig,
    req: ResolvedLlmRequest,
    signal?: AbortSignal,
  ): Promise<Omit<LlmResponse, 'latencyMs'>> {
    const body: OpenAI.CompletionCreateParamsNonStreaming = {
      model: req.model,
      prompt: req.prompt!,
      max_tokens: req.maxTokens,
      temperature: req.temperature,
      ...(req.stop?.length && { stop: req.stop }),
    };
    const res: unknown = await this.sdk(cfg).completions.create(body, { signal });
    const choice = firstChoice(res);
    if (typeof choice['text'] !== 'string') throw new MalformedResponseError('choices[0].text is missing');
    // Servers that ignore `stop` would leak the next turn into the action; cut client-side too.
    const text = applyStop(choice['text'], req.stop);
    return { text, usage: usageOf(res, req.prompt!, text), model: modelOf(res, req.model) };
  }

  private async viaChat(
    cfg: RoleConfig,
    req: ResolvedLlmRequest,
    signal?: AbortSignal,
  ): Promise<Omit<LlmResponse, 'latencyMs'>> {
    const schema = req.jsonSchema;
    if (schema && !this.noJsonSchema.has(cfg.baseURL)) {
      try {
        return await this.chatOnce(cfg, req, req.messages!, schema, signal);
      } catch (err) {
        if (!rejectsJsonSchema(err)) throw err;
        this.noJsonSchema.add(cfg.baseURL);
      }
    }
    if (!schema) return this.chatOnce(cfg, req, req.messages!, undefined, signal);
    const out = await this.chatOnce(cfg, req, withJsonInstruction(req.messages!, schema), undefined, signal);
    const json = extractFirstJsonObject(out.text);
    if (json === undefined) {
      throw new LlmError(
        `model '${req.model}' at ${redactUrl(cfg.baseURL)} (no json_schema support, text fallback) returned no JSON ` +
          `object for the '${req.role}' request: ${JSON.stringify(out.text.slice(0, 200))}`,
        true,
      );
    }
    return { ...out, text: json };
  }

  private async chatOnce(
    cfg: RoleConfig,
    req: ResolvedLlmRequest,
    messages: ChatMessage[],
    schema: Record<string, unknown> | undefined,
    signal?: AbortSignal,
  ): Promise<Omit<LlmResponse, 'latencyMs'>> {
    const body: OpenAI.ChatCompletionCreateParamsNonStreaming = {
      model: req.model,
      messages,
      // `max_tokens` rather than `max_completion_tokens`: vLLM, llama.cpp and Ollama all accept it.
      max_tokens: req.maxTokens,
      temperature: req.temperature,
      ...(req.stop?.length && { stop: req.stop }),
      ...(schema && {
        response_format: { type: 'json_schema', json_schema: { name: 'output', schema, strict: true } },
      }),
    };
    const res: unknown = await this.sdk(cfg).chat.completions.create(body, { signal });
    const message = firstChoice(res)['message'] as Record<string, unknown> | undefined;
    const content = message?.['content'];
    if (typeof content !== 'string') throw new MalformedResponseError('choices[0].message.content is missing');
    const text = applyStop(content, req.stop);
    return { text, usage: usageOf(res, requestText(req), text), model: modelOf(res, req.model) };
  }

  /** Maps any failure to an {@link LlmError} whose message names the fix and never the key. */
  private toLlmError(err: unknown, cfg: RoleConfig, elapsedMs: number): LlmError {
    if (err instanceof LlmError) return err;
    const where = redactUrl(cfg.baseURL);
    const detail = this.redact(err instanceof Error ? err.message : String(err));
    const make = (message: string, retryable: boolean, retryAfter?: number) =>
      new LlmError(this.redact(message), retryable, retryAfter);

    // The SDK can report its own timeout abort as a plain connection error when the AbortError
    // comes from another realm (jest's vm context): a connection error after the full timeout is one.
    if (
      err instanceof APIConnectionTimeoutError ||
      (err instanceof APIConnectionError && elapsedMs >= this.config.timeoutMs)
    ) {
      return make(`request to ${where} timed out after ${this.config.timeoutMs} ms (STEP_HRL_LLM_TIMEOUT_MS)`, true);
    }
    if (err instanceof APIConnectionError) {
      const cause =
        err.cause instanceof Error && err.cause.message !== '{}' ? `: ${this.redact(err.cause.message)}` : '';
      return make(`could not reach ${where} (connection error${cause}); is the server running?`, true);
    }
    if (err instanceof APIError) {
      const retryAfter = retryAfterSeconds(err.headers);
      if (err instanceof RateLimitError) {
        return make(`rate limited by ${where} (429): ${detail}`, true, retryAfter);
      }
      if (err instanceof AuthenticationError) {
        return make(`${where} rejected the API key (401); set ${cfg.apiKeyVar} to a valid key for this server.`, false);
      }
      if (err instanceof PermissionDeniedError) {
        return make(
          `${where} denied access (403) to model '${cfg.model}' with the key from ${cfg.apiKeyVar}: ${detail}`,
          false,
        );
      }
      if (err instanceof NotFoundError) {
        return make(
          `model '${cfg.model}' not found at ${where} (404: ${detail}); set ${cfg.modelVar} to a model the ` +
            `server serves (GET ${where}/models lists them) and check the base URL ends in /v1.`,
          false,
        );
      }
      const status = err.status ?? 0;
      if (status === 408 || status === 409 || status >= 500) {
        return make(`server error from ${where} (${status}): ${detail}`, true, retryAfter);
      }
      return make(
        `${where} rejected the request as invalid (${status}) for model '${cfg.model}': ${detail}; ` +
          `check the model's settings (STEP_HRL_MAX_TOKENS, STEP_HRL_TEMPERATURE).`,
        false,
      );
    }
    if (err instanceof MalformedResponseError || err instanceof SyntaxError) {
      return make(`truncated or non-JSON response body from ${where}: ${detail}`, true);
    }
    // Body stream cut mid-read (undici "terminated", ECONNRESET) and similar transport failures.
    return make(`unexpected failure talking to ${where}: ${detail}`, true);
  }

  private redact(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join('***');
    return out;
  }
}

/** `choices[0]` of a completion body, or a {@link MalformedResponseError} (e.g. an HTML page). */
function firstChoice(res: unknown): Record<string, unknown> {
  if (typeof res !== 'object' || res === null) {
    const head = typeof res === 'string' ? `: ${JSON.stringify(res.slice(0, 80))}` : '';
    throw new MalformedResponseError(`body is not a JSON completion${head}`);
  }
  const choices = (res as Record<string, unknown>)['choices'];
  if (!Array.isArray(choices) || typeof choices[0] !== 'object' || choices[0] === null) {
    throw new MalformedResponseError('body has no choices');
  }
  return choices[0] as Record<string, unknown>;
}

function usageOf(res: unknown, prompt: string, text: string): TokenUsage {
  const u = (res as Record<string, unknown>)['usage'] as Record<string, unknown> | undefined;
  const p = u?.['prompt_tokens'];
  const c = u?.['completion_tokens'];
  if (typeof p === 'number' && typeof c === 'number' && p >= 0 && c >= 0) {
    return { promptTokens: p, completionTokens: c, source: 'api' };
  }
  return { promptTokens: countTokens(prompt), completionTokens: countTokens(text), source: 'tokenizer' };
}

function modelOf(res: unknown, fallback: string): string {
  const m = (res as Record<string, unknown>)['model'];
  return typeof m === 'string' && m ? m : fallback;
}

/**
 * True for a 400/422 that blames structured output: the server (older llama.cpp, Ollama, some
 * proxies) does not know `response_format: json_schema`. An invalid schema is the caller's bug
 * and is not treated as "unsupported".
 */
function rejectsJsonSchema(err: unknown): boolean {
  if (!(err instanceof APIError) || (err.status !== 400 && err.status !== 422)) return false;
  const text = `${err.message} ${err.param ?? ''}`;
  return /response_format|json_schema|structured output|guided/i.test(text) && !/invalid schema/i.test(text);
}

/** Messages asking for JSON in text, for servers without json_schema. */
function withJsonInstruction(messages: ChatMessage[], schema: Record<string, unknown>): ChatMessage[] {
  const instruction =
    `Respond with only a JSON object (no prose, no code fence) that matches this JSON schema:\n` +
    JSON.stringify(schema);
  const out = messages.map((m) => ({ ...m }));
  const last = out[out.length - 1];
  // Appended to the last user turn: some chat templates reject a system message after the first turn.
  if (last && last.role === 'user') last.content = `${last.content}\n\n${instruction}`;
  else out.push({ role: 'user', content: instruction });
  return out;
}

/** Seconds from `retry-after-ms` / `Retry-After` (seconds or HTTP date); undefined when absent or bad. */
export function retryAfterSeconds(headers: Headers | undefined): number | undefined {
  const ms = Number(headers?.get('retry-after-ms'));
  if (headers?.get('retry-after-ms') && Number.isFinite(ms) && ms >= 0) return ms / 1000;
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const secs = Number(value);
  if (Number.isFinite(secs) && secs >= 0) return secs;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
}
