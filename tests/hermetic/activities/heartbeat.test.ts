/**
 * Heartbeats carry progress and the heartbeat timeout has margin (issue 17 item 7). The SDK sends
 * at most one heartbeat per throttle interval, min(0.8 x heartbeat timeout, the worker's
 * maxHeartbeatThrottleInterval): with the old 5 s timeout that was one every 4 s, so a stall of
 * about a second failed a live attempt. The worker now caps the throttle and every heartbeat
 * timeout is at least twice it; each heartbeat says which attempt is running, for how long and,
 * when the activity says, what it is doing.
 */
import { Context } from '@temporalio/activity';
import { msToNumber } from '@temporalio/common/lib/time';
import { MockActivityEnvironment } from '@temporalio/testing';
import { heartbeatWhileRunning, HEARTBEAT_EVERY_MS } from '../../../src/activities';
import { withHeartbeat, type HeartbeatProgress } from '../../../src/activities/heartbeat';
import { HEARTBEAT_THROTTLE_MS, HEARTBEAT_TIMEOUT_MS } from '../../../src/activities/types';
import { envOptions, policyOptions } from '../../../src/episode/activity-options';

/** The throttle the SDK applies to an activity with heartbeat timeout `timeoutMs`. */
const effectiveThrottleMs = (timeoutMs: number) => Math.min(0.8 * timeoutMs, HEARTBEAT_THROTTLE_MS);

test('every heartbeat timeout is at least twice the effective throttle, and above the beat period', () => {
  for (const options of [policyOptions(1800), policyOptions(4), envOptions('q.env.w', 30)]) {
    const timeoutMs = msToNumber(options.heartbeatTimeout!);
    expect(timeoutMs).toBe(HEARTBEAT_TIMEOUT_MS);
    expect(timeoutMs).toBeGreaterThanOrEqual(2 * effectiveThrottleMs(timeoutMs));
    expect(timeoutMs).toBeGreaterThanOrEqual(2 * Math.max(HEARTBEAT_EVERY_MS, HEARTBEAT_THROTTLE_MS));
  }
});

test('the interceptor heartbeats progress: attempt, running time, time since first scheduled, what it does', async () => {
  const now = Date.now();
  const env = new MockActivityEnvironment(
    { attempt: 3, scheduledTimestampMs: now - 20_000, currentAttemptScheduledTimestampMs: now },
    { interceptors: [heartbeatWhileRunning] },
  );
  const beats: HeartbeatProgress[] = [];
  env.on('heartbeat', (d: HeartbeatProgress) => beats.push(d));
  await env.run(async () => {
    await withHeartbeat(() => new Promise((r) => setTimeout(r, HEARTBEAT_EVERY_MS + 300)), 'step 12');
  });
  expect(beats.length).toBe(1); // one source per attempt, though both the interceptor and withHeartbeat run
  const [beat] = beats;
  expect(beat).toMatchObject({ attempt: 3, doing: 'step 12' });
  expect(beat!.runningMs).toBeGreaterThanOrEqual(HEARTBEAT_EVERY_MS - 50);
  expect(beat!.runningMs).toBeLessThan(HEARTBEAT_EVERY_MS + 1000);
  expect(beat!.sinceScheduledMs).toBeGreaterThanOrEqual(20_000 + HEARTBEAT_EVERY_MS - 50);
});

test('withHeartbeat alone (no interceptor) heartbeats the same progress', async () => {
  const env = new MockActivityEnvironment({ attempt: 1 });
  const beats: HeartbeatProgress[] = [];
  env.on('heartbeat', (d: HeartbeatProgress) => beats.push(d));
  await env.run(() => withHeartbeat(() => new Promise((r) => setTimeout(r, HEARTBEAT_EVERY_MS + 300)), 'reset'));
  expect(beats).toEqual([expect.objectContaining({ attempt: 1, doing: 'reset' })]);
});

test('outside an activity withHeartbeat just runs the work', async () => {
  expect(() => Context.current()).toThrow();
  await expect(withHeartbeat(() => Promise.resolve(42), 'x')).resolves.toBe(42);
});
