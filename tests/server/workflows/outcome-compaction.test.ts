/**
 * A subtask child's result leaves out of its transitions what its input and the previous transition
 * already hold (`task`, `completedSubtasks`, `observation`), so the history stores each observation
 * fewer times; the readers of the record expand it, so every reader still sees whole transitions.
 */
import { formatObservation } from '../../../src/agent/observation';
import { AugmentedTransition } from '../../../src/agent/records';
import { fetchSubtaskOutcomes, startEpisode } from '../../../src/client';
import { goldSubtasks } from '../../../src/envs/builtin';
import type { EnvSpec } from '../../../src/envs/text-env';
import { decode } from '../../../src/history-payloads';
import { expertPolicyRules } from '../../../src/llm/expert-policy';
import { ScriptedLlmClient } from '../../../src/llm/scripted-client';
import { compactOutcome, expandOutcome } from '../../../src/episode/outcome-compaction';
import type { SubtaskInput, SubtaskOutcome } from '../../../src/workflows/subtask';
import { connectTestTemporal, queueFor, withWorker, type TestTemporal } from '../../support/temporal';

let t: TestTemporal;
beforeAll(async () => (t = await connectTestTemporal()));
afterAll(async () => t?.close());

test('an episode stores compacted child results, and the record reads back whole', async () => {
  const spec: EnvSpec = { env: 'builtin', task: 'boil-water', variation: 3 };
  const plan = goldSubtasks(spec);
  const taskQueue = queueFor('outcome-compaction');
  const episodeId = `ep-${taskQueue}`;
  const llm = new ScriptedLlmClient(expertPolicyRules(plan, 'paper'));
  const result = await withWorker(t, { taskQueue, llm }, async () =>
    (await startEpisode(t.client, { episodeId, taskQueue, config: { spec, profile: 'paper' } })).result(),
  );
  expect(result.won).toBe(true);

  // As stored: the episode's ChildWorkflowExecutionCompleted results, next to the child inputs.
  const history = await t.client.workflow.getHandle(episodeId).fetchHistory();
  const inputs = new Map<string, SubtaskInput>();
  const stored: { input: SubtaskInput; outcome: SubtaskOutcome }[] = [];
  for (const e of history.events ?? []) {
    const initiated = e.startChildWorkflowExecutionInitiatedEventAttributes;
    if (initiated) inputs.set(String(e.eventId), decode<SubtaskInput>(initiated.input)!);
    const done = e.childWorkflowExecutionCompletedEventAttributes;
    if (done)
      stored.push({ input: inputs.get(String(done.initiatedEventId))!, outcome: decode<SubtaskOutcome>(done.result)! });
  }
  expect(stored).toHaveLength(plan.length);
  const multiStep = stored.filter((s) => s.outcome.transitions.length > 1);
  expect(multiStep.length).toBeGreaterThan(0);
  for (const { outcome } of stored) {
    expect(outcome.compacted).toBe(true);
    // Left out: the task and completed subtasks (the child's input), every observation but the
    // first (the previous transition's next observation), and the first, which the child's input
    // renders again (stored as its hash).
    outcome.transitions.forEach((tr, k) => {
      expect(tr).not.toHaveProperty('task');
      expect(tr).not.toHaveProperty('completedSubtasks');
      expect(tr).not.toHaveProperty('observation');
      if (k === 0) expect((tr as { observationHash?: string }).observationHash).toMatch(/^[0-9a-f]{64}$/);
      expect(typeof tr.nextObservation).toBe('string');
    });
  }

  // As read: whole, valid transitions; each observation is the previous step's next observation.
  const outcomes = await fetchSubtaskOutcomes(t.client, episodeId);
  for (const [k, o] of outcomes.entries()) {
    expect(o.compacted).toBeUndefined();
    o.transitions.forEach((tr, i) => {
      expect(AugmentedTransition.parse(tr)).toEqual(tr);
      expect(tr.task).toBe(stored[k]!.input.task);
      expect(tr.completedSubtasks).toEqual(plan.slice(0, k).map((p) => p.subtask));
      if (i > 0) expect(tr.observation).toBe(o.transitions[i - 1]!.nextObservation);
      else expect(tr.observation).toBe(formatObservation('builtin', stored[k]!.input.observation));
    });
    expect(o.transitions.at(-1)!.nextObservation).toBe(formatObservation('builtin', o.observation));
    expect(o.transitions.at(-1)!.nextObservation.length).toBeGreaterThan(0);
  }
});

test('compact then expand gives the transitions back exactly, including an observation that differs', () => {
  const base = {
    version: 1 as const,
    episodeId: 'e',
    subtaskIndex: 1,
    subtask: 's',
    progressBefore: 'None',
    progressAfter: 'p',
    action: 'a',
    reward: 0,
    score: 0,
    done: false,
    won: false,
    subtaskDone: false,
    invalid: false,
    low: { model: 'm', tokens: { prompt: 1, completion: 1 }, latencyMs: 0, cached: false, repairs: 0 },
  };
  const context = {
    task: 'the task',
    completedSubtasks: ['first'],
    observation: { text: 'o1' },
    config: { spec: { env: 'alfworld' as const } },
  };
  const transitions = [
    {
      ...base,
      stepIndex: 3,
      task: 'the task',
      completedSubtasks: ['first'],
      observation: 'o1\n',
      nextObservation: 'o2',
    },
    { ...base, stepIndex: 4, task: 'the task', completedSubtasks: ['first'], observation: 'o2', nextObservation: 'o3' },
    // Not the previous nextObservation (e.g. a re-driven session): kept as it is.
    { ...base, stepIndex: 5, task: 'other', completedSubtasks: [], observation: 'x', nextObservation: 'o4\n' },
  ] as unknown as SubtaskOutcome['transitions'];
  const outcome = { status: 'subtask-done', transitions, observation: { text: 'o4' } } as unknown as SubtaskOutcome;
  const compacted = compactOutcome(context, outcome);
  // The first observation and every nextObservation stay: they would have to be re-formatted.
  expect(compacted.transitions[0]).toMatchObject({ observation: 'o1\n', nextObservation: 'o2' });
  expect(compacted.transitions[0]).not.toHaveProperty('task');
  expect(compacted.transitions[1]).not.toHaveProperty('observation'); // = the previous nextObservation
  expect(compacted.transitions[2]).toHaveProperty('nextObservation', 'o4\n');
  expect(compacted.transitions[2]).toMatchObject({ observation: 'x', task: 'other', completedSubtasks: [] });
  expect(JSON.stringify(compacted).length).toBeLessThan(JSON.stringify(outcome).length);
  expect(expandOutcome(context, compacted)).toEqual(outcome);
  expect(expandOutcome(context, outcome)).toBe(outcome); // results recorded whole are read as they are

  // The same steps split into other parts (as after a re-drive) read back identical, key order included.
  const whole = expandOutcome(context, compacted).transitions;
  const [head, ...tail] = outcome.transitions;
  const first = expandOutcome(context, compactOutcome(context, { ...outcome, transitions: [head!] })).transitions;
  const second = expandOutcome(context, compactOutcome(context, { ...outcome, transitions: tail })).transitions;
  expect([...first, ...second].map((tr) => JSON.stringify(tr))).toEqual(whole.map((tr) => JSON.stringify(tr)));
});
