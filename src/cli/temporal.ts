/** Opens the Temporal connections a command needs, on the embedded dev server or a configured cluster. */
import type { Command, OptionValues } from '@commander-js/extra-typings';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';
import { dataConverterFromEnv } from '../codec/data-converter';
import { RECORD_READER_CHANNEL_ARGS } from '../history-source';
import { resolveTemporal, type TemporalTarget } from '../server/connection';
import { ignoreRetriesOnClosedChannel } from './closed-channel';
import { installQuietRuntime } from './process-setup';

/** Connections plus the way to release them (stopping a dev server this process started). */
export interface OpenTemporal {
  target: TemporalTarget;
  client: Client;
  native: NativeConnection;
  /** Payload codec (encryption keys from the environment) of `client`; workers must use the same. */
  dataConverter: DataConverter;
  close(): Promise<void>;
}

/** Common options of commands that talk to Temporal. */
export interface TemporalCliOptions {
  address?: string;
  namespace?: string;
  dataDir?: string;
  port?: string;
  ui?: boolean;
}

/** Resolves the cluster (starting the embedded server if needed) and connects. */
export async function openTemporal(options: TemporalCliOptions): Promise<OpenTemporal> {
  const port = options.port !== undefined ? parsePort(options.port) : undefined;
  const dataConverter = dataConverterFromEnv(); // a bad key fails before any server starts
  const target = await resolveTemporal({
    address: options.address,
    namespace: options.namespace,
    dataDir: options.dataDir,
    port,
    ui: options.ui,
  });
  try {
    // Record readers (show, export) receive history pages holding whole subtask results.
    const connection = await Connection.connect({
      ...target.connectionOptions,
      channelArgs: { ...RECORD_READER_CHANNEL_ARGS, ...target.connectionOptions.channelArgs },
    });
    installQuietRuntime();
    const native = await NativeConnection.connect(
      target.connectionOptions as Parameters<typeof NativeConnection.connect>[0],
    );
    return {
      target,
      client: new Client({ connection, namespace: target.namespace, dataConverter }),
      native,
      dataConverter,
      async close() {
        await native.close().catch(() => undefined);
        await connection.close().catch(() => undefined);
        ignoreRetriesOnClosedChannel();
        await target.devServer?.stop();
      },
    };
  } catch (err) {
    await target.devServer?.stop();
    throw err;
  }
}

/** `--data-dir` help of commands whose data dir also holds the response cache and results. */
export const DATA_DIR_WITH_CACHE =
  'data dir of the embedded server, cache and results (default ./.step-hrl, or STEP_HRL_DATA_DIR)';

/**
 * Adds the connection flags every command that talks to Temporal shares: `--address` and
 * `--namespace` (an existing cluster) and `--data-dir` and `--port` (the embedded server). The rule
 * that picks the cluster is `chooseCluster`'s (src/server/connection.ts). `dataDir` says what else the data dir holds.
 */
export function withTemporalOptions<Args extends unknown[], Opts extends OptionValues, Globals extends OptionValues>(
  command: Command<Args, Opts, Globals>,
  dataDir = 'data dir of the embedded server (default ./.step-hrl, or STEP_HRL_DATA_DIR)',
) {
  return command
    .option(
      '--address <host:port>',
      'an existing Temporal cluster (default: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_PROFILE, ' +
        'TEMPORAL_CONFIG_FILE or the default envconfig profile file; else the embedded server)',
    )
    .option(
      '--namespace <name>',
      'namespace on the existing cluster (default: TEMPORAL_NAMESPACE, the profile, or default)',
    )
    .option('--data-dir <dir>', dataDir)
    .option('--port <port>', 'port of the embedded Temporal server (default 7233, or STEP_HRL_TEMPORAL_PORT)');
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`--port ${JSON.stringify(text)} is not a port number; pass an integer from 1 to 65535`);
  }
  return port;
}
