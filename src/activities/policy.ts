/**
 * The policy activity: one LLM call per activity, so every call's result is in the history and a
 * replay re-executes none. Retries belong to the activity retry policy (backends do not retry):
 * a retry re-sends the same prompt; nothing else needs resetting. The outage budget is checked
 * here, as time since the call's first attempt was scheduled (see {@link outOfBudget}).
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { jsonSchemaFor, parsePolicyOutput } from '../agent/schemas';
import { asApplicationFailure } from '../llm/to-application-failure';
import type { LlmClient } from '../llm/types';
import { cancellationSignal, withHeartbeat } from './heartbeat';
import { LLM_OUTAGE_BUDGET_EXCEEDED, type PolicyActivityInput, type PolicyCallResult } from './types';

/** Counts calls that reached the backend, so tests can prove nothing was repeated. */
export interface CallCounter {
  llmCalls: number;
}

/** Builds the policy activities over a worker-owned LLM client (its keys never leave the worker). */
export function createPolicyActivities(llm: LlmClient, counter: CallCounter = { llmCalls: 0 }) {
  return {
    /** Calls the model for one role and parses its reply. */
    async callPolicy(input: PolicyActivityInput): Promise<PolicyCallResult> {
      counter.llmCalls += 1;
      const signal = cancellationSignal();
      try {
        const response = await withHeartbeat(
          () =>
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
          `${input.role} call`,
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
        throw outOfBudget(asApplicationFailure(err), input.outageBudgetSeconds);
      }
    },
  };
}

/**
 * `failure`, or a non-retryable {@link LLM_OUTAGE_BUDGET_EXCEEDED} naming the budget and the last
 * error when `failure` is retryable and `budgetSeconds` have passed since the call's first attempt
 * was scheduled (`info.scheduledTimestampMs`, the same for every attempt). So the budget counts the
 * time spent inside attempts (a hung server up to the client timeout) as well as the backoff
 * between them, and a burst of short Retry-After delays cannot spend it in a second. A call that
 * succeeds is never failed by it, however long it waited.
 */
function outOfBudget(failure: unknown, budgetSeconds: number | undefined): unknown {
  const retryable = failure instanceof ApplicationFailure ? !failure.nonRetryable : failure instanceof Error;
  if (budgetSeconds === undefined || !retryable) return failure;
  let firstScheduledMs: number;
  try {
    firstScheduledMs = Context.current().info.scheduledTimestampMs;
  } catch {
    return failure; // called outside an activity (unit tests)
  }
  if (Date.now() - firstScheduledMs < budgetSeconds * 1000) return failure;
  return ApplicationFailure.create({
    type: LLM_OUTAGE_BUDGET_EXCEEDED,
    nonRetryable: true,
    message: `model endpoint still failing after the ${budgetSeconds} s outage budget (llmOutageBudgetSeconds); last error: ${(failure as Error).message}`,
    cause: failure as Error,
  });
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
