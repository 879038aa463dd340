/**
 * Fast recovery: after kill -9 of `run`, `resume` sees from the episode's env lease that its worker
 * process is gone, fails that process's started calls by id, resets sticky queues and fences the
 * dead env queue (src/lost-worker.ts), so an env call there is answered at once with SessionLost
 * and the episode re-drives. No env call waits out its schedule-to-start timeout and no liveness
 * ping fails on the dead queue first. SIGTERM ends `run` at once and one
 * Ctrl-C stops it the same way (with a line saying so): both leave the episode for `resume`.
 */
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { EpisodeResult } from '../../../src/workflows/episode';
import { testAddress } from '../../support/temporal';
import { cleanEnv, ensureBuilt, runCli, spawnCli } from '../../support/cli-harness';
import { envServerStats } from '../../support/chaos-harness';
import { startEnvServer } from '../../../src/envs/env-server';
import { DEMO_GAME, DEMO_SPLIT } from '../../../src/envs/demo-game';

let connection: Connection | undefined;
beforeAll(async () => {
  ensureBuilt();
  connection = await Connection.connect({ address: testAddress() });
});
afterAll(async () => connection?.close());

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Every event of the episode's latest run and of each subtask child it started. */
async function episodeEvents(client: Client, episodeId: string): Promise<HistoryEvent[]> {
  const events = (await client.workflow.getHandle(episodeId).fetchHistory()).events ?? [];
  const children = events
    .map((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId)
    .filter((id): id is string => Boolean(id));
  const childEvents = await Promise.all(
    [...new Set(children)].map(async (id) => (await client.workflow.getHandle(id).fetchHistory()).events ?? []),
  );
  return [...events, ...childEvents.flat()];
}

test('resume after kill -9 re-drives at once: no schedule-to-start wait on the dead worker queue, no failed ping', async () => {
  const client = new Client({ connection });
  const episodeId = `takeover-${process.pid}-${Date.now()}`;
  const env = cleanEnv({ TEMPORAL_ADDRESS: testAddress() });
  const args = ['--llm', 'expert', '--env', 'builtin', '--task', 'find-key-open-chest', '--variation', '4'];
  const run = spawnCli(['run', ...args, '--max-steps', '40', '--episode-id', episodeId], env);
  await run.waitForOutput(/step +2 +> /, 60_000);
  process.kill(run.child.pid!, 'SIGKILL');
  await run.exited;

  const resumed = await runCli(['resume', episodeId, '--llm', 'expert'], env, 120_000);
  expect({ code: resumed.code, stderr: resumed.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
  const result = (await client.workflow.getHandle(episodeId).result()) as EpisodeResult;
  expect(result.status).toBe('env-done');
  expect(result.won).toBe(true);
  expect(result.redrives).toBeGreaterThanOrEqual(1); // the session died with `run`: it was re-driven

  const events = await episodeEvents(client, episodeId);
  const scheduleToStart = events.filter(
    (e) =>
      e.activityTaskTimedOutEventAttributes?.failure?.timeoutFailureInfo?.timeoutType ===
      temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START,
  );
  expect(scheduleToStart).toHaveLength(0);
}, 240_000);

test("resume after kill -9 closes the dead process's session on a shared env server at once, not after its idle TTL", async () => {
  // A worker host's env server: it outlives the killed `run`, so the session `run` held stays open there.
  const server = await startEnvServer();
  try {
    const stats = async () => (await envServerStats(server.url))!;
    const episodeId = `release-${process.pid}-${Date.now()}`;
    const env = cleanEnv({ TEMPORAL_ADDRESS: testAddress(), STEP_HRL_ENV_URL: server.url });
    const args = ['--llm', 'expert', '--env', 'alfworld', '--split', DEMO_SPLIT, '--task', DEMO_GAME];
    const run = spawnCli(['run', ...args, '--episode-id', episodeId], env);
    await run.waitForOutput(/step +1 +> /, 120_000);
    process.kill(run.child.pid!, 'SIGKILL');
    await run.exited;
    const atKill = await stats();
    expect(atKill['sessions_open']).toBe(1); // nobody will ever step it again

    const resumed = await runCli(['resume', episodeId, '--llm', 'expert'], env, 120_000);
    expect({ code: resumed.code, stderr: resumed.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    const result = (await new Client({ connection }).workflow.getHandle(episodeId).result()) as EpisodeResult;
    expect(result.won).toBe(true);
    expect(result.redrives).toBeGreaterThanOrEqual(1);
    // Closed as the dead process's before the re-drive opened its own (not superseded by it), and
    // the episode closed that one at its end: nothing is left holding the server's simulators.
    const after = await stats();
    expect(after['sessions_released']).toBe(1);
    expect(after['sessions_open']).toBe(0);
  } finally {
    await server.stop();
  }
}, 300_000);

test('SIGTERM ends `run` at once (nothing left following the episode), and `resume` finishes the episode', async () => {
  const client = new Client({ connection });
  const episodeId = `sigterm-${process.pid}-${Date.now()}`;
  const env = cleanEnv({ TEMPORAL_ADDRESS: testAddress() });
  const args = ['--llm', 'expert', '--env', 'builtin', '--task', 'find-key-open-chest', '--variation', '4'];
  const run = spawnCli(['run', ...args, '--max-steps', '40', '--episode-id', episodeId], env);
  await run.waitForOutput(/step +1 +> /, 60_000);
  run.child.kill('SIGTERM');
  const exit = await Promise.race([
    run.exited,
    new Promise<'still running'>((r) => setTimeout(() => r('still running'), 15_000)),
  ]);
  if (exit === 'still running') run.child.kill('SIGKILL');
  expect({ exit, output: exit === 'still running' ? run.output() : '' }).toEqual({
    exit: { code: null, signal: 'SIGTERM' },
    output: '',
  });

  const resumed = await runCli(['resume', episodeId, '--llm', 'expert'], env, 120_000);
  expect({ code: resumed.code, stderr: resumed.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
  expect(((await client.workflow.getHandle(episodeId).result()) as EpisodeResult).won).toBe(true);
}, 240_000);

test('one Ctrl-C (SIGINT) stops `run` and leaves the episode open, as its line says: `resume` finishes it', async () => {
  const client = new Client({ connection });
  const episodeId = `sigint-${process.pid}-${Date.now()}`;
  const env = cleanEnv({ TEMPORAL_ADDRESS: testAddress() });
  const args = ['--llm', 'expert', '--env', 'builtin', '--task', 'find-key-open-chest', '--variation', '4'];
  const run = spawnCli(['run', ...args, '--max-steps', '40', '--episode-id', episodeId], env);
  await run.waitForOutput(/step +1 +> /, 60_000);
  run.child.kill('SIGINT');
  const exit = await Promise.race([
    run.exited,
    new Promise<'still running'>((r) => setTimeout(() => r('still running'), 15_000)),
  ]);
  if (exit === 'still running') run.child.kill('SIGKILL');
  // 130: interrupted (not 0: it did not finish; not 1: nothing failed), with no stack trace.
  expect({ exit, output: exit === 'still running' ? run.output() : '' }).toEqual({
    exit: { code: 130, signal: null },
    output: '',
  });
  expect(run.output()).toContain(
    `stopping: episode ${episodeId} stays open; \`step-hrl resume ${episodeId}\` continues it`,
  );
  expect(run.output()).not.toMatch(/Error|cancelled/);
  expect((await client.workflow.getHandle(episodeId).describe()).status.name).toBe('RUNNING');

  // What the line says is true: `resume` continues it to the end.
  const resumed = await runCli(['resume', episodeId, '--llm', 'expert'], env, 120_000);
  expect({ code: resumed.code, stderr: resumed.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
  const result = (await client.workflow.getHandle(episodeId).result()) as EpisodeResult;
  expect(result).toMatchObject({ status: 'env-done', won: true });
}, 180_000);
