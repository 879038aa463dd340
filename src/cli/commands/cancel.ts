/**
 * `step-hrl cancel <episode|eval>`: Temporal's own cancellation, the same as the Web UI's Cancel
 * button or `temporal workflow cancel`. An episode stops at its next decision point, closes its env
 * session and ends `cancelled` with its record; an eval cancels its running episodes that way and
 * ends `cancelled` with its results so far; a training run abandons the chunk in flight (its last
 * checkpoint stays) and ends `cancelled`.
 */
import { program } from '../program';
import { outputAction } from '../output-action';
import { openTemporal, withTemporalOptions, type TemporalCliOptions } from '../temporal';

withTemporalOptions(program.command('cancel'))
  .description('Cancel a running episode, eval or training run (as the Temporal UI does); the record so far stays')
  .argument('<id>', 'episode, eval or training run id')
  .option('--json', 'print a JSON line')
  .action(
    outputAction(async (out, id: string, flags: TemporalCliOptions & { json?: boolean }) => {
      const temporal = await openTemporal(flags);
      try {
        const handle = temporal.client.workflow.getHandle(id);
        const description = await handle.describe().catch(() => undefined);
        if (!description)
          throw new Error(
            `no episode, eval or training run with id ${JSON.stringify(id)}; \`step-hrl list\` lists them`,
          );
        if (description.status.name !== 'RUNNING') {
          out.event(
            'cancel',
            { id, status: description.status.name },
            `${id} already ended (${description.status.name.toLowerCase()}); nothing to cancel`,
          );
          return;
        }
        await handle.cancel();
        const kind = KIND_OF_TYPE[description.type] ?? 'episode';
        out.event('cancel', { id, kind, requested: true }, cancelLine(kind, id));
      } finally {
        await temporal.close();
      }
    }),
  );

const KIND_OF_TYPE: Record<string, 'eval' | 'training'> = { evalWorkflow: 'eval', trainingWorkflow: 'training' };

/** What happens next, in one line, for the kind of workflow cancelled. */
function cancelLine(kind: 'episode' | 'eval' | 'training', id: string): string {
  if (kind === 'training')
    return (
      `cancel requested: the training run abandons the chunk in flight (its last checkpoint stays) and ends ` +
      `\`cancelled\` (\`step-hrl train show ${id}\`)`
    );
  return (
    `cancel requested: the ${kind} stops at its next decision point and ends \`cancelled\` with its record ` +
    `(\`step-hrl show ${id}\`${kind === 'eval' ? ` or \`step-hrl eval show ${id}\`` : ''})`
  );
}
