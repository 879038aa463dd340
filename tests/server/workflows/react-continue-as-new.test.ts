/**
 * A long ReAct episode continues as new with its env session open and its transcript capped (issue
 * 17 item 6): 500 steps of a looping policy under a low event limit and a small context budget run
 * in several runs, each history under the limit; one env session serves them all; every prompt fits
 * the budget while keeping the task header; and the record reads back all 500 steps across the chain,
 * as `step-hrl show` prints them, live and from an archive bundle.
 */
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import path from 'node:path';
import type { EnvFactory } from '../../../src/activities';
import { startReact } from '../../../src/client';
import { BuiltinTextEnv } from '../../../src/envs/builtin';
import type { EnvSpec } from '../../../src/envs/text-env';
import { requestText } from '../../../src/llm/request-utils';
import { readReactRecord } from '../../../src/react-record';
import type { ReactResult, ReactStep } from '../../../src/workflows/react';
import { longEpisodeSpec, loopingLlm, weighEpisode } from '../../support/long-episodes';
import { cleanEnv, ensureBuilt, runCli } from '../../support/cli-harness';
import { connectTestTemporal, queueFor, testAddress, withWorker, type TestTemporal } from '../../support/temporal';

let t: TestTemporal;
beforeAll(async () => {
  ensureBuilt();
  t = await connectTestTemporal();
}, 120_000);
afterAll(async () => t?.close());

const STEPS = 500;

/** The JSON events a `--json` command printed. */
const jsonLines = (stdout: string) =>
  stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { type: string; stepIndex?: number; steps?: unknown });
const EVENT_LIMIT = 800;
const CONTEXT_CHARS = 2_000;

test('500 ReAct steps: several runs under the event limit, one env session, capped prompts, every step read back', async () => {
  const taskQueue = queueFor('react-can');
  const episodeId = `react-${taskQueue}`;
  const sessions = { resets: 0, closes: 0 };
  const envFactory: EnvFactory = () => {
    const inner = new BuiltinTextEnv();
    return {
      reset: (s: EnvSpec) => ((sessions.resets += 1), inner.reset(s)),
      step: (a: string) => inner.step(a),
      close: async () => ((sessions.closes += 1), inner.close()),
    };
  };
  const llm = loopingLlm();
  const config = {
    spec: longEpisodeSpec(STEPS),
    profile: 'chat' as const,
    maxSteps: STEPS,
    historyEventLimit: EVENT_LIMIT,
    reactContextChars: CONTEXT_CHARS,
  };
  const result: ReactResult = await withWorker(t, { taskQueue, llm, envFactory }, async () =>
    (await startReact(t.client, { episodeId, taskQueue, config })).result(),
  );

  expect(result).toMatchObject({ status: 'step-budget', stepCount: STEPS, redrives: 0 });
  expect(result.runs).toBeGreaterThanOrEqual(4);
  expect(result.steps.length).toBeLessThan(STEPS); // the last run's steps; the others closed their runs
  expect(result.droppedTurns).toBeGreaterThan(STEPS / 2);

  // Bounded histories: each run's under the limit; the env session survived every continue-as-new.
  const weight = await weighEpisode(t.client, episodeId);
  expect(weight.runs).toBe(result.runs);
  expect(weight.largestHistory.events).toBeLessThanOrEqual(EVENT_LIMIT);
  expect(sessions).toEqual({ resets: 1, closes: 1 });

  // The transcript window: every prompt within the budget, the task header always there, and the
  // late prompts near the budget (the window, not a reset transcript).
  const record = await readReactRecord(t.client, episodeId);
  expect(record.runs).toBe(result.runs);
  expect(record.steps.map((s) => s.stepIndex)).toEqual([...Array(STEPS).keys()]);
  expect(record.steps.every((s) => !s.invalid && (s.action === 'look' || s.action === 'wait'))).toBe(true);
  expect(Math.max(...record.steps.map((s) => s.promptChars))).toBeLessThanOrEqual(CONTEXT_CHARS);
  expect(Math.min(...record.steps.slice(-100).map((s) => s.promptChars))).toBeGreaterThan(CONTEXT_CHARS * 0.8);
  const prompts = llm.requests.filter((r) => r.role === 'react').map(requestText);
  expect(prompts).toHaveLength(STEPS);
  for (const prompt of prompts) expect(prompt).toContain('Task: ');
  // The first observation stays in the header while the oldest turns are gone.
  expect(prompts.at(-1)!.split('Observation:').length).toBeLessThan(STEPS / 4);

  // `show` prints every run's steps and the episode's step count.
  const online = cleanEnv({ TEMPORAL_ADDRESS: testAddress() });
  const show = await runCli(['show', episodeId, '--json'], online);
  expect(show.code).toBe(0);
  const shown = jsonLines(show.stdout);
  expect(shown.find((e) => e.type === 'result')).toMatchObject({ steps: STEPS });
  expect(shown.filter((e) => e.type === 'react-step').map((e) => e.stepIndex)).toEqual([...Array(STEPS).keys()]);

  // So does `show --archive` from a bundle of every run, with no server.
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'step-hrl-react-can-')), 'bundle');
  const archived = await runCli(['archive', episodeId, '--out', dir], online, 120_000);
  expect(archived.code).toBe(0);
  const offline = await runCli(
    ['show', episodeId, '--archive', dir, '--json'],
    cleanEnv({ TEMPORAL_ADDRESS: '127.0.0.1:1' }),
  );
  expect(offline.code).toBe(0);
  const archivedResult = jsonLines(offline.stdout).find((e) => e.type === 'result') as { steps?: ReactStep[] };
  expect(archivedResult.steps!.map((step) => step.stepIndex)).toEqual([...Array(STEPS).keys()]);
}, 240_000);
