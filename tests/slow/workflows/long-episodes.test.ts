/**
 * A 10,000-step episode of each agent kind within the budgets of issue 17 item 6: on the built-in
 * env with a scripted looping policy that never finishes the task, on the real local server, the
 * episode completes all 10,000 steps (`--max-steps` at its documented maximum), no payload is above
 * 1 MB and no single run's history above 10,000 events, over every run of the episode's chain and
 * every child, and the record reads back all 10,000 steps in order.
 *
 * Slow: the step rate on a 2-core machine is what bounds it (bench/results/long-episodes.md: the
 * 10,000-step ReAct episode alone took 28 minutes on a loaded machine). CI runs 300 steps of each
 * kind (several ReAct runs, tens of STEP-HRL children: the same mechanisms); the full size runs with
 * `STEP_HRL_LONG_EPISODE_STEPS=10000` (docs/testing.md), as `bench/long-episodes.ts` does.
 */
import { MAX_EPISODE_STEPS } from '../../../src/agent/config';
import type { AgentKind } from '../../../src/episode/eval-types';
import { runLongEpisode, type RunWorker } from '../../support/long-episodes';
import { connectTestTemporal, withWorker, type TestTemporal } from '../../support/temporal';

let t: TestTemporal;
beforeAll(async () => (t = await connectTestTemporal()));
afterAll(async () => t?.close());

const STEPS = Number(process.env.STEP_HRL_LONG_EPISODE_STEPS ?? 300);
const runWorker: RunWorker = (taskQueue, llm, body) => withWorker(t, { taskQueue, llm }, body);

test('10,000 steps is the documented maximum of --max-steps', () => expect(MAX_EPISODE_STEPS).toBe(10_000));

test.each(['react', 'step-hrl'] as AgentKind[])(
  `a ${STEPS}-step %s episode completes within the payload and history budgets and reads back whole`,
  async (agent) => {
    const run = await runLongEpisode(t.client, runWorker, agent, STEPS, 'slow-long');
    expect(run).toMatchObject({ status: 'step-budget', steps: STEPS, recordSteps: STEPS, recordInOrder: true });
    expect(run.weight.largestPayload.largestPayload).toBeLessThanOrEqual(1024 * 1024);
    expect(run.weight.largestHistory.events).toBeLessThanOrEqual(10_000);
    // What kept them there: ReAct continued as new; STEP-HRL's steps are in many child runs.
    if (agent === 'react') expect(run.weight.runs).toBeGreaterThan(1);
    else expect(run.weight.children).toBeGreaterThanOrEqual(STEPS / 100);
  },
  90 * 60_000,
);
