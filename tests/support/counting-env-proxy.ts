/**
 * A transparent HTTP proxy in front of a real env server that records, per env session, the
 * actions the server was asked to apply since its last reset. Workers point `STEP_HRL_ENV_URL` at
 * the proxy, so it sees every step any process sends, and it lives in the test process, so it
 * survives the kills. A step the server applied twice shows up as a session whose action list is
 * not a prefix of the episode's recorded actions (see {@link appliedTwice}). Used until the env
 * server's own `GET /stats` counter is available, and as a cross-check after.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One reset-to-reset stretch of one env session, as seen at the server. */
export interface SessionSegment {
  sessionId: number;
  env: string;
  /** ScienceWorld `task_name` / ALFWorld `game_file` of the reset. */
  task: string;
  variation: number;
  /** Actions forwarded to the server, in arrival order. */
  actions: string[];
}

/** The proxy; create with {@link CountingEnvProxy.start}. */
export class CountingEnvProxy {
  /** Every segment (a session's reset and the steps after it), in reset order. */
  readonly segments: SessionSegment[] = [];
  private readonly open = new Map<number, SessionSegment>();
  private server: Server | undefined;

  private constructor(private readonly target: URL) {}

  /** Starts the proxy on a free loopback port, forwarding to `targetUrl`. */
  static async start(targetUrl: string): Promise<CountingEnvProxy> {
    const proxy = new CountingEnvProxy(new URL(targetUrl));
    const server = createServer((req, res) => void proxy.forward(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    proxy.server = server;
    return proxy;
  }

  /** Root URL for `STEP_HRL_ENV_URL`. */
  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  /** Stops listening. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    // Recorded on arrival, before forwarding: a step whose caller dies meanwhile still reaches the server.
    this.observe(req.method ?? '', (req.url ?? '').split('?')[0]!, body);
    const upstream = request(
      {
        host: this.target.hostname,
        port: this.target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: this.target.host },
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', (e) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `proxy: ${e.message}`, code: 'Internal' }));
    });
    upstream.end(body);
  }

  private observe(method: string, path: string, raw: string): void {
    const match = /^\/(scienceworld|sciworld|alfworld)\/(reset|step)$/.exec(path);
    if (method !== 'POST' || !match) return;
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return;
    }
    const sessionId = Number(body.id);
    if (match[2] === 'reset') {
      const segment: SessionSegment = {
        sessionId,
        env: match[1] === 'sciworld' ? 'scienceworld' : match[1]!,
        task: String(body.task_name ?? body.game_file ?? ''),
        variation: Number(body.variation ?? 0),
        actions: [],
      };
      this.open.set(sessionId, segment);
      this.segments.push(segment);
    } else {
      this.open.get(sessionId)?.actions.push(String(body.action));
    }
  }
}

/**
 * Steps applied more than once in a segment: the actions past the longest common prefix with the
 * episode's recorded actions (a repeated step shifts every later action off the record). 0 when
 * the segment replayed and extended the record exactly.
 */
export function appliedTwice(segment: SessionSegment, recordedActions: readonly string[]): number {
  let common = 0;
  while (common < segment.actions.length && segment.actions[common] === recordedActions[common]) common++;
  return segment.actions.length - common;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
