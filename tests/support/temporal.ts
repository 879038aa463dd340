/**
 * Connections to the run's shared dev server, one workflow bundle per test file, and a helper
 * that runs a real step-hrl worker around a test body.
 */
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, type WorkflowBundle } from '@temporalio/worker';
import type { EnvFactory } from '../../src/activities';
import { BuiltinTextEnv } from '../../src/envs/builtin';
import { RECORD_READER_CHANNEL_ARGS } from '../../src/history-source';
import type { LlmClient } from '../../src/llm/types';
import { bundleWorkflows, createStepHrlWorker, type StepHrlWorkerOptions } from '../../src/worker';

/** Address of the shared server started by global-setup. */
export function testAddress(): string {
  const address = process.env.STEP_HRL_TEST_TEMPORAL_ADDRESS;
  if (!address)
    throw new Error('no test Temporal server: run through jest (global-setup) without STEP_HRL_TEST_NO_TEMPORAL');
  return address;
}

let bundle: Promise<WorkflowBundle> | undefined;
/** The workflow bundle, built once per test file. */
export function sharedBundle(): Promise<WorkflowBundle> {
  return (bundle ??= bundleWorkflows());
}

/** Client + native connection to the shared server. */
export interface TestTemporal {
  client: Client;
  nativeConnection: NativeConnection;
  close(): Promise<void>;
}

/** Connects to the shared server (the client encrypts when `dataConverter` has the codec with a key). */
export async function connectTestTemporal(options: { dataConverter?: DataConverter } = {}): Promise<TestTemporal> {
  const connection = await Connection.connect({ address: testAddress(), channelArgs: RECORD_READER_CHANNEL_ARGS });
  const nativeConnection = await NativeConnection.connect({ address: testAddress() });
  return {
    client: new Client({ connection, dataConverter: options.dataConverter }),
    nativeConnection,
    async close() {
      await nativeConnection.close();
      await connection.close();
    },
  };
}

/** Task queue unique to a test (derived from its name, as sdk-typescript's helpers do). */
export function queueFor(name: string): string {
  return `t-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}-${process.pid}-${Date.now()}`;
}

/** The built-in env for every spec (tests that need real envs pass their own factory). */
export const builtinFactory: EnvFactory = () => new BuiltinTextEnv();

/** Runs a real worker (shared bundle) while `body` runs. */
export async function withWorker<T>(
  t: TestTemporal,
  options: { taskQueue: string; llm: LlmClient; envFactory?: EnvFactory } & Partial<StepHrlWorkerOptions>,
  body: () => Promise<T>,
): Promise<T> {
  const worker = await createStepHrlWorker({
    connection: t.nativeConnection,
    namespace: 'default',
    workflowBundle: await sharedBundle(),
    envFactory: builtinFactory,
    ...options,
  });
  return (await worker.run(body())) as T;
}
