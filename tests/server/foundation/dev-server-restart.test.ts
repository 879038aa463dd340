/**
 * Pins SQLite persistence of the embedded dev server: a workflow started before the server is
 * stopped is still RUNNING after a new server starts on the same data dir and port, and it then
 * completes (signal + real activity on a real Worker) with the expected result.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { isAlive, startDevServer, type DevServerHandle } from '../../../src/server/dev-server';
import { freePort } from '../../../src/server/ports';
import type { WaiterActivities } from '../../support/workflows/waiter';
import { goSignal, waiter } from '../../support/workflows/waiter';

const noop = (): void => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };

describe('embedded dev server restart', () => {
  let dataDir: string;
  let server: DevServerHandle | undefined;

  beforeAll(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'step-hrl-restart-'));
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Runs `fn` with a client on the current server, closing the connection afterwards. */
  async function withClient<T>(fn: (client: Client) => Promise<T>): Promise<T> {
    const connection = await Connection.connect({ address: server!.address });
    try {
      return await fn(new Client({ connection }));
    } finally {
      await connection.close();
    }
  }

  it('keeps a running workflow across a restart, and the workflow then completes', async () => {
    const port = await freePort();
    const bundle = bundleWorkflowCode({
      workflowsPath: require.resolve('../../support/workflows/waiter'),
      logger: quietLogger,
    });

    server = await startDevServer({ dataDir, port });
    expect(server.owned).toBe(true);
    const workflowId = `waiter-${process.pid}-${Date.now()}`;
    const taskQueue = `restart-${process.pid}`;
    await withClient((client) => client.workflow.start(waiter, { workflowId, taskQueue }));

    await server.stop();
    const before = server;
    expect(isAlive(before.pid!)).toBe(false); // the data really outlives the server process
    server = await startDevServer({ dataDir, port });
    expect(server.owned).toBe(true);
    expect(server.pid).not.toBe(before.pid);
    expect(server.address).toBe(`127.0.0.1:${port}`);

    const result = await withClient(async (client) => {
      const handle = client.workflow.getHandle(workflowId);
      expect((await handle.describe()).status.name).toBe('RUNNING');

      const activities: WaiterActivities = { greet: async (name) => `hello, ${name}` };
      const connection = await NativeConnection.connect({ address: server!.address });
      try {
        const worker = await Worker.create({
          connection,
          taskQueue,
          workflowBundle: await bundle,
          activities,
        });
        return await worker.runUntil(
          (async () => {
            await handle.signal(goSignal, 'restart');
            return (await handle.result()) as string;
          })(),
        );
      } finally {
        await connection.close();
      }
    });

    expect(result).toBe('hello, restart');
    await withClient(async (client) => {
      expect((await client.workflow.getHandle(workflowId).describe()).status.name).toBe('COMPLETED');
    });
  });
});
