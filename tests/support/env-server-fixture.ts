/** Test helper: one env server per test file (or the one at STEP_HRL_ENV_URL). */
import { connectEnvServer, EnvServerHandle, StartEnvServerOptions } from '../../src/envs/env-server';

/** Starts a server in `beforeAll` and stops it in `afterAll`; read `.url` inside tests. */
export function useEnvServer(opts: StartEnvServerOptions = {}): {
  readonly url: string;
  readonly handle: EnvServerHandle;
} {
  let handle: EnvServerHandle | undefined;
  beforeAll(async () => {
    handle = await connectEnvServer(opts);
  }, 120_000);
  afterAll(async () => {
    await handle?.stop();
  }, 60_000);
  return {
    get url() {
      if (!handle) throw new Error('env server not started yet (use inside tests)');
      return handle.url;
    },
    get handle() {
      if (!handle) throw new Error('env server not started yet (use inside tests)');
      return handle;
    },
  };
}
