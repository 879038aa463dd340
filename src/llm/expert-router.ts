/**
 * The scripted expert for many episodes at once (an evaluation): each call is answered from the
 * expert plan of the episode it decides for (`CallOptions.episodeId`), built on first use from
 * that episode's spec and kept for the episode's later calls.
 */
import type { EnvSpec } from '../envs/text-env';
import { expertPolicyRules, type ExpertSubtask } from './expert-policy';
import { ScriptedLlmClient } from './scripted-client';
import { LlmError, type CallOptions, type LlmClient, type LlmRequest, type LlmResponse } from './types';

/** Options of {@link ExpertRouterClient}. */
export interface ExpertRouterOptions {
  /** The spec of an episode id, or undefined when the id is not one this router serves. */
  specOf: (episodeId: string) => EnvSpec | undefined;
  /** Builds the expert plan of a spec (reads the env server's expert solution). */
  planOf: (spec: EnvSpec) => Promise<ExpertSubtask[]>;
  profile: 'paper' | 'chat';
}

/** An {@link LlmClient} that plays the scripted expert of whichever episode calls it. */
export class ExpertRouterClient implements LlmClient {
  readonly modelId = 'scripted-expert';
  private readonly clients = new Map<string, Promise<LlmClient>>();

  constructor(private readonly options: ExpertRouterOptions) {}

  complete(request: LlmRequest, options?: CallOptions): Promise<LlmResponse> {
    return this.clientFor(options?.episodeId).then((client) => client.complete(request, options));
  }

  private clientFor(episodeId: string | undefined): Promise<LlmClient> {
    const spec = episodeId === undefined ? undefined : this.options.specOf(episodeId);
    if (!episodeId || !spec) {
      return Promise.reject(
        new LlmError(`the scripted expert has no plan for episode ${JSON.stringify(episodeId)}`, false),
      );
    }
    let client = this.clients.get(episodeId);
    if (!client) {
      client = this.options
        .planOf(spec)
        .then(
          (plan) => new ScriptedLlmClient(expertPolicyRules(plan, this.options.profile), { modelId: this.modelId }),
        );
      // A failed plan lookup (env server restarting) is tried again on the next call.
      client.catch(() => this.clients.delete(episodeId));
      this.clients.set(episodeId, client);
    }
    return client;
  }
}
