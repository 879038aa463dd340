/**
 * A command that finished must not crash when a client call it abandoned earlier retries on the
 * closed connection (seen on a host whose network was cut mid-eval: results written, then exit 1
 * with "Channel has been shut down").
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { isClosedChannelRetry } from '../../../src/cli/closed-channel';

const probe = (...args: string[]) =>
  spawnSync(
    process.execPath,
    [
      require.resolve('ts-node/dist/bin'),
      '--transpile-only',
      path.join(__dirname, '../../support/closed-channel-probe.ts'),
      ...args,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );

test('without the guard, a retry on the closed channel crashes the process (the SDK behaviour it covers)', () => {
  const run = probe();
  expect(run.status).toBe(1);
  expect(run.stderr).toContain('Channel has been shut down');
}, 70_000);

test('with the guard installed after the close, the process ends normally', () => {
  const run = probe('guard');
  expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
  expect(run.stdout).toContain('exited cleanly');
}, 70_000);

test('only that error is ignored', () => {
  const closed = new Error('Channel has been shut down');
  closed.stack =
    'Error: Channel has been shut down\n    at retry (node_modules/@temporalio/client/lib/grpc-retry.js:142:34)';
  expect(isClosedChannelRetry(closed)).toBe(true);
  expect(isClosedChannelRetry(new Error('Channel has been shut down'))).toBe(false);
  expect(isClosedChannelRetry(new Error('boom'))).toBe(false);
});
