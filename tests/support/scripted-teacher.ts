/**
 * A scripted teacher in the reference's label styles, for an OpenAI-compatible test endpoint
 * ({@link MockOpenAiServer}): a segmentation request is answered with the rule segmentation of the
 * listed actions (numbered subtasks, each listing its actions), a progress request with one
 * sentence plus the bookkeeping suffix (`|| [Route: ...]` after a move, `|| [Checked: ]` otherwise).
 */
import { segmentByRules } from '../../src/datasets/segment-rules';
import type { MockReplyInput } from './mock-openai-server';

const lastMatch = (text: string, re: RegExp) => [...text.matchAll(re)].at(-1)?.[1];

/** The actions a segmentation prompt lists (its last `Actions:` block). */
export function listedActions(prompt: string): string[] {
  const listed = lastMatch(prompt, /Actions:\n((?:\d+\. .*\n)+)Answer:/g)!;
  return listed
    .trim()
    .split('\n')
    .map((l) => l.replace(/^\d+\. /, ''));
}

/** The numbered answer a good teacher gives: the rule segmentation of `actions`. */
export function ruleSegmentationAnswer(actions: string[]): string {
  return segmentByRules('alfworld', actions)
    .map((s, i) => `${i + 1}- ${s.subtask} : {${s.actions.map((a) => `'${a}'`).join(', ')}}`)
    .join('\n');
}

/** Whether `prompt` asks for a segmentation (else it asks for a progress label). */
export const isSegmentationPrompt = (prompt: string): boolean => prompt.includes('Split the action sequence');

/** The progress label a good teacher gives after `prompt`'s current action. */
export function progressAnswer(prompt: string): string {
  const action = lastMatch(prompt, /Current action: (.*)\n/g)!;
  return action.startsWith('go to ')
    ? `Arrived at ${action.slice(6)}. || [Route: ${action.slice(6)}]`
    : `Did "${action}". || [Checked: ]`;
}

/**
 * A teacher that answers every request well; `segmentBadlyOnce` makes the first segmentation one
 * action short (the retry-once path).
 */
export function scriptedTeacher(options: { segmentBadlyOnce?: boolean } = {}): (input: MockReplyInput) => string {
  let badOnce = options.segmentBadlyOnce ?? false;
  return ({ prompt }) => {
    if (!isSegmentationPrompt(prompt)) return progressAnswer(prompt);
    const actions = listedActions(prompt);
    const kept = badOnce ? actions.slice(0, -1) : actions;
    badOnce = false;
    return ruleSegmentationAnswer(kept);
  };
}
