/**
 * The pure core: the `paper` profile reproduces the reference's raw-text inputs byte for byte, the
 * reference's "<action>; True|False" parsing, the chat profile's bounded messages, and the zod
 * validation of chat replies.
 */
import { configProblems, DEFAULT_HIGH_LEVEL_WINDOW, recordedConfig, withDefaults } from '../../../src/agent/config';
import { formatObservation, observationContext, referenceTask } from '../../../src/agent/observation';
import {
  buildPolicyCall,
  buildRepairCall,
  historicalSubtasksText,
  parseHistoricalSubtasks,
  promptChars,
} from '../../../src/agent/prompts';
import { chatLowMessages, MAX_LISTED_ACTIONS } from '../../../src/agent/prompts/chat';
import { paperHighPrompt, paperLowPrompt, paperProgressPrompt, parsePaperLow } from '../../../src/agent/prompts/paper';
import { pythonListRepr } from '../../../src/agent/pyrepr';
import { jsonSchemaFor, parsePolicyOutput } from '../../../src/agent/schemas';

describe('paper profile (reference inputs)', () => {
  test('high-level input, with the subtask list rendered as Python str(list)', () => {
    expect(
      paperHighPrompt({
        task: 'Your task is to boil water.',
        subtasks: ['go to kitchen', "find the pot's lid"],
        lastProgress: '',
        observation: '\nObs: x\nLook: y\nInventory: z',
      }),
    ).toBe(
      'You are a high-level planner. Based on the state (task description, historical subtasks, last subtask progress and current observation), please generate a clear and simple subtask.\n' +
        'Your task is to boil water.\n' +
        `Historical subtasks: ['go to kitchen', "find the pot's lid"]\n` +
        'Last subtask progress: None\n' +
        'Current observation: \nObs: x\nLook: y\nInventory: z',
    );
  });

  test('low-level input has no newline before "Local Progress", as in the reference', () => {
    const obs = formatObservation('scienceworld', {
      text: 'You see a door.',
      look: 'A kitchen.',
      inventory: 'nothing',
    });
    expect(paperLowPrompt({ subtask: 'open the door', observation: obs, progress: 'None' })).toBe(
      'You are a low-level action executor. Based on the current subtask, observation and local progress, please generate a executable action and determine if the subtask is completed (True/False).\n' +
        'Subtask: open the door\n' +
        'Current Observation: \nObs: You see a door.\nLook: A kitchen.\nInventory: nothingLocal Progress: None\n',
    );
  });

  test('progress input', () => {
    expect(paperProgressPrompt({ subtask: 'g', previousProgress: 'p', action: 'a', observation: 'o' })).toBe(
      'You are an AI agent responsible for updating local progress within a subtask. Based on the current subtask, the previous local progress, the current action, and the resulting observation, update the local progress.\n' +
        'Subtask: g\nPrevious local progress: p\nCurrent action: a\nResulting observation: o',
    );
  });

  test.each([
    ['open door to kitchen; True', { action: 'open door to kitchen', subtaskDone: true }],
    ['go to bed 1 ;false', { action: 'go to bed 1', subtaskDone: false }],
    ['look; TRUE and more', { action: 'look', subtaskDone: true }],
  ])('parses %j like re.match(r"(.*?)\\s*;\\s*(true|false)", re.I)', (text, value) => {
    expect(parsePaperLow(text)).toEqual({ ok: true, value });
  });

  test.each(['go to bed 1', '; True', 'look; maybe'])('rejects %j', (text) => {
    expect(parsePaperLow(text).ok).toBe(false);
  });

  test('paper calls go to the completions endpoint as raw text with a newline stop', () => {
    const call = buildPolicyCall(
      { role: 'low', input: { subtask: 's', observation: 'o', progress: 'None' } },
      'paper',
      { maxTokens: 32, temperature: 0 },
    );
    expect(call.prompt).toContain('Subtask: s');
    expect(call.messages).toBeUndefined();
    expect(call.stop).toEqual(['\n']);
    expect(promptChars(call)).toBe(call.prompt!.length);
  });

  const ROOM = 'You are in the middle of a room. Looking quickly around you, you see a bed 1, and a desk 1.';
  const INTRO = `${ROOM}\n\nYour task is to: put a pen on the desk.`;

  test("ALFWorld: later observations are the feedback plus the reference's room_desc (no 'You are in the middle')", () => {
    expect(formatObservation('alfworld', { text: 'Nothing happens.', look: ROOM })).toBe(
      'Nothing happens. Looking quickly around you, you see a bed 1, and a desk 1.\n',
    );
  });

  test('ALFWorld: the reset observation is room_desc alone (the reference sets obs = room_desc)', () => {
    expect(formatObservation('alfworld', { text: INTRO, look: ROOM }, { initial: true })).toBe(
      'Looking quickly around you, you see a bed 1, and a desk 1.\n',
    );
  });

  test('task lines: ScienceWorld keeps the "Task Description:" header, ALFWorld drops "Your task is to: "', () => {
    expect(referenceTask('scienceworld', 'Your task is to boil water.')).toBe(
      'Task Description:\nYour task is to boil water.',
    );
    expect(referenceTask('alfworld', 'Your task is to: put a pen on the desk.')).toBe('put a pen on the desk.');
    expect(referenceTask('builtin', 'Your task is to boil water.')).toBe('Your task is to boil water.');
    const high = {
      role: 'high' as const,
      input: { task: 'Your task is to: x.', subtasks: [], lastProgress: 'None', observation: 'o' },
    };
    const decoding = { maxTokens: 32, temperature: 0 };
    expect(buildPolicyCall(high, 'paper', decoding, { env: 'alfworld' }).prompt).toContain('subtask.\nx.\nHistorical');
    // Chat prompts keep the env's task text.
    expect(buildPolicyCall(high, 'chat', decoding, { env: 'alfworld' }).messages![1]!.content).toContain(
      'Task: Your task is to: x.',
    );
  });
});

