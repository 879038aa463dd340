/**
 * The ReAct baseline's prompt (issue 10 item 5): AgentGym's shape, byte for byte — the task, then
 * every past `Action:` / `Observation:` pair with the raw observations; a raw-text prompt ending in
 * `Action:` (paper) or system / user / alternating assistant `Thought/Action` and user
 * `Observation` turns (chat) — its text parser, its repair turn, and the scripted expert's answer.
 */
import { buildRepairCall } from '../../../src/agent/prompts';
import { buildReactCall, reactInitialObservation, type ReactTurn } from '../../../src/agent/prompts/react';
import { parsePolicyOutput } from '../../../src/agent/schemas';
import { expertPolicyRules } from '../../../src/llm/expert-policy';
import { ScriptedLlmClient } from '../../../src/llm/scripted-client';

const decoding = { maxTokens: 96, temperature: 0 };
const task = 'Your task is to: put a mug in the sink.';
const turns: ReactTurn[] = [
  {
    thought: 'The mug is likely on the table.',
    action: 'go to table 1',
    observation: 'On the table 1, you see a mug 1.',
  },
  { action: 'take mug 1 from table 1', observation: 'You pick up the mug 1 from the table 1.\n' },
];

test('paper profile: one raw-text prompt ending in "Action:", stop at a newline', () => {
  const call = buildReactCall(task, 'You are in the middle of a room.', turns, 'paper', decoding);
  expect(call.prompt).toBe(
    'You are an agent in a text-based environment. Solve the task by giving one command at a time; after each command you see what it did.\n' +
      'Task: Your task is to: put a mug in the sink.\n' +
      'Observation: You are in the middle of a room.\n' +
      'Action: go to table 1\n' +
      'Observation: On the table 1, you see a mug 1.\n' +
      'Action: take mug 1 from table 1\n' +
      'Observation: You pick up the mug 1 from the table 1.\n' +
      'Action:',
  );
  expect(call).toMatchObject({ role: 'react', profile: 'paper', stop: ['\n'], maxTokens: 96, temperature: 0 });
  expect(call.messages).toBeUndefined();
});

test('chat profile: system, task + first observation, then assistant Thought/Action and user Observation turns', () => {
  const call = buildReactCall(task, 'You are in the middle of a room.', turns, 'chat', decoding);
  expect(call.prompt).toBeUndefined();
  expect(call.stop).toBeUndefined();
  expect(call.messages).toEqual([
    {
      role: 'system',
      content:
        'You are an agent in a text-based environment. Solve the task by giving one command at a time; after each command you see what it did.\n' +
        'Reply in exactly this format:\nThought: <your reasoning about what to do next>\nAction: <one command>',
    },
    {
      role: 'user',
      content: 'Task: Your task is to: put a mug in the sink.\nObservation: You are in the middle of a room.',
    },
    { role: 'assistant', content: 'Thought: The mug is likely on the table.\nAction: go to table 1' },
    { role: 'user', content: 'Observation: On the table 1, you see a mug 1.' },
    { role: 'assistant', content: 'Action: take mug 1 from table 1' },
    { role: 'user', content: 'Observation: You pick up the mug 1 from the table 1.' },
  ]);
});

test('the first step sees only the task and the first observation', () => {
  expect(buildReactCall('T.', 'O.', [], 'paper', decoding).prompt).toMatch(/\nTask: T\.\nObservation: O\.\nAction:$/);
  expect(buildReactCall('T.', 'O.', [], 'chat', decoding).messages).toHaveLength(2);
});

test("the first observation drops the task line the env repeats (ALFWorld's intro)", () => {
  expect(
    reactInitialObservation('You are in the middle of a room.\n\nYour task is to: put a mug in the sink.', task),
  ).toBe('You are in the middle of a room.');
  expect(reactInitialObservation('This room is called the hallway.', 'Your task is to boil water.')).toBe(
    'This room is called the hallway.',
  );
});

describe('reply parsing', () => {
  test.each([
    [
      'Thought: the mug is here.\nAction: take mug 1 from table 1',
      { thought: 'the mug is here.', action: 'take mug 1 from table 1' },
    ],
    ['Action: look', { action: 'look' }],
    [
      'thought: hmm\nsecond line\naction:  go to sink 1  \nmore text',
      { thought: 'hmm\nsecond line', action: 'go to sink 1' },
    ],
    ['{"thought": "json", "action": "look"}', { thought: 'json', action: 'look' }],
  ])('chat %j', (text, value) => {
    expect(parsePolicyOutput('react', 'chat', text)).toEqual({ ok: true, value: { role: 'react', ...value } });
  });

  test.each([
    ['I would look around.', 'expected a line "Action: <command>"'],
    ['Thought: x\nAction:   ', 'empty command after "Action:"'],
  ])('chat rejects %j', (text, error) => {
    expect(parsePolicyOutput('react', 'chat', text)).toEqual({ ok: false, error });
  });

  test.each([
    [' go to sink 1', 'go to sink 1'],
    ['\n  open fridge 1\nObservation: made up', 'open fridge 1'],
    ['Action: look', 'look'],
  ])('paper %j', (text, action) => {
    expect(parsePolicyOutput('react', 'paper', text)).toEqual({ ok: true, value: { role: 'react', action } });
  });

  test('paper rejects an empty completion', () => {
    expect(parsePolicyOutput('react', 'paper', '  \n')).toEqual({ ok: false, error: 'empty action' });
  });
});

test('a repair asks for the Thought/Action format again, not JSON', () => {
  const call = buildReactCall(task, 'O.', [], 'chat', decoding);
  const repaired = buildRepairCall(call, 'I will look.', 'expected a line "Action: <command>"');
  expect(repaired.messages!.slice(-2)).toEqual([
    { role: 'assistant', content: 'I will look.' },
    {
      role: 'user',
      content:
        'Your reply was rejected: expected a line "Action: <command>". Reply in exactly this format:\n' +
        'Thought: <your reasoning about what to do next>\nAction: <one command>',
    },
  ]);
});

describe('scripted expert, react role', () => {
  const plan = [
    { subtask: 'get the mug', actions: ['go to table 1', 'take mug 1 from table 1'] },
    { subtask: 'put it in the sink', actions: ['go to sink 1', 'put mug 1 in/on sink 1'] },
  ];
  const ask = async (profile: 'paper' | 'chat', past: ReactTurn[]) => {
    const call = buildReactCall(task, 'O.', past, profile, decoding);
    const llm = new ScriptedLlmClient(expertPolicyRules(plan, profile));
    const { text } = await llm.complete({ ...call, role: 'react' });
    return { text, parsed: parsePolicyOutput('react', profile, text) };
  };

  test.each(['paper', 'chat'] as const)(
    '%s: counts the actions in the transcript and gives the next one',
    async (profile) => {
      for (let done = 0; done <= 4; done++) {
        const past = Array.from({ length: done }, (_, i) => ({ action: `a${i}`, observation: `o${i}` }));
        const { parsed } = await ask(profile, past);
        const expected = ['go to table 1', 'take mug 1 from table 1', 'go to sink 1', 'put mug 1 in/on sink 1'][
          Math.min(done, 3)
        ];
        expect(parsed).toMatchObject({ ok: true, value: { action: expected } });
      }
    },
  );

  test("answers in each profile's format", async () => {
    expect((await ask('paper', [])).text).toBe(' go to table 1');
    expect((await ask('chat', turns)).text).toBe('Thought: step 3 of the expert plan.\nAction: go to sink 1');
  });
});
