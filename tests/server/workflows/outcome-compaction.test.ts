/**
 * A subtask child's result holds no transitions (0.2.0 on): each step is recorded once, by the
 * child's activity events, and the readers rebuild it. Results recorded before left out of their
 * transitions what the child's input and the previous transition hold (`task`,
 * `completedSubtasks`, `observation`); readers still expand those. Every reader sees whole transitions.
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
import type { SubtaskOutcome, SubtaskPartResult } from '../../../src/workflows/subtask';
import { transitionsQuery } from '../../../src/episode/messages';
import { connectTestTemporal, queueFor, withWorker, type TestTemporal } from '../../support/temporal';

let t: TestTemporal;
beforeAll(async () => (t = await connectTestTemporal()));
afterAll(async () => t?.close());

test('an episode stores slim child results, and the record rebuilds the steps each child took', async () => {
  const spec: EnvSpec = { env: 'builtin', task: 'boil-water', variation: 3 };
  const plan = goldSubtasks(spec);
  const taskQueue = queueFor('outcome-compaction');
  const episodeId = `ep-${taskQueue}`;
  const llm = new ScriptedLlmClient(expertPolicyRules(plan, 'paper'));
  await withWorker(t, { taskQueue, llm }, async () => {
    const result = await (
      await startEpisode(t.client, { episodeId, taskQueue, config: { spec, profile: 'paper' } })
    ).result();
    expect(result.won).toBe(true);

    // As stored: the episode's ChildWorkflowExecutionCompleted results hold no transition (each
    // step is recorded once, by the child's own activity events).
    const history = await t.client.workflow.getHandle(episodeId).fetchHistory();
    const stored: { workflowId: string; result: SubtaskPartResult }[] = [];
    for (const e of history.events ?? []) {
      const done = e.childWorkflowExecutionCompletedEventAttributes;
      if (done)
        stored.push({
          workflowId: done.workflowExecution!.workflowId!,
          result: decode<SubtaskPartResult>(done.result)!,
        });
    }
    expect(stored).toHaveLength(plan.length);
    for (const { result: r } of stored) {
      expect(r.record).toBe('events');
      expect(r).not.toHaveProperty('transitions');
      expect(r.levels.low?.calls).toBe(r.steps.length);
    }
    expect(result.tokensByLevel.low?.calls).toBe(result.steps);

    // As read: whole, valid transitions, exactly those each child built (its live query, answered
    // by replaying its history), each observation the previous step's next observation.
    const outcomes = await fetchSubtaskOutcomes(t.client, episodeId);
    expect(outcomes.map((o) => o.transitions.length)).toEqual(stored.map((s) => s.result.steps.length));
    for (const [k, o] of outcomes.entries()) {
      const built = await t.client.workflow.getHandle(stored[k]!.workflowId).query(transitionsQuery);
      expect(o.transitions).toEqual(built);
      o.transitions.forEach((tr, i) => {
        expect(AugmentedTransition.parse(tr)).toEqual(tr);
        expect(tr.completedSubtasks).toEqual(plan.slice(0, k).map((p) => p.subtask));
        expect(tr.low.prompt?.length).toBeGreaterThan(0);
        if (i > 0) expect(tr.observation).toBe(o.transitions[i - 1]!.nextObservation);
      });
      expect(o.transitions.at(-1)!.nextObservation).toBe(formatObservation('builtin', o.observation));
    }
  });
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
