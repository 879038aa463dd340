/**
 * A subtask child's result without what the history already holds twice: each transition's `task`
 * and `completedSubtasks` equal the child's input (stored in the same histories), and a
 * transition's `observation` equals the previous transition's `nextObservation`. The child returns
 * the compacted form (behind `patched(COMPACT_SUBTASK_OUTCOME)`); readers of the record expand it
 * with the child's input, so every reader still sees whole transitions. Only copies of recorded
 * data are left out, never text a formatter would have to rebuild: an expanded record cannot change
 * when the observation formatting changes in a later version. Pure, workflow-safe.
 */
import type { AugmentedTransition } from '../agent/records';
import type { SubtaskInput, SubtaskOutcome } from './records';

/** The parts of a child's input a compacted result leaves out of its transitions. */
export type OutcomeContext = Pick<SubtaskInput, 'task' | 'completedSubtasks'>;

type Derivable = 'task' | 'completedSubtasks' | 'observation';
/** A transition as a compacted result stores it: the fields left out are optional. */
type StoredTransition = Omit<AugmentedTransition, Derivable> & Partial<Pick<AugmentedTransition, Derivable>>;

/** Leaves out of each transition the fields its input or the previous transition already holds. */
export function compactOutcome(context: OutcomeContext, outcome: SubtaskOutcome): SubtaskOutcome {
  const transitions = outcome.transitions.map((t, k): StoredTransition => {
    const { task, completedSubtasks, observation, ...rest } = t;
    const before = k === 0 ? undefined : outcome.transitions[k - 1]!.nextObservation;
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
    previous = whole;
    return whole;
  });
  const { compacted: _compacted, ...rest } = outcome;
  return { ...rest, transitions };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
