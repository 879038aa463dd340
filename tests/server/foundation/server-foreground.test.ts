/**
 * Pins `step-hrl server` as a foreground command: it keeps serving until it is told to stop
 * (it used to exit 0 a few seconds after start-up, taking the dev server with it), and SIGTERM
 * stops it cleanly: exit 0 and the port is free again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isTemporalHealthy } from '../../../src/server/dev-server';
import { freePort, isPortFree } from '../../../src/server/ports';
import { ensureBuilt, processesMentioning, spawnCli, waitFor } from '../../support/cli-harness';

describe('step-hrl server', () => {
  let dataDir: string;

  beforeAll(() => {
    ensureBuilt();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'step-hrl-server-'));
  });
  afterAll(() => {
    for (const p of processesMentioning(dataDir)) process.kill(p.pid, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves until SIGTERM, then exits 0 and frees its port', async () => {
    const port = await freePort();
    const server = spawnCli(['server', '--port', String(port), '--data-dir', dataDir]);
    await server.waitForOutput(/Ctrl-C stops it/, 60_000);

    await new Promise((r) => setTimeout(r, 30_000)); // well past the old ~3 s exit
    expect(server.child.exitCode).toBeNull();
    expect(await isTemporalHealthy(`127.0.0.1:${port}`, 5_000)).toBe(true);

    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.output()).toContain('stopped');
    expect(await waitFor(() => processesMentioning(dataDir).length === 0, 10_000)).toBe(true);
    expect(await isPortFree(port)).toBe(true);
  }, 90_000);
});
