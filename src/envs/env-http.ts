/**
 * JSON-over-HTTP calls to an env server (ours or AgentGym's), with timeouts and error mapping.
 * Every failure becomes an {@link EnvError} whose code says what to do: `EnvUnavailable` (server
 * down or slow: retry or restart it), `SessionLost` (re-create the session), input errors, or
 * `EnvProtocol` (anything else the server said).
 */
import { EnvError } from './text-env';

/** Error codes the server may send that map 1:1 onto {@link EnvError} codes. */
const PASS_THROUGH = new Set<EnvError['code']>([
  'UnknownTask',
  'BadVariation',
  'BadGameFile',
  'BadAction',
  'SessionLost',
]);

/** Options for one request. */
export interface EnvRequestOptions {
  /** Abort and report `EnvUnavailable` after this many milliseconds. */
  timeoutMs: number;
}

/** Minimal env-server HTTP client: one base URL, JSON in, JSON out. */
export class EnvHttp {
  /** @param baseUrl server root, e.g. `http://127.0.0.1:4321` (no trailing slash needed). */
  constructor(readonly baseUrl: string) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  /** GET `path` with `query` parameters. */
  get<T>(path: string, query: Record<string, string | number | undefined>, opts: EnvRequestOptions): Promise<T> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    const qs = params.toString();
    return this.request<T>('GET', qs ? `${path}?${qs}` : path, undefined, opts);
  }

  /** POST a JSON `body` to `path`. */
  post<T>(path: string, body: unknown, opts: EnvRequestOptions): Promise<T> {
    return this.request<T>('POST', path, body, opts);
  }

  private async request<T>(method: string, path: string, body: unknown, opts: EnvRequestOptions): Promise<T> {
    const url = `${this.baseUrl}${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: body === undefined ? undefined : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(opts.timeoutMs),
      });
    } catch (e) {
      throw unavailable(method, url, e, opts.timeoutMs);
    }
    let text: string;
    try {
      text = await res.text();
    } catch (e) {
      throw unavailable(method, url, e, opts.timeoutMs);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new EnvError(
        `env server ${method} ${url} answered HTTP ${res.status} with non-JSON: ${text.slice(0, 200)}`,
        'EnvProtocol',
      );
    }
    // AgentGym servers report errors as HTTP 200 with an `error` key, ours with 4xx/5xx too.
    if (isErrorBody(json)) {
      const code = PASS_THROUGH.has(json.code as EnvError['code']) ? (json.code as EnvError['code']) : 'EnvProtocol';
      throw new EnvError(json.error, code);
    }
    if (!res.ok) {
      throw new EnvError(
        `env server ${method} ${url} answered HTTP ${res.status}: ${text.slice(0, 200)}`,
        'EnvProtocol',
      );
    }
    return json as T;
  }
}

function isErrorBody(json: unknown): json is { error: string; code?: string } {
  return typeof json === 'object' && json !== null && typeof (json as { error?: unknown }).error === 'string';
}

function unavailable(method: string, url: string, e: unknown, timeoutMs: number): EnvError {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') {
    return new EnvError(
      `env server did not answer ${method} ${url} within ${timeoutMs} ms; it is overloaded or hung (restart it, or raise the timeout)`,
      'EnvUnavailable',
    );
  }
  const why = err.cause?.code ?? err.cause?.message ?? err.message ?? String(e);
  return new EnvError(
    `env server unreachable at ${url} (${why}); start it (it starts automatically unless STEP_HRL_ENV_URL is set) or fix STEP_HRL_ENV_URL`,
    'EnvUnavailable',
  );
}
