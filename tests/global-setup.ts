/**
 * Starts ONE real Temporal dev server (the project's pinned CLI, SQLite under a temp dir) for the
 * whole jest run, and hands its address to the test workers through the environment.
 * STEP_HRL_TEST_NO_TEMPORAL=1 skips it for suites that need no server.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDevServer, type DevServerHandle } from '../src/server/dev-server';
import { freePort } from '../src/server/ports';

declare global {
  var __STEP_HRL_DEV_SERVER__: DevServerHandle | undefined;
}

export default async function globalSetup(): Promise<void> {
  if (process.env.STEP_HRL_TEST_NO_TEMPORAL === '1') return;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'step-hrl-test-'));
  const server = await startDevServer({ dataDir, port: await freePort() });
  globalThis.__STEP_HRL_DEV_SERVER__ = server;
  process.env.STEP_HRL_TEST_TEMPORAL_ADDRESS = server.address;
}
