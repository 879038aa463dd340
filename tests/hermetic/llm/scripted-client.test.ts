/**
 * Pins the scripted fake: first matching rule answers, role filters apply, every request is
 * recorded, and an unscripted prompt fails loudly with its first lines. Also runs the shared
 * LlmClient conformance suite on it.
 */
import { countTokens } from '../../../src/agent/tokens';
import { ScriptedLlmClient, UnmatchedPromptError } from '../../../src/llm/scripted-client';
import { LlmError } from '../../../src/llm/types';
import { conformanceReply, runLlmConformance } from '../../support/llm-conformance';

runLlmConformance({
  name: 'ScriptedLlmClient',
  create: () =>
    new ScriptedLlmClient([{ match: /[\s\S]/, reply: (prompt) => conformanceReply(prompt) ?? 'unscripted' }]),
  deterministicAtZeroTemperature: true,
});

describe('ScriptedLlmClient', () => {
  it('answers from the first matching rule, honouring the role filter', async () => {
    const llm = new ScriptedLlmClient([
      { role: 'high', match: 'Task:', reply: 'high answer' },
      { match: 'Task:', reply: 'any-role answer' },
      { match: 'Task:', reply: 'never reached' },
    ]);
    expect((await llm.complete({ role: 'high', prompt: 'Task: x' })).text).toBe('high answer');
    expect((await llm.complete({ role: 'low', prompt: 'Task: x' })).text).toBe('any-role answer');
  });

  it('matches chat messages by content and passes the prompt to reply functions', async () => {
    const llm = new ScriptedLlmClient([
      { match: /subtask: (\w+)/, reply: (p) => `saw ${/subtask: (\w+)/.exec(p)![1]}` },
    ]);
    const res = await llm.complete({ role: 'low', messages: [{ role: 'user', content: 'subtask: fetch' }] });
    expect(res.text).toBe('saw fetch');
  });

  it('records every request, including ones that fail', async () => {
    const llm = new ScriptedLlmClient([{ match: 'a', reply: 'x' }]);
    await llm.complete({ role: 'low', prompt: 'a' });
    await llm.complete({ role: 'progress', prompt: 'zzz' }).catch(() => undefined);
    expect(llm.requests.map((r) => [r.role, r.prompt])).toEqual([
      ['low', 'a'],
      ['progress', 'zzz'],
    ]);
  });

  it('fails loudly on an unmatched prompt, quoting its first lines', async () => {
    const llm = new ScriptedLlmClient([{ match: 'nothing like it', reply: 'x' }]);
    const prompt = 'line one\nline two\nline three\nline four\nline five\nline six';
    const err = await llm.complete({ role: 'high', prompt }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnmatchedPromptError);
    expect(err).toBeInstanceOf(LlmError);
    expect((err as LlmError).retryable).toBe(false);
    expect((err as Error).message).toBe(
      "ScriptedLlmClient: no rule of 1 matches this 'high' request; add a rule whose 'match' fits it. " +
        'First lines of the prompt:\nline one\nline two\nline three\nline four\nline five',
    );
  });

  it('refuses a non-JSON scripted reply to a jsonSchema request', async () => {
    const llm = new ScriptedLlmClient([{ match: 'q', reply: 'not json' }]);
    const err = await llm
      .complete({ role: 'low', messages: [{ role: 'user', content: 'q' }], jsonSchema: { type: 'object' } })
      .catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/has a jsonSchema but the scripted reply is not a JSON object/);
  });

  it('counts usage with the real tokenizer', async () => {
    const llm = new ScriptedLlmClient([{ match: 'hello', reply: 'general kenobi' }]);
    const res = await llm.complete({ role: 'low', prompt: 'hello there' });
    expect(res.usage).toEqual({
      promptTokens: countTokens('hello there'),
      completionTokens: countTokens('general kenobi'),
      source: 'tokenizer',
    });
  });
});
