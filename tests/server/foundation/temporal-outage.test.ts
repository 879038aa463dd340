/**
 * What `run` tells a user while the Temporal server is away (issue 17 item 9). The episode runs
 * against its own dev server (temp data dir, own port, not the shared test server) with a slightly
 * slow policy endpoint, and the server is SIGKILLed mid-episode:
 * - away for 12 s: one "Temporal unreachable" line within a few seconds of the kill (it used to
 *   come about 20 s late, after the follow's own gRPC retries), one "reachable again" line once it
 *   is back, and the episode finishes (env-done). With --json, stdout stays pure JSON lines.
 * - away for good with STEP_HRL_TEMPORAL_OUTAGE_SECONDS=5: `run` ends about 5 s after the line,
 *   while Temporal is still down, with one error line naming the window and `step-hrl resume`
 *   (it used to wait until Temporal was back, then blame an outage that was over).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDevServer, type DevServerHandle } from '../../../src/server/dev-server';
import { freePort } from '../../../src/server/ports';
import type { MockOpenAiServer } from '../../support/mock-openai-server';
import { ensureBuilt, processesMentioning, spawnCli, type BackgroundCli } from '../../support/cli-harness';
import { endpointEnv, endpointRunArgs, expertEndpoint } from '../../support/expert-endpoint-process';

const spec = { env: 'builtin' as const, task: 'boil-water', variation: 0 };

describe('Temporal away during `run`', () => {
  let dataDir: string;
  let server: DevServerHandle | undefined;
  let endpoint: MockOpenAiServer;

  beforeAll(async () => {
    ensureBuilt();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'step-hrl-outage-'));
    endpoint = await expertEndpoint(spec, 150);
  });
  afterAll(async () => {
    await server?.stop();
    await endpoint?.stop();
    for (const p of processesMentioning(dataDir)) process.kill(p.pid, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Starts `run --json` on a fresh server and SIGKILLs the server after the second step. */
  async function runThenKill(port: number, name: string, extra: Record<string, string> = {}): Promise<BackgroundCli> {
    await server?.stop();
    server = await startDevServer({ dataDir: path.join(dataDir, name), port });
    const episodeId = `${name}-${process.pid}-${Date.now()}`;
    const run = spawnCli(
      endpointRunArgs(spec, episodeId, '--json'),
      endpointEnv(endpoint, { TEMPORAL_ADDRESS: server.address, ...extra }),
    );
    await run.waitForOutput(/"type":"step","step":1,/, 60_000);
    process.kill(-server.pid!, 'SIGKILL'); // the whole server process group, as a crash would
    return run;
  }

  const jsonLines = (run: BackgroundCli) =>
    run
      .stdout()
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as { type: string; message?: string; status?: string });

  it('says so within seconds, says when it is back, and completes the episode', async () => {
    const port = await freePort();
    const run = await runThenKill(port, 'outage');
    const killed = Date.now();
    await run.waitForOutput(/Temporal unreachable, retrying for up to 600 s/, 30_000);
    expect(Date.now() - killed).toBeLessThan(5_000);

    await new Promise((r) => setTimeout(r, 12_000 - (Date.now() - killed)));
    expect(run.child.exitCode).toBeNull();
    server = await startDevServer({ dataDir: path.join(dataDir, 'outage'), port });

    const { code } = await run.exited;
    expect({ code, output: run.output().slice(-3000) }).toEqual({ code: 0, output: expect.any(String) });
    const events = jsonLines(run);
    const messages = events.map((e) => e.message ?? '');
    expect(messages.filter((m) => m.startsWith('Temporal unreachable, retrying'))).toHaveLength(1);
    expect(messages.filter((m) => m.startsWith('Temporal reachable again'))).toHaveLength(1);
    expect(messages.findIndex((m) => m.startsWith('Temporal reachable again'))).toBeGreaterThan(
      messages.findIndex((m) => m.startsWith('Temporal unreachable')),
    );
    expect(events.find((e) => e.type === 'result')?.status).toBe('env-done');
  }, 240_000);

  it('an outage longer than STEP_HRL_TEMPORAL_OUTAGE_SECONDS ends `run` then, with one line naming resume', async () => {
    const port = await freePort();
    const run = await runThenKill(port, 'outage-window', { STEP_HRL_TEMPORAL_OUTAGE_SECONDS: '5' });
    const killed = Date.now();
    const exit = await Promise.race([
      run.exited,
      new Promise<'still running'>((r) => setTimeout(() => r('still running'), 25_000)),
    ]);
    if (exit === 'still running') run.child.kill('SIGKILL');
    expect({ exit, output: exit === 'still running' ? run.output().slice(-3000) : '' }).toEqual({
      exit: { code: 1, signal: null },
      output: '',
    });
    expect(Date.now() - killed).toBeLessThan(15_000); // ~2 s to notice + the 5 s window, not "when it is back"
    const messages = jsonLines(run).map((e) => e.message ?? '');
    expect(messages.filter((m) => m.startsWith('Temporal unreachable, retrying for up to 5 s'))).toHaveLength(1);
    const stderr = run
      .output()
      .split('\n')
      .filter((line) => line.startsWith('Error: '));
    expect(stderr).toHaveLength(1);
    expect(stderr[0]).toMatch(
      /^Error: Temporal stayed unreachable for 5 s \(.*\); the episode is kept: start Temporal/,
    );
    expect(stderr[0]).toMatch(/`step-hrl resume outage-window-\d+-\d+`, or raise STEP_HRL_TEMPORAL_OUTAGE_SECONDS$/);
  }, 180_000);
});
