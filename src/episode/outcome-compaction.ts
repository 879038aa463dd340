/**
 * A subtask child's result without what the history already holds twice: each transition's `task`
 * and `completedSubtasks` equal the child's input (stored in the same histories), and a
 * transition's `observation` equals the previous transition's `nextObservation`. The child returns
 * the compacted form (behind `patched(COMPACT_SUBTASK_OUTCOME)`); readers of the record expand it
 * with the child's input, so every reader still sees whole transitions. Only copies of recorded
 * data are left out, never text a formatter would have to rebuild: an expanded record cannot change
 * when the observation formatting changes in a later version. Pure, workflow-safe.
 *
 * With the child's config in the context, a transition's low-level and progress call records also
 * store their prompt by hash (see `prompt-ref.ts`) when the transition's own fields render it again
 * exactly (the `paper` profile, and `chat` calls that list no valid actions); readers re-render
 * and check it, so the prompt text is kept once, in the policy activity's input.
 */
import type { EpisodeConfig } from '../agent/config';
import type { AugmentedTransition } from '../agent/records';
import { lowLevelCall, progressCall } from './policy-calls';
import { promptByHash, promptFromHash, type StoredCallRecord } from './prompt-ref';
import type { SubtaskInput, SubtaskOutcome } from './records';

/** The parts of a child's input a compacted result leaves out of its transitions (config: its prompts). */
export type OutcomeContext = Pick<SubtaskInput, 'task' | 'completedSubtasks'> & {
  config?: Partial<Record<keyof EpisodeConfig, unknown>>;
};

/** The config prompts are rendered with, when the context holds a whole one (a child's input does). */
function promptConfig(context: OutcomeContext): EpisodeConfig | undefined {
  const c = context.config;
  return c?.spec !== undefined && c.profile !== undefined && c.decoding !== undefined
    ? (c as unknown as EpisodeConfig)
    : undefined;
}

/** The calls a reader rebuilds from a whole transition's fields. */
function renderedCalls(config: EpisodeConfig, t: AugmentedTransition) {
  return {
    low: () => lowLevelCall(config, t.subtask, t.observation, { text: '' }, t.progressBefore),
    progress: () => progressCall(config, t.subtask, t.progressBefore, t.action, t.nextObservation),
  };
}

type Derivable = 'task' | 'completedSubtasks' | 'observation';
/** A transition as a compacted result stores it: the fields left out are optional. */
type StoredTransition = Omit<AugmentedTransition, Derivable> & Partial<Pick<AugmentedTransition, Derivable>>;

/** Leaves out of each transition the fields its input or the previous transition already holds. */
export function compactOutcome(context: OutcomeContext, outcome: SubtaskOutcome): SubtaskOutcome {
  const config = promptConfig(context);
  const transitions = outcome.transitions.map((t, k): StoredTransition => {
    const { task, completedSubtasks, observation, ...rest } = t;
    const before = k === 0 ? undefined : outcome.transitions[k - 1]!.nextObservation;
    if (config) {
      const render = renderedCalls(config, t);
      rest.low = promptByHash(rest.low, render.low()) as AugmentedTransition['low'];
      if (rest.progress) rest.progress = promptByHash(rest.progress, render.progress()) as AugmentedTransition['low'];
    }
    return {
      ...rest,
      ...(task !== context.task && { task }),
      ...(!sameList(completedSubtasks, context.completedSubtasks) && { completedSubtasks }),
      ...(observation !== before && { observation }),
    };
  });
  return { ...outcome, transitions: transitions as AugmentedTransition[], compacted: true };
}

/** The outcome with whole transitions (a no-op on results recorded whole). */
export function expandOutcome(context: OutcomeContext, outcome: SubtaskOutcome): SubtaskOutcome {
  if (!outcome.compacted) return outcome;
  const config = promptConfig(context);
  const stored = outcome.transitions as StoredTransition[];
  let previous: AugmentedTransition | undefined;
  const transitions = stored.map((t): AugmentedTransition => {
    // One key order whatever was stored, so equal records serialise equally (a re-drive can make a
    // transition the first of a part, where its observation is kept).
    const { task, completedSubtasks, observation, ...rest } = t;
    const whole = {
      ...rest,
      task: task ?? context.task,
      completedSubtasks: completedSubtasks ?? context.completedSubtasks,
      observation: observation ?? previous?.nextObservation ?? '',
    } as AugmentedTransition;
    if (config) {
      const render = renderedCalls(config, whole);
      whole.low = promptFromHash(whole.low as StoredCallRecord, render.low);
      if (whole.progress) whole.progress = promptFromHash(whole.progress as StoredCallRecord, render.progress);
    }
    previous = whole;
    return whole;
  });
  const { compacted: _compacted, ...rest } = outcome;
  return { ...rest, transitions };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
