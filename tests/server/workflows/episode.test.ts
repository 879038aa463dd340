/**
 * Pins the STEP-HRL loop on a real Temporal server: a scripted expert policy (behind the real
 * LlmClient interface) solves the built-in env through episode + subtask workflows, and the
 * recorded transitions equal the expert plan subtask by subtask, in both prompt profiles.
 */
import { AugmentedTransition } from '../../../src/agent/records';
import { fetchSubtaskOutcomes, startEpisode } from '../../../src/client';
import { BUILTIN_ENV_VERSION, goldSubtasks } from '../../../src/envs/builtin';
import type { EnvSpec } from '../../../src/envs/text-env';
import { expertPolicyRules } from '../../../src/llm/expert-policy';
import { ScriptedLlmClient } from '../../../src/llm/scripted-client';
import { connectTestTemporal, queueFor, withWorker, type TestTemporal } from '../../support/temporal';

let t: TestTemporal;
beforeAll(async () => (t = await connectTestTemporal()));
afterAll(async () => t?.close());

describe.each(['chat', 'paper'] as const)('episode workflow (%s profile)', (profile) => {
  test('a scripted expert solves the built-in env and the record matches the plan subtask by subtask', async () => {
    const spec: EnvSpec = { env: 'builtin', task: 'boil-water', variation: 3 };
    const plan = goldSubtasks(spec);
    const llm = new ScriptedLlmClient(expertPolicyRules(plan, profile));
    const taskQueue = queueFor(`episode-${profile}`);
    const episodeId = `ep-${taskQueue}`;

    const result = await withWorker(t, { taskQueue, llm }, async () => {
      const handle = await startEpisode(t.client, { episodeId, taskQueue, config: { spec, profile } });
      return handle.result();
    });

    expect(result.status).toBe('env-done');
    expect(result.won).toBe(true);
    expect(result.score).toBe(100);
    expect(result.envVersions).toEqual({ builtin: BUILTIN_ENV_VERSION });
    expect(result.subtasks).toEqual(plan.map((p) => p.subtask));

    const outcomes = await fetchSubtaskOutcomes(t.client, episodeId);
    expect(outcomes.map((o) => o.transitions.map((tr) => tr.action))).toEqual(plan.map((p) => p.actions));
    const transitions = outcomes.flatMap((o) => o.transitions);
    transitions.forEach((tr, i) => {
      expect(AugmentedTransition.parse(tr)).toEqual(tr); // every record validates against the versioned schema
      expect(tr.stepIndex).toBe(i);
      expect(tr.invalid).toBe(false);
    });
    // The flag closes each subtask on its last action; progress restarts at "None" per subtask.
    for (const [k, o] of outcomes.entries()) {
      expect(o.transitions.map((tr) => tr.subtaskDone)).toEqual(
        plan[k].actions.map((_, i) => i === plan[k].actions.length - 1),
      );
      expect(o.transitions[0].progressBefore).toBe('None');
      expect(o.transitions[0].completedSubtasks).toEqual(plan.slice(0, k).map((p) => p.subtask));
    }
    const last = transitions.at(-1)!;
    expect(last.done).toBe(true);
    expect(last.progress).toBeUndefined(); // no progress update on the terminal step
    expect(result.steps).toBe(transitions.length);
    const counted = transitions.reduce(
      (n, tr) =>
        n +
        tr.low.tokens.prompt +
        tr.low.tokens.completion +
        (tr.progress ? tr.progress.tokens.prompt + tr.progress.tokens.completion : 0),
      0,
    );
    expect(result.tokens).toBeGreaterThan(counted); // plus the high-level calls
    expect(llm.requests.filter((r) => r.role === 'high')).toHaveLength(plan.length);
  });
});
