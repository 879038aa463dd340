/**
 * Decides which Temporal cluster to use: an existing one named by Temporal's standard environment
 * configuration (TEMPORAL_ADDRESS, TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE), or the embedded dev server.
 */
import type { ConnectionOptions } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { probeTemporal, startDevServer, type DevServerHandle } from './dev-server';
import { TemporalUnreachableError } from './errors';
import { defaultDataDir } from './paths';

/** Where to find Temporal, resolved once per process. */
export interface TemporalTarget {
  /** Options for `Connection.connect` / `NativeConnection.connect` (address, TLS, API key). */
  readonly connectionOptions: ConnectionOptions;
  readonly namespace: string;
  /** Set when the embedded dev server is in use. */
  readonly devServer?: DevServerHandle;
}

/** Options for {@link resolveTemporal}. */
export interface ResolveTemporalOptions {
  /** Data dir of the embedded server. @default {@link defaultDataDir} */
  dataDir?: string;
  /** Port of the embedded server. @default STEP_HRL_TEMPORAL_PORT or 7233 */
  port?: number;
  /** Serve the Web UI from the embedded server. */
  ui?: boolean;
  /** Environment to read (tests pass their own). @default process.env */
  env?: NodeJS.ProcessEnv;
}

/** True when the environment names an existing cluster, so nothing should be started. */
export function usesExternalCluster(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.TEMPORAL_ADDRESS || env.TEMPORAL_PROFILE || env.TEMPORAL_CONFIG_FILE);
}

/**
 * Resolves and checks the Temporal cluster. An external cluster must answer within a few seconds;
 * otherwise the embedded dev server is started (or shared) under the data dir.
 * @throws TemporalUnreachableError when a configured cluster does not answer.
 */
export async function resolveTemporal(options: ResolveTemporalOptions = {}): Promise<TemporalTarget> {
  const env = options.env ?? process.env;
  if (usesExternalCluster(env)) {
    const config = loadClientConnectConfig({ overrideEnvVars: env as Record<string, string> });
    const connectionOptions = config.connectionOptions as ConnectionOptions;
    const namespace = config.namespace ?? 'default';
    const address = connectionOptions.address ?? '127.0.0.1:7233';
    await checkReachable(connectionOptions, namespace, address);
    return { connectionOptions, namespace };
  }
  const port = options.port ?? Number(env.STEP_HRL_TEMPORAL_PORT ?? 7233);
  const devServer = await startDevServer({ dataDir: options.dataDir ?? defaultDataDir(), port, ui: options.ui });
  return { connectionOptions: { address: devServer.address }, namespace: devServer.namespace, devServer };
}

async function checkReachable(options: ConnectionOptions, namespace: string, address: string): Promise<void> {
  try {
    await probeTemporal(options, namespace, 5000);
  } catch (err) {
    throw new TemporalUnreachableError(address, (err as Error).message.split('\n')[0]);
  }
}
