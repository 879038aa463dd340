/**
 * The Temporal codec server HTTP protocol (`POST /encode`, `POST /decode` with
 * `{ payloads: [...] }` in proto JSON form), so the Temporal UI and CLI can show decrypted payloads
 * to a user who holds the key: the key stays in this process, on the user's machine.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PayloadCodec } from '@temporalio/common';
import { PayloadJsonError, payloadsFromJson, payloadsToJson } from './payload-json';

/** Options of {@link startCodecServer}. */
export interface CodecServerOptions {
  codec: PayloadCodec;
  /** 0 picks a free port. */
  port: number;
  /** @default 127.0.0.1 (the key never serves other machines unless asked) */
  host?: string;
  /** Origin of the Temporal UI allowed to call from the browser (CORS), e.g. `http://localhost:8233`. */
  corsOrigin?: string;
}

/** A listening codec server. */
export interface RunningCodecServer {
  /** `http://host:port`: the endpoint to give the UI (`--ui-codec-endpoint`) or CLI (`--codec-endpoint`). */
  url: string;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** Starts the server; resolves once it listens. */
export async function startCodecServer(options: CodecServerOptions): Promise<RunningCodecServer> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    handle(options, req, res).catch((err: unknown) => reply(res, 500, { error: messageOf(err) }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function handle(options: CodecServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (options.corsOrigin) {
    res.setHeader('Access-Control-Allow-Origin', options.corsOrigin);
    res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    res.setHeader('Vary', 'Origin');
  }
  if (req.method === 'OPTIONS') return reply(res, 204);
  const route = new URL(req.url ?? '/', 'http://codec').pathname.replace(/\/+$/, '');
  const op = route.endsWith('/encode') ? 'encode' : route.endsWith('/decode') ? 'decode' : undefined;
  if (!op) return reply(res, 404, { error: 'use POST /encode or POST /decode' });
  if (req.method !== 'POST') return reply(res, 405, { error: `use POST ${route}` });
  let payloads;
  try {
    payloads = payloadsFromJson(JSON.parse(await readBody(req)));
  } catch (err) {
    const message = err instanceof PayloadJsonError ? err.message : `body is not JSON (${messageOf(err)})`;
    return reply(res, 400, { error: message });
  }
  try {
    const result = op === 'encode' ? await options.codec.encode(payloads) : await options.codec.decode(payloads);
    reply(res, 200, payloadsToJson(result));
  } catch (err) {
    reply(res, 400, { error: messageOf(err) });
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}

function reply(res: ServerResponse, status: number, body?: object): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
