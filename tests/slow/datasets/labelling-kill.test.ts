/**
 * kill -9 of the labelling process (issue 18 "Must show"): a job killed three times at random
 * moments, each time followed by the same job again, writes datasets byte-identical to an
 * uninterrupted run; the teacher endpoint (a real OpenAI-compatible HTTP server in this process)
 * counts every request, and a prompt is asked again only when its call was in flight at a kill.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runLabelJob, type LabelJobOptions } from '../../../src/datasets/job';
import { segmentByRules } from '../../../src/datasets/segment-rules';
import { connectEnvServer, type EnvServerHandle } from '../../../src/envs/env-server';
import { MockOpenAiServer, type MockReplyInput } from '../../support/mock-openai-server';
import { connectTestTemporal, type TestTemporal } from '../../support/temporal';

jest.setTimeout(900_000);

let env: EnvServerHandle;
let temporal: TestTemporal;
let tmp: string;
beforeAll(async () => {
  env = await connectEnvServer();
  temporal = await connectTestTemporal();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'step-hrl-label-kill-'));
}, 180_000);
afterAll(async () => {
  await temporal?.close();
  await env?.stop();
  await rm(tmp, { recursive: true, force: true });
});

const lastMatch = (text: string, re: RegExp) => [...text.matchAll(re)].at(-1)?.[1];

/** A scripted teacher: the rule segmentation, and a label naming the action. */
function teacherReply({ prompt }: MockReplyInput): string {
  if (prompt.includes('Split the action sequence')) {
    const listed = lastMatch(prompt, /Actions:\n((?:\d+\. .*\n)+)Answer:/g)!;
    const actions = listed
      .trim()
      .split('\n')
      .map((l) => l.replace(/^\d+\. /, ''));
    return segmentByRules('alfworld', actions)
      .map((s, i) => `${i + 1}- ${s.subtask} : {${s.actions.map((a) => `'${a}'`).join(', ')}}`)
      .join('\n');
  }
  return `Did "${lastMatch(prompt, /Current action: (.*)\n/g)}".`;
}

async function hashes(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir, { recursive: true })).sort()) {
    try {
      out[name] = createHash('sha256')
        .update(await readFile(path.join(dir, name)))
        .digest('hex');
    } catch {
      // a folder
    }
  }
  return out;
}

function options(name: string, teacher: MockOpenAiServer): Omit<LabelJobOptions, 'client' | 'native' | 'namespace'> {
  return {
    workflowId: `label-kill-${name}-${process.pid}-${Date.now()}`,
    input: {
      name: 'kill test',
      selection: { env: 'alfworld', split: 'train_sample', limit: 6 },
      workDir: path.join(tmp, name, 'work'),
      outDir: path.join(tmp, name, 'out'),
      segmenter: 'teacher',
      progress: 'teacher',
      teacherModel: 'scripted-teacher',
      renderings: [{ profile: 'paper', obs: 'raw' }],
      devFraction: 0.3,
      concurrency: 2,
    },
    teacher: { baseURL: teacher.baseURL, model: 'scripted-teacher', apiKey: 'no-key' },
    cacheDir: path.join(tmp, name, 'cache'),
    envUrl: env.url,
  };
}

const prompts = (t: MockOpenAiServer) =>
  t.requests.filter((r) => r.path.endsWith('/completions')).map((r) => JSON.stringify(r.body?.['messages']));

test('three kill -9s at random moments, each followed by the same job: byte-identical datasets, no call repeated but one in flight', async () => {
  const reference = await MockOpenAiServer.start({ responder: teacherReply });
  const killed = await MockOpenAiServer.start({ responder: teacherReply });
  try {
    const plain = options('plain', reference);
    await runLabelJob({ ...plain, client: temporal.client, native: temporal.nativeConnection, namespace: 'default' });
    const expected = prompts(reference).length;

    const job = options('killed', killed);
    const env = { ...process.env, LABEL_JOB: JSON.stringify(job) };
    let log = '';
    const run = () => {
      const child = spawn(
        process.execPath,
        ['-r', 'ts-node/register/transpile-only', path.join(__dirname, 'support/label-job-process.ts')],
        { env, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
      return child;
    };
    const kills: number[] = [];
    for (let k = 0; k < 3; k++) {
      const child = run();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      // A random moment: 1 to 12 teacher calls after this run's first one (the job is under way).
      const before = killed.requests.length;
      const extra = 1 + Math.floor(Math.random() * 12);
      for (let waited = 0; killed.requests.length < before + extra && waited < 60_000; waited += 50)
        await new Promise((r) => setTimeout(r, 50));
      child.kill('SIGKILL');
      await exited;
      kills.push(killed.requests.length);
    }
    const last = run();
    const code = await new Promise((resolve) => last.once('exit', resolve));
    if (code !== 0) throw new Error(`the last run exited ${String(code)}:\n${log}`);

    expect(await hashes(job.input.outDir)).toEqual(await hashes(plain.input.outDir));
    const asked = prompts(killed);
    const repeated = asked.length - new Set(asked).size;
    // Only a call in flight at a kill (answered, reply lost with the process) is asked again.
    expect(repeated).toBeLessThanOrEqual(3 * job.input.concurrency);
    expect(new Set(asked).size).toBe(expected);
    console.log(
      `kills after ${kills.join(', ')} requests; ${asked.length} requests, ${repeated} repeated, ${expected} uninterrupted`,
    );
  } finally {
    await reference.stop();
    await killed.stop();
  }
});
