/**
 * A small real HTTP server speaking enough of the OpenAI API (`POST /v1/chat/completions`,
 * `POST /v1/completions`, `GET /v1/models`) for tests, on a free loopback port, with per-request
 * fault injection. It is real HTTP on purpose: the `openai` package's parsing, timeouts and error
 * classes run exactly as they do against vLLM or OpenAI. Uses only node:http.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A failure the server produces instead of a normal answer. */
export type MockFault =
  | { kind: 'rate-limit'; retryAfterSeconds?: number }
  | { kind: 'server-error'; status?: number }
  /** Accepts the request and never answers (until the client gives up or the server stops). */
  | { kind: 'hang' }
  /** Sends headers and half the JSON body, then cuts the connection. */
  | { kind: 'truncated' }
  /** Cuts the connection before answering (connection reset). */
  | { kind: 'reset' }
  /** 200 with an HTML page instead of JSON (e.g. a proxy or web UI behind the base URL). */
  | { kind: 'non-json' }
  | { kind: 'unauthorized' }
  | { kind: 'unknown-model' }
  | { kind: 'json-schema-unsupported' };

/** What the responder sees for one completion request. */
export interface MockReplyInput {
  endpoint: 'chat' | 'completions';
  model: string;
  /** Raw prompt, or the chat messages' contents joined by blank lines. */
  prompt: string;
  /** The parsed JSON request body. */
  body: Record<string, unknown>;
}

/** Computes the model's answer; `usage: null` omits usage from the response. */
export type MockResponder = (
  input: MockReplyInput,
) => string | { text: string; usage?: { prompt_tokens: number; completion_tokens: number } | null };

/** One request as received. */
export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: Record<string, unknown> | undefined;
  /** The fault applied to it, if any. */
  fault?: MockFault['kind'];
}

/** Behaviour of a {@link MockOpenAiServer}. */
export interface MockOpenAiServerOptions {
  /** @default replies "ok" */
  responder?: MockResponder;
  /** When set, requests with another bearer key get 401 (the message echoes the key, as a careless server might). */
  apiKey?: string;
  /** When set, other model names get 404 model_not_found. */
  models?: string[];
  /** When false, any `response_format: json_schema` gets 400, like servers without structured output. @default true */
  supportsJsonSchema?: boolean;
  /**
   * Holds each successful completion's answer until the returned promise settles (a simulated
   * batching GPU decides when it is done); sees the prompt and the reply text it will send.
   */
  holdReply?: (call: { model: string; prompt: string; text: string }) => Promise<void>;
}

/**
 * How the endpoint is down during an outage: `refuse` closes the port (connection refused, as while
 * a server restarts); `unavailable` answers every completion request with 503.
 */
export type OutageMode = 'refuse' | 'unavailable';

/** The mock server; create with {@link MockOpenAiServer.start}. */
export class MockOpenAiServer {
  /** Every request received, in order. */
  readonly requests: RecordedRequest[] = [];
  private readonly faults: MockFault[] = [];
  private server: Server | undefined;
  private port = 0;
  private outage: OutageMode | undefined;

  private constructor(readonly options: MockOpenAiServerOptions) {}

  /** Starts a server on a free loopback port. */
  static async start(options: MockOpenAiServerOptions = {}): Promise<MockOpenAiServer> {
    const s = new MockOpenAiServer(options);
    await s.start();
    return s;
  }

  /** Base URL for clients, ending in `/v1`. */
  get baseURL(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  /** Number of requests received so far (all endpoints, faulted or not). */
  get requestCount(): number {
    return this.requests.length;
  }

  /** Queues faults for the next completion requests, one per request, in order. */
  injectFaults(...faults: MockFault[]): void {
    this.faults.push(...faults);
  }

  /** Takes the endpoint down until {@link comeUp}; requests during a `refuse` outage are not recorded. */
  async goDown(mode: OutageMode): Promise<void> {
    this.outage = mode;
    if (mode === 'refuse') await this.stop();
  }

  /** Ends an outage: listens again on the same port and answers normally. */
  async comeUp(): Promise<void> {
    this.outage = undefined;
    await this.start();
  }

  /** True while an outage started by {@link goDown} lasts. */
  get isDown(): boolean {
    return this.outage !== undefined;
  }

  /** (Re)starts listening; after {@link stop} it reuses the same port so clients keep their URL. */
  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops listening and drops open connections (including hung requests). */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    let body: Record<string, unknown> | undefined;
    try {
      body = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
    } catch {
      body = undefined;
    }
    const path = (req.url ?? '').split('?')[0]!;
    const record: RecordedRequest = { method: req.method ?? '', path, authorization: req.headers.authorization, body };
    this.requests.push(record);

    const { apiKey, models } = this.options;
    if (apiKey !== undefined && req.headers.authorization !== `Bearer ${apiKey}`) {
      return this.fail(res, record, { kind: 'unauthorized' });
    }
    if (req.method === 'GET' && path === '/v1/models') {
      const data = (models ?? ['mock-model']).map((id) => ({ id, object: 'model', created: 0, owned_by: 'mock' }));
      return sendJson(res, 200, { object: 'list', data });
    }
    const endpoint = path === '/v1/chat/completions' ? 'chat' : path === '/v1/completions' ? 'completions' : undefined;
    if (req.method !== 'POST' || !endpoint) return sendJson(res, 404, apiError(`no route ${req.method} ${path}`));
    if (!body) return sendJson(res, 400, apiError('request body is not JSON'));

    if (this.outage === 'unavailable') return this.fail(res, record, { kind: 'server-error', status: 503 });
    const fault = this.faults.shift();
    if (fault) return this.fail(res, record, fault);
    const model = String(body['model'] ?? '');
    if (models && !models.includes(model)) return this.fail(res, record, { kind: 'unknown-model' });
    const format = body['response_format'] as { type?: string } | undefined;
    if (this.options.supportsJsonSchema === false && format?.type === 'json_schema') {
      return this.fail(res, record, { kind: 'json-schema-unsupported' });
    }
    const answer = this.answer(endpoint, model, body);
    if (this.options.holdReply) await this.options.holdReply({ model, prompt: answer.prompt, text: answer.text });
    sendJson(res, 200, answer.json);
  }

