/**
 * Decides which Temporal cluster to use, by one rule (see {@link chooseCluster}): the `--address` /
 * `--namespace` flags, then Temporal's standard environment configuration (TEMPORAL_ADDRESS,
 * TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE), then the default
 * envconfig profile file, and only when none of them is there the embedded dev server.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
  /** `--address`: host:port of an existing cluster. */
  address?: string;
  /** `--namespace`: namespace on an existing cluster. */
  namespace?: string;
  /** Data dir of the embedded server. @default {@link defaultDataDir} */
  dataDir?: string;
  /** Port of the embedded server. @default STEP_HRL_TEMPORAL_PORT or 7233 */
  port?: number;
  /** Serve the Web UI from the embedded server. */
  ui?: boolean;
  /** Environment to read (tests pass their own). @default process.env */
  env?: NodeJS.ProcessEnv;
}

/** Environment variables that, each on its own, name an existing cluster. */
const EXTERNAL_CLUSTER_VARIABLES = [
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_API_KEY',
  'TEMPORAL_PROFILE',
  'TEMPORAL_CONFIG_FILE',
] as const;

/** Which cluster {@link chooseCluster} picked, and what made it pick it (for messages). */
export type ClusterChoice = { external: true; because: string } | { external: false };

/**
 * The path of envconfig's default profile file (`temporal config set` writes it): the same lookup
 * as `@temporalio/envconfig`, which does not export it. `$XDG_CONFIG_HOME/temporalio/temporal.toml`
 * or `~/.config/temporalio/temporal.toml` on Linux, `~/Library/Application Support/...` on macOS,
 * `%APPDATA%\temporalio\temporal.toml` on Windows; undefined when the variables are missing.
 */
export function defaultProfileFile(env: NodeJS.ProcessEnv = process.env, platform = os.platform()): string | undefined {
  let dir: string | undefined;
  if (platform === 'win32') dir = env.APPDATA || undefined;
  else if (platform === 'darwin') dir = env.HOME ? path.join(env.HOME, 'Library', 'Application Support') : undefined;
  else if (env.XDG_CONFIG_HOME) dir = path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : undefined;
  else dir = env.HOME ? path.join(env.HOME, '.config') : undefined;
  return dir ? path.join(dir, 'temporalio', 'temporal.toml') : undefined;
}

/**
 * The connection rule: flag > environment > default profile file > embedded server.
 * - `--address` or `--namespace` selects an existing cluster (its other settings come from the
 *   environment and the profile file, as the Temporal CLI reads them);
 * - else any of TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_PROFILE or
 *   TEMPORAL_CONFIG_FILE does;
 * - else the default envconfig profile file, when it exists, does;
 * - else the embedded dev server under the data dir is started (or shared).
 * `--data-dir`/`--port` configure only the embedded server, so giving them with `--address` or
 * `--namespace` is an error rather than one of them being silently ignored.
 * @throws Error naming the conflicting flags.
 */
export function chooseCluster(
  options: Pick<ResolveTemporalOptions, 'address' | 'namespace' | 'dataDir' | 'port'>,
  env: NodeJS.ProcessEnv = process.env,
): ClusterChoice {
  const flag =
    options.address !== undefined ? '--address' : options.namespace !== undefined ? '--namespace' : undefined;
  if (flag) {
    const embedded = [options.dataDir !== undefined && '--data-dir', options.port !== undefined && '--port'].filter(
      Boolean,
    );
    if (embedded.length > 0)
      throw new Error(
        `${flag} selects an existing Temporal cluster, but ${embedded.join(' and ')} ${embedded.length > 1 ? 'configure' : 'configures'} the embedded server; ` +
          `pass one or the other (with an existing cluster, STEP_HRL_DATA_DIR sets where the cache and results go)`,
      );
    return { external: true, because: flag };
  }
  const variable = EXTERNAL_CLUSTER_VARIABLES.find((name) => env[name]);
  if (variable) return { external: true, because: variable };
  const file = defaultProfileFile(env);
  if (file && existsSync(file)) return { external: true, because: `the profile file ${file}` };
  return { external: false };
}

/** True when the environment (no flags) names an existing cluster, so nothing should be started. */
export function usesExternalCluster(env: NodeJS.ProcessEnv = process.env): boolean {
  return chooseCluster({}, env).external;
}

/**
 * Resolves and checks the Temporal cluster by {@link chooseCluster}'s rule. An existing cluster
 * must answer within a few seconds; otherwise the embedded dev server is started (or shared)
 * under the data dir.
 * @throws TemporalUnreachableError when a configured cluster does not answer.
 */
export async function resolveTemporal(options: ResolveTemporalOptions = {}): Promise<TemporalTarget> {
  const env = options.env ?? process.env;
  const choice = chooseCluster(options, env);
  if (choice.external) {
    const config = loadClientConnectConfig({ overrideEnvVars: env as Record<string, string> });
    const connectionOptions = {
      ...(config.connectionOptions as ConnectionOptions),
      ...(options.address !== undefined && { address: checkAddress(options.address) }),
    };
    const namespace = options.namespace ?? config.namespace ?? 'default';
    const address = connectionOptions.address ?? '127.0.0.1:7233';
    await checkReachable(connectionOptions, namespace, address, choice.because);
    return { connectionOptions, namespace };
  }
  const port = options.port ?? Number(env.STEP_HRL_TEMPORAL_PORT ?? 7233);
  const devServer = await startDevServer({ dataDir: options.dataDir ?? defaultDataDir(), port, ui: options.ui });
  return { connectionOptions: { address: devServer.address }, namespace: devServer.namespace, devServer };
}

function checkAddress(address: string): string {
  if (!/^[^\s:/]+:\d{1,5}$/.test(address) && !/^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(address))
    throw new Error(`--address ${JSON.stringify(address)} is not host:port; pass e.g. --address 127.0.0.1:7233`);
  return address;
}

async function checkReachable(
  options: ConnectionOptions,
  namespace: string,
  address: string,
  because: string,
): Promise<void> {
  try {
    await probeTemporal(options, namespace, 5000);
  } catch (err) {
    throw new TemporalUnreachableError(address, (err as Error).message.split('\n')[0]!, because);
  }
}
