/**
 * The policy activity: one LLM call per activity, so every call's result is in the history and a
 * replay re-executes none. Retries belong to the activity retry policy (backends do not retry):
 * a retry re-sends the same prompt; nothing else needs resetting.
 */
import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import { jsonSchemaFor, parsePolicyOutput } from '../agent/schemas';
import { asApplicationFailure } from '../llm/to-application-failure';
import type { LlmClient } from '../llm/types';
import { cancellationSignal, withHeartbeat } from './heartbeat';
import type { PolicyCallInput, PolicyCallResult } from './types';

/** Counts calls that reached the backend, so tests can prove nothing was repeated. */
export interface CallCounter {
  llmCalls: number;
}

/** Builds the policy activities over a worker-owned LLM client (its keys never leave the worker). */
export function createPolicyActivities(llm: LlmClient, counter: CallCounter = { llmCalls: 0 }) {
  return {
    /** Calls the model for one role and parses its reply. */
    async callPolicy(input: PolicyCallInput): Promise<PolicyCallResult> {
      counter.llmCalls += 1;
      const signal = cancellationSignal();
      try {
        const response = await withHeartbeat(() =>
          llm.complete(
            {
              role: input.role,
              prompt: input.prompt,
              messages: input.messages,
              // ReAct answers in AgentGym's text format (`Thought: ...\nAction: ...`), not JSON.
              jsonSchema: input.profile === 'chat' && input.role !== 'react' ? jsonSchemaFor(input.role) : undefined,
              maxTokens: input.maxTokens,
              temperature: input.temperature,
              stop: input.stop,
            },
            { signal, episodeId: callingEpisodeId() },
          ),
        );
        return {
          text: response.text,
          parsed: parsePolicyOutput(input.role, input.profile, response.text),
          usage: response.originalUsage ?? response.usage,
          spentTokens: response.usage.promptTokens + response.usage.completionTokens,
          model: response.model,
          latencyMs: response.originalLatencyMs ?? response.latencyMs,
          cached: response.cached ?? false,
        };
      } catch (err) {
        // Cancelled (episode cancelled, worker shutting down): report a cancellation, not a model error.
        if (signal?.aborted) throw new CancelledFailure('the model call was cancelled');
        throw asApplicationFailure(err);
      }
    },
  };
}

/** The episode a policy call decides for: the calling workflow, or the episode owning a subtask child. */
export function episodeIdOfWorkflow(workflowId: string): string {
  return workflowId.replace(/\/subtask-\d+\.\d+$/, '');
}

function callingEpisodeId(): string | undefined {
  try {
    const workflowId = Context.current().info.workflowExecution?.workflowId;
    return workflowId === undefined ? undefined : episodeIdOfWorkflow(workflowId);
  } catch {
    return undefined; // called outside an activity (unit tests)
  }
}
