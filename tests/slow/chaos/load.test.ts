/**
 * A smaller version of bench/load.ts: 16 concurrent ALFWorld episodes through the real env server,
 * one `step-hrl worker` process and a slow serial LLM. All must complete, with no failure, no
 * re-drive and no retried or timed-out activity.
 */
import { Client, Connection } from '@temporalio/client';
import { runLoad, type LoadResult } from '../../support/load-harness';
import { testAddress } from '../../support/temporal';

let connection: Connection | undefined;
afterAll(async () => connection?.close());

test('16 concurrent episodes on one worker and a serial LLM all complete without a retry or re-drive', async () => {
  connection = await Connection.connect({ address: testAddress() });
  const result: LoadResult = await runLoad({
    client: new Client({ connection }),
    temporalAddress: testAddress(),
    episodes: 16,
    maxSteps: 3,
    llmLatencyMs: 100,
    split: 'valid_seen',
  });
  expect(result.episodes).toEqual({
    started: 16,
    completed: 16,
    failed: 0,
    byWorkflowStatus: { COMPLETED: 16 },
    byEpisodeStatus: { 'step-budget': 16 },
  });
  expect(result.redrives).toBe(0);
  expect(result.activityRetries).toEqual({});
  expect(result.activityFailures).toEqual({});
  // The episodes really ran: every step and call is in the histories.
  expect(result.activitiesCompleted['envStep']).toBe(16 * 3);
  expect(result.llmRequests).toBe(result.activitiesCompleted['callPolicy']);
}, 400_000);
