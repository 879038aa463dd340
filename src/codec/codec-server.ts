/**
 * The Temporal codec server HTTP protocol (`POST /encode`, `POST /decode` with
 * `{ payloads: [...] }` in proto JSON form), so the Temporal UI and CLI can show decrypted payloads
 * to a user who holds the key: the key stays in this process, on the user's machine.
 *
 * Anyone who can call it can decrypt every record, so each request must carry a bearer token, name
 * this server in its Host header (a web page that rebinds its own host name to 127.0.0.1 cannot
 * pass) and come from no Origin or a configured one (a foreign web page cannot call it).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PayloadCodec } from '@temporalio/common';
import { PayloadJsonError, payloadsFromJson, payloadsToJson } from './payload-json';

/** The bearer token clients of `step-hrl codec-server` must send (or `--token-file`). */
export const CODEC_SERVER_TOKEN_VAR = 'STEP_HRL_CODEC_SERVER_TOKEN';
/** Shortest token accepted: a guessable one would protect nothing. */
export const MIN_CODEC_SERVER_TOKEN_LENGTH = 16;
/** How to make a token, quoted in every error about one. */
export const CODEC_SERVER_TOKEN_FIX = 'make one with `openssl rand -hex 32`';

/**
 * Path prefix that carries the token for clients that cannot set the Authorization header: the
 * Web UI (its "pass access token" sends its own login token, and only to https endpoints), given
 * the endpoint `http://127.0.0.1:<port>/auth/<token>`.
 */
export const TOKEN_PATH_PREFIX = '/auth/';

/** Options of {@link startCodecServer}. */
export interface CodecServerOptions {
  codec: PayloadCodec;
  /** 0 picks a free port. */
  port: number;
  /**
   * Address to listen on, and the only host name (with the port) a request's Host header may
   * name; for a loopback address `localhost`, `127.0.0.1` and `[::1]` too.
   * @default 127.0.0.1 (the key never serves other machines unless asked)
   */
  host?: string;
  /**
   * Origins of the Temporal UI allowed to call from the browser (CORS), e.g.
   * `http://localhost:8233`. A request with any other Origin header gets 403; one without (the
   * Temporal CLI, scripts) passes.
   */
  corsOrigins?: readonly string[];
  /**
   * Bearer token every request but a CORS preflight must carry (`Authorization: Bearer <token>`,
   * or the {@link TOKEN_PATH_PREFIX} path); others get 401. Required unless `insecureNoAuth`.
   */
  token?: string;
  /** Serve without a token: anyone who can reach the port can decrypt. */
  insecureNoAuth?: boolean;
}

/** A listening codec server. */
export interface RunningCodecServer {
  /** `http://host:port`: the endpoint to give the UI (`--ui-codec-endpoint`) or CLI (`--codec-endpoint`). */
  url: string;
  close(): Promise<void>;
}

/** Options that leave the server open to anyone, or a token too short to protect it. */
export class CodecServerConfigError extends Error {
  override name = 'CodecServerConfigError';
}

const MAX_BODY_BYTES = 64 * 1024 * 1024;
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];

/**
 * Starts the server; resolves once it listens.
 * @throws CodecServerConfigError without a token (unless `insecureNoAuth`) or with a short one.
 */
