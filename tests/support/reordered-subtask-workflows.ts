/**
 * The workflow bundle's entry with a deliberately changed subtask workflow: it starts a timer before
 * its first decision, so every recorded subtask history diverges at its first command. Used by the
 * replay tests to prove `step-hrl replay` reports nondeterminism (never by a real worker).
 */
import { sleep } from '@temporalio/workflow';
import {
  subtaskWorkflow as currentSubtaskWorkflow,
  type SubtaskInput,
  type SubtaskPartResult,
} from '../../src/workflows/subtask';

export {
  episodeWorkflow,
  reactWorkflow,
  evalWorkflow,
  cancelSignal,
  episodeProgressQuery,
  transitionsQuery,
} from '../../src/workflows';

/** The current subtask workflow, one timer earlier: a command the recorded histories do not expect. */
export async function subtaskWorkflow(input: SubtaskInput): Promise<SubtaskPartResult> {
  await sleep(1);
  return currentSubtaskWorkflow(input);
}
