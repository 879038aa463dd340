/**
 * A subtask child run's transitions, rebuilt from its own history: the run records each policy
 * call's input (the prompt) and result (the reply) and each env step's input (the action) and
 * result (the observation) once, as activity events, so its result need not repeat them (see
 * `SubtaskPartResult`). The rebuild walks those activities with the run's own rules
 * (`subtask-state.ts`, `addAttempt`), so a reader sees exactly the transitions the run built. Pure.
 */
import type { EnvStepOutput, PolicyActivityInput, PolicyCallResult } from '../activities/types';
import type { AugmentedTransition, CallRecord } from '../agent/records';
import { addAttempt, emptyCallRecord } from './call-record';
import type { PendingDecision, SubtaskInput, SubtaskPartResult } from './records';
import { newSubtaskRun, nextObservationText, observationText, recordStep } from './subtask-state';

/** One completed activity of a subtask child's history, in completion order (others left out). */
export type RecordedActivity =
  | { type: 'callPolicy'; input: PolicyActivityInput; result: PolicyCallResult }
  | { type: 'envStep'; input: { stepIndex: number; action: string }; result: EnvStepOutput };

/**
 * The transitions of the run that took `input` and returned `result`, from the activities its
 * history completed. @throws Error naming the step when the history does not hold a step the
 * result counts (a history cut short: past retention, or not from this run)
 */
export function rebuildTransitions(
  input: SubtaskInput,
  result: Pick<SubtaskPartResult, 'steps' | 'lastProgressDropped'>,
  activities: readonly RecordedActivity[],
): AugmentedTransition[] {
  const { config } = input;
  const run = newSubtaskRun(input);
  let next = 0;
  /** The attempts of one decision of `role` from the next activity on; undefined when it never finished. */
  const decision = (role: 'low' | 'progress'): CallRecord | undefined => {
    let record: CallRecord | undefined;
    for (let attempt = 0; ; attempt++) {
      const a = activities[next];
      if (a?.type !== 'callPolicy' || a.input.role !== role) return undefined; // an outage or a cancel ended it
      next += 1;
      record ??= emptyCallRecord(a.input);
      if (addAttempt(record, a.result, attempt, config.repairAttempts).finished) return record;
    }
  };
  let pending = input.pending;
  const missing = (what: string) =>
    new Error(
      `the history of subtask ${input.subtaskIndex + 1} of ${input.episodeId} holds no ${what} for step ${run.stepIndex + 1}: ` +
        'its record is incomplete (read the whole child history)',
    );
  while (run.transitions.length < result.steps.length) {
    const obsText = observationText(config, run);
    let low: PendingDecision;
    if (pending) {
      [low, pending] = [pending, undefined]; // decided by the part before, recorded in this input
    } else {
      const record = decision('low');
      if (!record) throw missing('low-level decision');
      low = { decision: record.output?.role === 'low' ? record.output.decision : undefined, record };
    }
    const step = activities[next++];
    if (step?.type !== 'envStep') throw missing('env step');
    const { action } = step.input;
    const nextObsText = nextObservationText(config, run.observation, step.result.observation);
    const isLast = run.transitions.length === result.steps.length - 1;
    let progressRecord = step.result.done ? undefined : decision('progress');
    if (isLast && result.lastProgressDropped) progressRecord = undefined; // the run went on without it
    const progressAfter = progressRecord?.output?.role === 'progress' ? progressRecord.output.progress : run.progress;
    recordStep(input, run, { obsText, nextObsText, action, progressAfter, result: step.result, low, progressRecord });
  }
  return run.transitions;
}