describe('bounded high level', () => {
  const subtasks = Array.from({ length: 14 }, (_, i) => `subtask ${i}`);
  const high = { role: 'high' as const, input: { task: 't', subtasks, lastProgress: 'None', observation: 'o' } };
  const decoding = { maxTokens: 32, temperature: 0 };

  test('the last N subtasks plus a count of the earlier ones; 0 lists them all', () => {
    const bounded = buildPolicyCall(high, 'paper', decoding, { highLevelWindow: 3 }).prompt!;
    expect(bounded).toContain(
      "Historical subtasks: (11 earlier subtasks omitted) ['subtask 11', 'subtask 12', 'subtask 13']\n",
    );
    expect(buildPolicyCall(high, 'paper', decoding, { highLevelWindow: 0 }).prompt).toContain(
      `Historical subtasks: ${pythonListRepr(subtasks)}\n`,
    );
    expect(buildPolicyCall(high, 'paper', decoding).prompt).toContain(
      `Historical subtasks: ${pythonListRepr(subtasks)}\n`,
    );
    expect(historicalSubtasksText(['a'], 1)).toBe("(1 earlier subtask omitted) ['a']");
  });

  test('the bounded list reads back (the scripted expert finds its place from it)', () => {
    expect(parseHistoricalSubtasks("(11 earlier subtasks omitted) ['x', \"it's\"]")).toEqual({
      earlier: 11,
      recent: ['x', "it's"],
    });
    expect(parseHistoricalSubtasks("['x']")).toEqual({ earlier: 0, recent: ['x'] });
    expect(parseHistoricalSubtasks('(3 earlier) nonsense')).toBeUndefined();
  });

  test('the profiles default: off in paper, on in chat; recorded configs without it stay unbounded', () => {
    const spec = { env: 'builtin' as const, task: 'boil-water' };
    expect(withDefaults({ spec, profile: 'paper' }).highLevelWindow).toBe(0);
    expect(withDefaults({ spec, profile: 'chat' }).highLevelWindow).toBe(DEFAULT_HIGH_LEVEL_WINDOW);
    expect(recordedConfig({ spec, profile: 'chat' }).highLevelWindow).toBe(0);
    expect(configProblems(withDefaults({ spec, highLevelWindow: -1 }))).toEqual([
      expect.stringMatching(/^highLevelWindow must be an integer >= 0/),
    ]);
    expect(configProblems(withDefaults({ spec, obs: 'tiny' as never }))).toEqual([
      expect.stringMatching(/^obs must be one of raw, compact/),
    ]);
  });
});

