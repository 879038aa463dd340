/**
 * Operator control of a running eval, from any terminal: `step-hrl eval pause|resume|cancel|
 * set-concurrency|retry-failed <eval-id>`. Each is a Temporal update with a validator, so a refused
 * one (a cancelled eval, a concurrency out of range) says why and changes nothing. The eval's own
 * process (`step-hrl eval`, `resume`, or a `worker`) must be running to take it.
 */
import { WorkflowUpdateStage, type Client, type WorkflowHandle } from '@temporalio/client';
import type { EvalProgress } from '../../episode/eval-types';
import { int } from '../episode-options';
import { createOutput, type Output } from '../output';
import { action } from '../program';
import { openTemporal, withTemporalOptions, type TemporalCliOptions } from '../temporal';
import { evalCommand } from './eval';
import { MAX_EVAL_CONCURRENCY } from '../../episode/limits';
import {
  type EvalWorkflow,
  cancelEvalUpdate,
  pauseEvalUpdate,
  resumeEvalUpdate,
  retryFailedUpdate,
  setConcurrencyUpdate,
} from '../../episode/messages';

/** How long an update may wait for the eval's worker to accept it. */
const ACCEPT_TIMEOUT_MS = 15_000;

/** A running eval's handle. @throws naming the id and what to do when there is none or it has ended. */
async function runningEval(client: Client, evalId: string): Promise<WorkflowHandle<EvalWorkflow>> {
  const handle = client.workflow.getHandle<EvalWorkflow>(evalId);
  const description = await handle.describe().catch(() => undefined);
  if (!description || description.type !== 'evalWorkflow')
    throw new Error(`no evaluation with id ${JSON.stringify(evalId)}; \`step-hrl list --kind eval\` lists them`);
  if (description.status.name !== 'RUNNING')
    throw new Error(
      `eval ${evalId} is not running (${description.status.name.toLowerCase()}); \`step-hrl eval show ${evalId}\` prints its results`,
    );
  return handle;
}

/** Sends one update and waits for its answer, or says which process must be running to take it. */
async function sendUpdate<Ret>(
  handle: WorkflowHandle<EvalWorkflow>,
  send: (h: WorkflowHandle<EvalWorkflow>) => Promise<{ result(): Promise<Ret> }>,
): Promise<Ret> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `no worker took the request within ${ACCEPT_TIMEOUT_MS / 1000} s: eval ${handle.workflowId} has no running ` +
              `process; start it again with \`step-hrl resume ${handle.workflowId}\` and retry`,
          ),
        ),
      ACCEPT_TIMEOUT_MS,
    );
  });
  try {
    const accepted = await Promise.race([send(handle), timeout]);
    return await accepted.result();
  } finally {
    clearTimeout(timer);
  }
}

function printProgress(out: Output, verb: string, p: EvalProgress, evalId: string): void {
  out.event(
    'eval-control',
    { evalId, action: verb, progress: p },
    `eval ${evalId} ${verb}: ${p.done}/${p.total} done, ${p.running.length} running, concurrency ${p.concurrency ?? '?'}` +
      (p.paused ? ', paused' : ''),
  );
}

type ControlFlags = TemporalCliOptions & { json?: boolean };

/** Registers one control subcommand that opens Temporal, finds the running eval and acts on it. */
function control(
  name: string,
  description: string,
  run: (handle: WorkflowHandle<EvalWorkflow>, out: Output, rest: string[]) => Promise<void>,
  extraArgument?: [string, string],
): void {
  const command = withTemporalOptions(evalCommand.command(name))
    .description(description)
    .argument('<eval-id>', 'id of the evaluation');
  if (extraArgument) command.argument(extraArgument[0], extraArgument[1]);
  command.option('--json', 'print JSON lines').action(
    action(async (evalId: string, ...rest: unknown[]) => {
      const flags = rest.find((r) => typeof r === 'object' && r !== null && !Array.isArray(r)) as ControlFlags;
      const positional = rest.filter((r): r is string => typeof r === 'string');
      const out = createOutput(Boolean(flags.json));
      const temporal = await openTemporal(flags);
      try {
        await run(await runningEval(temporal.client, evalId), out, positional);
      } finally {
        await temporal.close();
      }
    }),
  );
}

const accepted = { waitForStage: WorkflowUpdateStage.ACCEPTED } as const;

control('pause', 'Start no new episode of a running eval (running ones finish) until `eval resume`', async (h, out) =>
  printProgress(out, 'paused', await sendUpdate(h, (x) => x.startUpdate(pauseEvalUpdate, accepted)), h.workflowId),
);
control('resume', 'Start episodes again after `eval pause`', async (h, out) =>
  printProgress(out, 'resumed', await sendUpdate(h, (x) => x.startUpdate(resumeEvalUpdate, accepted)), h.workflowId),
);
control(
  'cancel',
  'End a running eval keeping its results so far (running episodes end `cancelled` with their records)',
  async (h, out) =>
    printProgress(
      out,
      'cancelled',
      await sendUpdate(h, (x) => x.startUpdate(cancelEvalUpdate, { ...accepted, args: ['cancelled from the CLI'] })),
      h.workflowId,
    ),
);
control(
  'set-concurrency',
  'Change how many episodes of a running eval play at once',
  async (h, out, [value]) => {
    const concurrency = int('<n>', value!, 1, MAX_EVAL_CONCURRENCY);
    const p = await sendUpdate(h, (x) => x.startUpdate(setConcurrencyUpdate, { ...accepted, args: [concurrency] }));
    printProgress(out, `set to concurrency ${concurrency}`, p, h.workflowId);
  },
  ['<n>', `episodes at once (1 to ${MAX_EVAL_CONCURRENCY})`],
);
control('retry-failed', 'Play the episodes of a running eval whose workflow failed again', async (h, out) => {
  const queued = await sendUpdate(h, (x) => x.startUpdate(retryFailedUpdate, accepted));
  out.event(
    'eval-control',
    { evalId: h.workflowId, action: 'retry-failed', queued },
    `eval ${h.workflowId}: ${queued} failed episode(s) queued again`,
  );
});
