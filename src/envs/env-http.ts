/**
 * JSON-over-HTTP calls to an env server (ours or AgentGym's), with error mapping.
 * Every failure becomes an {@link EnvError} whose code says what to do: `EnvUnavailable` (server
 * down or not answering: retry or restart it), `SessionLost` (re-create the session),
 * `EnvDivergence` (a step index was reused with another action), input errors, or `EnvProtocol`
 * (anything else the server said). A call aborted by the caller's signal rejects with the
 * signal's reason (e.g. Temporal's `CancelledFailure`), not with an `EnvError`.
 */
import { EnvError } from './text-env';

/** Error codes the server may send that map 1:1 onto {@link EnvError} codes. */
const PASS_THROUGH = new Set<EnvError['code']>([
  'UnknownTask',
  'BadVariation',
  'BadGameFile',
  'BadAction',
  'SessionLost',
  'EnvDivergence',
]);

/** How often a call without a timeout checks that the server is still alive. */
export const LIVENESS_PROBE_EVERY_MS = 10_000;
/** Consecutive failed `/health` probes after which a call without a timeout gives up. */
const LIVENESS_FAILURES = 3;

/** Options for one request. */
export interface EnvRequestOptions {
  /**
   * Abort and report `EnvUnavailable` after this many milliseconds. Unset: wait as long as the
   * server answers `GET /health` (a step queued behind other sessions' work is not a failure).
   */
  timeoutMs?: number;
  /** Aborts the request (the activity's cancellation signal). */
  signal?: AbortSignal;
}

/** Minimal env-server HTTP client: one base URL, JSON in, JSON out. */
export class EnvHttp {
  /**
   * @param baseUrl server root, e.g. `http://127.0.0.1:4321` (no trailing slash needed).
   * @param livenessProbeMs how often a call without a timeout probes `GET /health` (and how long
   *   one probe may take); it gives up after 3 failed probes in a row.
   */
  constructor(
    readonly baseUrl: string,
    private readonly livenessProbeMs = LIVENESS_PROBE_EVERY_MS,
  ) {
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
    opts.signal?.throwIfAborted();
    const watchdog = opts.timeoutMs === undefined ? this.watchLiveness() : undefined;
    const signals = [opts.signal, watchdog?.signal].filter((s): s is AbortSignal => s !== undefined);
    if (opts.timeoutMs !== undefined) signals.push(AbortSignal.timeout(opts.timeoutMs));
    const failed = (e: unknown): unknown => {
      if (opts.signal?.aborted) return opts.signal.reason;
      if (watchdog?.signal.aborted) return watchdog.signal.reason;
      return unavailable(method, url, e, opts.timeoutMs);
    };
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, {
        method,
        headers: body === undefined ? undefined : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: signals.length > 0 ? AbortSignal.any(signals) : undefined,
      });
      text = await res.text();
    } catch (e) {
      throw failed(e);
    } finally {
      watchdog?.stop();
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

  /**
   * Probes `GET /health` while a long call runs; aborts the call once the server stopped
   * answering (hung or gone) instead of waiting forever.
   */
  private watchLiveness(): { signal: AbortSignal; stop: () => void } {
    const controller = new AbortController();
    let failures = 0;
    let probing = false;
    const timer = setInterval(() => {
      if (probing) return;
      probing = true;
      void this.get<{ status?: string }>('/health', {}, { timeoutMs: this.livenessProbeMs })
        .then((h) => (failures = h.status === 'ok' ? 0 : failures + 1))
        .catch(() => (failures += 1))
        .finally(() => {
          probing = false;
          if (failures >= LIVENESS_FAILURES && !controller.signal.aborted) {
            controller.abort(
              new EnvError(
                `env server at ${this.baseUrl} stopped answering GET /health (${failures} probes in a row) while a call was in flight; it is hung or gone (restart it)`,
                'EnvUnavailable',
              ),
            );
          }
        });
    }, this.livenessProbeMs);
    timer.unref();
    return { signal: controller.signal, stop: () => clearInterval(timer) };
  }
}

function isErrorBody(json: unknown): json is { error: string; code?: string } {
  return typeof json === 'object' && json !== null && typeof (json as { error?: unknown }).error === 'string';
}

function unavailable(method: string, url: string, e: unknown, timeoutMs: number | undefined): EnvError {
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
