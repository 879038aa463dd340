/**
 * Pins the scripted expert's plan tracking on plans that repeat subtasks and actions (ScienceWorld
 * gold paths often leave a room and come back through the same door): the three rules, fed the
 * real bounded prompts of both profiles and parsed by the real parsers, replay the plan exactly.
 */
import { parsePythonStringList, pythonListRepr } from '../../../src/agent/pyrepr';
import { buildPolicyCall, type RoleInput } from '../../../src/agent/prompts';
import { parsePolicyOutput, type PolicyOutput } from '../../../src/agent/schemas';
import { segmentByMoves } from '../../../src/llm/expert-plan';
import { expertPolicyRules, planPosition, type ExpertSubtask } from '../../../src/llm/expert-policy';
import { ScriptedLlmClient } from '../../../src/llm/scripted-client';

/** The shape of use-thermometer's gold path: out through the hallway, into the kitchen and back. */
const GOLD = [
  'look around',
  'open door to hallway',
  'go to hallway',
  'open door to kitchen',
  'go to kitchen',
  'pick up thermometer',
  'open door to hallway',
  'go to hallway',
  'open door to kitchen',
  'go to kitchen',
  'look around',
  'focus on thermometer',
];

/** Plays the STEP-HRL loop (high → low/progress until done) against the rules, without an env. */
async function playLoop(
  plan: readonly ExpertSubtask[],
  profile: 'paper' | 'chat',
  maxSubtasks: number,
  highLevelWindow = 0,
) {
  const llm = new ScriptedLlmClient(expertPolicyRules(plan, profile));
  const decoding = { maxTokens: 256, temperature: 0 };
  const ask = async (which: RoleInput): Promise<PolicyOutput> => {
    const call = buildPolicyCall(which, profile, decoding, { highLevelWindow });
    const reply = await llm.complete({
      role: call.role,
      prompt: call.prompt,
      messages: call.messages,
      stop: call.stop,
    });
    const parsed = parsePolicyOutput(which.role, profile, reply.text);
    if (!parsed.ok) throw new Error(`unparseable ${which.role} reply: ${parsed.error}`);
    return parsed.value;
  };
  const subtasks: string[] = [];
  const actions: string[][] = [];
  let lastProgress = 'None';
  while (subtasks.length < maxSubtasks) {
    const high = await ask({
      role: 'high',
      input: { task: 'Your task is to measure the temperature.', subtasks, lastProgress, observation: 'obs' },
    });
    if (high.role !== 'high') throw new Error('expected a subtask');
    subtasks.push(high.subtask);
    const taken: string[] = [];
    let progress = 'None';
    for (let step = 0; step < 20; step++) {
      const low = await ask({ role: 'low', input: { subtask: high.subtask, observation: 'obs', progress } });
      if (low.role !== 'low') throw new Error('expected a decision');
      taken.push(low.decision.action);
      const next = await ask({
        role: 'progress',
        input: { subtask: high.subtask, previousProgress: progress, action: low.decision.action, observation: 'ok' },
      });
      if (next.role !== 'progress') throw new Error('expected progress');
      progress = next.progress;
      if (low.decision.subtaskDone) break;
    }
    actions.push(taken);
    lastProgress = progress;
  }
  return { subtasks, actions };
}

describe('scripted expert on plans with repeated subtasks and actions', () => {
  const plan = segmentByMoves(GOLD);

  test('the plan repeats subtasks (the case that used to derail the high level)', () => {
    const texts = plan.map((p) => p.subtask);
    expect(new Set(texts).size).toBeLessThan(texts.length);
    expect(plan.flatMap((p) => p.actions)).toEqual(GOLD);
  });

  test.each(['chat', 'paper'] as const)(
    '%s profile: issues every subtask in order and takes the gold path',
    async (profile) => {
      const run = await playLoop(plan, profile, plan.length);
      expect(run.subtasks).toEqual(plan.map((p) => p.subtask));
      expect(run.actions).toEqual(plan.map((p) => p.actions));
    },
  );

  test.each(['chat', 'paper'] as const)(
    '%s profile with a bounded high level (last 2 subtasks listed): still every subtask in order',
    async (profile) => {
      expect(plan.length).toBeGreaterThan(4);
      const run = await playLoop(plan, profile, plan.length, 2);
      expect(run.subtasks).toEqual(plan.map((p) => p.subtask));
      expect(run.actions).toEqual(plan.map((p) => p.actions));
    },
  );

  test('planPosition matches issued subtasks to plan entries in order, once each', () => {
    const p = (...s: string[]) => s.map((subtask) => ({ subtask, actions: [subtask] }));
    const abac = p('a', 'b', 'a', 'c');
    expect(planPosition(abac, [])).toBe(0);
    expect(planPosition(abac, ['a'])).toBe(1);
    expect(planPosition(abac, ['a', 'b'])).toBe(2);
    expect(planPosition(abac, ['a', 'b', 'a'])).toBe(3);
    expect(planPosition(abac, ['a', 'x', 'b', 'a', 'c', 'c'])).toBe(4); // off-plan items are skipped
  });
});

describe('parsePythonStringList', () => {
  test('reads back what pythonListRepr writes, quotes and escapes included', () => {
    const items = ['plain', "it's", 'say "hi"', `both ' and "`, 'back\\slash', 'tab\tnew\nline', 'a, b', ''];
    expect(parsePythonStringList(pythonListRepr(items))).toEqual(items);
    expect(parsePythonStringList('[]')).toEqual([]);
  });

  test('rejects text that is not a list of strings', () => {
    for (const bad of ['', 'None', "['a'", "['a' 'b']", '[1, 2]', "['a'] tail"]) {
      expect(parsePythonStringList(bad)).toBeUndefined();
    }
  });
});
