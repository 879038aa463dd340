/**
 * A labelling job in a process of its own, for kill -9 tests: runs `runLabelJob` with the options
 * in `LABEL_JOB` (JSON) against the test Temporal server, prints `done` when the job ends.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { runLabelJob, type LabelJobOptions } from '../../../../src/datasets/job';
import '../../../support/quiet-runtime';

async function main(): Promise<void> {
  const o = JSON.parse(process.env.LABEL_JOB!) as Omit<LabelJobOptions, 'client' | 'native' | 'namespace'>;
  const address = process.env.STEP_HRL_TEST_TEMPORAL_ADDRESS!;
  const connection = await Connection.connect({ address });
  const native = await NativeConnection.connect({ address });
  await runLabelJob({ ...o, client: new Client({ connection }), native, namespace: 'default' });
  console.log('done');
  await native.close();
  await connection.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
