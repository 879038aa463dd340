/**
 * Pins that a Temporal server away for ~20 s does not end `run`: the episode runs against its own
 * dev server (temp data dir, own port, not the shared test server), the server is SIGKILLed after
 * the first step and started again on the same port and data dir 20 s later, and `run` then
 * finishes the episode (env-done). It used to exit with "Failed to get Workflow execution history".
 * With --json, stdout stays pure JSON lines through the outage (the runtime logs on stderr).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDevServer, type DevServerHandle } from '../../src/server/dev-server';
import { freePort } from '../../src/server/ports';
import { cleanEnv, ensureBuilt, processesMentioning, spawnCli } from './cli-harness';

describe('Temporal away for 20 s during `run`', () => {
  let dataDir: string;
  let server: DevServerHandle | undefined;

  beforeAll(() => {
    ensureBuilt();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'step-hrl-outage-'));
  });
  afterAll(async () => {
    await server?.stop();
    for (const p of processesMentioning(dataDir)) process.kill(p.pid, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('waits the outage out and completes the episode', async () => {
    const port = await freePort();
    server = await startDevServer({ dataDir, port });
    const episodeId = `outage-${process.pid}-${Date.now()}`;
    const run = spawnCli(
      ['run', '--json', '--llm', 'expert', '--env', 'builtin', '--task', 'boil-water', '--episode-id', episodeId],
      cleanEnv({ TEMPORAL_ADDRESS: server.address }),
    );
    await run.waitForOutput(/"type":"step"/, 60_000);

    process.kill(-server.pid!, 'SIGKILL'); // the whole server process group, as a crash would
    await new Promise((r) => setTimeout(r, 20_000));
    expect(run.child.exitCode).toBeNull();
    server = await startDevServer({ dataDir, port });

    const { code } = await run.exited;
    expect({ code, output: run.output().slice(-3000) }).toEqual({ code: 0, output: expect.any(String) });
    const events = run
      .stdout()
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as { type: string; message?: string; status?: string });
    expect(events.filter((e) => e.message?.startsWith('Temporal unreachable, retrying'))).toHaveLength(1);
    expect(events.find((e) => e.type === 'result')?.status).toBe('env-done');
  }, 240_000);
});
