/** A stand-in `evalWorkflow` for the training workflow's eval-stage tests: returns totals from its input. */
import type { EvalInput } from '../../../src/episode/eval-records';

/** Answers one won episode per planned run, with the input's model label as the selection. */
export async function evalWorkflow(input: EvalInput): Promise<unknown> {
  return { evalId: 'fake', total: 1, selection: input.model, totals: { done: 1, won: 1, scoreSum: 100 } };
}
