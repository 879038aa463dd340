/**
 * The largest payload of a 10,000-step ReAct episode, without a server: the episode core's step
 * records and state transitions played over 10,000 steps of the long-episode bench's looping
 * policy (look, wait) on the built-in env's observations, each run continuing as new only when its
 * step records reach their byte budget (the most a run carries; on the server Temporal's history
 * size suggestion usually comes first), and each continue-as-new input weighed as JSON. With the compact re-drive
 * log it stays far below the SDK's 512 KB payload warning; the step list it replaced (about 45
 * bytes a step) put the same input above it (605 KB measured, `bench/results/long-episodes.md`).
 */
import { observationHash } from '../../../src/activities/env';
import type { RecordedStep } from '../../../src/activities/types';
import { withDefaults } from '../../../src/agent/config';
import type { CallRecord } from '../../../src/agent/records';
import { BuiltinTextEnv } from '../../../src/envs/builtin';
import type { ReactInput } from '../../../src/episode/records';
import {
  absorbReactStep,
  initialReactState,
  newReactRun,
  reactActionOf,
  reactContinueInput,
  reactShouldContinueAsNew,
  reactStepOf,
  recordRunStep,
} from '../../../src/episode/react-state';
import { redriveLogSteps } from '../../../src/episode/redrive-log';

const STEPS = 10_000;
const SDK_PAYLOAD_WARNING = 512 * 1024;
const SAMPLED_STEPS = 200;

/** Plays `STEPS` looping steps; returns the largest continue-as-new input and the runs it took. */
async function playLongEpisode(): Promise<{ largest: ReactInput; runs: number }> {
  const spec = { env: 'builtin' as const, task: 'clean-plate', variation: 3, options: { maxSteps: STEPS * 2 } };
  const config = withDefaults({ spec, maxSteps: STEPS });
  const env = new BuiltinTextEnv();
  const reset = await env.reset(spec);
  const s = initialReactState({ ...reset, obsHash: observationHash(reset.observation), versions: {} }, 'q.env.w1');
  // A call record as large as a long episode's: six-digit prompt sizes and token counts.
  const record = { promptChars: 131_000, tokens: { prompt: 32_750, completion: 12 } } as CallRecord;
  // The env's answers to the first steps, played again in turn (the env takes about 3 ms a step).
  const answers = [];
  for (let i = 0; i < SAMPLED_STEPS; i++) answers.push(await env.step(i % 2 === 0 ? 'look' : 'wait'));
  let run = newReactRun();
  let largest: ReactInput | undefined;
  let largestBytes = 0;
  let runs = 1;
  for (let i = 0; i < STEPS; i++) {
    if (
      run.steps.length > 0 &&
      reactShouldContinueAsNew({ continueAsNewSuggested: false, historyLength: 0 }, run.bytes, config)
    ) {
      const input = reactContinueInput(config, s, run);
      const bytes = JSON.stringify(input).length;
      if (bytes > largestBytes) [largest, largestBytes] = [structuredClone(input), bytes];
      [run, s.runs, runs] = [newReactRun(), s.runs + 1, runs + 1];
    }
    const decided = reactActionOf({ role: 'react', action: i % 2 === 0 ? 'look' : 'wait' });
    const result = answers[i % SAMPLED_STEPS]!;
    const step = reactStepOf(i, decided, record, result);
    absorbReactStep(s, step, { obsHash: observationHash(result.observation), won: result.won }, config);
    recordRunStep(run, step);
  }
  return { largest: largest!, runs };
}

test('a 10,000-step ReAct episode carries at most about 320 KB over continue-as-new, below the 512 KB warning', async () => {
  const { largest, runs } = await playLongEpisode();
  const bytes = JSON.stringify(largest).length;
  const log = JSON.stringify(largest.state!.log).length;
  const steps = redriveLogSteps(largest.state!.log).length;
  console.log({
    bytes,
    log,
    steps,
    runs,
    turns: JSON.stringify(largest.state!.turns).length,
    prev: JSON.stringify(largest.previousRunSteps).length,
  });
  expect(runs).toBeGreaterThan(20); // continued as new all along, as the workflow does
  expect(steps).toBeGreaterThan(STEPS * 0.95); // the largest input is one of the last
  expect(log / steps).toBeLessThan(11); // bytes per step of the re-drive log
  expect(bytes).toBeLessThan(320 * 1024);
  // The step list the compact log replaced would put the same input above the SDK's warning.
  const asList: RecordedStep[] = redriveLogSteps(largest.state!.log).map((r) => ({
    ...r,
    obsHash: `${r.obsHash}12345678`,
  }));
  expect(bytes - log + JSON.stringify(asList).length).toBeGreaterThan(SDK_PAYLOAD_WARNING);
}, 120_000);
