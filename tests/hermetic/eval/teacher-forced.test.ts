/**
 * The bench's teacher-forced STEP-HRL rollout builds prompts with an episode's prompt options and
 * the observation context the workflows keep (reference-exact task line, `--obs compact`, bounded
 * high level), on a recorded trajectory with no env server and no model.
 */
import { forcedStepHrl, type ExpertTrajectory } from '../../../bench/support/teacher-forced';
import type { Observation } from '../../../src/agent/vocabulary';
import { segmentByMoves } from '../../../src/llm/expert-plan';

const INVENTORY = 'In your inventory, you see:\n\tan orange';
const room = (k: number) => `This room is called the room ${k}. In it, you see:\n\ta table\n\tthe agent`;
const at = (k: number, text: string): Observation => ({ text, look: room(k), inventory: INVENTORY });

/** Twelve legs: go to room k, then two actions there (the room description stays the same). */
function trajectory(legs = 12): ExpertTrajectory {
  const actions = Array.from({ length: legs }, (_, i) => [
    `go to room ${i + 1}`,
    `pick up thing ${i + 1}`,
    `focus on thing ${i + 1}`,
  ]).flat();
  const steps = actions.map((action, t) => {
    const k = Math.floor(t / 3) + 1;
    const last = t === actions.length - 1;
    return {
      action,
      observation: at(k, `You did: ${action}.`),
      done: last,
      won: last,
      score: last ? 100 : 0,
    };
  });
  return {
    spec: { env: 'scienceworld', task: 'boil', variation: 0 },
    task: 'Your task is to collect every thing.',
    initial: at(0, 'This room is called the room 0.'),
    steps,
    plan: segmentByMoves(actions),
  };
}

test('paper prompts show the reference task line (the env is passed to the builder)', async () => {
  const { calls } = await forcedStepHrl(trajectory(), { profile: 'paper' });
  const high = calls.filter((c) => c.role === 'high');
  expect(high).toHaveLength(12);
  for (const c of high) expect(c.sent).toContain('Task Description:\nYour task is to collect every thing.');
});

test('--obs compact leaves out an unchanged room description after a subtask starts', async () => {
  const traj = trajectory();
  const raw = await forcedStepHrl(traj, { profile: 'paper' });
  const compact = await forcedStepHrl(traj, { profile: 'paper', obs: 'compact' });
  const lowAt = (calls: typeof raw.calls, step: number) => calls.find((c) => c.role === 'low' && c.step === step)!;
  // Step 3 starts the second subtask (in room 1): the whole observation. Step 4 moved to room 2, so
  // step 5 sees room 2 again after room 2: no Look, no Inventory.
  expect(lowAt(compact.calls, 3).sent).toContain(`Look: ${room(1)}`);
  expect(lowAt(compact.calls, 4).sent).toContain(`Look: ${room(2)}`);
  expect(lowAt(compact.calls, 5).sent).not.toContain('Look:');
  expect(lowAt(compact.calls, 5).sent).not.toContain('Inventory:');
  expect(lowAt(raw.calls, 5).sent).toContain(`Look: ${room(2)}`);
  // The progress call after step 4 sees the same room as the observation before it.
  const progress = compact.calls.find((c) => c.role === 'progress' && c.step === 4)!;
  expect(progress.sent).not.toContain('Look:');
  expect(compact.actions).toEqual(traj.steps.map((s) => s.action)); // the expert still plays the gold path
  const total = (calls: typeof raw.calls) => calls.reduce((a, c) => a + c.promptTokens, 0);
  expect(total(compact.calls)).toBeLessThan(total(raw.calls));
});

test('a high-level window of 10 lists the last 10 subtasks and counts the earlier ones', async () => {
  const traj = trajectory();
  const bounded = await forcedStepHrl(traj, { profile: 'paper', highLevelWindow: 10 });
  const unbounded = await forcedStepHrl(traj, { profile: 'paper' });
  const lastHigh = (calls: typeof bounded.calls) => calls.filter((c) => c.role === 'high').at(-1)!.sent;
  expect(lastHigh(bounded.calls)).toContain('(1 earlier subtask omitted)');
  expect(lastHigh(bounded.calls)).not.toContain(traj.plan[0]!.subtask);
  expect(lastHigh(unbounded.calls)).toContain(traj.plan[0]!.subtask);
  expect(bounded.subtasks).toEqual(traj.plan.map((p) => p.subtask)); // the expert keeps its place
});
