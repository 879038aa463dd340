/**
 * The worker's env factory: the built-in env in-process, ScienceWorld and ALFWorld through the env
 * server — `STEP_HRL_ENV_URL` when set, else one spawned lazily on first use (so a built-in run
 * never starts Python or Java) and stopped by {@link EnvProvider.close}. A spawned server that
 * dies is started again on the next session; clients of the dead one report `SessionLost`, so
 * their episodes re-drive on the new server instead of retrying a refused connection.
 */
import { BuiltinTextEnv } from './builtin';
import { connectEnvServer, type EnvServerHandle, type StartEnvServerOptions } from './env-server';
import { createHttpTextEnv } from './http-text-env';
import type { EnvSpec, TextEnv } from './text-env';

/** Tells a spawned env server to start its spare ScienceWorld simulator at once. */
const PRESTART_ENV = 'STEP_HRL_SCIENCEWORLD_PRESTART';

/** How long a failed call waits for the spawned server's exit to be noticed before calling it alive. */
const EXIT_NOTICE_MS = 2_000;

/** Creates env sessions and owns the env server it may have started. */
export class EnvProvider {
  private server?: Promise<EnvServerHandle>;

  constructor(private serverOptions: StartEnvServerOptions = {}) {}

  /** The env server, starting it when needed, and again when a spawned one has exited. */
  async handle(): Promise<EnvServerHandle> {
    const current = await this.server?.catch(() => undefined);
    if (current?.spawned && !current.running) this.server = undefined; // it died: start a new one
    this.server ??= connectEnvServer(this.serverOptions);
    try {
      return await this.server;
    } catch (err) {
      this.server = undefined; // let a later call try again
      throw err;
    }
  }

  /**
   * Starts the env server now, in the background, for an episode of `spec` (with ScienceWorld, its
   * spare session simulator too), so the episode's first session does not wait for them: `resume`
   * calls it while it connects, as the re-drive after a kill -9 needs a new session at once.
   */
  warm(spec: EnvSpec): void {
    if (spec.env === 'builtin' || this.server) return;
    if (spec.env === 'scienceworld') {
      this.serverOptions = { ...this.serverOptions, env: { ...this.serverOptions.env, [PRESTART_ENV]: '1' } };
    }
    this.handle().catch(() => undefined); // a failure shows where the server is first used
  }

  /** URL of the env server, starting it when needed. */
  async serverUrl(): Promise<string> {
    return (await this.handle()).url;
  }

  /** A fresh, un-reset session for `spec`'s env family. */
  readonly create = async (spec: EnvSpec): Promise<TextEnv> => {
    if (spec.env === 'builtin') return new BuiltinTextEnv();
    const server = await this.handle();
    return createHttpTextEnv(spec.env, { url: server.url, serverGone: () => hasExited(server) });
  };

  /** Stops a server this provider spawned. Idempotent. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await (await server?.catch(() => undefined))?.stop();
  }
}

/** True when a spawned server has exited (or does within a moment: a killed server's connections
 * break before its exit is reported). A configured server is never known to be gone. */
async function hasExited(server: EnvServerHandle): Promise<boolean> {
  if (!server.spawned) return false;
  if (!server.running) return true;
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), EXIT_NOTICE_MS)));
  try {
    return await Promise.race([server.exited.then(() => true), waited]);
  } finally {
    clearTimeout(timer);
  }
}
