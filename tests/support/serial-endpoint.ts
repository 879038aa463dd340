/**
 * A slow serial LLM in front of any OpenAI-compatible endpoint: an HTTP proxy that forwards one
 * request at a time, each after a fixed latency, like a single GPU slot. Requests wait in arrival
 * order; a caller that gives up while queued still holds its place (as on a real server).
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running serial endpoint. */
export interface SerialEndpoint {
  /** Base URL ending in `/v1`, for `OPENAI_BASE_URL`. */
  readonly baseURL: string;
  /** Completion requests forwarded so far (not the model list a client may check first). */
  readonly served: number;
  /** Requests waiting now (for progress output). */
  readonly queued: number;
  stop(): Promise<void>;
}

/** Starts the proxy on a free loopback port in front of `upstreamBaseURL` (ending in `/v1`). */
export async function serialEndpoint(upstreamBaseURL: string, latencyMs: number): Promise<SerialEndpoint> {
  const upstream = new URL(upstreamBaseURL);
  let queue: Promise<void> = Promise.resolve();
  let served = 0;
  let queued = 0;
  const forward = (req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> =>
    new Promise((resolve) => {
      const up = request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          answer.on('end', () => resolve());
          answer.on('error', () => resolve());
        },
      );
      up.on('error', (e) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `serial proxy: ${e.message}` } }));
        resolve();
      });
      up.end(body);
    });
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      queued += 1;
      const turn = queue.then(async () => {
        queued -= 1;
        await new Promise((r) => setTimeout(r, latencyMs));
        if ((req.url ?? '').includes('/completions')) served += 1;
        await forward(req, Buffer.concat(chunks), res);
      });
      queue = turn.catch(() => undefined);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    get served() {
      return served;
    },
    get queued() {
      return queued;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
