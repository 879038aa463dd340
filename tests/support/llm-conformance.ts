/**
 * The LlmClient contract, written once and run against every backend (LangGraph.js
 * checkpoint-validation shape): a backend supplies only an {@link LlmClientTestInit}.
 *
 * The requests are fixed and exported so fake backends can script answers for them
 * ({@link conformanceReply}); a real model answers them itself.
 */
import { z } from 'zod';
import { LlmError, type LlmClient, type LlmRequest, type LlmResponse } from '../../src/llm/types';

/** How a backend plugs into the suite. */
export interface LlmClientTestInit<C extends LlmClient = LlmClient> {
  /** Shown in the describe block. */
  name: string;
  /** Builds a ready client (start servers, load models here). */
  create(): C | Promise<C>;
  /** Releases what `create` started. */
  destroy?(client: C): void | Promise<void>;
  /** Whether the backend promises identical output for identical requests at temperature 0. */
  deterministicAtZeroTemperature: boolean;
}

/** JSON schema of the chat conformance request. */
export const CONFORMANCE_SCHEMA = {
  type: 'object',
  properties: { action: { type: 'string' }, done: { type: 'boolean' } },
  required: ['action', 'done'],
  additionalProperties: false,
};

/** Chat profile request with structured output. */
export const CHAT_SCHEMA_REQUEST: LlmRequest = {
  role: 'low',
  messages: [
    { role: 'system', content: 'You play a text game. Answer with a JSON object {"action": string, "done": boolean}.' },
    {
      role: 'user',
      content:
        'Task: open the door.\nObservation: You are in a hallway. A closed door is north.\nGive the next action.',
    },
  ],
  jsonSchema: { ...CONFORMANCE_SCHEMA },
  maxTokens: 64,
  temperature: 0,
};

/** Paper profile request (raw text) whose natural continuation runs past the stop sequences. */
export const RAW_STOP_REQUEST: LlmRequest = {
  role: 'low',
  prompt:
    'Task: open the door.\nObservation: You are in a hallway.\nAction: look\n' +
    'Observation: A closed door is north.\nAction:',
  stop: ['\n', 'Observation:'],
  maxTokens: 32,
  temperature: 0,
};

/**
 * A plausible model answer to each conformance request, for scripted and mock backends. The raw
 * answer deliberately continues past the stop sequence, so a backend ignoring `stop` fails.
 */
export function conformanceReply(prompt: string): string | undefined {
  if (prompt.includes('Give the next action.')) return '{"action": "open door", "done": false}';
  if (prompt.endsWith('Action:')) return ' open door\nObservation: The door is open.\nAction: go north';
  return undefined;
}

/** Deep-freezes a request so a backend that mutates its input throws (the canary). */
function frozen<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) frozen(v);
    Object.freeze(value);
  }
  return value;
}

function expectUsage(res: LlmResponse): void {
  expect(Number.isInteger(res.usage.promptTokens)).toBe(true);
  expect(Number.isInteger(res.usage.completionTokens)).toBe(true);
  expect(res.usage.promptTokens).toBeGreaterThanOrEqual(0);
  expect(res.usage.completionTokens).toBeGreaterThanOrEqual(0);
  expect(['api', 'tokenizer']).toContain(res.usage.source);
  expect(typeof res.latencyMs).toBe('number');
  expect(res.latencyMs).toBeGreaterThanOrEqual(0);
  expect(typeof res.model).toBe('string');
  expect(res.model.length).toBeGreaterThan(0);
}

/** Registers the conformance suite for one backend. */
export function runLlmConformance<C extends LlmClient>(init: LlmClientTestInit<C>): void {
  describe(`LlmClient conformance: ${init.name}`, () => {
    let client: C;
    let initialModelId: string;

    beforeAll(async () => {
      client = await init.create();
      initialModelId = client.modelId;
    });
    afterAll(async () => {
      if (client) await init.destroy?.(client);
    });
    beforeEach(() => {
      // The suite's own assumption: a created client has a usable id.
      expect(typeof client.modelId).toBe('string');
      expect(client.modelId.length).toBeGreaterThan(0);
    });

    it('chat + jsonSchema returns JSON text that satisfies the schema', async () => {
      const res = await client.complete(frozen(structuredClone(CHAT_SCHEMA_REQUEST)));
      const parsed: unknown = JSON.parse(res.text);
      expect(
        z.fromJSONSchema(CONFORMANCE_SCHEMA as Parameters<typeof z.fromJSONSchema>[0]).safeParse(parsed).success,
      ).toBe(true);
      expectUsage(res);
    });

    it('raw prompt honours stop sequences', async () => {
      const res = await client.complete(frozen(structuredClone(RAW_STOP_REQUEST)));
      for (const s of RAW_STOP_REQUEST.stop!) expect(res.text).not.toContain(s);
      expectUsage(res);
    });

    it('modelId is stable across calls', async () => {
      await client.complete(structuredClone(RAW_STOP_REQUEST));
      expect(client.modelId).toBe(initialModelId);
    });

    it('rejects a request with both prompt and messages as non-retryable', async () => {
      const bad: LlmRequest = { ...RAW_STOP_REQUEST, messages: CHAT_SCHEMA_REQUEST.messages };
      const err: unknown = await client.complete(bad).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LlmError);
      expect((err as LlmError).retryable).toBe(false);
    });

    (init.deterministicAtZeroTemperature ? it : it.skip)('is deterministic at temperature 0', async () => {
      for (const req of [RAW_STOP_REQUEST, CHAT_SCHEMA_REQUEST]) {
        const a = await client.complete(structuredClone(req));
        const b = await client.complete(structuredClone(req));
        expect(b.text).toBe(a.text);
      }
    });
  });
}
