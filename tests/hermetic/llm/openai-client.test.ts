/**
 * The OpenAI-compatible client against a real local HTTP server: the shared conformance suite
 * (with json_schema, with the JSON-in-text fallback, without API usage), and what goes over the
 * wire: endpoint per profile, stop sequences, response_format, per-role models and overrides.
 */
import { countTokens } from '../../../src/agent/tokens';
import { OpenAiLlmClient } from '../../../src/llm/openai-client';
import { MockOpenAiServer } from '../../support/mock-openai-server';
import {
  CHAT_SCHEMA_REQUEST,
  RAW_STOP_REQUEST,
  conformanceReply,
  runLlmConformance,
} from '../../support/llm-conformance';
import { TEST_KEY, mockConfig } from '../../support/mock-config';

const servers = new WeakMap<OpenAiLlmClient, MockOpenAiServer>();

function mockInit(name: string, options: Parameters<typeof MockOpenAiServer.start>[0]) {
  return {
    name,
    deterministicAtZeroTemperature: true,
    async create() {
      const server = await MockOpenAiServer.start(options);
      const client = new OpenAiLlmClient(mockConfig(server.baseURL));
      servers.set(client, server);
      return client;
    },
    async destroy(client: OpenAiLlmClient) {
      await servers.get(client)?.stop();
    },
  };
}

runLlmConformance(
  mockInit('OpenAiLlmClient → mock server (json_schema)', {
    apiKey: TEST_KEY,
    responder: ({ prompt }) => conformanceReply(prompt) ?? 'unscripted',
  }),
);

// A server without structured output: the model wraps its JSON in prose, the client extracts it.
runLlmConformance(
  mockInit('OpenAiLlmClient → mock server (no json_schema, text fallback)', {
    supportsJsonSchema: false,
    responder: ({ prompt }) => {
      const reply = conformanceReply(prompt) ?? 'unscripted';
      return reply.startsWith('{') ? `Sure! Here is my answer:\n\`\`\`json\n${reply}\n\`\`\`\nGood luck {}` : reply;
    },
  }),
);

runLlmConformance(
  mockInit('OpenAiLlmClient → mock server (no usage reported)', {
    responder: ({ prompt }) => ({ text: conformanceReply(prompt) ?? 'unscripted', usage: null }),
  }),
);

