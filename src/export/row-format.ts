/**
 * Training rows as the JSONL common fine-tuning tools read:
 * - `training-prompt`: `{"prompt", "completion", ...}` (TRL SFTTrainer's prompt-completion form,
 *   conversational when the profile is `chat`), with the row's reward, done and next prompt beside it;
 * - `training-chat`: `{"messages": [system?, user, assistant]}` and nothing else, since OpenAI
 *   fine-tuning rejects unknown keys; the same metadata goes to a line-aligned `.meta.jsonl`.
 */
import type { ChatMessage } from '../llm/types';
import type { TrainingRow } from './training-rows';

/** Export formats that write training rows. */
export type TrainingFormat = 'training-prompt' | 'training-chat';

/** What a row says besides its prompt and target (snake_case, as dataset columns usually are). */
export interface RowMetadata {
  role: TrainingRow['role'];
  episode_id: string;
  subtask_index: number;
  step_index: number;
  reward: number;
  done: boolean;
  invalid: boolean;
  /** The next row's prompt (text or messages), or the reference's end placeholder. */
  next_prompt: string | ChatMessage[];
}

/** The call's prompt: raw text (paper) or messages (chat). */
function promptOf(call: TrainingRow['call']): string | ChatMessage[] {
  return call.prompt ?? call.messages ?? [];
}

/** The messages a call is served as (a raw prompt is one user message). */
function messagesOf(call: TrainingRow['call']): ChatMessage[] {
  return call.messages ?? [{ role: 'user', content: call.prompt ?? '' }];
}

/** A row's metadata. */
export function rowMetadata(row: TrainingRow): RowMetadata {
  return {
    role: row.role,
    episode_id: row.episodeId,
    subtask_index: row.subtaskIndex,
    step_index: row.stepIndex,
    reward: row.reward,
    done: row.done,
    invalid: row.invalid,
    next_prompt: typeof row.next === 'string' ? row.next : promptOf(row.next),
  };
}

/** The prompt-completion line of a row. */
export function promptCompletionLine(row: TrainingRow): Record<string, unknown> {
  const prompt = promptOf(row.call);
  const completion = typeof prompt === 'string' ? row.target : [{ role: 'assistant', content: row.target }];
  return { prompt, completion, ...rowMetadata(row) };
}

/** The chat-messages line of a row. */
export function chatMessagesLine(row: TrainingRow): { messages: ChatMessage[] } {
  return { messages: [...messagesOf(row.call), { role: 'assistant', content: row.target }] };
}
