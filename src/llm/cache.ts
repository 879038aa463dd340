/**
 * Content-addressed response cache wrapping any {@link LlmClient}, so a finished run can be
 * re-run offline at zero token cost. One JSON file per entry under the cache dir, written to a
 * temp file and renamed into place, so concurrent workers never leave a half-written entry.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CacheMode } from './config';
import { DEFAULT_MAX_TOKENS, DEFAULT_TEMPERATURE, assertValidRequest } from './request-utils';
import { LlmError } from './types';
import type { CallOptions, LlmClient, LlmRequest, LlmResponse, TokenUsage } from './types';

/** Format version of entries on disk; bump when the key material or entry shape changes. */
export const CACHE_FORMAT_VERSION = 1;

/** A client that can say which concrete model and parameters it would use (part of the cache key). */
export interface ResolvesRequest {
  resolveRequest(request: LlmRequest): LlmRequest;
}

/** One entry on disk. */
export interface CacheEntry {
  version: number;
  key: string;
  modelId: string;
  /** The key material: the resolved request. */
  request: LlmRequest;
  response: { text: string; usage: TokenUsage; model: string; latencyMs: number };
  createdAt: string;
}

/** Hit/miss counters since construction. */
export interface CacheStats {
  hits: number;
  misses: number;
  writes: number;
}

/** Thrown on a miss in `read-only` mode: the run asked for a response nobody recorded. */
export class CacheMissError extends LlmError {
  constructor(
    readonly key: string,
    readonly mode: CacheMode,
    readonly dir: string,
  ) {
    super(
      `response cache miss in ${mode} mode (key ${key.slice(0, 16)}…, dir ${dir}): this request was never ` +
        `recorded. Re-run with STEP_HRL_CACHE=read-write to call the model and fill the cache, or check that ` +
        `the model, prompts and parameters match the recorded run.`,
      false,
    );
    this.name = 'CacheMissError';
  }
}

/** Options of {@link CachedLlmClient}. */
export interface CachedLlmClientOptions {
  /** @default 'read-write' */
  mode?: CacheMode;
  /** Cache directory. @default '.step-hrl/cache' */
  dir?: string;
}

/**
 * Wraps `inner` with the response cache. Key = sha256 of the inner client's `modelId` and the
 * full request after defaults (and, when `inner` implements {@link ResolvesRequest}, after its
 * per-role model and parameter overrides).
 *
 * - `off`: every call goes to `inner`.
 * - `read-write`: a hit is served from disk; a miss calls `inner` and stores the answer.
 * - `read-only`: a hit is served from disk; a miss throws {@link CacheMissError}; `inner` is never called.
 *
 * A hit returns the stored text with `cached: true` and zero tokens in `usage` (nothing was
 * spent); the recorded call's usage and latency are in `originalUsage` / `originalLatencyMs`.
 */
export class CachedLlmClient implements LlmClient {
  readonly modelId: string;
  readonly mode: CacheMode;
  readonly dir: string;
  private readonly counters: CacheStats = { hits: 0, misses: 0, writes: 0 };

  constructor(
    private readonly inner: LlmClient,
    options: CachedLlmClientOptions = {},
  ) {
    this.modelId = inner.modelId;
    this.mode = options.mode ?? 'read-write';
    this.dir = options.dir ?? '.step-hrl/cache';
  }

  /** Counters since construction (a copy). */
  stats(): CacheStats {
    return { ...this.counters };
  }

  /** The cache key of `request` for this client (hex sha256). */
  keyFor(request: LlmRequest): string {
    return cacheKey(this.modelId, this.keyMaterial(request));
  }

  async complete(request: LlmRequest, options?: CallOptions): Promise<LlmResponse> {
    if (this.mode === 'off') return this.inner.complete(request, options);
    assertValidRequest(request);
    const started = performance.now();
    const material = this.keyMaterial(request);
    const key = cacheKey(this.modelId, material);
    const entry = await this.read(key, material);
    if (entry) {
      this.counters.hits++;
      return {
        text: entry.response.text,
        usage: { promptTokens: 0, completionTokens: 0, source: entry.response.usage.source },
        model: entry.response.model,
        latencyMs: Math.round(performance.now() - started),
        cached: true,
        originalUsage: entry.response.usage,
        originalLatencyMs: entry.response.latencyMs,
      };
    }
    this.counters.misses++;
    if (this.mode === 'read-only') throw new CacheMissError(key, this.mode, this.dir);
    const response = await this.inner.complete(request, options);
    await this.write({
      version: CACHE_FORMAT_VERSION,
      key,
      modelId: this.modelId,
      request: material,
      response: { text: response.text, usage: response.usage, model: response.model, latencyMs: response.latencyMs },
      createdAt: new Date().toISOString(),
    });
    return response;
  }

  private keyMaterial(request: LlmRequest): LlmRequest {
    const resolved = isResolver(this.inner) ? this.inner.resolveRequest(request) : request;
    return {
      ...resolved,
      maxTokens: resolved.maxTokens ?? DEFAULT_MAX_TOKENS,
      temperature: resolved.temperature ?? DEFAULT_TEMPERATURE,
    };
  }

  private pathOf(key: string): string {
    return join(this.dir, key.slice(0, 2), `${key}.json`);
  }

  /** The entry for `key`, or undefined when absent, unreadable, or recorded for other material. */
  private async read(key: string, material: LlmRequest): Promise<CacheEntry | undefined> {
    let raw: string;
    try {
      raw = await readFile(this.pathOf(key), 'utf8');
    } catch {
      return undefined;
    }
    try {
      const entry = JSON.parse(raw) as CacheEntry;
      // Guards against a format change and (paranoid) hash collisions; a mismatch is a miss.
      if (entry.version !== CACHE_FORMAT_VERSION || entry.key !== key) return undefined;
      if (canonicalJson(entry.request) !== canonicalJson(material)) return undefined;
      return entry;
    } catch {
      return undefined;
    }
  }

  private async write(entry: CacheEntry): Promise<void> {
    const path = this.pathOf(entry.key);
    await mkdir(join(this.dir, entry.key.slice(0, 2)), { recursive: true });
    // Unique temp name + rename: readers see the old file or the whole new one, never a mix.
    const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, JSON.stringify(entry, null, 2));
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    this.counters.writes++;
  }
}

/** sha256 (hex) of the model id and the request, independent of object key order. */
export function cacheKey(modelId: string, request: LlmRequest): string {
  return createHash('sha256')
    .update(canonicalJson({ v: CACHE_FORMAT_VERSION, modelId, request }))
    .digest('hex');
}

/** JSON with object keys sorted and `undefined` members dropped, so equal values hash equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

function isResolver(client: LlmClient): client is LlmClient & ResolvesRequest {
  return typeof (client as Partial<ResolvesRequest>).resolveRequest === 'function';
}
