/**
 * The durable labelling job (issue 18 items 2b, 3, 4) on a real Temporal server, a real env server
 * and a scripted teacher behind a real OpenAI-compatible HTTP endpoint: every teacher call is an
 * activity recorded with its prompt, raw reply and tokens; a segmentation that does not match the
 * gold actions is retried once with the reason and then dropped; invalid structure, an empty label
 * and a 500 are retried or dropped with their reason, counted in the card, and never stop the job;
 * re-running the same command spends zero teacher calls and writes byte-identical files.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { listExpertSpecs } from '../../../src/datasets/expert-trajectories';
import { runLabelJob } from '../../../src/datasets/job';
import { segmentByRules } from '../../../src/datasets/segment-rules';
import { connectEnvServer, type EnvServerHandle } from '../../../src/envs/env-server';
import { getExpertActions } from '../../../src/envs/expert';
import type { LabelDatasetInput } from '../../../src/workflows/labelling';
import { MockOpenAiServer, type MockReplyInput } from '../../support/mock-openai-server';
import {
  isSegmentationPrompt,
  listedActions,
  progressAnswer,
  ruleSegmentationAnswer,
} from '../../support/scripted-teacher';
import { connectTestTemporal, type TestTemporal } from '../../support/temporal';

jest.setTimeout(600_000);

let env: EnvServerHandle;
let temporal: TestTemporal;
let tmp: string;
beforeAll(async () => {
  env = await connectEnvServer();
  temporal = await connectTestTemporal();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'step-hrl-label-'));
}, 180_000);
afterAll(async () => {
  await temporal?.close();
  await env?.stop();
  await rm(tmp, { recursive: true, force: true });
});

const lastMatch = (text: string, re: RegExp) => [...text.matchAll(re)].at(-1)?.[1];

async function files(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir, { recursive: true })).sort()) {
    const full = path.join(dir, name);
    try {
      out[name] = createHash('sha256')
        .update(await readFile(full))
        .digest('hex');
    } catch {
      // a folder
    }
  }
  return out;
}

test('a scripted teacher labels ALFWorld games durably; bad output is retried or dropped with its reason; a re-run costs nothing', async () => {
  const specs = await listExpertSpecs(env.url, { env: 'alfworld', split: 'train_sample', limit: 4 });
  const walks = await Promise.all(specs.map((s) => getExpertActions(env.url, s)));
  const key = (actions: string[]) => actions.join('|');
  const [, mismatchOnce, badStructure, emptyLabel] = walks.map(key);
  const emptySubtask = segmentByRules('alfworld', walks[3])[0].subtask;

  const responder = ({ prompt }: MockReplyInput): string => {
    const repair = prompt.includes('That answer is invalid');
    if (isSegmentationPrompt(prompt)) {
      const actions = listedActions(prompt);
      if (key(actions) === badStructure) return 'Sorry, I cannot split this.';
      if (key(actions) === mismatchOnce && !repair) return ruleSegmentationAnswer(actions.slice(0, -1));
      return ruleSegmentationAnswer(actions);
    }
    const subtask = lastMatch(prompt, /Subtask: (.*)\n/g)!;
    if (subtask === emptySubtask && emptyLabel) return '   ';
    return progressAnswer(prompt);
  };
  const teacher = await MockOpenAiServer.start({ responder });
  teacher.injectFaults({ kind: 'server-error', status: 500 });
  const input: Omit<LabelDatasetInput, 'state'> = {
    name: 'test dataset',
    selection: { env: 'alfworld', split: 'train_sample', limit: 4 },
    workDir: path.join(tmp, 'work'),
    outDir: path.join(tmp, 'out'),
    segmenter: 'teacher',
    progress: 'teacher',
    teacherModel: 'scripted-teacher',
    renderings: [{ profile: 'paper', obs: 'raw' }],
    devFraction: 0.25,
    concurrency: 2,
  };
  const workflowId = `label-test-${process.pid}-${Date.now()}`;
  const job = () =>
    runLabelJob({
      client: temporal.client,
      native: temporal.nativeConnection,
      namespace: 'default',
      workflowId,
      input,
      teacher: { baseURL: teacher.baseURL, model: 'scripted-teacher', apiKey: 'no-key' },
      cacheDir: path.join(tmp, 'cache'),
      envUrl: env.url,
    });
  try {
    const first = await job();
    expect(first).toMatchObject({ total: 4, labelled: 2, dropped: 2, cursor: 4 });
    const completions = teacher.requests.filter((r) => r.path.endsWith('/completions'));
    // Every request the endpoint answered (the 500 included) was one teacher-call attempt.
    expect(first.teacherCalls).toBe(completions.length - 1);
    expect(first.promptTokens).toBeGreaterThan(0);
    // Nothing was cached on the first run: every token was paid for (what --teacher-price prices).
    expect(first.paidPromptTokens).toBe(first.promptTokens);
    expect(first.paidCompletionTokens).toBe(first.completionTokens);

    const dir = path.join(tmp, 'out', 'paper-raw');
    const card = await readFile(path.join(dir, 'README.md'), 'utf8');
    expect(card).toContain('| segment | invalid-structure | 1 |');
    expect(card).toContain('| progress | empty-label | 1 |');
    expect(card).toContain('teacher model scripted-teacher');
    expect(card).toMatch(/progress-v1\.txt `[0-9a-f]{64}`/);
    const dropped = (await readFile(path.join(dir, 'dropped.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(dropped.map((d) => [d.stage, d.reason])).toEqual(
      expect.arrayContaining([
        ['segment', 'invalid-structure'],
        ['progress', 'empty-label'],
      ]),
    );
    // The retried segmentation was labelled: its rows use the teacher's subtasks and stripped labels.
    const rows = [
      ...(await readFile(path.join(dir, 'progress.train.prompt.jsonl'), 'utf8')).trim().split('\n'),
      ...(await readFile(path.join(dir, 'progress.dev.prompt.jsonl'), 'utf8')).trim().split('\n'),
    ]
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    const retried = rows.filter((r) => r.trajectory_id === `alfworld/train_sample/${specs[1].task}`);
    expect(retried).toHaveLength(walks[1].length - 1);
    const did = retried.find((r) => r.raw_target.startsWith('Did'));
    expect(did.completion).toBe(did.raw_target.replace(' || [Checked: ]', ''));
    expect(did.provenance).toMatchObject({
      segmenter: 'teacher',
      progress: 'teacher',
      teacherModel: 'scripted-teacher',
    });

    const before = await files(dir);
    const requestsBefore = teacher.requests.length;
    const second = await job();
    expect(teacher.requests.length).toBe(requestsBefore); // nothing asked again
    expect(second).toMatchObject({
      total: 4,
      labelled: 2,
      dropped: 2,
      promptTokens: 0,
      completionTokens: 0,
      paidPromptTokens: 0,
      paidCompletionTokens: 0,
    });
    expect(await files(dir)).toEqual(before);
  } finally {
    await teacher.stop();
  }
});
