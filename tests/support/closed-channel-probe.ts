/**
 * Child process of tests/hermetic/cli/closed-channel.test.ts: a client call to an address where
 * nothing listens goes into the SDK's gRPC retry backoff, the connection is closed meanwhile (as
 * the CLI does when a command ends), and the retry fires on the closed channel. With `guard` the
 * CLI's handler is installed after the close, as `src/cli/temporal.ts` does.
 */
import { Connection } from '@temporalio/client';
import { ignoreRetriesOnClosedChannel } from '../../src/cli/closed-channel';

async function main(): Promise<void> {
  const connection = await Connection.lazy({ address: '127.0.0.1:9' });
  connection.workflowService.getSystemInfo({}).catch(() => undefined); // abandoned, as a timed-out long-poll
  await new Promise((resolve) => setTimeout(resolve, 150));
  await connection.close();
  if (process.argv.includes('guard')) ignoreRetriesOnClosedChannel();
  await new Promise((resolve) => setTimeout(resolve, 4000)); // longer than the retry backoff
  console.log('exited cleanly');
}

void main();
