/**
 * A deterministic fake {@link LlmClient} for tests and demos: answers from a script of rules keyed
 * by prompt content, records every request, and fails loudly when no rule matches, so a test
 * never silently runs on an answer nobody wrote.
 */
import { countTokens } from '../agent/tokens';
import { applyStop, assertValidRequest, requestText } from './request-utils';
import { LlmError, type LlmClient, type LlmRequest, type LlmResponse, type PolicyRole } from './types';

/** One script rule; the first rule whose `role` (if set) and `match` fit the request answers it. */
export interface ScriptRule {
  /** Only requests for this role match. */
  role?: PolicyRole;
  /** Substring of, or pattern tested against, the request text (see {@link requestText}). */
  match: string | RegExp;
  /** The model's answer, or a function of the request text computing it. */
  reply: string | ((prompt: string, request: LlmRequest) => string);
}

/** Options of {@link ScriptedLlmClient}. */
export interface ScriptedLlmClientOptions {
  /** @default 'scripted' */
  modelId?: string;
  /**
   * Let replies to JSON-schema requests be anything, like a real model that breaks its schema
   * (for tests of repair and invalid-output handling). @default false
   */
  allowMalformedJson?: boolean;
}

/** Thrown when no rule matches a request: a gap in the test's script, never retryable. */
export class UnmatchedPromptError extends LlmError {
  constructor(
    readonly requestRole: PolicyRole,
    readonly prompt: string,
    ruleCount: number,
  ) {
    const head = prompt.split('\n').slice(0, 5).join('\n');
    super(
      `ScriptedLlmClient: no rule of ${ruleCount} matches this '${requestRole}' request; add a rule ` +
        `whose 'match' fits it. First lines of the prompt:\n${head}`,
      false,
    );
    this.name = 'UnmatchedPromptError';
  }
}

/**
 * Fake model answering from {@link ScriptRule}s. Honours stop sequences like a real server; usage
 * is counted with the real tokenizer (`source: 'tokenizer'`); `latencyMs` is always 0 so records
 * made with it are byte-for-byte reproducible.
 *
 * @example
 * const llm = new ScriptedLlmClient([{ role: 'low', match: 'Subtask:', reply: '{"action":"look"}' }]);
 */
export class ScriptedLlmClient implements LlmClient {
  readonly modelId: string;
  /** Every request received, in order (copies, so later mutation by the caller does not show). */
  readonly requests: LlmRequest[] = [];

  constructor(
    private readonly rules: readonly ScriptRule[],
    private readonly options: ScriptedLlmClientOptions = {},
  ) {
    this.modelId = options.modelId ?? 'scripted';
  }

  /** Answers `request` from the first matching rule. @throws {@link UnmatchedPromptError} */
  async complete(request: LlmRequest): Promise<LlmResponse> {
    this.requests.push(structuredClone(request));
    assertValidRequest(request);
    const prompt = requestText(request);
    const rule = this.rules.find(
      (r) =>
        (r.role === undefined || r.role === request.role) &&
        (typeof r.match === 'string'
          ? prompt.includes(r.match)
          : new RegExp(r.match.source, r.match.flags).test(prompt)),
    );
    if (!rule) throw new UnmatchedPromptError(request.role, prompt, this.rules.length);
    const raw = typeof rule.reply === 'string' ? rule.reply : rule.reply(prompt, request);
    const text = applyStop(raw, request.stop);
    if (request.jsonSchema && !this.options.allowMalformedJson) assertJsonObject(text, request.role);
    return {
      text,
      usage: { promptTokens: countTokens(prompt), completionTokens: countTokens(text), source: 'tokenizer' },
      model: this.modelId,
      latencyMs: 0,
    };
  }
}

/** A schema-constrained backend can only emit JSON; a script that breaks that is a test bug. */
function assertJsonObject(text: string, role: PolicyRole): void {
  let ok = false;
  try {
    const v: unknown = JSON.parse(text);
    ok = v !== null && typeof v === 'object' && !Array.isArray(v);
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new LlmError(
      `ScriptedLlmClient: the '${role}' request has a jsonSchema but the scripted reply is not a JSON ` +
        `object: ${JSON.stringify(text.slice(0, 120))}. Fix the rule's reply.`,
      false,
    );
  }
}