describe('compact observations', () => {
  const LOOK = 'This room is called the kitchen. In it, you see: \n\ta stove\n';
  const INV = 'In your inventory, you see:\n\tan orange\n';
  const obs = (text: string, look = LOOK, inventory = INV) => ({ text, look, inventory });
  const compact = { format: 'compact' as const };

  test('a subtask start shows Look and Inventory; unchanged ones are left out afterwards', () => {
    expect(formatObservation('scienceworld', obs('The door is now open.'), compact)).toBe(
      `\nObs: The door is now open.\nLook: ${LOOK.trim()}\nInventory: ${INV.trim()}\n`,
    );
    const previous = { look: LOOK, inventory: INV };
    expect(formatObservation('scienceworld', obs('You wait.'), { ...compact, previous })).toBe('\nObs: You wait.\n');
    const moved = obs('You move to the hallway.', 'This room is called the hallway.');
    expect(formatObservation('scienceworld', moved, { ...compact, previous })).toBe(
      '\nObs: You move to the hallway.\nLook: This room is called the hallway.\n',
    );
  });

  test('never twice: no Look when Obs is the Look, no Inventory when Obs is the inventory', () => {
    expect(formatObservation('scienceworld', obs(LOOK.trim()), compact)).toBe(
      `\nObs: ${LOOK.trim()}\nInventory: ${INV.trim()}\n`,
    );
    expect(formatObservation('scienceworld', obs(INV.trim()), compact)).toBe(
      `\nObs: ${INV.trim()}\nLook: ${LOOK.trim()}\n`,
    );
  });

  test('ALFWorld: the room paragraph at a subtask start only (it never changes)', () => {
    const room = 'You are in the middle of a room. Looking quickly around you, you see a bed 1.';
    const step = { text: 'You arrive at bed 1.', look: room };
    expect(formatObservation('alfworld', step, compact)).toBe(
      'You arrive at bed 1. Looking quickly around you, you see a bed 1.\n',
    );
    expect(formatObservation('alfworld', step, { ...compact, previous: observationContext(step) })).toBe(
      'You arrive at bed 1.\n',
    );
  });
});

describe('chat profile', () => {
  test('the low-level message lists admissible actions, capped', () => {
    const many = Array.from({ length: MAX_LISTED_ACTIONS + 20 }, (_, i) => `go to place ${i}`);
    const [, user] = chatLowMessages({ subtask: 's', observation: 'o', progress: 'None', validActions: many });
    expect(user.content).toContain('Valid actions: go to place 0, go to place 1');
    expect(user.content).toContain(`go to place ${MAX_LISTED_ACTIONS - 1}`);
    expect(user.content).not.toContain(`go to place ${MAX_LISTED_ACTIONS}`);
    expect(chatLowMessages({ subtask: 's', observation: 'o', progress: 'None' })[1].content).not.toContain(
      'Valid actions',
    );
  });

  test('a repair call appends the rejected reply and the reason', () => {
    const call = buildPolicyCall(
      { role: 'progress', input: { subtask: 's', previousProgress: 'None', action: 'a', observation: 'o' } },
      'chat',
      { maxTokens: 9, temperature: 0 },
    );
    const repair = buildRepairCall(call, 'oops', 'reply is not valid JSON');
    expect(repair.messages!.slice(0, 2)).toEqual(call.messages);
    expect(repair.messages![2]).toEqual({ role: 'assistant', content: 'oops' });
    expect(repair.messages![3].content).toContain('reply is not valid JSON');
  });

  test.each([
    [
      'low',
      '{"action": "look", "subtask_done": true}',
      { ok: true, value: { role: 'low', decision: { action: 'look', subtaskDone: true } } },
    ],
    [
      'low',
      'Sure! ```json\n{"action": "look", "subtask_done": false}\n```',
      { ok: true, value: { role: 'low', decision: { action: 'look', subtaskDone: false } } },
    ],
    ['high', '{"subtask": "find the key"}', { ok: true, value: { role: 'high', subtask: 'find the key' } }],
    [
      'progress',
      '{"progress": "kitchen checked"}',
      { ok: true, value: { role: 'progress', progress: 'kitchen checked' } },
    ],
  ] as const)('accepts a valid %s reply', (role, text, expected) => {
    expect(parsePolicyOutput(role, 'chat', text)).toEqual(expected);
  });

  test.each([
    ['low', 'go to the kitchen', /not valid JSON/],
    ['low', '{"action": "look"}', /subtask_done/],
    ['low', '{"action": "", "subtask_done": true}', /action must not be empty/],
    ['low', '{"action": "look", "subtask_done": "yes"}', /subtask_done/],
    ['high', '{"subtask": "x", "extra": 1}', /extra|Unrecognized/i],
  ] as const)('rejects a bad %s reply %j with a reason', (role, text, reason) => {
    const parsed = parsePolicyOutput(role, 'chat', text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(reason);
  });

  test('JSON schemas sent to models come from the zod schemas', () => {
    expect(jsonSchemaFor('low')).toMatchObject({ type: 'object', required: ['action', 'subtask_done'] });
  });
});

test('Python list repr escapes like Python', () => {
  expect(pythonListRepr([])).toBe('[]');
  expect(pythonListRepr(['a\\b', 'it\'s "x"'])).toBe(`['a\\\\b', 'it\\'s "x"']`);
});
