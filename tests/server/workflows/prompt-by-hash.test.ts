/**
 * A recorded call's prompt is stored once: in the policy activity's input. The child inputs hold
 * the high-level call's as a hash and the prompt builder version, the subtask results hold no call
 * at all (their steps are read from the child histories); the record read back has every prompt
 * again, equal to what the activity sent, with no trace of the stored form.
 */
import { CallRecord } from '../../../src/agent/records';
import { fetchEpisodeRecord, startEpisode } from '../../../src/client';
import { goldSubtasks } from '../../../src/envs/builtin';
import type { EnvSpec } from '../../../src/envs/text-env';
import { PROMPT_BUILDER_VERSION } from '../../../src/episode/prompt-ref';
import { sha256Hex } from '../../../src/episode/sha256';
import type { SubtaskInput, SubtaskPartResult } from '../../../src/episode/records';
import { decode } from '../../../src/history-payloads';
import { expertPolicyRules } from '../../../src/llm/expert-policy';
import { ScriptedLlmClient } from '../../../src/llm/scripted-client';
import { connectTestTemporal, queueFor, withWorker, type TestTemporal } from '../../support/temporal';

let t: TestTemporal;
beforeAll(async () => (t = await connectTestTemporal()));
afterAll(async () => t?.close());

/** Every payload of a workflow and its children, by place (decoded). */
async function stored(workflowId: string) {
  const out = { childInputs: [] as SubtaskInput[], childResults: [] as SubtaskPartResult[], sent: [] as string[] };
  const history = await t.client.workflow.getHandle(workflowId).fetchHistory();
  for (const e of history.events ?? []) {
    const initiated = e.startChildWorkflowExecutionInitiatedEventAttributes;
    if (initiated) out.childInputs.push(decode<SubtaskInput>(initiated.input)!);
    const done = e.childWorkflowExecutionCompletedEventAttributes;
    if (done) {
      out.childResults.push(decode<SubtaskPartResult>(done.result)!);
      const child = await stored(done.workflowExecution!.workflowId!);
      out.sent.push(...child.sent);
    }
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled?.activityType?.name === 'callPolicy') {
      const call = decode<{ prompt?: string; messages?: unknown[] }>(scheduled.input)!;
      out.sent.push(call.prompt ?? JSON.stringify(call.messages));
    }
  }
  return out;
}

test.each(['paper', 'chat'] as const)('%s: prompts are stored by hash and read back whole', async (profile) => {
  const spec: EnvSpec = { env: 'builtin', task: 'boil-water', variation: 3 };
  const plan = goldSubtasks(spec);
  const taskQueue = queueFor(`prompt-by-hash-${profile}`);
  const episodeId = `ep-${taskQueue}`;
  const llm = new ScriptedLlmClient(expertPolicyRules(plan, profile));
  const result = await withWorker(t, { taskQueue, llm }, async () =>
    (await startEpisode(t.client, { episodeId, taskQueue, config: { spec, profile } })).result(),
  );
  expect(result.won).toBe(true);

  const { childInputs, childResults, sent } = await stored(episodeId);
  const hashes = new Set(sent.map(sha256Hex));
  // As stored: no prompt text in the children's results or inputs, only hashes of what was sent.
  for (const r of childResults) {
    expect(r).not.toHaveProperty('transitions');
    for (const prompt of sent) expect(JSON.stringify(r)).not.toContain(JSON.stringify(prompt).slice(1, -1));
  }
  const storedCalls = childInputs.flatMap((i) => (i.highCall ? [i.highCall] : [])) as Record<string, unknown>[];
  expect(storedCalls).toHaveLength(plan.length);
  for (const call of storedCalls) {
    expect(call).not.toHaveProperty('prompt');
    expect(call).not.toHaveProperty('messages');
    expect(call.promptBuilder).toBe(PROMPT_BUILDER_VERSION);
    expect(hashes.has(call.promptHash as string)).toBe(true);
  }
  for (const input of childInputs.filter((i) => i.highCall)) expect(typeof input.lastProgress).toBe('string');

  // As read: whole v2 call records, each prompt one the activity sent, in the order they were sent.
  const record = await fetchEpisodeRecord(t.client, episodeId);
  const calls = [
    ...record.highLevel.map((h) => h.call!),
    ...record.transitions.flatMap((tr) => ('progress' in tr && tr.progress ? [tr.low, tr.progress] : [tr.low])),
  ] as CallRecord[];
  expect(calls).toHaveLength(sent.length);
  for (const call of calls) {
    expect(CallRecord.parse(call)).toEqual(call);
    expect(call).not.toHaveProperty('promptHash');
    expect(call).not.toHaveProperty('promptBuilder');
  }
  const readBack = calls.map((c) => c.prompt ?? JSON.stringify(c.messages));
  expect([...readBack].sort()).toEqual([...sent].sort());
});
