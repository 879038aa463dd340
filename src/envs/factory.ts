/**
 * The worker's env factory: the built-in env in-process, ScienceWorld and ALFWorld through the env
 * server — `STEP_HRL_ENV_URL` when set, else one spawned lazily on first use (so a built-in run
 * never starts Python or Java) and stopped by {@link EnvProvider.close}.
 */
import { BuiltinTextEnv } from './builtin';
import { connectEnvServer, type EnvServerHandle, type StartEnvServerOptions } from './env-server';
import { createHttpTextEnv } from './http-text-env';
import type { EnvSpec, TextEnv } from './text-env';

/** Creates env sessions and owns the env server it may have started. */
export class EnvProvider {
  private server?: Promise<EnvServerHandle>;

  constructor(private readonly serverOptions: StartEnvServerOptions = {}) {}

  /** URL of the env server, starting it when needed. */
  async serverUrl(): Promise<string> {
    this.server ??= connectEnvServer(this.serverOptions);
    try {
      return (await this.server).url;
    } catch (err) {
      this.server = undefined; // let a later call try again
      throw err;
    }
  }

  /** A fresh, un-reset session for `spec`'s env family. */
  readonly create = async (spec: EnvSpec): Promise<TextEnv> => {
    if (spec.env === 'builtin') return new BuiltinTextEnv();
    return createHttpTextEnv(spec.env, { url: await this.serverUrl() });
  };

  /** Stops a server this provider spawned. Idempotent. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await (await server?.catch(() => undefined))?.stop();
  }
}