export async function startCodecServer(options: CodecServerOptions): Promise<RunningCodecServer> {
  checkAuthOptions(options);
  const host = options.host ?? '127.0.0.1';
  const gate: Gate = {
    hostnames: allowedHostnames(host),
    port: options.port, // the real one once listening (port 0 picks it)
    origins: new Set((options.corsOrigins ?? []).map(normalizeOrigin)),
    tokenDigest: options.token === undefined ? undefined : digest(options.token),
  };
  const server = createServer((req, res) => {
    handle(options.codec, gate, req, res).catch((err: unknown) => reply(res, 500, { error: messageOf(err) }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  gate.port = port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function checkAuthOptions(options: CodecServerOptions): void {
  if (options.token === undefined) {
    if (options.insecureNoAuth) return;
    throw new CodecServerConfigError(
      `the codec server needs a bearer token: set ${CODEC_SERVER_TOKEN_VAR} (${CODEC_SERVER_TOKEN_FIX}) ` +
        'or pass --token-file <file>; --insecure-no-auth serves without one (anyone who can reach the port can decrypt)',
    );
  }
  if (options.insecureNoAuth)
    throw new CodecServerConfigError('--insecure-no-auth was given together with a token; drop one of them');
  if (options.token.trim().length < MIN_CODEC_SERVER_TOKEN_LENGTH || /\s/.test(options.token))
    throw new CodecServerConfigError(
      `the codec server token must be at least ${MIN_CODEC_SERVER_TOKEN_LENGTH} characters without spaces; ` +
        CODEC_SERVER_TOKEN_FIX,
    );
}

/** What a request is checked against. */
interface Gate {
  readonly hostnames: ReadonlySet<string>;
  port: number;
  readonly origins: ReadonlySet<string>;
  readonly tokenDigest?: Buffer;
}

async function handle(codec: PayloadCodec, gate: Gate, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const hostProblem = checkHost(gate, req.headers.host);
  if (hostProblem) return reply(res, 403, { error: hostProblem });
  const origin = req.headers.origin;
  if (origin !== undefined) {
    if (!gate.origins.has(normalizeOrigin(origin)))
      return reply(res, 403, {
        error: `origin ${JSON.stringify(origin)} is not allowed; start the codec server with --cors-origin ${origin}`,
      });
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
    res.setHeader('Access-Control-Allow-Credentials', 'true');
  }
  res.setHeader('Vary', 'Origin');
  // A preflight never carries credentials; the request it clears must.
  if (req.method === 'OPTIONS') return reply(res, 204);
  const { token: pathToken, rest } = splitTokenPath(new URL(req.url ?? '/', 'http://codec').pathname);
  if (gate.tokenDigest && !tokenMatches(gate.tokenDigest, pathToken ?? bearerToken(req.headers.authorization))) {
    res.setHeader('WWW-Authenticate', 'Bearer');
    return reply(res, 401, {
      error: `missing or wrong token; send Authorization: Bearer <the token in ${CODEC_SERVER_TOKEN_VAR} or --token-file>`,
    });
  }
  const route = rest.replace(/\/+$/, '');
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
    const result = op === 'encode' ? await codec.encode(payloads) : await codec.decode(payloads);
    reply(res, 200, payloadsToJson(result));
  } catch (err) {
    reply(res, 400, { error: messageOf(err) });
  }
}

/** Why the Host header does not name this server, or undefined when it does. */
function checkHost(gate: Gate, header: string | undefined): string | undefined {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(header ?? '');
  const hostname = match ? match[1]!.replace(/^\[|\]$/g, '').toLowerCase() : undefined;
  const port = match ? Number(match[2] ?? 80) : undefined;
  if (hostname !== undefined && gate.hostnames.has(hostname) && port === gate.port) return undefined;
  return `host ${JSON.stringify(header ?? '')} is not this codec server; call it by the address it listens on`;
}

function allowedHostnames(host: string): Set<string> {
  const own = host.replace(/^\[|\]$/g, '').toLowerCase();
  const loopback = LOOPBACK_NAMES.includes(own) || /^127(\.\d{1,3}){3}$/.test(own);
  return new Set(loopback ? [own, ...LOOPBACK_NAMES] : [own]);
}

/** Scheme and host of an origin, lower case, without a trailing slash (as browsers send it). */
function normalizeOrigin(origin: string): string {
  return origin.trim().replace(/\/+$/, '').toLowerCase();
}

/** `/auth/<token>/<rest>` -> the token and `/<rest>`; any other path is all rest. */
function splitTokenPath(pathname: string): { token?: string; rest: string } {
  if (!pathname.startsWith(TOKEN_PATH_PREFIX)) return { rest: pathname };
  const after = pathname.slice(TOKEN_PATH_PREFIX.length);
  const slash = after.indexOf('/');
  const raw = slash < 0 ? after : after.slice(0, slash);
  let token: string;
  try {
    token = decodeURIComponent(raw);
  } catch {
    token = raw;
  }
  return { token, rest: slash < 0 ? '/' : after.slice(slash) };
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Compares digests, so the time taken says nothing about the token (nor its length). */
function tokenMatches(expected: Buffer, given: string | undefined): boolean {
  return given !== undefined && timingSafeEqual(expected, digest(given));
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