describe('OpenAiLlmClient on the wire', () => {
  let server: MockOpenAiServer;
  beforeAll(async () => {
    server = await MockOpenAiServer.start({
      apiKey: TEST_KEY,
      responder: ({ prompt }) =>
        prompt === 'usage please'
          ? { text: 'x', usage: { prompt_tokens: 17, completion_tokens: 5 } }
          : (conformanceReply(prompt) ?? 'ok'),
    });
  });
  afterAll(() => server.stop());
  beforeEach(() => server.requests.splice(0));

  it('sends raw prompts to /v1/completions with stop sequences and no chat template', async () => {
    const llm = new OpenAiLlmClient(mockConfig(server.baseURL));
    const res = await llm.complete(RAW_STOP_REQUEST);
    expect(res.text).toBe(' open door');
    expect(server.requests).toHaveLength(1);
    const req = server.requests[0]!;
    expect(req.path).toBe('/v1/completions');
    expect(req.authorization).toBe(`Bearer ${TEST_KEY}`);
    expect(req.body).toMatchObject({
      model: 'mock-model',
      prompt: RAW_STOP_REQUEST.prompt,
      stop: ['\n', 'Observation:'],
      max_tokens: 32,
      temperature: 0,
    });
    expect(req.body).not.toHaveProperty('messages');
  });

  it('sends messages to /v1/chat/completions with response_format json_schema', async () => {
    const llm = new OpenAiLlmClient(mockConfig(server.baseURL));
    await llm.complete(CHAT_SCHEMA_REQUEST);
    const req = server.requests[0]!;
    expect(req.path).toBe('/v1/chat/completions');
    expect(req.body).toMatchObject({
      messages: CHAT_SCHEMA_REQUEST.messages,
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'output', schema: CHAT_SCHEMA_REQUEST.jsonSchema, strict: true },
      },
    });
    expect(llm.structuredOutputMode('low')).toBe('json_schema');
  });

  it('reports API usage when given, tokenizer counts otherwise', async () => {
    const llm = new OpenAiLlmClient(mockConfig(server.baseURL));
    const res = await llm.complete({ role: 'high', prompt: 'usage please' });
    expect(res.usage).toEqual({ promptTokens: 17, completionTokens: 5, source: 'api' });

    const quiet = await MockOpenAiServer.start({ responder: () => ({ text: 'go north', usage: null }) });
    try {
      const res2 = await new OpenAiLlmClient(mockConfig(quiet.baseURL)).complete({
        role: 'high',
        prompt: 'one two three',
      });
      expect(res2.usage).toEqual({
        promptTokens: countTokens('one two three'),
        completionTokens: countTokens('go north'),
        source: 'tokenizer',
      });
    } finally {
      await quiet.stop();
    }
  });

  it('uses each role its own model; operator overrides beat request parameters', async () => {
    const llm = new OpenAiLlmClient(
      mockConfig(server.baseURL, {
        perRole: { high: { model: 'big', temperature: 0.7, maxTokens: 200 }, progress: { model: 'small' } },
      }),
    );
    expect(llm.modelId).toBe('openai-compatible:high=big,low=mock-model,progress=small,react=mock-model');
    await llm.complete({ role: 'high', prompt: 'p', temperature: 0, maxTokens: 10 });
    await llm.complete({ role: 'progress', prompt: 'p', temperature: 0.2, maxTokens: 10 });
    await llm.complete({ role: 'low', prompt: 'p' });
    expect(server.requests.map((r) => [r.body?.['model'], r.body?.['temperature'], r.body?.['max_tokens']])).toEqual([
      ['big', 0.7, 200],
      ['small', 0.2, 10],
      ['mock-model', 0, 64],
    ]);
  });

  it('a single model gives a plain modelId without the key or URL', () => {
    const llm = new OpenAiLlmClient(mockConfig(server.baseURL, { model: 'qwen2.5-7b' }));
    expect(llm.modelId).toBe('openai-compatible:qwen2.5-7b');
  });
});

describe('OpenAiLlmClient JSON-in-text fallback', () => {
  it('after one json_schema rejection, remembers it and sends the schema in the prompt instead', async () => {
    const server = await MockOpenAiServer.start({
      supportsJsonSchema: false,
      responder: () => 'I think {"action": "open door", "done": false} is right. {"other": 1}',
    });
    try {
      const llm = new OpenAiLlmClient(mockConfig(server.baseURL));
      const first = await llm.complete(CHAT_SCHEMA_REQUEST);
      expect(first.text).toBe('{"action": "open door", "done": false}');
      expect(server.requests.map((r) => r.fault ?? 'ok')).toEqual(['json-schema-unsupported', 'ok']);
      expect(llm.structuredOutputMode('low')).toBe('text-fallback');

      await llm.complete(CHAT_SCHEMA_REQUEST);
      expect(server.requestCount).toBe(3); // no second rejected attempt
      const sent = server.requests[2]!.body!;
      expect(sent).not.toHaveProperty('response_format');
      const msgs = sent['messages'] as { role: string; content: string }[];
      expect(msgs[msgs.length - 1]!.content).toContain(JSON.stringify(CHAT_SCHEMA_REQUEST.jsonSchema));
    } finally {
      await server.stop();
    }
  });

  it('a fallback answer with no JSON object is a retryable error quoting the output', async () => {
    const server = await MockOpenAiServer.start({
      supportsJsonSchema: false,
      responder: () => 'I would open the door.',
    });
    try {
      const err = await new OpenAiLlmClient(mockConfig(server.baseURL))
        .complete(CHAT_SCHEMA_REQUEST)
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ retryable: true });
      expect((err as Error).message).toMatch(
        /returned no JSON object for the 'low' request: "I would open the door\."/,
      );
    } finally {
      await server.stop();
    }
  });
});
