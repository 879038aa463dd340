/**
 * The pure core: the `paper` profile reproduces the reference's raw-text inputs byte for byte, the
 * reference's "<action>; True|False" parsing, the chat profile's bounded messages, and the zod
 * validation of chat replies.
 */
import { formatObservation } from '../../src/agent/observation';
import { buildPolicyCall, buildRepairCall, promptChars } from '../../src/agent/prompts';
import { chatLowMessages, MAX_LISTED_ACTIONS } from '../../src/agent/prompts/chat';
import { paperHighPrompt, paperLowPrompt, paperProgressPrompt, parsePaperLow } from '../../src/agent/prompts/paper';
import { pythonListRepr } from '../../src/agent/pyrepr';
import { jsonSchemaFor, parsePolicyOutput } from '../../src/agent/schemas';

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

  test('ALFWorld observations are the feedback plus the room description', () => {
    expect(formatObservation('alfworld', { text: 'Nothing happens.', look: 'You are in the middle of a room.' })).toBe(
      'Nothing happens. You are in the middle of a room.\n',
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
