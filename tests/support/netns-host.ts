/**
 * Simulated worker hosts for the scale-out tier (issue 20 item 3): each host is a process tree in
 * its own user, network, pid and UTS namespaces (`unshare`; no privileges beyond a user namespace),
 * so it has its own loopback, its own pid space (another "machine" to the takeover logic: its dead
 * pids are never declared gone by a neighbour), its own host name, and its own env server on the
 * same port as every other host's. The only way out is its link: a Unix socket in the host's folder
 * that the test serves and forwards to the Temporal frontend (tests/support/netns-bridge.mjs is the
 * inside end). Cutting the host's network is cutting that link; killing the host is SIGKILL of its
 * namespace's init, which the kernel follows by killing everything inside.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { BIN, ROOT } from './cli-harness';

/** The ports every host uses inside its own namespace (they never clash: each has its own loopback). */
const INSIDE_TEMPORAL_PORT = 7233;
const INSIDE_ENV_PORT = 8765;

/** True when this machine lets an unprivileged process create the namespaces a host needs. */
export function canSimulateHosts(): boolean {
  const probe = spawnSync('unshare', [...UNSHARE_FLAGS, 'true'], { stdio: 'ignore' });
  return probe.status === 0;
}

const UNSHARE_FLAGS = ['--user', '--map-root-user', '--net', '--pid', '--fork', '--mount-proc', '--uts'];

/** The host's side of its link to the Temporal frontend: forwards, or drops everything while cut. */
class HostLink {
  private readonly sockets = new Set<net.Socket>();
  private cut = false;
  private constructor(private readonly server: net.Server) {}

  static async open(socketPath: string, frontend: () => { host: string; port: number }): Promise<HostLink> {
    rmSync(socketPath, { force: true });
    const server = net.createServer();
    const link = new HostLink(server);
    server.on('connection', (inbound) => {
      if (link.cut) return void inbound.destroy();
      const outbound = net.connect(frontend());
      inbound.pipe(outbound).pipe(inbound);
      for (const socket of [inbound, outbound]) {
        link.sockets.add(socket);
        const close = (): void => {
          inbound.destroy();
          outbound.destroy();
          link.sockets.delete(socket);
        };
        socket.on('error', close).on('close', close);
      }
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    return link;
  }

  /** Drops every open connection and refuses new ones until {@link restore}. */
  sever(): void {
    this.cut = true;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  restore(): void {
    this.cut = false;
  }

  close(): Promise<void> {
    this.sever();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A JSON line a host's `step-hrl` printed, with the host's name. */
export interface HostEvent {
  host: string;
  type: string;
  [key: string]: unknown;
}

/** Options of {@link SimulatedHost.start}. */
export interface SimulatedHostOptions {
  /** Host name (also its UTS host name, so worker identities name it). */
  name: string;
  /** Folder of the host's sockets, logs and data dir (created). */
  dir: string;
  /** Where the frontend is now (called per connection, so a moved frontend is followed). */
  frontend: () => { host: string; port: number };
  /** `step-hrl` arguments; `--address` to the host's inside Temporal port is appended. */
  args: string[];
  /** Environment of the `step-hrl` process (the host adds STEP_HRL_ENV_URL and its data dir). */
  env: NodeJS.ProcessEnv;
  /** Called for every JSON line of the host's `step-hrl`. */
  onEvent?: (event: HostEvent) => void;
}

/** One simulated host: an env server and one `step-hrl` process in their own namespaces. */
export class SimulatedHost {
  /** Every JSON line its `step-hrl` printed. */
  readonly events: HostEvent[] = [];
  /** Its `step-hrl`'s exit code once it exited (the namespace stays up for the counters). */
  exitCode: number | undefined;
  private output = '';

  private constructor(
    readonly name: string,
    readonly dir: string,
    private readonly child: ChildProcess,
    private readonly link: HostLink,
    readonly ended: Promise<void>,
  ) {}

  static async start(options: SimulatedHostOptions): Promise<SimulatedHost> {
    const { name, dir } = options;
    mkdirSync(dir, { recursive: true });
    const link = await HostLink.open(path.join(dir, 'temporal.sock'), options.frontend);
    const python = path.join(ROOT, '.tools', 'venv', 'bin', 'python');
    // Runs as the namespace's init (pid 1): when it dies, the kernel kills the rest of the host.
    const script = [
      'set -u',
      `hostname ${name}`,
      'ip link set lo up',
      `node ${q(path.join(__dirname, 'netns-bridge.mjs'))} ${q(dir)} ${INSIDE_TEMPORAL_PORT} ${INSIDE_ENV_PORT} &`,
      `(cd ${q(path.join(ROOT, 'envserver'))} && exec ${q(python)} -m step_hrl_envserver --port ${INSIDE_ENV_PORT}` +
        ` > ${q(path.join(dir, 'envserver.log'))} 2>&1) &`,
      `node ${q(BIN)} "$@" --address 127.0.0.1:${INSIDE_TEMPORAL_PORT}`,
      'echo "{\\"type\\":\\"host-exit\\",\\"code\\":$?}"',
      'wait', // keeps the env server (and its counters) up until the test stops the host
    ].join('\n');
    const env = {
      ...options.env,
      STEP_HRL_ENV_URL: `http://127.0.0.1:${INSIDE_ENV_PORT}`,
      STEP_HRL_DATA_DIR: path.join(dir, 'data'),
    };
    const child = spawn('unshare', [...UNSHARE_FLAGS, 'bash', '-c', script, name, ...options.args], {
      cwd: ROOT,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const ended = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const host = new SimulatedHost(name, dir, child, link, ended);
    let partial = '';
    child.stdout!.on('data', (d: Buffer) => {
      const text = partial + d.toString();
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) host.absorb(line, options.onEvent);
    });
    child.stderr!.on('data', (d: Buffer) => (host.output += d.toString()));
    return host;
  }

  private absorb(line: string, onEvent?: (event: HostEvent) => void): void {
    this.output += `${line}\n`;
    if (!line.startsWith('{')) return;
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    const event = { ...parsed, host: this.name, type: String(parsed.type) } as HostEvent;
    if (event.type === 'host-exit') this.exitCode = Number(event.code);
    this.events.push(event);
    onEvent?.(event);
  }

  /** What the host printed (stdout and stderr), for failure messages. */
  get log(): string {
    return this.output;
  }

  /** Cuts the host off the network (its processes keep running). */
  cutNetwork(): void {
    this.link.sever();
  }

  /** Brings the host's network back. */
  restoreNetwork(): void {
    this.link.restore();
  }

  /** SIGKILL of the whole host: its `step-hrl` and env server die at once. */
  async kill(): Promise<void> {
    try {
      process.kill(-this.child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
    await this.ended;
    await this.link.close();
  }

  /** The host's env server counters (`GET /stats`), read through the host's env socket. */
  envStats(): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const request = http.get({ socketPath: path.join(this.dir, 'env.sock'), path: '/stats' }, (response) => {
        let body = '';
        response.on('data', (d: Buffer) => (body += d.toString()));
        response.on('end', () => {
          try {
            resolve(JSON.parse(body) as Record<string, unknown>);
          } catch (err) {
            reject(
              new Error(`${this.name}: /stats answered ${response.statusCode}: ${body.slice(0, 200)}`, { cause: err }),
            );
          }
        });
      });
      request.setTimeout(10_000, () => request.destroy(new Error(`${this.name}: /stats timed out`)));
      request.on('error', reject);
    });
  }
}

/** Single-quotes a shell word. */
function q(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
