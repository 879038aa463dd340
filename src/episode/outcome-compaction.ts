/**
 * A subtask child's result without what the history already holds twice: each transition's `task`
 * and `completedSubtasks` equal the child's input (stored in the same histories), and a
 * transition's `observation` equals the previous transition's `nextObservation`. Readers of the
 * record expand it with the child's input, so every reader still sees whole transitions.
 *
 * With the child's input as the context, text the input renders again is stored by its SHA-256:
 * the first transition's observation (formatted from the input's observation) and the low-level
 * and progress calls' prompts (see `prompt-ref.ts`; the `paper` profile, and `chat` calls that list
 * no valid actions). The writer leaves a text out only when that rendering equals it; a reader puts
 * it back only when the rendering matches the hash, else keeps the hash (a later formatter or
 * template change then shows as a missing text, never as a different one). Pure, workflow-safe.
 */
import type { EpisodeConfig } from '../agent/config';
import { formatObservation } from '../agent/observation';
import type { AugmentedTransition } from '../agent/records';
import { lowLevelCall, progressCall } from './policy-calls';
import { promptByHash, promptFromHash, type StoredCallRecord } from './prompt-ref';
import { sha256Hex } from './sha256';
import type { SubtaskInput, SubtaskOutcome } from './records';

/** The parts of a child's input a compacted result leaves out of its transitions (config: its prompts). */
export type OutcomeContext = Pick<SubtaskInput, 'task' | 'completedSubtasks'> &
  Partial<Pick<SubtaskInput, 'observation' | 'stepIndex' | 'previous'>> & {
    config?: Partial<Record<keyof EpisodeConfig, unknown>>;
  };

/**
 * The first step's observation as the child formatted it from its input, when the context can
 * render it (a child's input can): a compacted result stores it by hash (see `firstObservation`).
 */
function firstObservationOf(context: OutcomeContext, config: EpisodeConfig | undefined): string | undefined {
  if (!config || context.observation === undefined || context.stepIndex === undefined) return undefined;
  return formatObservation(config.spec.env, context.observation, {
    format: config.obs,
    initial: context.stepIndex === 0,
    previous: context.previous,
  });
}

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
type StoredTransition = Omit<AugmentedTransition, Derivable> &
  Partial<Pick<AugmentedTransition, Derivable>> & {
    /** SHA-256 of the first transition's observation, left out because the child's input renders it. */
    observationHash?: string;
  };

/** Leaves out of each transition the fields its input or the previous transition already holds. */
export function compactOutcome(context: OutcomeContext, outcome: SubtaskOutcome): SubtaskOutcome {
  const config = promptConfig(context);
  const first = firstObservationOf(context, config);
  const transitions = outcome.transitions.map((t, k): StoredTransition => {
    const { task, completedSubtasks, observation, ...rest } = t;
    const before = k === 0 ? first : outcome.transitions[k - 1]!.nextObservation;
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
      ...(k === 0 && observation === first && { observationHash: sha256Hex(observation) }),
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
    const { task, completedSubtasks, observation, observationHash, ...rest } = t;
    // The first observation stored by hash: rendered from the input again, and kept only if it matches.
    const first = observationHash === undefined ? undefined : firstObservationOf(context, config);
    const restored = first !== undefined && sha256Hex(first) === observationHash;
    const whole = {
      ...rest,
      task: task ?? context.task,
      completedSubtasks: completedSubtasks ?? context.completedSubtasks,
      observation: observation ?? (restored ? first : (previous?.nextObservation ?? '')),
      ...(observationHash !== undefined && !restored && { observationHash }),
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