  private answer(
    endpoint: 'chat' | 'completions',
    model: string,
    body: Record<string, unknown>,
  ): { json: object; prompt: string; text: string } {
    const prompt =
      endpoint === 'completions'
        ? String(body['prompt'] ?? '')
        : ((body['messages'] as { content: string }[] | undefined) ?? []).map((m) => m.content).join('\n\n');
    const out = (this.options.responder ?? (() => 'ok'))({ endpoint, model, prompt, body });
    const reply = typeof out === 'string' ? { text: out } : out;
    // Like vLLM: output stops before the first stop sequence, which is not included.
    const text = cutAtStop(reply.text, body['stop']);
    const usage =
      reply.usage === null
        ? undefined
        : (reply.usage ?? { prompt_tokens: words(prompt), completion_tokens: words(text) });
    const withTotal = usage && { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens };
    const base = { id: `mock-${this.requests.length}`, created: 0, model, ...(withTotal && { usage: withTotal }) };
    const json =
      endpoint === 'chat'
        ? {
            ...base,
            object: 'chat.completion',
            choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: text } }],
          }
        : { ...base, object: 'text_completion', choices: [{ index: 0, finish_reason: 'stop', text, logprobs: null }] };
    return { json, prompt, text };
  }

  private fail(res: ServerResponse, record: RecordedRequest, fault: MockFault): void {
    record.fault = fault.kind;
    const model = String(record.body?.['model'] ?? '');
    switch (fault.kind) {
      case 'rate-limit':
        return sendJson(res, 429, apiError('Rate limit reached', 'rate_limit_exceeded'), {
          'retry-after': String(fault.retryAfterSeconds ?? 1),
        });
      case 'server-error':
        return sendJson(res, fault.status ?? 500, apiError('The server had an error processing your request'));
      case 'hang':
        return; // never answer; stop() or the client's timeout ends it
      case 'reset':
        res.socket?.destroy();
        return;
      case 'truncated': {
        const endpoint = record.path === '/v1/chat/completions' ? 'chat' : 'completions';
        const full = JSON.stringify(this.answer(endpoint, model, record.body ?? {}).json);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(full) });
        res.write(full.slice(0, Math.floor(full.length / 2)));
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      }
      case 'non-json':
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html><body>502 Bad Gateway</body></html>');
        return;
      case 'unauthorized': {
        const key = (record.authorization ?? '').replace(/^Bearer /, '');
        return sendJson(res, 401, apiError(`Incorrect API key provided: ${key}.`, 'invalid_api_key'));
      }
      case 'unknown-model':
        return sendJson(res, 404, apiError(`The model '${model}' does not exist`, 'model_not_found'));
      case 'json-schema-unsupported':
        return sendJson(
          res,
          400,
          apiError("response_format type 'json_schema' is not supported by this server", null, 'response_format'),
        );
    }
  }
}

function apiError(message: string, code: string | null = null, param: string | null = null): object {
  return { error: { message, type: 'invalid_request_error', code, param } };
}

function sendJson(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function cutAtStop(text: string, stop: unknown): string {
  const list = typeof stop === 'string' ? [stop] : Array.isArray(stop) ? (stop as string[]) : [];
  let end = text.length;
  for (const s of list) {
    const at = s ? text.indexOf(s) : -1;
    if (at !== -1 && at < end) end = at;
  }
  return text.slice(0, end);
}

function words(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}
