/**
 * One OpenAI-compatible endpoint (the project's mock server) that plays the scripted expert for
 * many episodes at once: each episode gets its own model name, and the model name picks the
 * episode's expert plan. So concurrent episodes in different processes share one endpoint, and
 * the requests each episode cost are counted per model (wrap it in `serial-endpoint.ts` for a
 * slow single-slot model).
 */
import { expertPolicyRules, type ExpertSubtask } from '../../src/llm/expert-policy';
import { MockOpenAiServer, type MockResponder } from './mock-openai-server';
import { scriptResponder } from './script-responder';

/** Options of {@link ExpertEndpoint.start}. */
export interface ExpertEndpointOptions {
  profile?: 'chat' | 'paper';
  /** Each answer is held this long, as a served model takes time to generate. @default 0 */
  latencyMs?: number;
}

/** The endpoint; register each episode's plan with {@link ExpertEndpoint.addEpisode}. */
export class ExpertEndpoint {
  private readonly responders = new Map<string, MockResponder>();

  private constructor(
    readonly mock: MockOpenAiServer,
    private readonly profile: 'chat' | 'paper',
  ) {}

  /** Starts the endpoint on a free loopback port. */
  static async start(options: ExpertEndpointOptions = {}): Promise<ExpertEndpoint> {
    let endpoint: ExpertEndpoint | undefined = undefined;
    const respond: MockResponder = (input) => {
      const responder = endpoint?.responders.get(input.model);
      if (!responder) throw new Error(`no expert plan registered for model ${input.model}`);
      return responder(input);
    };
    const latencyMs = options.latencyMs ?? 0;
    const mock = await MockOpenAiServer.start({
      responder: respond,
      ...(latencyMs > 0 && { holdReply: () => new Promise<void>((r) => setTimeout(r, latencyMs)) }),
    });
    endpoint = new ExpertEndpoint(mock, options.profile ?? 'chat');
    return endpoint;
  }

  /** `OPENAI_BASE_URL` for clients. */
  get baseURL(): string {
    return this.mock.baseURL;
  }

  /** Registers an episode's plan under a model name (use it as `STEP_HRL_MODEL`). */
  addEpisode(model: string, plan: readonly ExpertSubtask[]): void {
    this.responders.set(model, scriptResponder(expertPolicyRules(plan, this.profile)));
  }

  /** Completion requests received for a model (every attempt, including ones whose caller died). */
  requestsFor(model: string): number {
    return this.mock.requests.filter((r) => r.path.endsWith('/completions') && r.body?.['model'] === model).length;
  }

  /** Completion requests received in all. */
  get completionRequests(): number {
    return this.mock.requests.filter((r) => r.path.endsWith('/completions')).length;
  }

  async stop(): Promise<void> {
    await this.mock.stop();
  }
}
