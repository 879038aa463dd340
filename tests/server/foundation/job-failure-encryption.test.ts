/**
 * Labelling and training jobs bundle their workflows with the data converter's failure converter
 * (issue 20 item 5): with a codec key set, the message and stack of a failed job workflow are
 * encrypted in the history the server stores, and step-hrl's readers (with the key) decode them
 * back to the real message. Without the failure converter in the bundle these tests fail: the
 * workflow's own failure would be stored in plain text.
 *
 * Both jobs are made to fail cheaply, without Python or a real env server: the labelling job runs
 * its `progress` stage on a game that was never segmented (a tiny fake env server lists it), the
 * training run's fake `prepareRun` refuses its config.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { dataConverterFromEnv, fetchDecodedHistory } from '../../../src/codec';
import { runLabelJob } from '../../../src/datasets/job';
import type { TrainingInput } from '../../../src/episode/training-records';
import { temporalCliPath } from '../../../src/server/temporal-cli';
import { runTrainingJob } from '../../../src/training/job';
import { connectTestTemporal, testAddress, type TestTemporal } from '../../support/temporal';
import { fakeTrainingActivities } from '../../support/training-fakes';

jest.setTimeout(180_000);

const KEY_ENV = { STEP_HRL_CODEC_KEY_ID: 'test-key-1', STEP_HRL_CODEC_KEY: randomBytes(32).toString('base64') };
const keyed = dataConverterFromEnv(KEY_ENV);
const stamp = `${process.pid}-${Date.now()}`;

let t: TestTemporal;
let tmp: string;
beforeAll(async () => {
  t = await connectTestTemporal({ dataConverter: keyed });
  tmp = await mkdtemp(path.join(os.tmpdir(), 'step-hrl-job-failures-'));
});
afterAll(async () => {
  await t?.close();
  await rm(tmp, { recursive: true, force: true });
});

/** The raw history as the server stores it (`temporal workflow show`, no codec). */
function rawHistory(workflowId: string): string {
  return execFileSync(
    temporalCliPath(),
    ['workflow', 'show', '-w', workflowId, '--address', testAddress(), '--output', 'json'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

/** Every payload's data in a JSON history, base64-decoded: what a reader of the store can read. */
function readableText(json: string): string {
  const out: string[] = [json];
  JSON.parse(json, (key, value: unknown) => {
    if (key === 'data' && typeof value === 'string') out.push(Buffer.from(value, 'base64').toString('utf8'));
    return value;
  });
  return out.join('\n');
}

interface RawFailure {
  message?: string;
  stackTrace?: string;
  encodedAttributes?: unknown;
}

/** The workflow's own failure in the raw history (the closing `WorkflowExecutionFailed` event). */
function rawWorkflowFailure(json: string): RawFailure {
  const events = (JSON.parse(json) as { events: Record<string, { failure?: RawFailure }>[] }).events;
  const failed = events.at(-1)!.workflowExecutionFailedEventAttributes;
  expect(failed?.failure).toBeDefined();
  return failed!.failure!;
}

/** Asserts the failure of `workflowId` is unreadable without the key and decodes to `message` with it. */
async function expectEncryptedFailure(workflowId: string, marker: string, message: RegExp): Promise<void> {
  const raw = rawHistory(workflowId);
  expect(readableText(raw)).not.toContain(marker);
  const stored = rawWorkflowFailure(raw);
  expect(stored).toMatchObject({ message: 'Encoded failure', encodedAttributes: expect.anything() });
  expect(stored.stackTrace ?? '').toBe('');

  const decoded = (await fetchDecodedHistory(t.client, workflowId)).events!.at(-1)!
    .workflowExecutionFailedEventAttributes!.failure!;
  expect(decoded.message).toMatch(message);
  expect(decoded.stackTrace).toContain(decoded.message!); // the stack repeats the message
}

/** A fake env server that lists one ALFWorld game, whose path carries `marker`. */
async function fakeEnvServer(marker: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.url?.startsWith('/alfworld/games')) {
      res.setHeader('content-type', 'application/json');
      const task = `valid_seen/pick_${marker}/trial_1`;
      res.end(JSON.stringify([{ game_file: `${task}/game.tw-pddl`, split: 'valid_seen', task, task_type: 'pick' }]));
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

test("a labelling job's workflow failure is encrypted on the server and decodes with the key", async () => {
  const marker = `leaky-game-${randomBytes(6).toString('hex')}`;
  const env = await fakeEnvServer(marker);
  const workflowId = `label-fail-${stamp}`;
  const workDir = path.join(tmp, 'label', '.work');
  try {
    // `progress` before `segment`: the workflow refuses, naming the first unsegmented game.
    const err = await runLabelJob({
      client: t.client,
      native: t.nativeConnection,
      namespace: 'default',
      dataConverter: keyed,
      workflowId,
      input: {
        name: 'failure encryption',
        selection: { env: 'alfworld', split: 'valid_seen', limit: 1 },
        workDir,
        outDir: path.join(tmp, 'label'),
        stage: 'progress',
        segmenter: 'rules',
        progress: 'rules',
        renderings: [{ profile: 'paper', obs: 'raw' }],
        devFraction: 0.5,
        concurrency: 1,
      },
      cacheDir: path.join(workDir, 'teacher-cache'),
      envUrl: env.url,
    }).then(
      () => undefined,
      (e: unknown) => e as Error & { cause?: Error },
    );
    // The client decodes the real message.
    expect(err?.cause?.message).toMatch(new RegExp(`not segmented yet \\(first: alfworld/valid_seen/pick_${marker}/`));
  } finally {
    await env.close();
  }
  await expectEncryptedFailure(workflowId, marker, new RegExp(`not segmented yet \\(first: .*${marker}`));
});

test("a training run's workflow failure is encrypted on the server and decodes with the key", async () => {
  const marker = `leaky-dataset-${randomBytes(6).toString('hex')}`;
  const workflowId = `train-fail-${stamp}`;
  const input: TrainingInput = {
    config: { seed: 0 },
    configSource: { path: 'cfg.yaml', sha256: 'x' },
    runDir: path.join(tmp, 'run'),
    trainingTaskQueue: `${workflowId}-py`,
    chunkSteps: 2,
    chunksPerRun: 2,
    model: 'tiny',
  };
  const { acts } = fakeTrainingActivities(5);
  // The Python worker's stand-in refuses the config, naming the dataset (which the message repeats).
  acts.prepareRun = () =>
    Promise.reject(ApplicationFailure.create({ message: `${marker} is missing`, type: 'BadTrainingConfig' }));
  const python = await Worker.create({
    connection: t.nativeConnection,
    taskQueue: input.trainingTaskQueue,
    dataConverter: keyed,
    activities: acts,
  });
  const err = await python.runUntil(
    runTrainingJob({
      client: t.client,
      native: t.nativeConnection,
      namespace: 'default',
      address: testAddress(),
      dataConverter: keyed,
      workflowId,
      input,
      localWorker: false,
    }).then(
      () => undefined,
      (e: unknown) => e as Error & { cause?: Error },
    ),
  );
  expect(err?.cause?.message).toContain(`prepareRun: ${marker} is missing`);
  await expectEncryptedFailure(workflowId, marker, new RegExp(`^prepareRun: ${marker} is missing`));
});
