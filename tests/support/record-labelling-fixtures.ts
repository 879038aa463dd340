/**
 * Records the replay fixtures of the labelling workflows (`labelDatasetWorkflow` and its
 * `labelTrajectoryWorkflow` children) into an existing history version, by hand and never from the
 * tests: `npx ts-node --transpile-only tests/support/record-labelling-fixtures.ts v9`. A labelling
 * job resumes on whatever code the re-run command brings (its worker is unversioned), so every
 * recorded labelling history must replay on the current code (tests/server/datasets/labelling-replay).
 *
 * The scenario: three ALFWorld `train_sample` games on a real env server, a scripted teacher behind a
 * real OpenAI-compatible endpoint that answers one segmentation badly once (the retry-once path)
 * and one 500 (a retried activity), rule-free teacher segmentation and teacher progress labels.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';
import { runLabelJob } from '../../src/datasets/job';
import { connectEnvServer } from '../../src/envs/env-server';
import { startDevServer } from '../../src/server/dev-server';
import { freePort } from '../../src/server/ports';
import { MockOpenAiServer } from './mock-openai-server';
import { scriptedTeacher } from './scripted-teacher';
import { HISTORIES_DIR, MANIFEST_FILE, readManifest, type FixtureEntry } from './record-fixtures';
import { connectTestTemporal } from './temporal';

type History = temporal.api.history.v1.IHistory;

/** Every payload of `history` decoded as text (prompts are inside the activity inputs). */
function decodedPayloads(history: History): string {
  const texts: string[] = [];
  JSON.parse(historyToJSON(history), (key, value: unknown) => {
    if (key === 'data' && typeof value === 'string') texts.push(Buffer.from(value, 'base64').toString('utf8'));
    return value;
  });
  return texts.join('\n');
}

/** Records the labelling scenario into `version` (appends to its manifest entry; refuses duplicates). */
export async function recordLabellingFixtures(version: string): Promise<void> {
  const manifest = readManifest();
  const existing = manifest[version] ?? [];
  if (existing.some((e) => e.file.startsWith('label-'))) {
    throw new Error(
      `history version ${version} already has labelling fixtures; released fixtures are never re-recorded`,
    );
  }
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'step-hrl-label-fixtures-'));
  const server = await startDevServer({ dataDir: path.join(tmp, 'temporal'), port: await freePort() });
  process.env.STEP_HRL_TEST_TEMPORAL_ADDRESS = server.address;
  const t = await connectTestTemporal();
  const env = await connectEnvServer();
  const teacher = await MockOpenAiServer.start({ responder: scriptedTeacher({ segmentBadlyOnce: true }) });
  teacher.injectFaults({ kind: 'server-error', status: 500 });
  const workflowId = `fixture-${version}-label`;
  try {
    await runLabelJob({
      client: t.client,
      native: t.nativeConnection,
      namespace: 'default',
      workflowId,
      input: {
        name: 'fixture dataset',
        selection: { env: 'alfworld', split: 'train_sample', limit: 3 },
        workDir: path.join(tmp, 'work'),
        outDir: path.join(tmp, 'out'),
        segmenter: 'teacher',
        progress: 'teacher',
        teacherModel: 'scripted-teacher',
        renderings: [{ profile: 'paper', obs: 'raw' }],
        devFraction: 0.34,
        concurrency: 2,
      },
      teacher: { baseURL: teacher.baseURL, model: 'scripted-teacher', apiKey: 'no-key' },
      cacheDir: path.join(tmp, 'cache'),
      envUrl: env.url,
    });
    const recorded: (FixtureEntry & { history: History })[] = [];
    const job = await t.client.workflow.getHandle(workflowId).fetchHistory();
    recorded.push({ file: 'label-job.json', workflowId, covers: 'labelling job (3 ALFWorld games)', history: job });
    let n = 0;
    for await (const child of t.client.workflow.list({ query: `WorkflowType = 'labelTrajectoryWorkflow'` })) {
      const history = await t.client.workflow.getHandle(child.workflowId, child.runId).fetchHistory();
      const retried = decodedPayloads(history).includes('That answer is invalid');
      recorded.push({
        file: `label-trajectory-${n++}.json`,
        workflowId: child.workflowId,
        covers: `labelling child${retried ? ' (segmentation retried once)' : ''}`,
        history,
      });
    }
    const dir = path.join(HISTORIES_DIR, version);
    mkdirSync(dir, { recursive: true });
    for (const r of recorded) {
      // Stack traces name this machine's paths and play no part in replay.
      const json = historyToJSON(r.history).replace(/"stackTrace": "(?:[^"\\]|\\.)*"/g, '"stackTrace": ""');
      writeFileSync(path.join(dir, r.file), json + '\n');
    }
    manifest[version] = [
      ...existing,
      ...recorded.map(({ file, workflowId: id, covers }) => ({ file, workflowId: id, covers })),
    ];
    writeFileSync(MANIFEST_FILE, JSON.stringify(manifest, null, 2) + '\n');
  } finally {
    await teacher.stop();
    await env.stop();
    await t.close();
    await server.stop();
  }
}

if (require.main === module) {
  const version = process.argv[2];
  if (!version || !/^v\d+$/.test(version)) {
    console.error('usage: npx ts-node --transpile-only tests/support/record-labelling-fixtures.ts <history version>');
    process.exit(2);
  }
  recordLabellingFixtures(version).then(
    () => console.log(`recorded the labelling fixtures into tests/fixtures/histories/${version}`),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
