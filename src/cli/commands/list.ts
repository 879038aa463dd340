/** `step-hrl list`: episodes and evals found by their search attributes (see docs/search-attributes.md). */
import type { WorkflowExecutionInfo } from '@temporalio/client';
import {
  StepHrlEnv,
  StepHrlEvalId,
  StepHrlKind,
  StepHrlScore,
  StepHrlStatus,
  StepHrlSteps,
  StepHrlTask,
  StepHrlTokens,
  StepHrlWon,
} from '../../episode/search-attributes';
import { buildListQuery, type ListFilters } from '../list-query';
import { createOutput } from '../output';
import { action, program } from '../program';
import { openTemporal, withTemporalOptions, type TemporalCliOptions } from '../temporal';

/** One listed workflow, as `--json` prints it. */
export interface ListedWorkflow {
  id: string;
  kind?: string;
  /** Our status (EpisodeStatus, `running`, eval status), else Temporal's, lower case. */
  status: string;
  env?: string;
  task?: string;
  won?: boolean;
  score?: number;
  steps?: number;
  tokens?: number;
  evalId?: string;
  startTime: string;
}

/**
 * Our status, except for a run that closed without recording its end (terminated, timed out):
 * there Temporal's status says more than the `running` set at start.
 */
function statusOf(info: WorkflowExecutionInfo): string {
  const ours = info.typedSearchAttributes.get(StepHrlStatus);
  const temporal = info.status.name.toLowerCase();
  return ours === undefined || (ours === 'running' && temporal !== 'running') ? temporal : ours;
}

/** The row of one workflow execution. */
export function listedWorkflow(info: WorkflowExecutionInfo): ListedWorkflow {
  const get = info.typedSearchAttributes;
  return {
    id: info.workflowId,
    kind: get.get(StepHrlKind),
    status: statusOf(info),
    env: get.get(StepHrlEnv),
    task: get.get(StepHrlTask),
    won: get.get(StepHrlWon),
    score: get.get(StepHrlScore),
    steps: get.get(StepHrlSteps),
    tokens: get.get(StepHrlTokens),
    evalId: get.get(StepHrlEvalId),
    startTime: info.startTime.toISOString(),
  };
}

function parseLimit(text: string): number {
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit < 1)
    throw new Error(`--limit ${JSON.stringify(text)} is not valid; pass a positive integer`);
  return limit;
}

withTemporalOptions(program.command('list'))
  .description(
    'List episodes and evaluations by their search attributes (newest first); the same filters work in the ' +
      'Temporal UI and `temporal workflow list --query`',
  )
  .option('--env <env>', 'environment: builtin | scienceworld | alfworld')
  .option('--task <task>', 'task name')
  .option('--split <split>', 'split of the task')
  .option('--agent <agent>', 'agent: step-hrl | react')
  .option('--profile <profile>', 'prompt profile: chat | paper')
  .option('--model <model>', 'model label (STEP_HRL_MODEL, expert, local, ...)')
  .option('--status <status>', 'status: running, env-done, step-budget, cancelled, llm-error, ... (evals: finished)')
  .option('--won <bool>', 'true | false')
  .option('--eval <id>', 'episodes of this evaluation (and the evaluation itself)')
  .option('--parent <id>', 'episodes forked from this episode')
  .option('--kind <kind>', 'episode | eval (default: both)')
  .option('--query <query>', 'a raw visibility query, ANDed with the filters')
  .option('--limit <n>', 'at most this many rows', '100')
  .option('--json', 'print JSON lines instead of a table')
  .action(
    action(async (flags) => {
      const query = buildListQuery(flags as ListFilters);
      const limit = parseLimit(flags.limit);
      const out = createOutput(Boolean(flags.json));
      const temporal = await openTemporal(flags as TemporalCliOptions);
      try {
        const table = out.table([
          'id',
          'status',
          'env',
          'task',
          'won',
          'score',
          'steps',
          'tokens',
          'eval',
          'start time',
        ]);
        let rows = 0;
        for await (const info of temporal.client.workflow.list({ query, pageSize: Math.min(limit, 1000) })) {
          const row = listedWorkflow(info);
          if (flags.json) out.event('listed', { ...row }, '');
          const won = row.won === undefined ? '' : row.won ? 'yes' : 'no';
          table.push([
            row.id,
            row.status,
            row.env ?? '',
            row.task ?? '',
            won,
            row.score ?? '',
            row.steps ?? '',
            row.tokens ?? '',
            row.evalId ?? '',
            row.startTime,
          ]);
          if (++rows >= limit) break;
        }
        if (!flags.json) console.log(rows > 0 ? table.toString() : `nothing matches ${query}`);
      } finally {
        await temporal.close();
      }
    }),
  );
