/** Opens the Temporal connections a command needs, on the embedded dev server or a configured cluster. */
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';
import { dataConverterFromEnv } from '../codec/data-converter';
import { RECORD_READER_CHANNEL_ARGS } from '../history-source';
import { resolveTemporal, type TemporalTarget } from '../server/connection';
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
  dataDir?: string;
  port?: string;
  ui?: boolean;
}

/** Resolves the cluster (starting the embedded server if needed) and connects. */
export async function openTemporal(options: TemporalCliOptions): Promise<OpenTemporal> {
  const port = options.port !== undefined ? parsePort(options.port) : undefined;
  const dataConverter = dataConverterFromEnv(); // a bad key fails before any server starts
  const target = await resolveTemporal({ dataDir: options.dataDir, port, ui: options.ui });
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
        await target.devServer?.stop();
      },
    };
  } catch (err) {
    await target.devServer?.stop();
    throw err;
  }
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`--port ${JSON.stringify(text)} is not a port number; pass an integer from 1 to 65535`);
  }
  return port;
}
